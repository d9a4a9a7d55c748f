"""The gate: where a finding's severity is decided, and whether a review passes.

Every finding, whoever produced it (loading the folder ``LOAD*``, a check, the runner
``RUN*``, a claim verdict), passes through ``gated`` before anything renders it: the
maintainers' ``[rules]`` (and per-check ``disable``/``severity``) switch a code off or
re-level it. ``passed`` decides pass or fail; ``conclusion`` and ``requests_changes`` are
what GitHub is told, derived from the same decision.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Sequence

from reviewbot.core.models import CheckResult, Finding, Review, Severity, Status
from reviewbot.core.rules import Rulebook


class Outcome(enum.Enum):
    """The decision over one or more reviews."""

    FAILED = "failed"  # a finding at or above fail_on, or a check errored
    WARNINGS = "warnings"  # passed, with warnings
    CLEAN = "clean"  # passed, no warning


def apply_rules(findings: Iterable[Finding], rulebook: Rulebook) -> tuple[Finding, ...]:
    """``findings`` with the maintainers' levels: ``off`` drops one, a severity re-levels it."""
    kept = []
    for finding in findings:
        setting = rulebook.settings.get(finding.code)
        if setting is None:
            kept.append(finding)
            continue
        severity = setting.level.severity
        if severity is not None:
            kept.append(dataclasses.replace(finding, severity=severity))
    return tuple(kept)


def gated(review: Review, rulebook: Rulebook | None = None) -> Review:
    """``review`` with every finding through ``apply_rules`` and each check's status redone."""
    rules = rulebook if rulebook is not None else review.rules or Rulebook()
    results = tuple(_gated_result(result, rules, review.fail_on) for result in review.results)
    return dataclasses.replace(review, results=results, rules=rules,
                              load_findings=apply_rules(review.load_findings, rules))


def _gated_result(result: CheckResult, rulebook: Rulebook, fail_on: Severity) -> CheckResult:
    if result.status not in (Status.PASSED, Status.FAILED):
        return result  # skipped or errored: nothing to re-level
    findings = apply_rules(result.findings, rulebook)
    status = Status.FAILED if failing(findings, fail_on) else Status.PASSED
    return dataclasses.replace(result, findings=findings, status=status)


def failing(findings: Iterable[Finding], fail_on: Severity) -> tuple[Finding, ...]:
    """The findings that fail a review: at or above ``fail_on``."""
    return tuple(finding for finding in findings if finding.severity >= fail_on)


def passed(review: Review) -> bool:
    """The one pass/fail decision: nothing reaches ``fail_on`` and no check crashed."""
    return not failing(review.findings, review.fail_on) and not review.errored_checks


def outcome(reviews: Sequence[Review]) -> Outcome:
    if not all(passed(review) for review in reviews):
        return Outcome.FAILED
    if any(f.severity is Severity.WARNING for review in reviews for f in review.findings):
        return Outcome.WARNINGS
    return Outcome.CLEAN


def conclusion(reviews: Sequence[Review], on_errors: str, on_warnings: str,
               on_success: str) -> str:
    """The GitHub check-run conclusion the maintainers chose for this outcome."""
    return {Outcome.FAILED: on_errors, Outcome.WARNINGS: on_warnings,
            Outcome.CLEAN: on_success}[outcome(reviews)]


def requests_changes(reviews: Sequence[Review], threshold: Severity) -> bool:
    """A finding (after the gate) reaches ``threshold``: the PR review requests changes."""
    return any(failing(review.findings, threshold) for review in reviews)
