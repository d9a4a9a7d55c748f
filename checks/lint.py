"""The lint check: pylint over the modules and the notebooks' code, with a disk cache.

Pylint runs as a subprocess over copies of the code in a temporary folder, with an empty
rcfile, so nothing in the submission (a pylintrc, setup.cfg or pyproject.toml) can change
what it reports. Each file's result is cached on disk by content and options, and only the
files not in the cache go to pylint, all in one invocation (``-j`` when several), so a
re-check after a small change costs little. Notebook code is linted as a module named
after the notebook, and each message is mapped back to its cell and raw .ipynb line.

The finding codes are pylint's categories (LINTE, LINTW, LINTR, LINTC); each message starts
with pylint's own id and symbol ("W0611 unused-import: ...") so that maintainers can switch
single messages off with ``disable_messages``. Pylint's score (out of 10) is computed from
per-file statement and message counts, so it is the same with a cold or a warm cache.
"""

from __future__ import annotations

import ast
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pydantic import Field

from reviewbot.checks import lint_judge
from reviewbot.checks.base import CheckConfig, CodeUnit, code_units
from reviewbot.checks.lintcache import LintCache, LintedFile, LintMessage, default_cache_dir
from reviewbot.checks.upstream import upstream_files
from reviewbot.core.models import Finding, Outcome, Rule, Severity
from reviewbot.core.submission import Submission

ID = "lint"

ERROR = Rule(ID, "LINTE", Severity.WARNING, "pylint error: code that is probably broken",
             "Fix the error; if pylint is wrong (dynamic attributes of TensorFlow or PyTorch), "
             "ask the maintainers to add the message id to disable_messages.")
WARNING = Rule(ID, "LINTW", Severity.INFO, "pylint warning: code that is likely a mistake",
               "Fix the code pylint points at (an unused import, a shadowed name...).")
REFACTOR = Rule(ID, "LINTR", Severity.INFO, "pylint refactoring hint",
                "Simplify the code as pylint suggests.")
CONVENTION = Rule(ID, "LINTC", Severity.INFO, "pylint coding convention (PEP 8)",
                  "Follow PEP 8 for the line pylint points at.")
RULES = (ERROR, WARNING, REFACTOR, CONVENTION, lint_judge.CANNOT_RUN)
_RULE_BY_CATEGORY = {"E": ERROR, "W": WARNING, "R": REFACTOR, "C": CONVENTION}

# Messages that are noise for research code, are another check's job, or that a per-file
# cache cannot keep true (they depend on several files).
DEFAULT_DISABLED = [
    "C0103",  # invalid-name: x, X_train, lr are the field's names
    "C0114", "C0115", "C0116",  # missing docstrings: the comments check's job
    "E0401",  # import-error: tensorflow and torch need not be installed where reviews run
    "E0611", "E1101", "E1102",  # no-name-in-module, no-member, not-callable: TF/torch lazy APIs
    "W0621",  # redefined-outer-name: notebooks reuse names on purpose
    "R0401", "R0801",  # cyclic-import, duplicate-code: span files (similarity check copies)
    "R0902", "R0903", "R0913", "R0914", "R0917",  # model classes take many arguments
    "R0912", "R0915",  # too-many-branches/statements: the modularity check measures size
]
# Large libraries pylint would otherwise parse and infer through (seconds per process for
# TensorFlow). Their APIs are too dynamic for pylint to judge, and the review must not
# depend on which of them happen to be installed where it runs.
DEFAULT_IGNORED_MODULES = [
    "tensorflow", "tensorflow_datasets", "tensorflow_hub", "tensorflow_addons",
    "tensorflow_probability", "keras", "tf_keras", "torch", "torchvision", "torchaudio",
    "torchtext", "jax", "jaxlib", "flax", "optax", "transformers", "datasets", "sklearn",
    "scipy", "pandas", "matplotlib", "seaborn", "cv2", "PIL",
]
# Notebook habits that are fine in a notebook: a cell ends with a bare expression to show it,
# imports come in the cell that needs them, cells are re-run.
NOTEBOOK_DISABLED = ["W0104", "W0105", "W0106", "W0404", "C0305", "C0411", "C0412", "C0413"]
_COMMAND_LINE = "Command line"


