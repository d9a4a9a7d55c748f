"""Look levels found by simulation under the null (stats-protocol §2.4b), and the rule they serve.

With the t statistic at 3 or 4 runs, z-boundaries from an alpha-spending function are
conservative: the plan then spends fewer errors than alpha allows and needs more runs. Here
the levels are instead calibrated on simulated claims that sit exactly on their band edge
(normal seed noise; the t statistic's law there does not depend on the seed SD, so one
simulation serves every claim): the level of look k is ``a · ratio^u_k``, u_k running from 0
at the first look to 1 at the last, and ``a`` is the largest for which the simulated claims
end "reproduced" (and, by symmetry, "not reproduced") at most alpha of the time, with the
plan's futility stops counted (they are binding: the bot always follows them).

The simulated rate is held two Monte Carlo standard errors below alpha, so that the true
rate stays at or below it. The RNG seed is fixed and the results are cached: the same levels
on every call, so ``reviewbot verdict`` re-judges a stored sequence exactly as the run did.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

NULL_PATHS = 200_000
NULL_SEED = 20_240_611
P_FLOOR = 1e-15


@dataclass(frozen=True)
class Paths:
    """One-sided p-values ("reproduced" direction) of simulated claims at every look."""

    p_values: np.ndarray  # (claims, looks)
    z_scores: np.ndarray  # |z| of each p-value: how far the claim is from its edge


def abs_z(p_values: np.ndarray) -> np.ndarray:
    """|z| of one-sided p-values (the bot's futility compares it with the look's bound)."""
    return np.abs(stats.norm.isf(np.clip(p_values, P_FLOOR, 1 - P_FLOOR)))


def t_paths(runs: np.ndarray, looks: tuple[int, ...]) -> Paths:
    """The one-sample t-test of "mean > 0" after the first n runs, for every look n."""
    total, squares = np.cumsum(runs, axis=1), np.cumsum(runs * runs, axis=1)
    columns = []
    for n in looks:
        mean = total[:, n - 1] / n
        var = np.maximum(squares[:, n - 1] - n * mean * mean, 0.0) / (n - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            columns.append(stats.t.sf(mean / np.sqrt(var / n), n - 1))
    p_values = np.stack(columns, axis=1)
    return Paths(p_values, abs_z(p_values))


@dataclass(frozen=True)
class Outcomes:
    """Per simulated claim: +1 reproduced, -1 not reproduced, 0 neither; runs it used."""

    verdicts: np.ndarray
    runs: np.ndarray


def follow_plan(paths: Paths, looks: tuple[int, ...], levels: tuple[float, ...] | np.ndarray,
                futility: tuple[float, ...]) -> Outcomes:
    """The bot's rule (``sequential``), vectorised: at each look a claim still open is decided
    when a p-value beats the look's level, else stops as futile when |z| is below its bound."""
    count = paths.p_values.shape[0]
    verdicts, used = np.zeros(count, np.int8), np.zeros(count, np.int32)
    open_ = np.ones(count, bool)
    for k, n in enumerate(looks):
        p = paths.p_values[:, k]
        repro = open_ & (p < levels[k])
        fail = open_ & ~repro & (1.0 - p < levels[k])
        verdicts[repro], verdicts[fail], used[open_] = 1, -1, n
        open_ &= ~(repro | fail) & ~(paths.z_scores[:, k] < futility[k])
    return Outcomes(verdicts, used)


@functools.cache
def null_paths(looks: tuple[int, ...]) -> Paths:
    """Claims exactly on their band edge (the least favourable case), simulated once."""
    runs = np.random.default_rng(NULL_SEED).standard_normal((NULL_PATHS, looks[-1]))
    return t_paths(runs, looks)


@functools.cache
def simulated_levels(alpha: float, looks: tuple[int, ...], ratio: float,
                     futility: tuple[float, ...]) -> tuple[float, ...]:
    """Each look's one-sided level: the plan's realised error rate in each direction is alpha.

    With levels ``a · shape_k``, a simulated claim gets a verdict exactly when ``a`` exceeds
    the smallest ``min(p_k, 1 - p_k) / shape_k`` over the looks it reaches (up to its first
    futile look, which does not depend on ``a``); so ``a`` is an order statistic of those
    minima, no search needed. Both directions are symmetric at the edge: counting either
    verdict against twice the target halves the Monte Carlo noise.
    """
    paths = null_paths(looks)
    span = max(looks[-1] - looks[0], 1)
    shape = np.array([ratio ** ((n - looks[0]) / span) for n in looks])
    target = alpha - 2 * math.sqrt(alpha * (1 - alpha) / (2 * NULL_PATHS))
    nearer = np.minimum(paths.p_values, 1.0 - paths.p_values) / shape
    futile = paths.z_scores < np.asarray(futility)
    futile[:, -1] = True  # the last look ends every claim
    reached = np.arange(len(looks)) <= np.argmax(futile, axis=1)[:, None]
    smallest = np.sort(np.where(reached, nearer, np.inf).min(axis=1))
    return tuple(float(smallest[int(2 * target * NULL_PATHS)] * s) for s in shape)
