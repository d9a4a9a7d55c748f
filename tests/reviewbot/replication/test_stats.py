"""The statistics of verdicts: the protocol's worked examples (§2.10) to their digits, and edges."""

from __future__ import annotations

import math

import pytest

from reviewbot.core.models import Verdict
from reviewbot.replication.stats import (
    Band,
    CurveBand,
    StatsParams,
    curve_shortfall,
    curve_test,
    decide,
    exact_test,
    half_width,
    holm,
    ranking_test,
    runs_needed,
    scalar_test,
)

PARAMS = StatsParams()
ACCURACY = Band(92.3, half_width(92.3, None, 0.01), "higher")  # example A: 1% of 92.3


def test_example_a_non_inferiority_reproduced() -> None:
    result = scalar_test([91.9, 92.4, 92.1], ACCURACY, PARAMS)
    assert ACCURACY.threshold == pytest.approx(91.377)
    assert result.mean == pytest.approx(92.133, abs=5e-4)
    assert result.statistic == pytest.approx(5.205, abs=5e-4)
    assert result.p_repro == pytest.approx(0.0175, abs=5e-5)
    assert result.p_fail == pytest.approx(0.9825, abs=5e-5)
    assert result.interval == pytest.approx((91.709, 92.558), abs=5e-4)
    assert [d.verdict for d in decide([result], PARAMS)] == [Verdict.REPRODUCED]


def test_example_a_welch_against_the_papers_sd() -> None:
    result = scalar_test([91.9, 92.4, 92.1], ACCURACY, PARAMS, paper_sd=0.2, paper_n=5)
    assert result.p_repro == pytest.approx(0.0074, abs=5e-5)
    assert "Welch" in result.test


def test_example_a_tost_for_an_equality_claim() -> None:
    band = Band(92.3, ACCURACY.delta, "equal")
    result = scalar_test([91.9, 92.4, 92.1], band, PARAMS)
    assert result.p_repro == pytest.approx(0.0175, abs=5e-5)  # max(p_lo 0.0175, p_hi 0.0087)
    assert result.test.startswith("TOST")
    assert decide([result], PARAMS)[0].verdict is Verdict.REPRODUCED


def test_example_b_inconclusive_with_runs_hint() -> None:
    result = scalar_test([91.2, 92.0, 91.5], ACCURACY, PARAMS)
    assert result.mean == pytest.approx(91.567, abs=5e-4)
    assert result.p_repro == pytest.approx(0.251, abs=5e-4)
    assert result.p_fail == pytest.approx(0.749, abs=5e-4)
    assert result.interval == pytest.approx((90.885, 92.248), abs=5e-4)
    assert decide([result], PARAMS)[0].verdict is Verdict.INCONCLUSIVE
    assert runs_needed([91.2, 92.0, 91.5], ACCURACY.threshold, 0.05) == 15


def test_example_c_single_run_band_both_ways() -> None:
    perplexity = Band(115.0, half_width(115.0, None, 0.03), "lower")
    assert perplexity.threshold == pytest.approx(118.45)
    good, bad = scalar_test([117.2], perplexity, PARAMS), scalar_test([119.0], perplexity, PARAMS)
    assert (good.decided, good.tags) == (Verdict.REPRODUCED, ("single_run",))
    assert (bad.decided, bad.tags) == (Verdict.NOT_REPRODUCED, ("single_run",))
    strict = StatsParams(single_run_policy="inconclusive")
    assert scalar_test([117.2], perplexity, strict).decided is Verdict.INCONCLUSIVE


def test_example_c_three_runs_lower_is_better() -> None:
    perplexity = Band(115.0, 3.45, "lower")
    assert scalar_test([116.0, 117.5, 116.8], perplexity, PARAMS).p_repro == pytest.approx(
        0.0302, abs=5e-5)