class Config(CheckConfig):
    """Settings of the lint check."""

    disable_messages: list[str] = Field(
        default_factory=lambda: list(DEFAULT_DISABLED),
        description="pylint message ids or symbols switched off (pylint --disable)")
    notebook_disable_messages: list[str] = Field(
        default_factory=lambda: list(NOTEBOOK_DISABLED),
        description="pylint message ids or symbols also dropped in notebook code")
    ignored_modules: list[str] = Field(
        default_factory=lambda: list(DEFAULT_IGNORED_MODULES),
        description="modules pylint does not parse or infer through (pylint --ignored-modules)")
    max_line_length: int = Field(100, gt=0, description="pylint --max-line-length")
    jobs: int = Field(0, ge=0, description="pylint processes; 0 = one per CPU core")
    cache_dir: str = Field("", description="lint cache folder; empty = $REVIEWBOT_CACHE_DIR "
                                           "or ~/.cache/reviewbot")
    timeout_s: float = Field(600.0, gt=0, description="seconds pylint may run per review")


class LintError(RuntimeError):
    """Pylint is missing, crashed, timed out or refused the options."""


@dataclass(frozen=True)
class LintTarget:
    """A code unit and the file it becomes in pylint's temporary tree."""

    unit: CodeUnit
    relative: str  # posix path under the temporary root
    key: str  # cache key


def run(submission: Submission, config: Config) -> Outcome:
    """Lint every parsable module and notebook, reading unchanged files from the cache."""
    options = pylint_options(config)
    cache = LintCache(default_cache_dir(config.cache_dir), options)
    targets = plan_targets(lintable_units(submission), cache,
                           {module.path for module in submission.modules})
    results = {target.relative: cache.get(target.key) for target in targets}
    missing = [target for target in targets if results[target.relative] is None]
    if missing:
        fresh = lint_files(submission, targets, missing, options, config)
        for target in missing:
            cache.put(target.key, fresh[target.relative])
            results[target.relative] = fresh[target.relative]
    kept = {t.relative: kept_messages(t, results[t.relative], config) for t in targets}
    running, upstream = lint_judge.runs(submission), upstream_files(submission)
    weighed = {t.relative: [m for m in (lint_judge.keep(t.unit, message, running, upstream)
                                        for message in kept[t.relative]) if m is not None]
               for t in targets}
    findings = [finding for target in targets
                for finding in to_findings(target, weighed[target.relative])]
    findings += lint_judge.judge({t.relative: t.unit for t in targets}, kept, submission,
                                 running)
    return Outcome(tuple(findings), summary(targets, results, kept, len(missing)))


def lintable_units(submission: Submission) -> list[CodeUnit]:
    """Python 3 code outside .ipynb_checkpoints (copies the notebook check reports)."""
    return [unit for unit in code_units(submission) if unit.tree is not None
            and ".ipynb_checkpoints" not in PurePosixPath(unit.path).parts]


def pylint_options(config: Config) -> list[str]:
    """The options that decide pylint's output (part of every cache key)."""
    options = ["--persistent=n", "--score=n", "--output-format=json2",
               f"--max-line-length={config.max_line_length}"]
    for name, values in (("disable", config.disable_messages),
                         ("ignored-modules", config.ignored_modules)):
        if values:
            options.append(f"--{name}={','.join(sorted(set(values)))}")
    return options


def plan_targets(units: Iterable[CodeUnit], cache: LintCache,
                 module_paths: set[str]) -> list[LintTarget]:
    """Each unit's file name in the temporary tree (notebooks get a module name)."""
    taken = set(module_paths)
    targets = []
    for unit in units:
        relative = unit.path if unit.notebook is None else _notebook_module(unit.path, taken)
        taken.add(relative)
        targets.append(LintTarget(unit, relative, cache.key(relative, unit.text)))
    return targets


def _notebook_module(path: str, taken: set[str]) -> str:
    """``dir/My Notebook.ipynb`` -> ``dir/My_Notebook_ipynb.py``, unique among ``taken``."""
    notebook = PurePosixPath(path)
    stem = re.sub(r"\W", "_", notebook.stem) + "_ipynb"
    candidate, number = notebook.with_name(f"{stem}.py"), 1
    while str(candidate) in taken:
        number += 1
        candidate = notebook.with_name(f"{stem}{number}.py")
    return str(candidate)


