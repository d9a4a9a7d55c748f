"""The statistics of a verdict: one claim's runs against the paper's number (stats-protocol §2).

Every test returns a ``TestResult``. Tests that decide on their own (a single run, zero
variance, an exact count) carry ``decided``; t-tests leave it ``None`` and carry the two
one-sided p-values, so that ``decide`` can Holm-adjust them across a submission's claims
before it turns them into verdicts.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy import integrate, stats

from reviewbot.core.models import Verdict

HIGHER, LOWER, EQUAL = "higher", "lower", "equal"
MAX_RUNS_HINT = 1000  # "about N runs would decide it" is not worth saying beyond this


@dataclass(frozen=True)
class StatsParams:
    """The knobs of the protocol; ``claims.StatsSettings`` fills them from config."""

    alpha: float = 0.05
    single_run_policy: str = "band"  # "band" | "inconclusive"
    zero_variance_rel: float = 1e-9
    ci_method: str = "t"  # "t" | "bootstrap" (bootstrap only from bootstrap_min_n runs)
    bootstrap_min_n: int = 10
    bootstrap_resamples: int = 9999
    bootstrap_seed: int = 20240101
    correction_reproduced: str = "holm"  # "holm" | "none"
    correction_not_reproduced: str = "holm"
    grid_points: int = 101
    min_coverage: float = 0.9
    pointwise_fraction: float = 0.8

    @property
    def ci_level(self) -> float:
        return 1 - 2 * self.alpha


@dataclass(frozen=True)
class Band:
    """The paper's value, the direction that is good and the half-width δ around it."""

    value: float
    delta: float
    direction: str

    @property
    def threshold(self) -> float:
        """The edge a directional claim must clear (``equal`` has two: value ± delta)."""
        return self.value + self.delta if self.direction == LOWER else self.value - self.delta

    def accepts(self, x: float) -> bool:
        if self.direction == HIGHER:
            return x > self.threshold
        if self.direction == LOWER:
            return x < self.threshold
        return abs(x - self.value) < self.delta


def half_width(value: float, tol_abs: float | None, tol_rel: float | None) -> float:
    """δ = max(abs, rel·|value|): when both are given the wider band wins (math.isclose)."""
    return max(tol_abs or 0.0, (tol_rel or 0.0) * abs(value))


@dataclass(frozen=True)
class TestResult:
    """What one test found; ``decided`` is set when no multiplicity correction applies."""

    test: str
    n: int
    observed: tuple[float, ...] = ()
    mean: float | None = None
    interval: tuple[float, float] | None = None
    p_repro: float | None = None
    p_fail: float | None = None
    statistic: float | None = None
    decided: Verdict | None = None
    tags: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)  # p_a_beats_b, within_band, detail

    def tagged(self, *tags: str) -> TestResult:
        return replace(self, tags=self.tags + tuple(t for t in tags if t not in self.tags))


def _finite(value: object) -> float | None:
    number = float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else None


# ---- scalar claims ------------------------------------------------------------------------


def scalar_test(values: Sequence[float], band: Band, params: StatsParams,
                paper_sd: float | None = None, paper_n: int | None = None) -> TestResult:
    """Non-inferiority (higher/lower) or TOST (equal) over the runs; band check for n = 1."""
    x = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(x)):  # a diverged run is never averaged in silently
        return TestResult("none", int(x.size), tuple(map(float, x)),
                          decided=Verdict.NOT_CHECKED, tags=("invalid_value",))
    if x.size == 1:
        return single_run(x, band, params)
    if x.std(ddof=1) <= params.zero_variance_rel * max(abs(band.value), 1.0):
        return band_check(x, band, "zero_variance")
    if paper_sd is not None and paper_n is not None and paper_n >= 2:
        result = welch_against_paper(x, band, paper_sd, paper_n)
    else:
        result = one_sample_test(x, band)
    result = replace(result, interval=mean_interval(x, params))
    return result.tagged(*_scalar_tags(x, band, result.interval))


def single_run(x: np.ndarray, band: Band, params: StatsParams) -> TestResult:
    """n = 1: no run-to-run variance to test with; the band alone decides (or nothing does)."""
    result = band_check(x, band, "single_run")
    if params.single_run_policy == "inconclusive":
        return replace(result, decided=Verdict.INCONCLUSIVE)
    return result


def band_check(x: np.ndarray, band: Band, tag: str) -> TestResult:
    mean = float(x.mean())
    verdict = Verdict.REPRODUCED if band.accepts(mean) else Verdict.NOT_REPRODUCED
    return TestResult("band check", int(x.size), tuple(map(float, x)), mean,
                      decided=verdict, tags=(tag,))


