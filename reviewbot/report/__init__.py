"""Renderers of a list of ``Review``: text (terminal), JSON, Markdown (PR comment) and SARIF.

This module holds what every renderer says the same way: the verdict line, the counts,
where a finding is ("cell 3, line 2 (ipynb line 45)") and the order findings are listed in,
so that a candidate reads the same words locally as on the pull request.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from reviewbot.core.models import CheckResult, Finding, Review, Severity, Status, Verdict

LOAD_CHECK = "load"  # the pseudo-check under which loading the folder reports
VERDICT_WORD = {verdict: verdict.label for verdict in Verdict}
VERDICT_MARK = {Verdict.REPRODUCED: "✅", Verdict.NOT_REPRODUCED: "❌",
                Verdict.INCONCLUSIVE: "❔", Verdict.NOT_CHECKED: "⏭️"}
CUT_NOTE = "(cut to fit; run `reviewbot check` for all of it)"


@dataclass(frozen=True)
class Counts:
    """How many findings of each severity."""

    errors: int = 0
    warnings: int = 0
    infos: int = 0

    @classmethod
    def of(cls, findings: Iterable[Finding]) -> Counts:
        levels = [finding.severity for finding in findings]
        return cls(levels.count(Severity.ERROR), levels.count(Severity.WARNING),
                   levels.count(Severity.INFO))

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.errors + other.errors, self.warnings + other.warnings,
                      self.infos + other.infos)

    def phrase(self) -> str:
        """``2 errors, 5 warnings`` (info is named only when there is some)."""
        parts = [plural(self.errors, "error"), plural(self.warnings, "warning")]
        if self.infos:
            parts.append(f"{self.infos} info")
        return ", ".join(parts)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def verdict_label(item: Verdict) -> str:
    """The one word(s) every renderer uses for a claim's verdict: ``not reproduced``."""
    return VERDICT_WORD[item]


def review_state(review: Review) -> str:
    """``failed``, ``warnings`` (passed, but with warnings) or ``passed``."""
    if not review.passed:
        return "failed"
    has_warnings = any(f.severity is Severity.WARNING for f in review.findings)
    return "warnings" if has_warnings else "passed"


STATE_MARK = {"failed": "❌", "warnings": "⚠️", "passed": "✅"}


def review_mark(review: Review) -> str:
    """❌ failed, ⚠️ passed with warnings, ✅ passed clean."""
    return STATE_MARK[review_state(review)]


def verdict(review: Review) -> str:
    """One line: ``FAILED: 2 errors, 5 warnings (fails on error)``."""
    word = "PASSED" if review.passed else "FAILED"
    text = f"{word}: {Counts.of(review.findings).phrase()}"
    if review.errored_checks:
        names = ", ".join(review.errored_checks)
        text += f"; {plural(len(review.errored_checks), 'check')} errored ({names})"
    return f"{text} (fails on {review.fail_on.value})"


def total_verdict(reviews: Sequence[Review]) -> str:
    """One line over several submissions: ``TOTAL: 1 of 2 submissions FAILED: ...``."""
    failed = sum(1 for review in reviews if not review.passed)
    counts = sum((Counts.of(review.findings) for review in reviews), Counts())
    state = f"{failed} of {plural(len(reviews), 'submission')} FAILED" if failed else (
        f"all {plural(len(reviews), 'submission')} PASSED")
    return f"TOTAL: {state}: {counts.phrase()}"


def location(finding: Finding) -> str:
    """Where inside its file: ``line 12``, or ``cell 3, line 2 (ipynb line 45)``."""
    if finding.cell is not None:
        raw = f" (ipynb line {finding.line})" if finding.line is not None else ""
        return f"{cell_place(finding)}{raw}"
    if finding.line is None:
        return ""
    column = f", col {finding.column}" if finding.column is not None else ""
    return f"line {finding.line}{column}"


def cell_place(finding: Finding) -> str:
    """``cell 3, line 2`` for a notebook finding; "" otherwise."""
    if finding.cell is None:
        return ""
    inner = f", line {finding.cell_line}" if finding.cell_line is not None else ""
    return f"cell {finding.cell}{inner}"


def anchor(finding: Finding, folder: str = "") -> str:
    """``folder/path:line`` (the path GitHub knows when ``folder`` is given); "" for none."""
    if finding.path is None:
        return ""
    path = f"{folder}/{finding.path}" if folder else finding.path
    return f"{path}:{finding.line}" if finding.line is not None else path


def fit(text: str, limit: int, note: str = CUT_NOTE) -> str:
    """``text`` within ``limit`` characters, cut at a line end when one is near, saying so.

    The one truncation helper of every renderer: the note always fits inside ``limit``.
    """
    if len(text) <= limit:
        return text
    tail = f"\n\n{note}"
    room = max(limit - len(tail), 0)
    cut = text.rfind("\n", 0, room)
    keep = cut if cut >= room // 2 else room  # one huge line: cut inside it
    return (text[:keep] + tail)[:limit]


def sort_key(finding: Finding) -> tuple:
    """Line order inside a file; findings without a line first; then by code."""
    return (finding.line or 0, finding.cell or 0, finding.cell_line or 0, finding.column or 0,
            finding.code)


def by_file(findings: Iterable[Finding]) -> list[tuple[str | None, list[Finding]]]:
    """Findings grouped by path (paths sorted; findings tied to no file last)."""
    groups: dict[str | None, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.path, []).append(finding)
    paths = sorted(p for p in groups if p is not None)
    ordered = [(path, sorted(groups[path], key=sort_key)) for path in paths]
    if None in groups:
        ordered.append((None, sorted(groups[None], key=sort_key)))
    return ordered


@dataclass(frozen=True)
class SummaryRow:
    """One line of the checks table."""

    check: str
    status: str
    counts: Counts
    note: str


def summary_rows(review: Review) -> list[SummaryRow]:
    """A row per check, preceded by one for loading the folder when it found anything."""
    rows = [_check_row(result) for result in review.results]
    if review.load_findings:
        failed = any(f.severity >= review.fail_on for f in review.load_findings)
        rows.insert(0, SummaryRow(LOAD_CHECK, "failed" if failed else "passed",
                                  Counts.of(review.load_findings), "loading the folder"))
    return rows


def _check_row(result: CheckResult) -> SummaryRow:
    note = result.error if result.status in (Status.ERRORED, Status.SKIPPED) else (
        key_stats(result.stats))
    return SummaryRow(result.check, result.status.value, Counts.of(result.findings), note)


def key_stats(stats: Mapping[str, object], limit: int = 3) -> str:
    """The check's own one-line ``summary``, else the first few figures it reported."""
    if isinstance(stats.get("summary"), str):
        return str(stats["summary"])
    items = [f"{key} {format_value(value)}" for key, value in list(stats.items())[:limit]
             if isinstance(value, (int, float, str))]
    return ", ".join(items)


def format_value(value: object) -> str:
    if isinstance(value, float) and math.isfinite(value) and not value.is_integer():
        return f"{value:.2f}"
    return str(value)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` without control characters: submission text must not drive a terminal."""
    return _CONTROL.sub("?", text)
