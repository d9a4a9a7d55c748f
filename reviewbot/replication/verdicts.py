"""Run a submission's notebooks with several seeds, judge the paper's claims, extend the Review.

The seeds, the number of runs and any shortened budget come from the maintainers' config
(``[runner]``); the claims and their full budget from ``papers/<submission>.toml``. What the
runs found becomes findings too (``RUN`` codes), so that every renderer, the exit code and
SARIF treat a failed notebook or a claim not reproduced like any other problem.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from reviewbot.core.ipynb import NotebookFormatError, parse_notebook
from reviewbot.core.models import (
    CheckResult,
    ClaimVerdict,
    Finding,
    MetricProblemKind,
    Review,
    Rule,
    RunResult,
    Severity,
    Status,
    Verdict,
    freeze,
)
from reviewbot.replication.claims import PaperClaims, StatsSettings
from reviewbot.runners.base import ProgressCallback, Runner, RunRequest

ProgressFor = Callable[[RunRequest], ProgressCallback | None]  # one callback per run

CHECK_ID = "replication"
NO_SANDBOX_NOTE = "notebooks ran WITHOUT a sandbox (--no-sandbox): their code had this " \
                  "machine's network, files and environment"

RUN_FAILED = Rule(CHECK_ID, "RUN001", Severity.ERROR, "A notebook run failed",
                  "Restart the kernel and run all cells from a fresh clone; fix the cell named.")
METRIC_PROBLEM = Rule(CHECK_ID, "RUN002", Severity.WARNING, "A recorded metric was refused",
                      "Write finite numbers to metrics.json with the run_id the runner sets "
                      "(REVIEWBOT_RUN_ID), or use reviewbot_record.record().")
NOT_REPRODUCED = Rule(CHECK_ID, "RUN003", Severity.ERROR, "A claim of the paper was not "
                      "reproduced", "Compare your setup with the paper's (data, budget, "
                      "hyper-parameters); the claims table gives the numbers.")
INCONCLUSIVE = Rule(CHECK_ID, "RUN004", Severity.WARNING, "A claim was inconclusive",
                    "More seeds would decide it; the claims table says about how many.")
NOT_CHECKED = Rule(CHECK_ID, "RUN005", Severity.WARNING, "A claim could not be checked",
                   "Record the metric the claim names in metrics.json, at the full budget.")
RUN_RULES = (RUN_FAILED, METRIC_PROBLEM, NOT_REPRODUCED, INCONCLUSIVE, NOT_CHECKED)


@dataclass(frozen=True)
class RunPlan:
    """How many runs with which seeds and overrides; ``sandboxed`` is said in the review."""

    seeds: tuple[int, ...]
    parameters: Mapping[str, object]  # the runner config's overrides (a shortened budget)
    sandboxed: bool = True
    artifacts_dir: Path | None = None


def plan_runs(runner_config: object, runs: int | None, sandboxed: bool,
              artifacts_dir: Path | None = None) -> RunPlan:
    """Seeds from ``[runner]`` (``--runs`` may change how many, never which)."""
    count = runs if runs is not None else runner_config.runs  # type: ignore[attr-defined]
    seeds = tuple(runner_config.seed_for(i) for i in range(count))  # type: ignore[attr-defined]
    return RunPlan(seeds, dict(runner_config.parameters),  # type: ignore[attr-defined]
                   sandboxed, artifacts_dir)


def notebooks_of(root: Path) -> list[str]:
    """The submission's notebooks, relative, sorted; checkpoints and hidden folders skipped."""
    found = []
    for path in sorted(root.rglob("*.ipynb")):
        parts = path.relative_to(root).parts
        if any(part.startswith(".") for part in parts):  # .ipynb_checkpoints, .git
            continue
        if path.is_file() and not path.is_symlink():
            found.append(path.relative_to(root).as_posix())
    return found


def execute(root: Path, plan: RunPlan, runner: Runner, full_budget: Mapping[str, object],
            progress: ProgressFor | None = None) -> tuple[RunResult, ...]:
    """Every notebook once per seed, at the claims' full budget unless the config shortens it."""
    parameters = {**full_budget, **plan.parameters}
    results = []
    for notebook in notebooks_of(root):
        for seed in plan.seeds:
            request = RunRequest(root, notebook, seed, uuid.uuid4().hex, dict(parameters),
                                 plan.artifacts_dir)
            results.append(runner.run(request, progress(request) if progress else None))
    return tuple(results)


def replicate(review: Review, runner: Runner, plan: RunPlan, paper: PaperClaims,
              settings: StatsSettings, progress: ProgressFor | None = None) -> Review:
    """Run, judge, and return ``review`` with its runs, verdicts, findings and notes."""
    runs = execute(Path(review.root), plan, runner, paper.paper.full_budget, progress)
    notes = () if plan.sandboxed else (NO_SANDBOX_NOTE,)
    return judged(review, runs, paper, settings, notes)