def one_sample_test(x: np.ndarray, band: Band) -> TestResult:
    """One-sided t-tests at the threshold (or TOST at both edges for ``equal``)."""
    if band.direction == EQUAL:
        low = stats.ttest_1samp(x, band.value - band.delta, alternative="greater")
        high = stats.ttest_1samp(x, band.value + band.delta, alternative="less")
        p_repro = max(low.pvalue, high.pvalue)
        p_fail = min(1.0, 2 * min(1 - low.pvalue, 1 - high.pvalue))
        statistic = min(low.statistic, -high.statistic)
        return _t_result("TOST (one-sample t)", x, p_repro, p_fail, statistic)
    good = "greater" if band.direction == HIGHER else "less"
    bad = "less" if good == "greater" else "greater"
    repro = stats.ttest_1samp(x, band.threshold, alternative=good)
    fail = stats.ttest_1samp(x, band.threshold, alternative=bad)
    return _t_result("one-sided one-sample t (non-inferiority)", x, repro.pvalue, fail.pvalue,
                     repro.statistic)


def welch_against_paper(x: np.ndarray, band: Band, paper_sd: float, paper_n: int) -> TestResult:
    """The paper's value is itself a mean of ``paper_n`` runs: Welch with its SD, shifted by δ."""
    def welch(shift: float, alternative: str) -> stats._stats_py.Ttest_indResult:
        return stats.ttest_ind_from_stats(
            float(x.mean()) + shift, float(x.std(ddof=1)), int(x.size), band.value, paper_sd,
            paper_n, equal_var=False, alternative=alternative)

    if band.direction == EQUAL:
        low, high = welch(band.delta, "greater"), welch(-band.delta, "less")
        p_fail = min(1.0, 2 * min(1 - low.pvalue, 1 - high.pvalue))
        return _t_result("TOST (Welch vs paper SD)", x, max(low.pvalue, high.pvalue), p_fail,
                         min(low.statistic, -high.statistic))
    shift = band.delta if band.direction == HIGHER else -band.delta
    good = "greater" if band.direction == HIGHER else "less"
    repro = welch(shift, good)
    fail = welch(shift, "less" if good == "greater" else "greater")
    return _t_result("one-sided Welch t vs paper SD (non-inferiority)", x, repro.pvalue,
                     fail.pvalue, repro.statistic)


def _t_result(test: str, x: np.ndarray, p_repro: float, p_fail: float,
              statistic: float) -> TestResult:
    return TestResult(test, int(x.size), tuple(map(float, x)), float(x.mean()),
                      p_repro=float(p_repro), p_fail=float(p_fail),
                      statistic=_finite(statistic))


def mean_interval(x: np.ndarray, params: StatsParams) -> tuple[float, float]:
    """The (1 - 2 alpha) interval of the mean, dual to the one-sided tests.

    A bootstrap interval only from ``bootstrap_min_n`` runs: below that it is too narrow.
    """
    if params.ci_method == "bootstrap" and x.size >= params.bootstrap_min_n:
        return bootstrap_interval(x, params)
    ci = stats.ttest_1samp(x, 0.0).confidence_interval(confidence_level=params.ci_level)
    return float(ci.low), float(ci.high)


def bootstrap_interval(x: np.ndarray, params: StatsParams) -> tuple[float, float]:
    """A seeded BCa interval, so that the same runs always give the same verdict text."""
    with warnings.catch_warnings():  # constant resamples warn; the interval is still usable
        warnings.simplefilter("ignore")
        result = stats.bootstrap((x,), np.mean, confidence_level=params.ci_level,
                                 n_resamples=params.bootstrap_resamples, method="BCa",
                                 rng=np.random.default_rng(params.bootstrap_seed))
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def _scalar_tags(x: np.ndarray, band: Band, interval: tuple[float, float] | None) -> list[str]:
    tags = []
    if interval is not None and band.direction == HIGHER and interval[0] > band.value + band.delta:
        tags.append("exceeds_paper")
    if interval is not None and band.direction == LOWER and interval[1] < band.value - band.delta:
        tags.append("exceeds_paper")
    return tags


def runs_needed(x: Sequence[float], edge: float, alpha: float) -> int | None:
    """Fewest runs that would decide if the mean and SD stayed as they are (a hint only)."""
    values = np.asarray(x, dtype=float)
    gap, sd = abs(float(values.mean()) - edge), float(values.std(ddof=1))
    if values.size < 2 or sd == 0 or gap == 0:
        return None
    for n in range(2, MAX_RUNS_HINT + 1):
        if stats.t.ppf(1 - alpha, n - 1) * sd / math.sqrt(n) < gap:
            return n
    return None


