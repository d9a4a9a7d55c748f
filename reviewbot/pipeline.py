"""Pure orchestration: run the selected checks over a loaded submission into a Review.

A check that raises becomes an ERRORED result naming the check; the others still run.
Maintainers' ``disable`` and ``severity`` settings are applied here, once, for every check.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from reviewbot import __version__
from reviewbot.checks import REGISTRY
from reviewbot.checks.base import CheckConfig, CheckModule
from reviewbot.config import Config
from reviewbot.core.errors import UsageError
from reviewbot.core.models import CheckResult, Finding, Outcome, Review, Severity, Status, freeze
from reviewbot.core.submission import LoadLimits, Submission, load


def select_checks(only: Sequence[str] = (), skip: Sequence[str] = ()) -> list[str]:
    """The check ids to run, in registry order; unknown names are a usage error."""
    unknown = [name for name in [*only, *skip] if name not in REGISTRY]
    if unknown:
        raise UsageError(f"unknown check {unknown[0]!r}; the checks are: {', '.join(REGISTRY)}")
    return [cid for cid in REGISTRY if (not only or cid in only) and cid not in skip]


def review_path(path: Path, config: Config, selected: Sequence[str]) -> Review:
    """Load the folder at ``path`` and review it."""
    limits = LoadLimits(config.review.max_file_bytes, config.review.max_files)
    return review(load(path, limits), config, selected)


def review(submission: Submission, config: Config, selected: Sequence[str]) -> Review:
    """Run each selected check over ``submission`` and gather the results."""
    results = tuple(run_check(REGISTRY[cid], submission, config.check(cid), config.review.fail_on)
                    if cid in selected else CheckResult(cid, Status.SKIPPED)
                    for cid in REGISTRY)
    return Review(submission.name, str(submission.root), results, submission.load_findings,
                  config.review.fail_on, __version__)


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
    findings = tuple(apply_settings(outcome.findings, settings))
    not_checked = outcome.stats.get("not_checked")
    if not_checked:  # nothing was compared: never a pass
        return CheckResult(module.ID, Status.SKIPPED, findings, freeze(outcome.stats),
                           error=f"not checked: {not_checked}",
                           seconds=time.perf_counter() - started)
    failed = any(finding.severity >= fail_on for finding in findings)
    return CheckResult(module.ID, Status.FAILED if failed else Status.PASSED, findings,
                       freeze(outcome.stats), seconds=time.perf_counter() - started)


def _as_outcome(result: list[Finding] | Outcome) -> Outcome:
    return result if isinstance(result, Outcome) else Outcome(tuple(result))


def apply_settings(findings: Iterable[Finding], settings: CheckConfig) -> Iterable[Finding]:
    """Drop disabled rule codes and re-level the ones the maintainers re-levelled."""
    for finding in findings:
        if finding.code in settings.disable:
            continue
        level = settings.severity.get(finding.code)
        yield dataclasses.replace(finding, severity=level) if level else finding
