"""Pure orchestration: run the selected checks over a loaded submission into a Review.

A check that raises becomes an ERRORED result naming the check; the others still run.
Findings leave through the gate (``reviewbot.core.gate.gated``), which applies the
maintainers' ``[rules]`` and per-check ``disable``/``severity`` to every finding.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from reviewbot import __version__
from reviewbot.checks import REGISTRY
from reviewbot.checks.base import CheckConfig, CheckModule
from reviewbot.config import Config, rulebook
from reviewbot.core.errors import UsageError
from reviewbot.core.gate import failing, gated
from reviewbot.core.models import (
    CheckResult,
    Finding,
    Outcome,
    ResultRow,
    Review,
    Severity,
    Status,
    freeze,
)
from reviewbot.core.submission import LoadLimits, Submission, load


def select_checks(only: Sequence[str] = (), skip: Sequence[str] = ()) -> list[str]:
    """The check ids to run, in registry order; unknown names are a usage error."""
    unknown = [name for name in [*only, *skip] if name not in REGISTRY]
    if unknown:
        raise UsageError(f"unknown check {unknown[0]!r}; the checks are: {', '.join(REGISTRY)}")
    return [cid for cid in REGISTRY if (not only or cid in only) and cid not in skip]


def review_path(path: Path, config: Config, selected: Sequence[str], *,
                config_source: str = "",
                on_check: Callable[[str], None] | None = None) -> Review:
    """Load the folder at ``path`` and review it."""
    limits = LoadLimits(config.review.max_file_bytes, config.review.max_files)
    return review(load(path, limits), config, selected, config_source=config_source,
                  on_check=on_check)


def review(submission: Submission, config: Config, selected: Sequence[str], *,
           config_source: str = "", on_check: Callable[[str], None] | None = None) -> Review:
    """Run each selected check over ``submission``; every finding goes through the gate.

    ``on_check`` is told each check's id as it starts (for progress on a terminal)."""
    results = []
    for cid in REGISTRY:
        if cid not in selected:
            results.append(CheckResult(cid, Status.SKIPPED))
            continue
        if on_check is not None:
            on_check(cid)
        results.append(run_check(REGISTRY[cid], submission, config.check(cid),
                                 config.review.fail_on))
    notes = (f"config: {config_source}",) if config_source else ()  # which config decided
    raw = Review(submission.name, str(submission.root), tuple(results),
                 submission.load_findings, config.review.fail_on, __version__, notes=notes,
                 config_source=config_source, readme_results=readme_results(results))
    return gated(raw, rulebook(config, config_source or "config"))


def readme_results(results: Iterable[CheckResult]) -> tuple[ResultRow, ...]:
    """The README's results as rows, from the readme check's statistics (none if it did not run)."""
    for result in results:
        if result.check == "readme":
            rows = result.stats.get("results_rows") or ()
            return tuple(ResultRow(**row) for row in rows if isinstance(row, dict))
    return ()


def run_check(module: CheckModule, submission: Submission, settings: CheckConfig,
              fail_on: Severity) -> CheckResult:
    """Run one check; its crash is recorded as ERRORED, never raised."""
    if not settings.enabled:
        return CheckResult(module.ID, Status.SKIPPED, error="disabled in config")
    started = time.perf_counter()
    try:
        outcome = _as_outcome(module.run(submission, settings))
    except Exception as exc:  # a bot bug must not take the other checks down
        error = f"check {module.ID} errored (bot bug): {type(exc).__name__}: {exc}"
        return CheckResult(module.ID, Status.ERRORED, seconds=time.perf_counter() - started,
                           error=error)
    findings = tuple(outcome.findings)  # levels are the gate's to change, not the check's
    not_checked = outcome.stats.get("not_checked")
    if not_checked:  # nothing was compared: never a pass
        return CheckResult(module.ID, Status.SKIPPED, findings, freeze(outcome.stats),
                           error=f"not checked: {not_checked}",
                           seconds=time.perf_counter() - started)
    status = Status.FAILED if failing(findings, fail_on) else Status.PASSED
    return CheckResult(module.ID, status, findings, freeze(outcome.stats),
                       seconds=time.perf_counter() - started)


def _as_outcome(result: list[Finding] | Outcome) -> Outcome:
    return result if isinstance(result, Outcome) else Outcome(tuple(result))