# ---- exact claims -------------------------------------------------------------------------


def exact_test(values: Sequence[float], value: float, tol_abs: float = 0.0) -> TestResult:
    """A deterministic quantity (a parameter count): every run must equal it, no statistics."""
    x = np.asarray(values, dtype=float)
    ok = bool(np.all(np.abs(x - value) <= tol_abs))
    return TestResult("exact", int(x.size), tuple(map(float, x)), float(x.mean()),
                      decided=Verdict.REPRODUCED if ok else Verdict.NOT_REPRODUCED)


# ---- ranking claims -----------------------------------------------------------------------


def ranking_test(better: Sequence[float], worse: Sequence[float], direction: str,
                 margin: float, paired: bool, params: StatsParams) -> TestResult:
    """'A beats B by ``margin``': paired t on per-seed differences, else Welch."""
    sign = -1.0 if direction == LOWER else 1.0  # lower is better: B - A must exceed the margin
    a, b = sign * np.asarray(better, float), sign * np.asarray(worse, float)
    ordering = margin >= 0  # a negative margin claims "at most |m| worse", no ordering
    if paired and a.size == b.size:
        result = _paired_ranking(a - b, margin, params)
        return _with_ordering_probability(result, _paired_share(a - b), ordering)
    result = _welch_ranking(a, b, margin, params)
    return _with_ordering_probability(result, _unpaired_share(a, b), ordering)


def _paired_ranking(d: np.ndarray, margin: float, params: StatsParams) -> TestResult:
    band = Band(margin, 0.0, HIGHER)  # "the difference is above the margin"
    if d.size == 1:
        return single_run(d, band, params)
    if d.std(ddof=1) <= params.zero_variance_rel * max(abs(margin), 1.0):
        return band_check(d, band, "zero_variance")
    repro = stats.ttest_1samp(d, margin, alternative="greater")
    fail = stats.ttest_1samp(d, margin, alternative="less")
    result = _t_result("paired one-sided t", d, repro.pvalue, fail.pvalue, repro.statistic)
    return replace(result, interval=mean_interval(d, params)).tagged("paired")


def _welch_ranking(a: np.ndarray, b: np.ndarray, margin: float,
                   params: StatsParams) -> TestResult:
    mean = float(a.mean() - b.mean())
    observed = tuple(map(float, a - b)) if a.size == b.size else ()
    if min(a.size, b.size) < 2:
        decided = Verdict.REPRODUCED if mean > margin else Verdict.NOT_REPRODUCED
        if params.single_run_policy == "inconclusive":
            decided = Verdict.INCONCLUSIVE
        return TestResult("band check", min(a.size, b.size), observed, mean, decided=decided,
                          tags=("single_run",))
    repro = stats.ttest_ind(a - margin, b, equal_var=False, alternative="greater")
    fail = stats.ttest_ind(a - margin, b, equal_var=False, alternative="less")
    ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval(params.ci_level)
    return TestResult("one-sided Welch t (unpaired)", min(a.size, b.size), observed, mean,
                      (float(ci.low), float(ci.high)), float(repro.pvalue), float(fail.pvalue),
                      _finite(repro.statistic), tags=("unpaired",))


def _paired_share(d: np.ndarray) -> float:
    """Paired seeds: the share of seeds in which A beat B (a tie counts half), sign-based."""
    return float(np.mean(d > 0) + 0.5 * np.mean(d == 0))


def _unpaired_share(a: np.ndarray, b: np.ndarray) -> float:
    """Unpaired runs: P(A>B) = U/(n·m) over all pairs (rliable, Bouthillier)."""
    u = stats.mannwhitneyu(a, b, alternative="greater").statistic
    return float(u) / (a.size * b.size)


def _with_ordering_probability(result: TestResult, probability: float,
                               ordering: bool = True) -> TestResult:
    """P(A beats B); below Bouthillier's gamma = 0.75 an ordering claim is weak."""
    result = replace(result, extra={**result.extra, "p_a_beats_b": probability})
    return result.tagged("weak_ordering") if ordering and probability < 0.75 else result


# ---- curve claims -------------------------------------------------------------------------


@dataclass(frozen=True)
class CurveBand:
    """A paper curve with its tolerance (abs and/or rel of y) and digitisation error."""

    x: tuple[float, ...]
    y: tuple[float, ...]
    direction: str
    tol_abs: float | None = None
    tol_rel: float | None = None
    digitization_error: float = 0.0


