"""What a reader needs first: what fails the review, then warnings by cause, then the rest.

Every renderer that triages (the PR comment, the terminal report, the report page) reads
the same ``Triage``: the failing findings one by one, the warnings grouped by rule code
(a count and the first places), and how many info findings there are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reviewbot.core.models import Finding, Review, Severity
from reviewbot.report import sort_key

FIRST_PLACES = 3  # places shown per warning rule


@dataclass(frozen=True)
class RuleGroup:
    """Every finding of one rule code, in file and line order."""

    code: str
    check: str
    severity: Severity
    findings: tuple[Finding, ...]

    @property
    def count(self) -> int:
        return len(self.findings)

    @property
    def fix(self) -> str:
        return next((f.fix for f in self.findings if f.fix), "")

    def first(self, limit: int = FIRST_PLACES) -> tuple[Finding, ...]:
        return self.findings[:limit]


@dataclass(frozen=True)
class Triage:
    """One review's findings in the order a reader needs them."""

    failing: tuple[Finding, ...]  # at or above the review's failing severity: each one shown
    warnings: tuple[RuleGroup, ...]  # below failing, warning level: one group per rule
    infos: tuple[RuleGroup, ...]  # info level: counted

    @property
    def info_count(self) -> int:
        return sum(group.count for group in self.infos)

    @property
    def warning_count(self) -> int:
        return sum(group.count for group in self.warnings)


def file_order(finding: Finding) -> tuple:
    """Findings tied to no file first (they concern the whole submission), then by path."""
    return (finding.path is not None, finding.path or "", *sort_key(finding))


def triage(review: Review) -> Triage:
    failing = tuple(sorted(review.failing, key=lambda f: (-f.severity.rank, file_order(f))))
    rest = [f for f in review.findings if f.severity < review.fail_on]
    warnings = groups(f for f in rest if f.severity is Severity.WARNING)
    infos = groups(f for f in rest if f.severity is Severity.INFO)
    return Triage(failing, warnings, infos)


def groups(findings: Iterable[Finding]) -> tuple[RuleGroup, ...]:
    """One group per code, the most frequent first (ties by code)."""
    by_code: dict[str, list[Finding]] = {}
    for finding in findings:
        by_code.setdefault(finding.code, []).append(finding)
    made = [RuleGroup(code, items[0].check, items[0].severity,
                      tuple(sorted(items, key=file_order)))
            for code, items in by_code.items()]
    return tuple(sorted(made, key=lambda group: (-group.count, group.code)))

