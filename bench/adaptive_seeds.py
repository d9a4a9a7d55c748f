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
the built-in one (``[stats.sequential]``); the fixed design is the smallest n whose exact
power at "half a tolerance above" is at least the adaptive plan's simulated power (the usual
sample-size rule). Whole runs favour the adaptive plan when its power falls just above a
fixed n's, so the fractional n with exactly its power (n - 1 and n runs mixed) is printed too,
the stricter comparison. Type I errors are measured on the edge: "reproduced" and "not
reproduced" may each be said there at most alpha of the time. Seeded (numpy default_rng),
vectorised; runs in under a minute.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reviewbot.replication.claims import SequentialSettings
from reviewbot.replication.looks import LookPlan
from reviewbot.replication.sequential import look_levels
from reviewbot.replication.simulated import follow_plan, t_paths

ALPHA = 0.05
OFFSETS = (-1.0, -0.5, 0.0, 0.5, 1.0)  # true mean minus band edge, in tolerances
SOURCES = (("example adam-final-cost", 0.003, 0.00925), ("example adam-similar", 0.012, 0.02),
           ("protocol A/B", 0.404, 0.923), ("protocol C", 0.75, 3.45))
LONGEST_FIXED = 40
NULL_FACTOR = 10  # the edge world gets 10x the claims: its error rates are the ones compared


@dataclass(frozen=True)
class Outcome:
    """Shares of 'reproduced' and 'not reproduced', and the mean number of runs used."""

    reproduced: float
    not_reproduced: float
    runs: float


def adaptive(x: np.ndarray, plan: LookPlan) -> Outcome:
    """The plan's rule (the bot's own vectorised copy, reviewbot.replication.simulated)."""
    paths = t_paths(x, plan.looks)
    outcome = follow_plan(paths, plan.looks, look_levels(ALPHA, plan), plan.futility_bounds())
    return Outcome(float(np.mean(outcome.verdicts == 1)), float(np.mean(outcome.verdicts == -1)),
                   float(outcome.runs.mean()))


def fixed(x: np.ndarray, n: int) -> Outcome:
    p_repro = t_paths(x, (n,)).p_values[:, 0]
    return Outcome(float(np.mean(p_repro < ALPHA)), float(np.mean(1 - p_repro < ALPHA)), float(n))


def samples(rng: np.random.Generator, theta: float, reps: int, n: int) -> np.ndarray:
    """Runs in units of the seed SD, the band edge at 0 (good side positive)."""
    return rng.normal(theta, 1.0, size=(reps, n))


def fixed_power(n: int, effect: float) -> float:
    """Exact power of the fixed design's one-sided t-test at ``effect`` seed SDs (noncentral t)."""
    return float(stats.nct.sf(stats.t.isf(ALPHA, n - 1), n - 1, effect * math.sqrt(n)))


def fixed_runs_for(power: float, effect: float, reps: int) -> tuple[int, float]:
    """The smallest n whose fixed design has at least ``power`` at ``effect``, and the
    fractional n at which it has exactly that power (a fixed design mixing n - 1 and n runs).

    The fixed design's power is exact, so only the adaptive side carries Monte Carlo noise; a
    simulated power of 1 is read as 1 - 1/reps, all that the simulation can tell apart.
    """
    wanted = min(power, 1 - 1 / reps)
    powers = {n: fixed_power(n, effect) for n in range(2, LONGEST_FIXED + 1)}
    n = next((n for n, p in powers.items() if p >= wanted), LONGEST_FIXED)
    below = powers.get(n - 1, 0.0)
    share = (wanted - below) / (powers[n] - below) if n > 2 and powers[n] > below else 1.0
    return n, n - 1 + min(max(share, 0.0), 1.0)