@dataclass(frozen=True)
class RunShortfall:
    """One run reduced to numbers: area of shortfall (in band units), in-band share, max."""

    area: float
    within: float
    max_deviation: float


def curve_shortfall(curve: CurveBand, run_x: Sequence[float], run_y: Sequence[float],
                    params: StatsParams) -> RunShortfall | None:
    """Interpolate onto a grid over the overlap only; ``None`` when the run covers too little."""
    px, py = np.asarray(curve.x, float), np.asarray(curve.y, float)
    order = np.argsort(run_x)
    rx, ry = np.asarray(run_x, float)[order], np.asarray(run_y, float)[order]
    low, high = max(px[0], rx[0]), min(px[-1], rx[-1])
    if high <= low or (high - low) < params.min_coverage * (px[-1] - px[0]):
        return None
    grid = np.linspace(low, high, params.grid_points)
    paper, run = np.interp(grid, px, py), np.interp(grid, rx, ry)
    tau = np.maximum(curve.tol_abs or 0.0, (curve.tol_rel or 0.0) * np.abs(paper))
    tau = tau + curve.digitization_error
    deviation = {HIGHER: paper - run, LOWER: run - paper}.get(curve.direction, np.abs(run - paper))
    ratio = deviation / tau
    area = float(integrate.trapezoid(np.clip(ratio, 0, None), grid) / (high - low))
    return RunShortfall(area, float(np.mean(deviation <= tau)), float(ratio.max()))


def curve_test(curve: CurveBand, runs: Sequence[tuple[Sequence[float], Sequence[float]]],
               params: StatsParams) -> TestResult:
    """Per-run shortfall areas tested against 1 (lower is better), plus the in-band share."""
    shortfalls = [curve_shortfall(curve, x, y, params) for x, y in runs]
    usable = [s for s in shortfalls if s is not None]
    if not usable:
        return TestResult("curve shortfall", 0, decided=Verdict.NOT_CHECKED,
                          tags=("insufficient_coverage",))
    areas = [s.area for s in usable]
    result = scalar_test(areas, Band(1.0, 0.0, LOWER), params)
    within = float(np.mean([s.within for s in usable]))
    result = replace(result, test=f"curve shortfall area: {result.test}",
                     extra={"within_band": within, "max_deviation": max(s.max_deviation
                                                                        for s in usable)})
    if len(usable) < len(runs):
        result = result.tagged("insufficient_coverage_some_runs")
    if within < params.pointwise_fraction:
        result = result.tagged("pointwise_fraction_low")
    return result


# ---- several claims -----------------------------------------------------------------------


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment (SciPy has none): p_(k) = min(1, max_{j<=k} (m-j+1) p_(j))."""
    p = np.asarray(p_values, dtype=float)
    adjusted, running = np.empty(p.size), 0.0
    for rank, index in enumerate(np.argsort(p, kind="stable")):
        running = max(running, (p.size - rank) * p[index])
        adjusted[index] = min(1.0, running)
    return [float(value) for value in adjusted]


@dataclass(frozen=True)
class Decision:
    """A test turned into a verdict, with the p-value that decided it (adjusted if so)."""

    verdict: Verdict
    p_value: float | None
    tags: tuple[str, ...]
    p_raw: float | None = None
    level: float | None = None  # the level p_raw had to beat (alpha over Holm rank and look)


def decide(results: Sequence[TestResult], params: StatsParams) -> list[Decision]:
    """Verdicts for a submission's claims; the undecided t-tests are Holm-adjusted together."""
    pending = [i for i, r in enumerate(results) if r.decided is None and r.p_repro is not None]
    repro = _adjust([results[i].p_repro for i in pending], params.correction_reproduced)
    fail = _adjust([results[i].p_fail for i in pending], params.correction_not_reproduced)
    adjusted = len(pending) > 1
    decisions = [Decision(r.decided or Verdict.NOT_CHECKED, None, ()) for r in results]
    for k, i in enumerate(pending):
        decisions[i] = _from_p(repro[k], fail[k], params.alpha, adjusted)
    return decisions


def _adjust(p_values: list, method: str) -> list[float]:
    return holm(p_values) if method == "holm" and p_values else [float(p) for p in p_values]


def _from_p(p_repro: float, p_fail: float, alpha: float, adjusted: bool) -> Decision:
    tags = ("holm_adjusted",) if adjusted else ()
    if p_repro < alpha:
        return Decision(Verdict.REPRODUCED, p_repro, tags)
    if p_fail < alpha:
        return Decision(Verdict.NOT_REPRODUCED, p_fail, tags)
    return Decision(Verdict.INCONCLUSIVE, p_repro, tags)