def judged(review: Review, runs: Sequence[RunResult], paper: PaperClaims,
           settings: StatsSettings, notes: Sequence[str] = ()) -> Review:
    """``review`` with the verdicts on ``runs`` (also what ``reviewbot verdict`` calls)."""
    from reviewbot.replication.judge import judge  # scipy loads only when something is judged

    verdicts = judge(paper.claims, runs, settings)
    findings = (*run_findings(runs, Path(review.root)),
                *claim_findings(verdicts, runs, settings))
    failed = any(f.severity >= review.fail_on for f in findings)
    result = CheckResult(CHECK_ID, Status.FAILED if failed else Status.PASSED, findings,
                         freeze({"summary": summary(verdicts, runs)}))
    extra = (*notes, *claims_notes(paper, runs), *run_notes(runs))
    return replace(review, results=(*review.results, result), runs=tuple(runs),
                   verdicts=verdicts, notes=(*review.notes, *extra))


def claims_notes(paper: PaperClaims, runs: Sequence[RunResult]) -> tuple[str, ...]:
    if not paper.source:
        return (f"no claims are registered for {paper.name} (no {paper.name}.toml in the "
                f"maintainers' papers folder): the runs were recorded, nothing was judged",)
    return ()


def run_notes(runs: Sequence[RunResult]) -> tuple[str, ...]:
    """Said once for information: the sandbox's guarantees, metrics accepted as they were."""
    held = sorted({run.environment.get("sandbox_guarantees", "") for run in runs} - {""})
    notes = [f"sandbox guarantees {text}" for text in held if not text.startswith("none")]
    notes += sorted({p.message for run in runs for p in run.metric_problems
                     if p.kind is MetricProblemKind.NOTE})
    return tuple(notes)


def summary(verdicts: Sequence[ClaimVerdict], runs: Sequence[RunResult]) -> str:
    """``3 runs (1 failed); 4 claims: 3 reproduced, 1 inconclusive``."""
    failed = sum(1 for run in runs if not run.ok)
    head = f"{len(runs)} run{'s' if len(runs) != 1 else ''}" + (
        f" ({failed} failed)" if failed else "")
    if not verdicts:
        return f"{head}; no claims registered"
    counts: dict[str, int] = {}
    for item in verdicts:
        counts[item.verdict.value.replace("_", " ")] = counts.get(
            item.verdict.value.replace("_", " "), 0) + 1
    parts = ", ".join(f"{n} {word}" for word, n in counts.items())
    return f"{head}; {len(verdicts)} claim{'s' if len(verdicts) != 1 else ''}: {parts}"


# ---- findings -----------------------------------------------------------------------------


def run_findings(runs: Sequence[RunResult], root: Path) -> list[Finding]:
    """A failed run (once per notebook, cell and error) and each refused metric."""
    findings: dict[tuple, Finding] = {}
    for run in runs:
        if not run.ok:
            key = (run.notebook, run.error_cell, run.error)
            findings.setdefault(key, _failure(run, root, _seeds(runs, run)))
        for problem in run.problems:
            findings.setdefault((run.notebook, problem), METRIC_PROBLEM.finding(
                f"seed {run.seed}: {problem}", run.notebook))
    return list(findings.values())


def _seeds(runs: Sequence[RunResult], failed: RunResult) -> list[int]:
    return [r.seed for r in runs if not r.ok and (r.notebook, r.error_cell, r.error) == (
        failed.notebook, failed.error_cell, failed.error)]


def _failure(run: RunResult, root: Path, seeds: list[int]) -> Finding:
    where = f" in cell {run.error_cell}" if run.error_cell is not None else ""
    which = "seed" if len(seeds) == 1 else "seeds"
    message = (f"notebook {run.notebook} failed{where}: {run.error or 'no error recorded'} "
               f"({which} {', '.join(map(str, seeds))})")
    line = cell_line(root / run.notebook, run.error_cell)
    return RUN_FAILED.finding(message, run.notebook, line, cell=run.error_cell,
                              cell_line=1 if run.error_cell is not None else None)


def cell_line(path: Path, cell: int | None) -> int | None:
    """The raw .ipynb line where ``cell`` starts (GitHub comments address raw lines)."""
    if cell is None:
        return None
    try:
        notebook = parse_notebook(str(path), path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, NotebookFormatError):
        return None
    cells = notebook.cells
    return cells[cell - 1].raw_line(1) if 1 <= cell <= len(cells) else None


def claim_findings(verdicts: Sequence[ClaimVerdict], runs: Sequence[RunResult],
                   settings: StatsSettings) -> list[Finding]:
    """A claim not reproduced, inconclusive or not checked, said at the notebook it ran."""
    notebook = runs[0].notebook if runs else None
    findings = []
    for item in verdicts:
        rule = {Verdict.NOT_REPRODUCED: NOT_REPRODUCED, Verdict.INCONCLUSIVE: INCONCLUSIVE,
                Verdict.NOT_CHECKED: NOT_CHECKED}.get(item.verdict)
        if rule is None or (item.verdict is Verdict.NOT_CHECKED and _not_theirs(item)):
            continue
        finding = rule.finding(f"claim {item.claim}: {item.explanation}", notebook)
        if rule is NOT_REPRODUCED and not settings.fail_on_not_reproduced:
            finding = replace(finding, severity=Severity.WARNING)
        findings.append(finding)
    return findings


def _not_theirs(item: ClaimVerdict) -> bool:
    """Not checked because the maintainers shortened the budget, or a run failed (RUN001)."""
    return bool({"reduced_budget", "run_failed", "not_run"} & set(item.tags))

