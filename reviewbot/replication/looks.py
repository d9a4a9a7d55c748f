"""The pre-declared looks of a replication: at which run counts the claims are judged.

Kept free of scipy, so that planning (and ``reviewbot check`` without ``--run``) stays quick.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from reviewbot.core.models import RunResult
from reviewbot.replication.claims import StatsSettings

Spending = Literal["pocock", "obrien-fleming"]


@dataclass(frozen=True)
class LookPlan:
    """Run counts per notebook at which claims are judged; one look is a fixed design."""

    looks: tuple[int, ...]
    spending: Spending = "pocock"
    futility_power: float = 0.2

    @classmethod
    def fixed(cls, runs: int) -> LookPlan:
        return cls((runs,))


def plan_for(settings: StatsSettings, min_runs: int | None = None,
             max_runs: int | None = None) -> LookPlan:
    """The configured plan, with a paper's own run counts when it gives them."""
    sequential = settings.sequential
    return LookPlan(sequential.planned_looks(min_runs, max_runs), sequential.spending,
                    sequential.futility_power)


def runs_per_notebook(runs: Sequence[RunResult]) -> int:
    """How many runs every notebook has (the fewest, so that a look is complete)."""
    counts: dict[str, int] = {}
    for run in runs:
        counts[run.notebook] = counts.get(run.notebook, 0) + 1
    return min(counts.values()) if counts else 0


def first_runs(runs: Sequence[RunResult], n: int) -> tuple[RunResult, ...]:
    """The first ``n`` runs of each notebook, in the order they were made."""
    seen: dict[str, int] = {}
    kept = []
    for run in runs:
        seen[run.notebook] = seen.get(run.notebook, 0) + 1
        if seen[run.notebook] <= n:
            kept.append(run)
    return tuple(kept)


