"""Claims + run results → one ``ClaimVerdict`` per claim, each with one sentence of why.

What the runs measured is gathered here (which runs failed, which lack the metric, which
were shortened); the numbers are judged by ``stats``; ``sequential`` turns the tests into
decisions look by look (Holm across the submission's claims) and calls ``build_verdict``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from reviewbot.core.models import ClaimVerdict, MetricProblemKind, RunResult, Verdict
from reviewbot.replication.claims import Claim
from reviewbot.replication.stats import (
    EQUAL,
    HIGHER,
    Band,
    CurveBand,
    Decision,
    StatsParams,
    TestResult,
    curve_test,
    exact_test,
    half_width,
    ranking_test,
    runs_needed,
    scalar_test,
)

NOT_CHECKED_TAGS = ("not_run", "run_failed", "metric_missing", "invalid_value", "reduced_budget",
                    "insufficient_coverage")


@dataclass(frozen=True)
class Gathered:
    """The runs a claim is judged on, or why there are none worth judging."""

    runs: tuple[RunResult, ...]
    reason: str = ""  # one of NOT_CHECKED_TAGS, or "" when the claim can be tested
    detail: str = ""


def claim_test(claim: Claim, runs: Sequence[RunResult], params: StatsParams) -> TestResult:
    """The claim's test over ``runs``, or ``not_checked`` with the reason."""
    gathered = gather(claim, runs)
    if gathered.reason and gathered.reason != "reduced_budget":
        return TestResult("none", 0, decided=Verdict.NOT_CHECKED, tags=(gathered.reason,),
                          extra={"detail": gathered.detail})
    result = _run_test(claim, gathered.runs, params)
    if gathered.reason == "reduced_budget":  # shown for information, judged by nobody
        result = replace(result, decided=Verdict.NOT_CHECKED,
                         extra={**result.extra, "detail": gathered.detail}).tagged(
                             "reduced_budget")
    return result


def gather(claim: Claim, runs: Sequence[RunResult]) -> Gathered:
    """The successful runs that recorded every metric the claim needs, at full budget."""
    mine = tuple(r for r in runs if not claim.spec.notebook or r.notebook == claim.spec.notebook)
    if not mine:
        return Gathered((), "not_run", "no notebook run")
    ok = tuple(r for r in mine if r.ok)
    if not ok:
        first = mine[0]
        return Gathered((), "run_failed", f"{plural_runs(len(mine))} failed, e.g. {first.notebook}"
                        f"{_cell(first)}: {first.error or 'no error recorded'}")
    invalid = [m for m in claim.metrics() for r in ok if _refused(r, m)]
    if invalid:
        return Gathered((), "invalid_value", f"{invalid[0]} was refused (NaN, inf or wrong type)")
    having = tuple(r for r in ok if all(_has(r, m, claim.kind) for m in claim.metrics()))
    if not having:
        recorded = sorted({*ok[0].scalars, *ok[0].series})
        return Gathered((), "metric_missing", f"no run recorded {' and '.join(claim.metrics())}"
                        f" (recorded: {', '.join(recorded) or 'nothing'})")
    shortened = _shortened(claim, having)
    return Gathered(having, "reduced_budget" if shortened else "", shortened)


def _cell(run: RunResult) -> str:
    return f" in cell {run.error_cell}" if run.error_cell is not None else ""


def plural_runs(n: int) -> str:
    return "the run" if n == 1 else f"all {n} runs"


def _has(run: RunResult, metric: str, kind: str) -> bool:
    if kind == "curve":
        return metric in run.series
    value = run.scalars.get(metric)
    return value is not None and math.isfinite(value)


def _refused(run: RunResult, metric: str) -> bool:
    """The runner names each refused metric in ``metric_problems``; a non-finite value too."""
    value = run.scalars.get(metric)
    if value is not None and not math.isfinite(value):
        return True
    return metric not in run.scalars and any(
        p.kind is MetricProblemKind.VALUE_REFUSED and p.metric == metric
        for p in run.metric_problems)


def _shortened(claim: Claim, runs: Sequence[RunResult]) -> str:
    """``epochs = 2 of the paper's 20`` when a run's parameters fall short of the full budget."""
    budget = claim.full_budget.value or {}
    for run in runs:
        for key, full in budget.items():
            used = run.parameters.get(key, full)
            if used != full:
                return f"the runs used {key} = {used}, the claim needs {key} = {full}"
    return ""


