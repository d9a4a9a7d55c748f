"""Adaptive seeds against a fixed number of runs: error rates, power and runs used.

    python bench/adaptive_seeds.py [--reps 20000]

Each scenario is one claim judged by the one-sided t-test at its band edge (stats-protocol
§2.2), with normal seed noise of a realistic SD:

- ``example adam-final-cost``: SD 0.003 against a tolerance of 0.00925 (the bundled example,
  examples/KingmaBa2014/README.md, and its claims file);
- ``example adam-similar``: the example's paired difference SGD - Adam, SD about 0.012,
  against a margin of 0.02;
- ``protocol A/B`` and ``protocol C``: the worked examples of stats-protocol §2.10 (SD 0.40
  against 0.923 percentage points; SD 0.75 against 3.45 perplexity).

The true mean sits a whole tolerance below the edge, half a tolerance below, on it, half a
tolerance above and a whole tolerance above (the paper's own value). The adaptive plan is
the built-in one (``[stats.sequential]``); the fixed design is the smallest n whose power at
"half a tolerance above" is at least the adaptive plan's. Type I errors are measured on the
edge: "reproduced" and "not reproduced" may each be said there at most alpha of the time.
Seeded (numpy default_rng), vectorised; runs in a few seconds.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reviewbot.replication.boundaries import conditional_power_array, nominal_levels
from reviewbot.replication.claims import SequentialSettings

ALPHA = 0.05
OFFSETS = (-1.0, -0.5, 0.0, 0.5, 1.0)  # true mean minus band edge, in tolerances
SOURCES = (("example adam-final-cost", 0.003, 0.00925), ("example adam-similar", 0.012, 0.02),
           ("protocol A/B", 0.404, 0.923), ("protocol C", 0.75, 3.45))


@dataclass(frozen=True)
class Outcome:
    """Shares of 'reproduced' and 'not reproduced', and the mean number of runs used."""

    reproduced: float
    not_reproduced: float
    runs: float


def adaptive(x: np.ndarray, looks: tuple[int, ...], spending: str, futility: float) -> Outcome:
    """The plan's rule, vectorised: stop at a boundary, on futility, or at the last look."""
    levels = nominal_levels(ALPHA, looks, spending)  # type: ignore[arg-type]
    verdict = np.zeros(x.shape[0], int)
    used = np.zeros(x.shape[0], int)
    active = np.ones(x.shape[0], bool)
    for k, n in enumerate(looks):
        p_repro, p_fail = _p_values(x[:, :n])
        repro = active & (p_repro < levels[k])
        fail = active & ~repro & (p_fail < levels[k])
        verdict[repro], verdict[fail], used[active] = 1, -1, n
        active &= ~(repro | fail)
        if k < len(looks) - 1:
            fraction = n / looks[-1]
            hope = np.maximum(conditional_power_array(p_repro, fraction, levels[-1]),
                              conditional_power_array(p_fail, fraction, levels[-1]))
            active &= hope >= futility
    return Outcome(float(np.mean(verdict == 1)), float(np.mean(verdict == -1)), float(used.mean()))


def fixed(x: np.ndarray, n: int) -> Outcome:
    p_repro, p_fail = _p_values(x[:, :n])
    return Outcome(float(np.mean(p_repro < ALPHA)), float(np.mean(p_fail < ALPHA)), float(n))


