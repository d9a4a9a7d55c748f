"""The README's results as a paper-vs-reproduced table, for the text and Markdown reports."""

from __future__ import annotations

from reviewbot.core.models import ResultRow, Review

HEADERS = ("metric", "setting", "paper", "reproduced", "gap", "README line")
MAX_ROWS = 20  # a review shows the first rows; the JSON report holds them all


def result_cells(review: Review) -> list[tuple[str, ...]]:
    """One row per reported result that has a reproduced value, gap in percent when paired."""
    rows = [row for row in review.readme_results if row.reproduced is not None][:MAX_ROWS]
    return [(row.metric or "-", row.setting or "-", _value(row.paper, row.unit),
             _value(row.reproduced, row.unit), _gap(row), str(row.line)) for row in rows]


def results_caption(review: Review) -> str:
    shown = len(result_cells(review))
    total = len(review.readme_results)
    paired = sum(r.paper is not None and r.reproduced is not None for r in review.readme_results)
    more = f", first {shown} shown" if shown < total else ""
    return f"README results: {total} value(s), {paired} next to the paper's{more}"


def _value(value: float | None, unit: str) -> str:
    return "-" if value is None else f"{value:g}{unit}"


def _gap(row: ResultRow) -> str:
    if row.paper is None or row.reproduced is None or row.paper == 0:
        return "-"
    gap = (row.reproduced - row.paper) / abs(row.paper)
    return f"{gap:+.1%}" if abs(gap) < 0.1 else f"{gap:+.0%}"  # -0.2%, not -0%