def compare(name: str, sd: float, tolerance: float, plan: LookPlan, reps: int,
            seed: int) -> tuple[float, float, float]:
    rng = np.random.default_rng(seed)
    ratio = tolerance / sd
    worlds = {offset: samples(rng, offset * ratio, reps * (NULL_FACTOR if offset == 0 else 1),
                              LONGEST_FIXED) for offset in OFFSETS}
    seq = {o: adaptive(x, plan) for o, x in worlds.items()}
    n_fixed, n_exact = fixed_runs_for(seq[0.5].reproduced, 0.5 * ratio, reps)
    fix = {o: fixed(x, n_fixed) for o, x in worlds.items()}
    expected = float(np.mean([o.runs for o in seq.values()]))
    print(f"\n{name}: seed SD {sd:g}, tolerance {tolerance:g} ({ratio:.2f} SDs)")
    print(f"  {'design':<22}{'E[runs]':>8}{'I repro':>9}{'I not':>8}{'power+':>8}{'power-':>8}"
          "   E[runs] at -1, -1/2, 0, +1/2, +1 tolerance")
    looks = f"{plan.looks[0]}..{plan.looks[-1]}" if len(plan.looks) > 4 else str(plan.looks)
    for label, rows in ((f"adaptive {looks}", seq), (f"fixed n = {n_fixed}", fix)):
        runs = ", ".join(f"{rows[o].runs:.2f}" for o in OFFSETS)
        print(f"  {label:<22}{np.mean([r.runs for r in rows.values()]):>8.2f}"
              f"{rows[0.0].reproduced:>9.3f}{rows[0.0].not_reproduced:>8.3f}"
              f"{rows[0.5].reproduced:>8.3f}{rows[-0.5].not_reproduced:>8.3f}   {runs}")
    print(f"  expected runs: {expected / n_fixed:.0%} of the fixed design's "
          f"({expected / n_exact:.0%} of the {n_exact:.2f} runs that give exactly its power)")
    return expected, float(n_fixed), n_exact


def agreement(settings_plan: SequentialSettings, plan: LookPlan, seed: int,
              count: int = 150) -> float:
    """Share of simulated claims where this file's vectorised rule and the bot's own judge
    (reviewbot.replication.sequential) give the same verdict after the same runs."""
    from reviewbot.core.models import RunResult, Verdict, freeze
    from reviewbot.replication.claims import ClaimSpec, PaperInfo, StatsSettings, resolve_claim
    from reviewbot.replication.sequential import sequential_verdicts

    settings = StatsSettings(sequential=settings_plan)
    spec = ClaimSpec(id="c", metric="m", value=1.0, direction="higher", tolerance={"abs": 1.0})
    claim = resolve_claim(spec, PaperInfo(), settings)  # band edge at 0, good side positive
    x = np.random.default_rng(seed).normal(0.7, 1.0, size=(count, plan.looks[-1]))
    same = 0
    for row in x:
        mine = adaptive(row[None, :], plan)
        runs = tuple(RunResult("nb.ipynb", i, True, 1.0, scalars=freeze({"m": float(v)}))
                     for i, v in enumerate(row[: int(mine.runs)]))
        [verdict] = sequential_verdicts([claim], runs, settings, plan)
        word = {Verdict.REPRODUCED: 1.0, Verdict.NOT_REPRODUCED: -1.0}.get(verdict.verdict, 0.0)
        same += (word == mine.reproduced - mine.not_reproduced
                 and verdict.runs_used == int(mine.runs))
    return same / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20000, help="simulated claims per world")
    parser.add_argument("--seed", type=int, default=20240101)
    args = parser.parse_args()
    settings = SequentialSettings()
    plan = LookPlan(settings.planned_looks(), settings.spending, settings.level_ratio,
                    tuple(settings.futility_z))  # type: ignore[arg-type]
    levels = look_levels(ALPHA, plan)
    noise = (ALPHA * (1 - ALPHA) / (args.reps * NULL_FACTOR)) ** 0.5
    print(f"plan: looks {plan.looks}, {plan.spending} levels {levels[0]:.4f} .. {levels[-1]:.4f},"
          f" futile below |z| {plan.futility_z[0]:g} .. {plan.futility_z[1]:g}; alpha {ALPHA} "
          f"one-sided; {args.reps} simulated claims per world ({args.reps * NULL_FACTOR} on the "
          f"edge: an error rate's Monte Carlo SE is {noise:.4f}), seed {args.seed}")
    totals = [compare(name, sd, tol, plan, args.reps, args.seed + i)
              for i, (name, sd, tol) in enumerate(SOURCES)]
    adaptive_runs, fixed_runs, exact_runs = (sum(column) for column in zip(*totals, strict=True))
    print(f"\nthis simulation and reviewbot's own judge agree on "
          f"{agreement(settings, plan, args.seed):.0%} of 150 simulated claims (verdict and runs "
          "used)")
    print(f"over all scenarios: adaptive {adaptive_runs / len(totals):.2f} expected runs, "
          f"fixed {fixed_runs / len(totals):.2f}: {adaptive_runs / fixed_runs:.0%} "
          "(target: at most 60%)")
    print(f"against the fractional n with exactly the adaptive power "
          f"({exact_runs / len(totals):.2f} runs): {adaptive_runs / exact_runs:.0%}")


if __name__ == "__main__":
    main()
