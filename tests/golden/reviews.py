"""The reviews whose whole outputs are kept as golden files.

- ``clean_review``: a submission every check passes;
- ``bad_review``: errors, warnings, info, a notebook cell, an errored check, text that
  tries to inject Markdown, HTML and mentions;
- ``runs_review``: a static review plus notebook runs read from a stored runs file and
  judged against a stored claims file (no kernel): each verdict kind, a failed run;
- ``corpus_shaped_review``: the shape of a large real submission (seven thousand lines,
  hundreds of pylint notes with one generic fix, dozens of warnings, and the two errors
  that fail it sorted last by path), generated here, for the 10,000-character comment.

Roots are fixed paths (nothing is read from them), so outputs do not depend on tmp dirs.
"""

from __future__ import annotations

from pathlib import Path

from reviewbot.core.models import (
    CheckResult,
    Finding,
    ResultRow,
    Review,
    Severity,
    Status,
    freeze,
)
from reviewbot.replication.claims import StatsSettings, load_paper
from reviewbot.replication.runs_io import read_runs
from reviewbot.replication.verdicts import judged

DATA = Path(__file__).parent / "data"
VERSION = "0.1.0"
E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO  # noqa: E741


def fix(code: str) -> str:
    """A fix text with a code span, as the rules write them."""
    return f"See the rule {code}; run `reviewbot check .` again after the change."


def f(check: str, code: str, severity: Severity, message: str, path: str | None = None,
      line: int | None = None, **where: int) -> Finding:
    return Finding(check, code, severity, message, path, line, fix=fix(code), **where)


def clean_review() -> Review:
    results = (CheckResult("readme", Status.PASSED, (), freeze({"words": 812}), seconds=0.01),
               CheckResult("notebook", Status.PASSED, (), freeze({"notebooks": 1})),
               CheckResult("modularity", Status.PASSED, (),
                           freeze({"functions": 14, "mean_complexity": 2.25})))
    return Review("DoeEtAl2019", "/submissions/DoeEtAl2019", results, (), E, VERSION)


HOSTILE = "ping @octocat <script>alert(1)</script> ``` | #12 [bold]x[/bold]"


def bad_review() -> Review:
    load = (f("load", "LOAD001", E, "data is a symlink to /etc/passwd, outside the "
              "submission; it was not followed", "data"),)
    readme = (f("readme", "README001", E, "no README at the top of the submission"),)
    notebook = (f("notebook", "NB009", I, "function 'plot' in a cell is 40 lines long > 25",
                  "analysis.ipynb", 45, cell=3, cell_line=2),
                f("notebook", "NB005", W, "cells ran out of order (3 before 2)",
                  "analysis.ipynb"))
    modularity = tuple(f("modularity", "MOD001", W, f"function 'step{n}' has complexity "
                         f"{11 + n} > 10", "model.py", 10 * n) for n in range(1, 6))
    modularity += (f("modularity", "MOD003", W, HOSTILE, "we`ird|name.py", 3),)
    results = (
        CheckResult("readme", Status.FAILED, readme),
        CheckResult("notebook", Status.PASSED, notebook),
        CheckResult("modularity", Status.PASSED, modularity,
                    freeze({"functions": 9, "mean_complexity": 6.5}), seconds=0.25),
        CheckResult("comments", Status.SKIPPED, error="disabled in config"),
        CheckResult("lint", Status.ERRORED, error="check lint errored (bot bug): "
                    "ValueError: boom"),
    )
    return Review("SmithJonesEtAl2017", "/submissions/SmithJonesEtAl2017", results, load, E,
                  VERSION, notes=("config: built-in defaults",))


def runs_review() -> Review:
    [stored] = read_runs(DATA / "GoldenEtAl2020.runs.json")
    settings = StatsSettings()
    paper = load_paper("GoldenEtAl2020", DATA / "papers", settings)
    static = (CheckResult("readme", Status.PASSED, (
        f("readme", "README007", W, "no 'Requirements' section", "README.md"),),
        freeze({"words": 640})),)
    rows = (ResultRow("test accuracy", "CIFAR-10", 92.3, 92.1, "%", "README.md", 31),
            ResultRow("test loss", "", 0.1, 0.21, "", "README.md", 32))
    review = Review(stored.submission, stored.root, static, (), E, VERSION,
                    readme_results=rows)
    return judged(review, stored.runs, paper, settings)


def corpus_shaped_review(name: str = "Project_Large_Submission") -> Review:
    """~7,000 lines in 24 modules: 260 info, 54 warnings over 6 rules, 2 errors at the end."""
    modules = [f"src/module_{n:02d}.py" for n in range(24)]
    infos = tuple(f("lint", f"LINT{'CWR'[n % 3]}", I, f"line too long ({101 + n % 40}/100) "
                    "[line-too-long]", modules[n % 24], 20 + 11 * n) for n in range(260))
    warnings = tuple(f("comments", "COM002", W, f"function 'helper_{n}' has no docstring",
                       modules[n % 24], 5 + 7 * n) for n in range(30))
    warnings += tuple(f("modularity", code, W, f"function 'train_{n}' is too complex ({12 + n})",
                        modules[n], 40 + n) for n, code in enumerate(["MOD001"] * 12))
    warnings += tuple(f("hygiene", code, W, f"absolute path '/home/student/data{n}.csv'",
                        modules[n], 9) for n, code in enumerate(["HYG003"] * 6 + ["HYG010"] * 2))
    warnings += tuple(f("notebook", "NB005", W, f"cell {n} ran out of order", "main.ipynb",
                        100 + n, cell=n, cell_line=1) for n in range(4))
    errors = (f("readme", "README004", E, "the README does not say which paper it "
                "reproduces", "zz_README.md"),
              f("similarity", "SIM001", E, "63% of this file matches github.com/someone/gan: "
                "gan.py (58% of that file found here)", "zz_models/gan.py", 12))
    results = (CheckResult("lint", Status.PASSED, infos), CheckResult("comments", Status.PASSED,
               warnings[:30]), CheckResult("modularity", Status.PASSED, warnings[30:42]),
               CheckResult("hygiene", Status.PASSED, warnings[42:50]),
               CheckResult("notebook", Status.PASSED, warnings[50:]),
               CheckResult("readme", Status.FAILED, errors[:1]),
               CheckResult("similarity", Status.FAILED, errors[1:]))
    return Review(name, f"/submissions/{name}", results, (), E, VERSION)
