"""Adaptive seeds: boundaries, looks, futility and the stop reasons a review shows."""

from __future__ import annotations

import pytest

from reviewbot.core.models import RunResult, Verdict, freeze
from reviewbot.replication.boundaries import nominal_levels, spent
from reviewbot.replication.claims import (
    ClaimSpec,
    PaperInfo,
    SequentialSettings,
    StatsSettings,
    resolve_claim,
)
from reviewbot.replication.looks import LookPlan, first_runs
from reviewbot.replication.sequential import look_levels, sequential_verdicts, take_looks
from reviewbot.replication.simulated import follow_plan, t_paths

SETTINGS = StatsSettings()
PLAN = LookPlan((3, 5, 8, 12))
EVERY_RUN = LookPlan(tuple(range(3, 13)))  # the built-in plan


def claim(**fields: object):
    spec = ClaimSpec.model_validate({"id": "score", "metric": "score", "value": 0.9,
                                     "tolerance": {"abs": 0.05}, **fields})
    return resolve_claim(spec, PaperInfo(), SETTINGS)


def runs(*values: float, notebook: str = "nb.ipynb") -> tuple[RunResult, ...]:
    return tuple(RunResult(notebook, seed, True, 10.0, scalars=freeze({"score": value}))
                 for seed, value in enumerate(values))


def test_one_look_spends_alpha_and_pocock_levels_are_flat() -> None:
    assert nominal_levels(0.05, (5,), "pocock") == (0.05,)
    levels = nominal_levels(0.05, (3, 5, 8, 12), "pocock")
    assert levels == pytest.approx((0.01787, 0.01539, 0.01929, 0.02293), abs=2e-5)
    early = nominal_levels(0.05, (3, 5, 8, 12), "obrien-fleming")
    assert early[0] < 0.001 < early[-1] < 0.05  # strict early, close to alpha at the end
    assert spent(0.05, 1.0, "pocock") == pytest.approx(0.05)
    assert spent(0.05, 1.0, "obrien-fleming") == pytest.approx(0.05)


def test_simulated_levels_hold_alpha_on_fresh_claims_at_the_edge() -> None:
    levels = look_levels(0.05, EVERY_RUN)
    assert levels[-1] / levels[0] == pytest.approx(2.0)  # level_ratio: geometric from first
    assert levels[0] == pytest.approx(0.0093, abs=5e-5)
    assert look_levels(0.05, EVERY_RUN) is levels  # cached: re-judging gives the same levels
    assert look_levels(0.025, EVERY_RUN)[0] < levels[0]  # Holm's smaller shares are stricter
    assert look_levels(0.05, LookPlan.fixed(5)) == (0.05,)
    import numpy as np

    edge = np.random.default_rng(7).standard_normal((100_000, 12))  # not the calibration's
    outcome = follow_plan(t_paths(edge, EVERY_RUN.looks), EVERY_RUN.looks, levels,
                          EVERY_RUN.futility_bounds())
    for verdict in (1, -1):  # within 2 Monte Carlo SEs of alpha, and not conservative
        assert 0.046 < np.mean(outcome.verdicts == verdict) < 0.0514
    assert 3 < outcome.runs.mean() < 6  # claims on the edge mostly stop early as futile


def test_the_futility_line_rises_to_the_last_look() -> None:
    bounds = LookPlan((3, 6, 12)).futility_bounds()
    assert bounds == pytest.approx((0.15, 0.15 + 2.0 / 3, 0.0))  # none at the last look
    assert LookPlan((3, 12), futility_z=(0.0, 0.0)).futility_bounds() == (0.0, 0.0)


def test_a_clear_claim_stops_at_the_first_look() -> None:
    [verdict] = sequential_verdicts([claim()], runs(0.95, 0.951, 0.949, 0.95, 0.95), SETTINGS,
                                    EVERY_RUN)
    assert verdict.verdict is Verdict.REPRODUCED
    assert (verdict.looks, verdict.runs_used, verdict.stopped) == ((3,), 3, "decided")
    assert verdict.n == 3  # the fourth and fifth runs belong to no look the claim needed
    assert verdict.p_raw == pytest.approx(verdict.p_adjusted)  # one claim: nothing to adjust
    assert verdict.p_raw < verdict.level == pytest.approx(0.0093, abs=5e-5)
    assert "(looks at 3 runs of the planned 3 to 12: decided)" in verdict.explanation
    assert "against this look's level 0.0093" in verdict.explanation


def test_a_borderline_claim_asks_for_the_next_look_then_decides() -> None:
    values = (0.89, 0.93, 0.87, 0.9, 0.91)
    first = take_looks([claim()], runs(*values[:3]), SETTINGS.params(), EVERY_RUN)
    assert first.next_runs == 4 and not first.states[0].stopped
    [verdict] = sequential_verdicts([claim()], runs(*values[:5]), SETTINGS, EVERY_RUN)
    assert verdict.verdict is Verdict.REPRODUCED
    assert verdict.looks == (3, 4, 5) and verdict.runs_used == 5
    assert "(looks at 3, 4, 5 runs of the planned 3 to 12: decided)" in verdict.explanation