def lint_files(submission: Submission, targets: list[LintTarget], missing: list[LintTarget],
               options: list[str], config: Config) -> dict[str, LintedFile]:
    """Run pylint once over ``missing``, with every module present so imports resolve."""
    with tempfile.TemporaryDirectory(prefix="reviewbot-lint-") as scratch:
        root = Path(scratch).resolve()
        source = root / "src"  # pylint's cwd stays ``root``: no candidate file on sys.path[0]
        _write_tree(source, [(m.path, m.text) for m in submission.modules]
                    + [(t.relative, t.unit.text) for t in targets if t.unit.notebook])
        by_path = {str(source / t.relative): t for t in missing}
        jobs = max(1, min(config.jobs or os.cpu_count() or 1, len(missing)))
        report = run_pylint(root, list(by_path), options, jobs, config.timeout_s)
    return collect_results(report, by_path)


def _write_tree(source: Path, files: list[tuple[str, str]]) -> None:
    for relative, text in files:
        target = source / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8", errors="surrogateescape")


def run_pylint(root: Path, files: list[str], options: list[str], jobs: int,
               timeout: float) -> dict:
    """Pylint's json2 report over ``files``; LintError when it cannot give one."""
    command = [sys.executable, "-P", "-m", "pylint", f"--rcfile={os.devnull}", f"--jobs={jobs}",
               *options, "--", *files]
    # A session of its own, so that a timeout stops pylint's worker processes too.
    with subprocess.Popen(command, cwd=root, env=_pylint_environment(root), text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          start_new_session=True) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop(process)
            raise LintError(f"pylint did not finish within {timeout:g} s "
                            f"over {len(files)} files") from None
    return _parse_report(subprocess.CompletedProcess(command, process.returncode, stdout, stderr))


def _stop(process: subprocess.Popen[str]) -> None:
    killpg = getattr(os, "killpg", None)
    try:
        if killpg is not None:
            killpg(process.pid, signal.SIGKILL)  # pylint and the workers it forked
        else:
            process.kill()
    except ProcessLookupError:
        pass
    process.communicate()


def _pylint_environment(root: Path) -> dict[str, str]:
    # Only what Python needs: the review process's tokens and secrets stay out of reach.
    wanted = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "PYTHONPATH", "SYSTEMROOT", "TMPDIR")
    environment = {name: os.environ[name] for name in wanted if name in os.environ}
    return {**environment, "HOME": str(root), "PYLINTHOME": str(root / ".pylint.d")}


def _parse_report(completed: subprocess.CompletedProcess[str]) -> dict:
    if "No module named pylint" in completed.stderr:
        raise LintError(f"pylint is not installed for {sys.executable}; "
                        "install it with: pip install 'pylint>=3.1'")
    try:
        report = json.loads(completed.stdout)
        messages = report["messages"]
    except (ValueError, KeyError, TypeError):
        tail = (completed.stderr.strip() or completed.stdout.strip())[-600:]
        raise LintError(f"pylint failed (exit {completed.returncode}): {tail}") from None
    refused = [m["message"] for m in messages if m.get("absolutePath") == _COMMAND_LINE]
    if refused:
        raise LintError("pylint refused the lint options: " + "; ".join(refused))
    return report


def collect_results(report: dict, by_path: dict[str, LintTarget]) -> dict[str, LintedFile]:
    """Split pylint's messages by file and add each file's statement count."""
    grouped: dict[str, list[LintMessage]] = {path: [] for path in by_path}
    for raw in report["messages"]:
        if raw.get("absolutePath") in grouped:
            grouped[raw["absolutePath"]].append(_message(raw))
    return {by_path[path].relative: LintedFile(count_statements(by_path[path].unit.tree),
                                               tuple(messages))
            for path, messages in grouped.items()}


def _message(raw: dict) -> LintMessage:
    return LintMessage(str(raw["messageId"]), str(raw["symbol"]), str(raw["message"]),
                       raw.get("line"), raw.get("column"))