def test_example_d_holm_makes_both_inconclusive() -> None:
    a = scalar_test([91.9, 92.4, 92.1], ACCURACY, PARAMS)
    b = scalar_test([91.2, 92.0, 91.5], ACCURACY, PARAMS)
    ppl = scalar_test([116.0, 117.5, 116.8], Band(115.0, 3.45, "lower"), PARAMS)
    decisions = decide([a, b, ppl], PARAMS)
    assert [round(d.p_value, 4) for d in decisions] == [0.0525, 0.2508, 0.0603]
    assert [d.verdict for d in decisions] == [Verdict.INCONCLUSIVE] * 3
    assert all("holm_adjusted" in d.tags for d in decisions)
    none = StatsParams(correction_reproduced="none")
    assert [d.verdict for d in decide([a, b, ppl], none)][::2] == [Verdict.REPRODUCED] * 2


def test_holm_matches_the_protocol_and_keeps_order() -> None:
    assert [round(p, 4) for p in holm([0.0175, 0.03, 0.20, 0.004])] == [0.0525, 0.06, 0.2, 0.016]
    assert holm([0.5, 0.01]) == [0.5, 0.02]  # adjusted p-values stay with their claims
    assert holm([0.9, 0.8, 0.7]) == [1.0, 1.0, 1.0]  # capped at 1, monotone


def test_example_e_paired_ranking() -> None:
    a, b = [92.1, 92.4, 91.9, 92.3], [91.5, 91.9, 91.6, 91.7]
    result = ranking_test(a, b, "higher", 0.0, True, PARAMS)
    assert result.statistic == pytest.approx(7.07, abs=5e-3)
    assert result.p_repro == pytest.approx(0.0029, abs=5e-5)
    assert result.mean == pytest.approx(0.50)
    assert result.interval == pytest.approx((0.33, 0.67), abs=5e-3)
    assert result.extra["p_a_beats_b"] == 1.0  # paired: A beat B with every seed
    assert "paired" in result.tags
    assert "weak_ordering" not in result.tags


def test_paired_weak_ordering_counts_the_seeds_a_won() -> None:
    # A wins 2 of 3 paired seeds by a lot: unpaired Mann-Whitney over all 9 pairs would say 0.67
    # for the runs below too, but paired it is the seeds that count (2 of 3 = 0.67, weak)
    a, b = [10.0, 10.2, 9.0], [9.0, 9.1, 9.5]
    result = ranking_test(a, b, "higher", 0.0, True, PARAMS)
    assert result.extra["p_a_beats_b"] == pytest.approx(2 / 3)
    assert "weak_ordering" in result.tags
    three_of_three = ranking_test([1.0, 1.1, 1.2], [0.9, 1.05, 1.15], "higher", 0.0, True, PARAMS)
    assert three_of_three.extra["p_a_beats_b"] == 1.0  # unpaired U/(n m) would give 0.67
    assert "weak_ordering" not in three_of_three.tags
    similar = ranking_test(a, b, "higher", -2.0, True, PARAMS)  # "A at most 2 worse than B"
    assert similar.extra["p_a_beats_b"] == pytest.approx(2 / 3)
    assert "weak_ordering" not in similar.tags  # it claims no ordering


def test_example_e_unpaired_uses_welch() -> None:
    a, b = [92.1, 92.4, 91.9, 92.3], [91.5, 91.9, 91.6, 91.7]
    result = ranking_test(a, b, "higher", 0.0, False, PARAMS)
    assert result.p_repro == pytest.approx(0.0065, abs=5e-5)
    assert "Welch" in result.test


def test_ranking_lower_is_better_and_a_reversed_ordering_fails() -> None:
    costs_a, costs_b = [0.18, 0.19, 0.185], [0.31, 0.33, 0.32]
    good = ranking_test(costs_a, costs_b, "lower", 0.0, True, PARAMS)
    assert decide([good], PARAMS)[0].verdict is Verdict.REPRODUCED
    reversed_ = ranking_test(costs_b, costs_a, "lower", 0.0, True, PARAMS)
    assert decide([reversed_], PARAMS)[0].verdict is Verdict.NOT_REPRODUCED
    assert "weak_ordering" in reversed_.tags