def _run_test(claim: Claim, runs: Sequence[RunResult], params: StatsParams) -> TestResult:
    spec = claim.spec
    if claim.kind == "ranking":
        return ranking_test([r.scalars[spec.better] for r in runs],
                            [r.scalars[spec.worse] for r in runs], claim.direction.value,
                            spec.margin, spec.paired, params)
    if claim.kind == "curve":
        return curve_test(curve_band(claim), [(s.x, s.y) for s in
                                              (r.series[spec.metric] for r in runs)], params)
    values = [r.scalars[spec.metric] for r in runs]
    if claim.kind == "exact":
        return exact_test(values, float(spec.value or 0.0), claim.tol_abs or 0.0)
    return scalar_test(values, band(claim), params, *_paper_spread(claim))


def band(claim: Claim) -> Band:
    value = float(claim.spec.value or 0.0)
    return Band(value, half_width(value, claim.tol_abs, claim.tol_rel), claim.direction.value)


def curve_band(claim: Claim) -> CurveBand:
    points = claim.spec.points
    assert points is not None  # validated on load
    return CurveBand(tuple(points.x), tuple(points.y), claim.direction.value, claim.tol_abs,
                     claim.tol_rel, claim.spec.digitization_error)


def _paper_spread(claim: Claim) -> tuple[float | None, int | None]:
    """The paper's SD over its runs (an SEM converted: SD = SEM·√n)."""
    spec = claim.spec
    if spec.paper_sd is None or spec.paper_n is None:
        return None, None
    factor = math.sqrt(spec.paper_n) if spec.paper_sd_kind == "sem" else 1.0
    return spec.paper_sd * factor, spec.paper_n


# ---- the verdict and its sentence ---------------------------------------------------------


def build_verdict(claim: Claim, test: TestResult, decision: Decision,
                  params: StatsParams) -> ClaimVerdict:
    tags = test.tags + tuple(t for t in decision.tags if t not in test.tags)
    if decision.verdict is Verdict.INCONCLUSIVE and test.mean is not None:
        tags += (_point_tag(claim, test),)
    delta = band(claim).delta if claim.kind in ("scalar", "exact") else None
    return ClaimVerdict(
        claim=claim.id, metric=" vs ".join(claim.metrics()), kind=claim.kind,
        verdict=decision.verdict,
        explanation=explain(claim, test, decision, tags, params),
        paper_value=claim.spec.value if claim.kind in ("scalar", "exact") else None,
        unit=str(claim.unit.value), direction=claim.direction.value, tolerance=delta,
        observed=test.observed, mean=test.mean, interval=test.interval,
        p_value=decision.p_value if decision.p_value is not None else test.p_repro,
        n=test.n, test=test.test, statistic=test.statistic, tags=tags,
        source=claim.spec.source, p_raw=decision.p_raw if decision.p_raw is not None else
        test.p_repro, p_adjusted=decision.p_value, level=decision.level,
        value_from=claim.spec.value_from,
        interval_level=params.ci_level if test.interval is not None else None)


def _point_tag(claim: Claim, test: TestResult) -> str:
    accepted = _accepts(claim, test.mean or 0.0)
    return "point_within_tolerance" if accepted else "point_outside_tolerance"


def _accepts(claim: Claim, mean: float) -> bool:
    if claim.kind == "ranking":
        return mean > claim.spec.margin
    if claim.kind == "curve":
        return mean < 1.0
    return band(claim).accepts(mean)


def num(value: float | None) -> str:
    """Four significant digits: enough to check, short enough to read."""
    if value is None:
        return "n/a"
    return f"{value:.4g}"


def explain(claim: Claim, test: TestResult, decision: Decision, tags: Sequence[str],
            params: StatsParams) -> str:
    """One sentence with the numbers: what was observed, what was needed, what follows."""
    if decision.verdict is Verdict.NOT_CHECKED:
        return _not_checked(claim, test)
    if claim.kind == "exact":
        return _exact_sentence(claim, test, decision)
    observed = _observed(claim, test, params)
    needed = _needed(claim)
    outcome = _outcome(decision, tags)
    hint = _hint(claim, test, decision, params)
    return f"{observed} {needed}: {outcome}{hint}."


def _observed(claim: Claim, test: TestResult, params: StatsParams) -> str:
    spec = claim.spec
    difference = (f"{spec.better} - {spec.worse}" if claim.direction.value == HIGHER else
                  f"{spec.worse} - {spec.better}")  # lower is better: how far below B is A
    what = {"ranking": difference, "curve": "the shortfall area (in band widths)"}.get(
        claim.kind, spec.metric)
    if test.n == 1:
        head = f"{what} was {num(test.mean)} in the single run"
    else:
        head = f"{what} averaged {num(test.mean)} over {test.n} runs"
    if test.interval is not None:
        level = round(params.ci_level * 100)
        head += f" ({level}% CI {num(test.interval[0])} to {num(test.interval[1])})"
    if claim.kind == "curve" and "within_band" in test.extra:
        head += f", {test.extra['within_band']:.0%} of the grid inside the band"
    return head