def count_statements(tree: ast.Module | None) -> int:
    """Pylint's statement count: statements and except clauses, docstrings left out."""
    if tree is None:
        return 0
    statements = docstrings = 0
    for node in ast.walk(tree):
        statements += isinstance(node, ast.stmt | ast.ExceptHandler)
        docstrings += _has_docstring(node)
    return statements - docstrings


def _has_docstring(node: ast.AST) -> bool:
    if not isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    first = node.body[0] if node.body else None
    return (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str))


def kept_messages(target: LintTarget, result: LintedFile, config: Config) -> list[LintMessage]:
    """The messages that become findings: known categories, notebook noise left out."""
    kept = [m for m in result.messages if m.category in _RULE_BY_CATEGORY]
    notebook = target.unit.notebook
    if notebook is None:
        return kept
    dropped = set(config.notebook_disable_messages)
    magic = magic_lines(target.unit)
    return [m for m in kept if not ({m.msg_id, m.symbol} & dropped) and m.line not in magic]


def magic_lines(unit: CodeUnit) -> set[int]:
    """Lines of notebook code that are IPython magics or shell escapes, commented out."""
    notebook = unit.notebook
    if notebook is None:
        return set()
    cells = {cell.index: cell.source.splitlines() for cell in notebook.code_cells}
    magic = set()
    for number, text in enumerate(unit.text.splitlines(), start=1):
        origin = notebook.locate(number)
        if origin is None:
            continue
        source = cells.get(origin.cell, [])
        if origin.cell_line <= len(source) and source[origin.cell_line - 1] != text:
            magic.add(number)
    return magic


def to_findings(target: LintTarget, messages: list[LintMessage]) -> Iterator[Finding]:
    """One finding per pylint error; advice (info) once per message id and file, counted."""
    advice: dict[str, list[LintMessage]] = {}
    for message in messages:
        rule = _rule_of(message)
        if rule.severity is Severity.INFO:
            advice.setdefault(message.msg_id, []).append(message)
            continue
        yield _finding(target, rule, message, f"{message.msg_id} {message.symbol}: {message.text}")
    for group in advice.values():
        first = group[0]
        text = f"{first.msg_id} {first.symbol}: {first.text}"
        if len(group) > 1:
            shown = "; ".join(f"{m.text} (line {m.line})" for m in group[:_SHOWN])
            more = "; ..." if len(group) > _SHOWN else ""
            text = (f"{first.msg_id} {first.symbol}, {len(group)} times in this file: "
                    f"{shown}{more}")
        yield _finding(target, _rule_of(first), first, text)


_SHOWN = 3


def _rule_of(message: LintMessage) -> Rule:
    if message.text.endswith(lint_judge.INFERENCE_NOTE):
        return WARNING  # demoted: see lint_judge
    return _RULE_BY_CATEGORY[message.category]


def _finding(target: LintTarget, rule: Rule, message: LintMessage, text: str) -> Finding:
    column = message.column + 1 if message.column is not None else None  # 1-based, as editors
    return target.unit.finding(rule, text, message.line, column)


def summary(targets: list[LintTarget], results: dict[str, LintedFile | None],
            kept: dict[str, list[LintMessage]], linted: int) -> dict[str, object]:
    """The figures a report shows: pylint's score, files linted and taken from the cache."""
    statements = sum(result.statements for result in results.values() if result)
    counts = Counter(m.category for messages in kept.values() for m in messages)
    value = score(counts, statements) if targets else None
    cached = f", {len(targets) - linted} from cache" if linted < len(targets) else ""
    return {"summary": (f"pylint {value:.2f}/10 over {len(targets)} files{cached}"
                        if value is not None else "no Python code to lint"),
            "score": value,
            "files": len(targets), "cached_files": len(targets) - linted,
            "linted_files": linted, "statements": statements,
            "messages": sum(counts.values()),
            "pylint_fatal": sum(m.category == "F" for result in results.values() if result
                                for m in result.messages),
            "by_category": {letter: counts.get(letter, 0) for letter in "EWRC"}}


def score(counts: Counter[str], statements: int) -> float:
    """Pylint's default evaluation: 10 - (5*E + W + R + C) / statements * 10, at least 0."""
    weighted = 5 * counts.get("E", 0) + sum(counts.get(c, 0) for c in "WRC")
    return round(max(0.0, 10.0 - weighted / max(statements, 1) * 10), 2)