def test_zero_variance_is_flagged_and_band_checked() -> None:
    result = scalar_test([92.0, 92.0, 92.0], ACCURACY, PARAMS)
    assert result.decided is Verdict.REPRODUCED
    assert result.tags == ("zero_variance",)
    assert result.p_repro is None  # SciPy would say p = 0: certainty from broken seeding


def test_exceeds_paper_is_tagged_not_penalised() -> None:
    result = scalar_test([95.0, 95.2, 95.1], ACCURACY, PARAMS)
    assert "exceeds_paper" in result.tags
    assert decide([result], PARAMS)[0].verdict is Verdict.REPRODUCED


def test_bootstrap_interval_only_from_ten_runs() -> None:
    boot = StatsParams(ci_method="bootstrap")
    three = [91.9, 92.4, 92.1]
    assert scalar_test(three, ACCURACY, boot).interval == scalar_test(three, ACCURACY,
                                                                      PARAMS).interval
    twelve = [92.0 + 0.1 * (i % 5) for i in range(12)]
    t_interval = scalar_test(twelve, ACCURACY, PARAMS).interval
    boot_interval = scalar_test(twelve, ACCURACY, boot).interval
    assert boot_interval != t_interval
    assert boot_interval == scalar_test(twelve, ACCURACY, boot).interval  # seeded: repeatable


def test_exact_claims_need_every_run_equal() -> None:
    assert exact_test([7850, 7850], 7850).decided is Verdict.REPRODUCED
    assert exact_test([7850, 7851], 7850).decided is Verdict.NOT_REPRODUCED
    assert exact_test([7851], 7850, tol_abs=1).decided is Verdict.REPRODUCED


PAPER_CURVE = CurveBand((1, 2, 3, 4, 5), (1.0, 0.6, 0.4, 0.3, 0.25), "lower", tol_rel=0.1)


def test_curve_runs_inside_the_band_reproduce() -> None:
    runs = [((1, 2, 3, 4, 5), (1.0, 0.6 + e, 0.4, 0.3, 0.25 + e)) for e in (0.0, 0.01, 0.02)]
    result = curve_test(PAPER_CURVE, runs, PARAMS)
    assert result.extra["within_band"] == pytest.approx(1.0)
    assert decide([result], PARAMS)[0].verdict is Verdict.REPRODUCED


def test_curve_runs_far_above_the_band_are_not_reproduced() -> None:
    runs = [((1, 2, 3, 4, 5), tuple(y * 1.5 + e for y in PAPER_CURVE.y)) for e in (0, .01, .03)]
    result = curve_test(PAPER_CURVE, runs, PARAMS)
    assert result.mean > 1
    assert decide([result], PARAMS)[0].verdict is Verdict.NOT_REPRODUCED
    assert "pointwise_fraction_low" in result.tags


def test_curve_interpolates_within_the_covered_range_only() -> None:
    short = ((1, 2), (1.0, 0.6))  # covers a quarter of the paper's x-range
    assert curve_shortfall(PAPER_CURVE, *short, PARAMS) is None
    result = curve_test(PAPER_CURVE, [short, short], PARAMS)
    assert (result.decided, result.tags) == (Verdict.NOT_CHECKED, ("insufficient_coverage",))
    coarse = ((1, 3, 5), (1.0, 0.4, 0.25))  # a run on a coarser grid is interpolated onto it
    shortfall = curve_shortfall(PAPER_CURVE, *coarse, PARAMS)
    assert shortfall is not None and shortfall.area < 1


def test_nan_never_reaches_a_verdict_silently() -> None:
    for bad in (math.nan, math.inf):
        result = scalar_test([92.0, bad, 92.2], ACCURACY, PARAMS)
        assert (result.decided, result.tags) == (Verdict.NOT_CHECKED, ("invalid_value",))