def test_a_claim_on_the_band_edge_stops_as_futile() -> None:
    values = (0.86, 0.84, 0.85, 0.851, 0.849)  # the mean sits on the edge 0.85
    looks = take_looks([claim()], runs(*values[:3]), SETTINGS.params(), PLAN)
    assert looks.next_runs is None  # nothing to gain from more runs
    [verdict] = sequential_verdicts([claim()], runs(*values[:3]), SETTINGS, PLAN)
    assert (verdict.verdict, verdict.stopped) == (Verdict.INCONCLUSIVE, "futile")
    assert "more runs would not decide it" in verdict.explanation


def test_runs_that_end_before_the_plan_stop_on_the_budget() -> None:
    [verdict] = sequential_verdicts([claim()], runs(0.87, 0.92, 0.85), SETTINGS, PLAN)
    assert (verdict.verdict, verdict.stopped) == (Verdict.INCONCLUSIVE, "budget")
    assert "the GPU-time budget allowed no further look" in verdict.explanation


def test_the_last_look_ends_it() -> None:
    values = (0.87, 0.92, 0.85, 0.86, 0.83, 0.87, 0.86, 0.84, 0.85, 0.86, 0.84, 0.87)
    plan = LookPlan((3, 5, 8, 12), futility_z=(0.0, 0.0))  # never futile: run to the end
    [verdict] = sequential_verdicts([claim()], runs(*values), SETTINGS, plan)
    assert verdict.stopped == "max_runs" and verdict.looks == (3, 5, 8, 12)


def test_a_decided_claim_keeps_its_verdict_while_others_continue() -> None:
    both = tuple(RunResult("nb.ipynb", seed, True, 1.0, scalars=freeze({"score": a, "b": b}))
                 for seed, (a, b) in enumerate([(0.95, 0.87), (0.951, 0.92), (0.949, 0.85),
                                                (0.7, 0.9), (0.7, 0.89)]))
    claims = [claim(), claim(id="b", metric="b")]
    verdicts = sequential_verdicts(claims, both, SETTINGS, PLAN)
    assert verdicts[0].verdict is Verdict.REPRODUCED and verdicts[0].looks == (3,)
    assert verdicts[0].mean == pytest.approx(0.95)  # runs 4 and 5 never reach it
    assert verdicts[1].looks == (3, 5)
    assert "holm_adjusted" in verdicts[1].tags and "sequential" in verdicts[1].tags


def test_first_runs_takes_each_notebook_in_run_order() -> None:
    mixed = runs(1, 2, 3) + runs(4, 5, 6, notebook="other.ipynb") + runs(7, 8)
    kept = first_runs(mixed, 3)
    assert [run.scalars["score"] for run in kept] == [1, 2, 3, 4, 5, 6]


def test_looks_are_derived_and_validated() -> None:
    assert SequentialSettings().planned_looks() == tuple(range(3, 13))  # after every run
    assert SequentialSettings().planned_looks(3, 8) == (3, 4, 5, 6, 7, 8)  # a paper's own
    assert SequentialSettings(looks=[3, 4, 12]).planned_looks() == (3, 4, 12)
    with pytest.raises(ValueError, match="looks must increase strictly from min_runs"):
        SequentialSettings(looks=[3, 8, 5, 12])
    with pytest.raises(ValueError, match="futility_z must not be negative"):
        SequentialSettings(futility_z=[-1, 2])


def test_the_budget_stops_a_look_that_would_not_fit() -> None:
    from reviewbot.replication.verdicts import within_budget

    done = runs(0.9, 0.9, 0.9)  # 3 runs of 10 s
    assert within_budget(done, 2, 0.0)  # no budget set
    assert within_budget(done, 2, 50.0)  # 30 s spent + 2 x 10 s
    assert not within_budget(done, 2, 49.0)


def test_a_paper_may_bring_its_own_run_counts(tmp_path) -> None:
    from reviewbot.replication.claims import load_paper
    from reviewbot.replication.verdicts import RunPlan, look_plan
    from tests.conftest import write_tree

    folder = write_tree(tmp_path, {"P.toml": "[paper]\nmin_runs = 2\nmax_runs = 6\n"
                                   "[claims.a]\nmetric = \"a\"\nvalue = 1.0\n"})
    paper = load_paper("P", folder, SETTINGS)
    adaptive = RunPlan((0,) * 12, {}, adaptive=True)
    assert look_plan(adaptive, paper, SETTINGS).looks == (2, 3, 4, 5, 6)
    assert look_plan(RunPlan((0, 1, 2), {}), paper, SETTINGS).looks == (3,)  # --runs 3: fixed
    off = StatsSettings(sequential=SequentialSettings(enabled=False))
    assert look_plan(RunPlan((0,) * 12, {}, adaptive=True, fixed_runs=4), paper, off).looks == (4,)
