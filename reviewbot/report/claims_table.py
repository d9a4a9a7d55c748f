"""The claims table every renderer shows: the same columns and numbers in every format."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reviewbot.core.models import ClaimVerdict, Review, RunResult, Verdict
from reviewbot.report import VERDICT_WORD, verdict_label

HEADERS = ("claim", "verdict", "paper", "observed", "n", "p", "why")
__all__ = ["HEADERS", "VERDICT_WORD", "ClaimRow", "claim_rows", "claims_summary"]


@dataclass(frozen=True)
class ClaimRow:
    """One claim as text cells; ``verdict`` is the raw enum for styling."""

    claim: str
    verdict: Verdict
    paper: str
    observed: str
    n: str
    p: str
    why: str

    def cells(self) -> tuple[str, ...]:
        return (self.claim, verdict_label(self.verdict), self.paper, self.observed, self.n,
                self.p, self.why)


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


def paper_cell(item: ClaimVerdict) -> str:
    """``0.185 lower ±0.00925`` for scalars; the metric pair for rankings; curves say so."""
    if item.kind == "ranking" and item.margin is not None and item.margin < 0:
        return (f"{item.metric.replace(' vs ', f' at most {_num(-item.margin)} worse than ')}"
                f" ({item.direction} is better)")
    if item.kind == "ranking":
        return f"{item.metric.replace(' vs ', ' beats ')} ({item.direction} is better)"
    if item.kind == "curve":
        return f"{item.metric} curve ({item.direction})"
    unit = f" {item.unit}" if item.unit else ""
    band = f" ±{_num(item.tolerance)} tolerance" if item.tolerance else ""
    whose = "reference run " if item.value_from == "reference run" else ""
    return f"{whose}{_num(item.paper_value)}{unit}{band} ({item.direction})"


def interval_name(item: ClaimVerdict) -> str:
    """``90% CI`` (the level said whenever it is known), else ``CI``."""
    if item.interval_level is None:
        return "CI"
    return f"{round(item.interval_level * 100)}% CI"


def ranking_difference(item: ClaimVerdict) -> str:
    """What a ranking claim's numbers are: ``worse - better`` when lower is better.

    ``metric`` is ``better vs worse``; the judge tests the difference whose positive side
    means the claimed winner won, so that is the one named.
    """
    better, _, worse = item.metric.partition(" vs ")
    if item.direction == "lower":
        return f"{worse} - {better}"
    return f"{better} - {worse}"


def observed_cell(item: ClaimVerdict) -> str:
    if item.mean is None:
        return ""
    interval = (f" ({interval_name(item)} {_num(item.interval[0])} to "
                f"{_num(item.interval[1])})") if item.interval else ""
    what = f" ({ranking_difference(item)})" if item.kind == "ranking" else ""
    return f"{_num(item.mean)}{interval}{what}"


def claim_rows(review: Review) -> list[ClaimRow]:
    return [ClaimRow(item.claim, item.verdict, paper_cell(item), observed_cell(item),
                     _runs_cell(item),
                     f"{item.p_value:.3g}" if item.p_value is not None else "",
                     item.explanation) for item in review.verdicts]


def _runs_cell(item: ClaimVerdict) -> str:
    """``5`` runs, or ``5 (looks 3, 5)`` when the claim was judged at several looks."""
    if not item.n:
        return ""
    return f"{item.n} (looks {', '.join(map(str, item.looks))})" if len(item.looks) > 1 \
        else str(item.n)


def claims_summary(review: Review) -> str:
    """``claims: 3 reproduced, 1 inconclusive (4 runs)``; never an average over claims."""
    counts: dict[str, int] = {}
    for item in review.verdicts:
        word = verdict_label(item.verdict)
        counts[word] = counts.get(word, 0) + 1
    parts = ", ".join(f"{n} {word}" for word, n in counts.items()) or "none registered"
    runs = len(review.runs)
    return f"claims: {parts} ({runs} notebook run{'s' if runs != 1 else ''})"


def run_cell(run: RunResult) -> str:
    """``KingmaBa2014.ipynb seed 0: ok, 15.2 s on CPU``."""
    state = "ok" if run.ok else f"failed: {run.error}"
    where = f" on {run.device}" if run.device else ""
    return f"{run.notebook} seed {run.seed}: {state}, {run.seconds:.1f} s{where}"


def verdict_dict(item: ClaimVerdict) -> dict[str, Any]:
    """A verdict as JSON (the report's ``verdicts``)."""
    return {
        "claim": item.claim, "metric": item.metric, "kind": item.kind,
        "verdict": item.verdict.value, "explanation": item.explanation,
        "paper_value": item.paper_value, "unit": item.unit, "direction": item.direction,
        "tolerance": item.tolerance, "observed": list(item.observed), "mean": item.mean,
        "interval": list(item.interval) if item.interval else None, "p_value": item.p_value,
        "n": item.n, "test": item.test, "statistic": item.statistic, "tags": list(item.tags),
        "source": item.source, "p_raw": item.p_raw, "p_adjusted": item.p_adjusted,
        "level": item.level, "looks": list(item.looks), "runs_used": item.runs_used,
        "stopped": item.stopped, "value_from": item.value_from, "margin": item.margin,
    }


def has_replication(reviews: Sequence[Review]) -> bool:
    return any(review.runs or review.verdicts for review in reviews)