def _p_values(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One-sided one-sample t-test of mean > 0 (reproduced) and mean < 0 (not reproduced)."""
    n = x.shape[1]
    t = x.mean(axis=1) / (x.std(axis=1, ddof=1) / np.sqrt(n))
    return stats.t.sf(t, n - 1), stats.t.cdf(t, n - 1)


def samples(rng: np.random.Generator, theta: float, reps: int, n: int) -> np.ndarray:
    """Runs in units of the seed SD, the band edge at 0 (good side positive)."""
    return rng.normal(theta, 1.0, size=(reps, n))


def compare(name: str, sd: float, tolerance: float, plan: SequentialSettings, reps: int,
            seed: int) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    looks = plan.planned_looks()
    ratio = tolerance / sd
    worlds = {offset: samples(rng, offset * ratio, reps, 40) for offset in OFFSETS}
    seq = {o: adaptive(x, looks, plan.spending, plan.futility_power) for o, x in worlds.items()}
    power = seq[0.5].reproduced
    n_fixed = next(n for n in range(2, 41) if fixed(worlds[0.5], n).reproduced >= power)
    fix = {o: fixed(x, n_fixed) for o, x in worlds.items()}
    expected = float(np.mean([o.runs for o in seq.values()]))
    print(f"\n{name}: seed SD {sd:g}, tolerance {tolerance:g} ({ratio:.2f} SDs)")
    print(f"  {'design':<22}{'E[runs]':>8}{'I repro':>9}{'I not':>8}{'power+':>8}{'power-':>8}"
          "   E[runs] at -1, -1/2, 0, +1/2, +1 tolerance")
    for label, rows in ((f"adaptive {looks}", seq), (f"fixed n = {n_fixed}", fix)):
        runs = ", ".join(f"{rows[o].runs:.2f}" for o in OFFSETS)
        print(f"  {label:<22}{np.mean([r.runs for r in rows.values()]):>8.2f}"
              f"{rows[0.0].reproduced:>9.3f}{rows[0.0].not_reproduced:>8.3f}"
              f"{rows[0.5].reproduced:>8.3f}{rows[-0.5].not_reproduced:>8.3f}   {runs}")
    print(f"  expected runs: {expected / n_fixed:.0%} of the fixed design's")
    return expected, float(n_fixed)


def agreement(plan: SequentialSettings, seed: int, count: int = 150) -> float:
    """Share of simulated claims where this file's vectorised rule and the bot's own judge
    (reviewbot.replication.sequential) give the same verdict after the same runs."""
    from reviewbot.core.models import RunResult, Verdict, freeze
    from reviewbot.replication.claims import ClaimSpec, PaperInfo, StatsSettings, resolve_claim
    from reviewbot.replication.looks import LookPlan
    from reviewbot.replication.sequential import sequential_verdicts

    settings = StatsSettings(sequential=plan)
    spec = ClaimSpec(id="c", metric="m", value=1.0, direction="higher", tolerance={"abs": 1.0})
    claim = resolve_claim(spec, PaperInfo(), settings)  # band edge at 0, good side positive
    looks = LookPlan(plan.planned_looks(), plan.spending, plan.futility_power)
    x = np.random.default_rng(seed).normal(0.7, 1.0, size=(count, looks.looks[-1]))
    same = 0
    for row in x:
        mine = adaptive(row[None, :], looks.looks, plan.spending, plan.futility_power)
        runs = tuple(RunResult("nb.ipynb", i, True, 1.0, scalars=freeze({"m": float(v)}))
                     for i, v in enumerate(row[: int(mine.runs)]))
        [verdict] = sequential_verdicts([claim], runs, settings, looks)
        word = {Verdict.REPRODUCED: 1.0, Verdict.NOT_REPRODUCED: -1.0}.get(verdict.verdict, 0.0)
        same += (word == mine.reproduced - mine.not_reproduced
                 and verdict.runs_used == int(mine.runs))
    return same / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20000, help="simulated claims per world")
    parser.add_argument("--seed", type=int, default=20240101)
    args = parser.parse_args()
    plan = SequentialSettings()
    print(f"plan: looks {plan.planned_looks()}, {plan.spending} spending, futility below "
          f"conditional power {plan.futility_power}; alpha {ALPHA} one-sided; "
          f"{args.reps} simulated claims per world, seed {args.seed}")
    totals = [compare(name, sd, tol, plan, args.reps, args.seed + i)
              for i, (name, sd, tol) in enumerate(SOURCES)]
    adaptive_runs, fixed_runs = (sum(column) for column in zip(*totals, strict=True))
    print(f"\nthis simulation and reviewbot's own judge agree on "
          f"{agreement(plan, args.seed):.0%} of 150 simulated claims (verdict and runs used)")
    print(f"over all scenarios: adaptive {adaptive_runs / len(totals):.2f} expected runs, "
          f"fixed {fixed_runs / len(totals):.2f}: {adaptive_runs / fixed_runs:.0%} "
          "(target: at most 60%)")


if __name__ == "__main__":
    main()
