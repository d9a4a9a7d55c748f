"""The lint check with the real pylint over real folders: findings, notebooks, cache, score."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from reviewbot.checks.lint import Config, LintError, run
from reviewbot.checks.lintcache import LintCache, default_cache_dir
from reviewbot.core.models import Finding, Outcome, Severity
from reviewbot.core.submission import load
from tests.conftest import notebook_json, raw_line_of

UNUSED_IMPORT = "import os\nimport math\n\nRADIUS = math.pi\n"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(cache_dir=str(tmp_path / "cache"))


def with_message(outcome: Outcome, msg_id: str) -> list[Finding]:
    return [f for f in outcome.findings if f.message.startswith(f"{msg_id} ")]


def test_unused_import_keeps_pylint_id_path_and_line(make_submission, config) -> None:
    submission = make_submission({"model/layers.py": UNUSED_IMPORT, "README.md": "# x\n"})
    outcome = run(submission, config)
    [finding] = with_message(outcome, "W0611")
    assert finding.code == "LINTW" and finding.severity is Severity.INFO
    assert finding.message == "W0611 unused-import: Unused import os"
    assert (finding.path, finding.line, finding.column) == ("model/layers.py", 1, 1)
    assert finding.fix


def test_score_follows_pylints_formula(make_submission, config) -> None:
    # 3 statements (two imports, one assignment) and one warning: 10 - 1/3 * 10 = 6.67.
    outcome = run(make_submission({"layers.py": UNUSED_IMPORT}), config)
    assert outcome.stats["statements"] == 3
    assert outcome.stats["by_category"] == {"E": 0, "W": 1, "R": 0, "C": 0}
    assert outcome.stats["score"] == 6.67


def test_error_category_and_imports_between_modules(make_submission, config) -> None:
    files = {"nets/__init__.py": "",
             "nets/model.py": '"""Model."""\n\n\ndef build(width):\n    return [0] * width\n',
             "train.py": "from nets.model import build\n\nLAYERS = build(1, 2)\n"}
    outcome = run(make_submission(files), config)
    [finding] = with_message(outcome, "E1121")  # too many arguments: the import resolved
    assert (finding.code, finding.severity) == ("LINTE", Severity.WARNING)
    assert (finding.path, finding.line) == ("train.py", 3)
    assert "too-many-function-args" in finding.message


def test_notebook_finding_lands_on_cell_and_raw_line(make_submission, config) -> None:
    long_url = "https://example.org/" + "a" * 150
    text = notebook_json(
        nbformat.v4.new_markdown_cell("# Replication"),
        nbformat.v4.new_code_cell(f"!wget {long_url}\nRATE = 0.1"),
        nbformat.v4.new_code_cell("import json\nimport os\nprint(os.sep, RATE)"))
    outcome = run(make_submission({"Replication.ipynb": text}), config)
    [finding] = with_message(outcome, "W0611")
    assert finding.message.endswith("Unused import json")
    assert (finding.path, finding.cell, finding.cell_line) == ("Replication.ipynb", 3, 1)
    assert finding.line == raw_line_of(text, '"import json\\n"')
    # The shell escape is commented out for pylint; its long line must not be reported.
    assert not [f for f in outcome.findings if f.cell == 2]


def test_cache_skips_pylint_for_unchanged_files(make_submission, config) -> None:
    submission = make_submission({"a.py": UNUSED_IMPORT, "b.py": "import sys\n",
                                  "old.py": 'print "python 2"\n'})
    first = run(submission, config)
    assert (first.stats["files"], first.stats["linted_files"], first.stats["cached_files"]) \
        == (2, 2, 0)  # old.py is Python 2: not linted (the hygiene check reports it)
    # A timeout no pylint run can meet: the second review must not start pylint at all.
    impatient = config.model_copy(update={"timeout_s": 0.001})
    second = run(submission, impatient)
    assert (second.stats["linted_files"], second.stats["cached_files"]) == (0, 2)
    assert second.findings == first.findings and second.stats["score"] == first.stats["score"]
    cache = LintCache(default_cache_dir(config.cache_dir), [])
    assert cache.entries() == 2


def test_only_the_changed_file_is_linted_again(make_submission, config, tmp_path) -> None:
    make_submission({"a.py": UNUSED_IMPORT, "b.py": "import sys\n"})
    folder = tmp_path / "SmithJonesEtAl2017"
    run(load(folder), config)
    (folder / "b.py").write_text("import sys\nimport re\n")
    again = run(load(folder), config)
    assert (again.stats["linted_files"], again.stats["cached_files"]) == (1, 1)
    # advice comes once per message id and file, counted, with the first places
    assert sorted(f.message for f in with_message(again, "W0611")) == [
        "W0611 unused-import, 2 times in this file: Unused import sys (line 1); Unused import re "
        "(line 2)", "W0611 unused-import: Unused import os"]
    (folder / "b.py").write_text("import sys\nimport re\nimport io\n")
    with pytest.raises(LintError, match="did not finish"):  # a changed file does run pylint
        run(load(folder), config.model_copy(update={"timeout_s": 0.001}))


def test_submission_config_files_cannot_silence_pylint(make_submission, config) -> None:
    silence = "[MESSAGES CONTROL]\ndisable=all\n"
    files = {"layers.py": UNUSED_IMPORT, "pylintrc": silence, ".pylintrc": silence,
             "setup.cfg": "[pylint.messages_control]\ndisable=all\n",
             "pyproject.toml": '[tool.pylint."messages control"]\ndisable = ["all"]\n'}
    outcome = run(make_submission(files), config)
    assert [f.line for f in with_message(outcome, "W0611")] == [1]


def test_maintainer_options_reach_pylint(make_submission, config) -> None:
    files = {"layers.py": UNUSED_IMPORT + "NAME = '" + "x" * 80 + "'\n"}
    submission = make_submission(files)
    strict = config.model_copy(update={"max_line_length": 60,
                                       "disable_messages": ["unused-import"]})
    outcome = run(submission, strict)
    assert not with_message(outcome, "W0611")
    [long_line] = with_message(outcome, "C0301")
    assert long_line.line == 5 and "(89/60)" in long_line.message


def test_unknown_pylint_message_is_a_clear_error(make_submission, config) -> None:
    broken = config.model_copy(update={"disable_messages": ["X9999"]})
    with pytest.raises(LintError, match=r"refused the lint options.*X9999"):
        run(make_submission({"layers.py": UNUSED_IMPORT}), broken)


def test_nothing_to_lint_gives_no_score(make_submission, config) -> None:
    outcome = run(make_submission({"README.md": "# x\n", "empty.ipynb": notebook_json()}),
                  config)
    assert outcome.findings == () and outcome.stats["score"] is None
    assert outcome.stats["files"] == 0


def test_cache_entry_holds_counts_and_messages(make_submission, config) -> None:
    run(make_submission({"layers.py": UNUSED_IMPORT}), config)
    [entry] = (Path(config.cache_dir) / "pylint").glob("*.json")
    stored = json.loads(entry.read_text())
    assert stored["statements"] == 3
    assert stored["messages"] == [["W0611", "unused-import", "Unused import os", 1, 0]]


# --- calibration: what stops the code from running ----------------------------------------

def test_undefined_name_in_code_that_runs_is_one_error_per_name(make_submission, config) -> None:
    files = {"README.md": "Run `python train.py`.\n",
             "train.py": "import model\n\nnet = model.build()\nprint(acc)\nprint(acc + 1)\n",
             "model.py": "def build():\n    return 1\n\n\nlr = learning_rate\n",
             "unused.py": "x = undefined_here\n",
             "lazy.py": "def later():\n    return missing_name\n"}
    outcome = run(make_submission(files), config)
    errors = [f for f in outcome.findings if f.code == "LINTX"]
    assert sorted((f.path, f.line) for f in errors) == [("model.py", 5), ("train.py", 4)]
    train = next(f for f in errors if f.path == "train.py")
    assert train.severity is Severity.ERROR
    assert train.message == ("E0602 undefined-variable: train.py uses the undefined name 'acc' "
                             "(2 uses; line(s) 4, 5 of the code)")
    # a file nothing runs, and a function body, keep pylint's warning
    warned = {f.path for f in with_message(outcome, "E0602") if f.code == "LINTE"}
    assert warned == {"unused.py", "lazy.py"}


def test_a_missing_own_module_is_an_error(make_submission, config) -> None:
    files = {"README.md": "metrics.py computes PSNR; run train.py.\n",
             "train.py": "from metrics import psnr\nimport wandb\nfrom .helpers import x\n\n"
                         "print(psnr, wandb, x)\n"}
    [finding] = [f for f in run(make_submission(files), config).findings if f.code == "LINTX"]
    assert (finding.path, finding.line, finding.severity) == ("train.py", 1, Severity.ERROR)
    assert finding.message.startswith("train.py imports helpers, metrics, which the submission "
                                      "does not hold")


def test_base_class_placeholders_are_not_errors(make_submission, config) -> None:
    code = ('"""Models."""\n\n\nclass Base:\n    """A base."""\n\n    def forward(self, x):\n'
            '        """Subclasses override."""\n\n    def run(self, x):\n        """Run."""\n'
            '        out = self.forward(x)\n        return out\n')
    outcome = run(make_submission({"base.py": code}), config)
    [finding] = with_message(outcome, "E1111")
    assert (finding.code, finding.severity) == ("LINTW", Severity.INFO)
    assert "subclass may override the method" in finding.message