def _needed(claim: Claim) -> str:
    if claim.kind == "ranking":
        return f"and needs to be above {num(claim.spec.margin)} ({ranking_words(claim)})"
    if claim.kind == "curve":
        return "and needs to be below 1"
    edge = band(claim)
    whose = whose_value(claim)
    if edge.direction == EQUAL:
        return f"and needs to be within {num(edge.delta)} of {whose} {num(edge.value)}"
    side, sign = ("above", "-") if edge.direction == HIGHER else ("below", "+")
    return (f"and needs to be {side} {num(edge.threshold)} "
            f"({whose} {num(edge.value)} {sign} the tolerance {num(edge.delta)})")


def whose_value(claim: Claim) -> str:
    """The claims file says whose number it is: the paper's, or a reference run's."""
    return "the reference run's" if claim.spec.value_from == "reference run" else "the paper's"


def ranking_words(claim: Claim) -> str:
    """``A at most 0.02 worse than B`` for a negative margin (non-inferiority, 'similar')."""
    spec = claim.spec
    if spec.margin < 0:
        return f"{spec.better} at most {num(-spec.margin)} worse than {spec.worse}"
    if spec.margin > 0:
        return f"{spec.better} better than {spec.worse} by more than {num(spec.margin)}"
    return f"{spec.better} better than {spec.worse}"


def _outcome(decision: Decision, tags: Sequence[str]) -> str:
    word = decision.verdict.label
    if "single_run" in tags:
        return f"{word} by the band alone (a single run: no run-to-run variance estimated)"
    if "zero_variance" in tags:
        return f"{word} by the band alone (every run gave the same value: are seeds used?)"
    if decision.p_value is None:
        return word
    if "sequential" in tags and decision.p_raw is not None and decision.level is not None:
        holm = ", Holm across the claims" if "holm_adjusted" in tags else ""
        return (f"{word} (p = {decision.p_raw:.3g} against this look's level "
                f"{decision.level:.3g}{holm})")
    adjusted = ", Holm-adjusted" if "holm_adjusted" in tags else ""
    if adjusted and decision.p_raw is not None:
        adjusted += f" from {decision.p_raw:.3g}"  # raw and adjusted, in every format
    return f"{word} (p = {decision.p_value:.3g}{adjusted})"


def _hint(claim: Claim, test: TestResult, decision: Decision, params: StatsParams) -> str:
    parts = []
    if "p_a_beats_b" in test.extra:
        parts.append(f"P(A beats B) = {test.extra['p_a_beats_b']:.2f}")
    if decision.verdict is Verdict.INCONCLUSIVE and test.n >= 2 and test.observed:
        needed = runs_needed(test.observed, _edge(claim, test), params.alpha)
        if needed is not None and needed > test.n:
            parts.append(f"about {needed} runs would decide it if mean and SD held")
    return "; " + "; ".join(parts) if parts else ""


def _edge(claim: Claim, test: TestResult) -> float:
    """The value the mean must clear: threshold, nearer band edge, margin, or 1 for curves."""
    if claim.kind == "ranking":
        return claim.spec.margin
    if claim.kind == "curve":
        return 1.0
    edge = band(claim)
    if edge.direction != EQUAL:
        return edge.threshold
    return edge.value + math.copysign(edge.delta, (test.mean or 0.0) - edge.value)


def _exact_sentence(claim: Claim, test: TestResult, decision: Decision) -> str:
    values = ", ".join(num(v) for v in test.observed)
    tolerance = f" within {num(claim.tol_abs)}" if claim.tol_abs else " exactly"
    return (f"{claim.spec.metric} was {values} over {test.n} "
            f"run{'s' if test.n != 1 else ''} and must equal the paper's "
            f"{num(claim.spec.value)}{tolerance}: {decision.verdict.label}.")


def _not_checked(claim: Claim, test: TestResult) -> str:
    detail = str(test.extra.get("detail", ""))
    if "reduced_budget" in test.tags:
        info = f" (mean {num(test.mean)} over {test.n} runs shown for information)"
        return f"not checked at full budget: {detail}{info}."
    if "insufficient_coverage" in test.tags:
        return (f"not checked: no run of {claim.spec.metric} covers enough of the paper's "
                "x-range to compare without extrapolating.")
    return f"not checked: {detail}."
