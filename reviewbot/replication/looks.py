"""The pre-declared looks of a replication: at which run counts the claims are judged.

Kept free of scipy, so that planning (and ``reviewbot check`` without ``--run``) stays quick.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from reviewbot.core.models import RunResult
from reviewbot.replication.claims import StatsSettings

Spending = Literal["simulated", "pocock", "obrien-fleming"]
FUTILITY_Z = (0.15, 2.15)  # the built-in futility line (README, [stats.sequential])


@dataclass(frozen=True)
class LookPlan:
    """Run counts per notebook at which claims are judged; one look is a fixed design."""

    looks: tuple[int, ...]
    spending: Spending = "simulated"
    level_ratio: float = 2.0
    futility_z: tuple[float, float] = FUTILITY_Z

    @classmethod
    def fixed(cls, runs: int) -> LookPlan:
        return cls((runs,))

    def futility_bounds(self) -> tuple[float, ...]:
        """Per look, the |z| below which an open claim stops as futile; none at the last look.

        The bound rises on a line from ``futility_z[0]`` at the first look to
        ``futility_z[1]`` at the last: a claim still close to its band edge after many runs
        has little chance left of crossing a boundary before the plan ends.
        """
        first, last = self.futility_z
        span = max(self.looks[-1] - self.looks[0], 1)
        line = [first + (last - first) * (n - self.looks[0]) / span for n in self.looks]
        return (*line[:-1], 0.0)


def plan_for(settings: StatsSettings, min_runs: int | None = None,
             max_runs: int | None = None) -> LookPlan:
    """The configured plan, with a paper's own run counts when it gives them."""
    sequential = settings.sequential
    return LookPlan(sequential.planned_looks(min_runs, max_runs), sequential.spending,
                    sequential.level_ratio, tuple(sequential.futility_z))  # type: ignore[arg-type]


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


