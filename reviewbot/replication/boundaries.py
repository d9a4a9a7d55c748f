"""Alpha-spending boundaries: how strict each look at the runs must be (stats-protocol §2.4b).

These are the ``spending = "pocock" | "obrien-fleming"`` choices; the default plan's levels are
simulated for the t-test instead (``simulated``), since these normal-theory ones are
conservative at 3 or 4 runs. Futility stops are not counted here (non-binding).

A claim is looked at after n₁ < n₂ < … < n_K runs. Every look may stop it, so each look is
tested at a *nominal* level smaller than alpha, chosen so that the chance of ever crossing a
boundary when the claim sits exactly on its band edge stays alpha. The levels come from a
Lan-DeMets alpha-spending function alpha(t) of the information fraction t = n_k / n_K
(Lan & DeMets, Biometrika 70(3):659-663, 1983; Jennison & Turnbull 2000, ch. 2 and 7):

- ``obrien-fleming``: alpha(t) = 2 - 2Φ(z_{1-alpha/2} / √t), strict early, near alpha at the end;
- ``pocock``: alpha(t) = alpha · ln(1 + (e - 1) t), about the same level at every look.

The z-boundaries c₁..c_K solve
P(Z₁ < c₁, …, Z_{k-1} < c_{k-1}, Z_k ≥ c_k) = alpha(t_k) - alpha(t_{k-1})
for the canonical joint distribution Corr(Z_i, Z_j) = √(t_i / t_j), computed by numerical
integration (deterministic: the same levels on every machine).
A look's nominal level 1 - Φ(c_k) is then applied to the exact t-test p-value of that look,
the usual way of carrying z-boundaries over to t-tests.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
from scipy import integrate, optimize, stats

Spending = Literal["pocock", "obrien-fleming"]
GRID_POINTS = 1201  # grid of the numerical integration: deterministic, accurate to ~1e-7
GRID_SDS = 10.0  # the score is integrated from -10 (far below any boundary)
P_FLOOR = 1e-12


def spent(alpha: float, fraction: float, spending: Spending) -> float:
    """alpha(t): the share of the one-sided level spent up to information fraction ``fraction``."""
    if fraction <= 0:
        return 0.0
    if spending == "pocock":
        return alpha * math.log(1 + (math.e - 1) * min(fraction, 1.0))
    z = stats.norm.isf(alpha / 2)
    return float(2 * stats.norm.sf(z / math.sqrt(min(fraction, 1.0))))


@functools.cache
def nominal_levels(alpha: float, looks: tuple[int, ...], spending: Spending) -> tuple[float, ...]:
    """The one-sided level each look's p-value must beat; one look alone gets ``alpha``."""
    if len(looks) == 1:
        return (alpha,)
    fractions = [n / looks[-1] for n in looks]
    bounds: list[float] = []
    for k, fraction in enumerate(fractions):
        increment = spent(alpha, fraction, spending) - spent(
            alpha, fractions[k - 1] if k else 0.0, spending)
        bounds.append(_next_bound(bounds, fractions[: k + 1], max(increment, P_FLOOR)))
    return tuple(float(stats.norm.sf(c)) for c in bounds)


def _next_bound(bounds: list[float], fractions: Sequence[float], increment: float) -> float:
    """c_k such that crossing first at look k has probability ``increment``."""
    if not bounds:
        return float(stats.norm.isf(increment))
    grid, density = _surviving_density(bounds, fractions[:-1])
    step = fractions[-1] - fractions[-2]

    def excess(c: float) -> float:
        tail = stats.norm.sf((c * math.sqrt(fractions[-1]) - grid) / math.sqrt(step))
        return float(integrate.trapezoid(density * tail, grid)) - increment

    return float(optimize.brentq(excess, -4.0, 12.0, xtol=1e-7))


def _surviving_density(bounds: Sequence[float], fractions: Sequence[float]
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Density of the score S_k = Z_k √t_k over paths that crossed no boundary yet.

    Armitage, McPherson & Rowe's recursion (J. R. Statist. Soc. A 132, 1969) on a fine grid:
    the score has independent normal increments, so each look convolves and truncates.
    """
    top = bounds[0] * math.sqrt(fractions[0])
    grid = np.linspace(-GRID_SDS, top, GRID_POINTS)
    density = stats.norm.pdf(grid, scale=math.sqrt(fractions[0]))
    for k in range(1, len(bounds)):
        step = fractions[k] - fractions[k - 1]
        top = bounds[k] * math.sqrt(fractions[k])
        new = np.linspace(-GRID_SDS, top, GRID_POINTS)
        kernel = stats.norm.pdf((new[:, None] - grid[None, :]) / math.sqrt(step)) / math.sqrt(step)
        density = integrate.trapezoid(kernel * density[None, :], grid, axis=1)
        grid = new
    return grid, density
