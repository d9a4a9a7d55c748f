"""Adaptive seeds: judge the claims look by look, and say whether more runs could help.

The plan is pre-declared (``[stats.sequential]``, or the paper's own ``min_runs``/``max_runs``):
after n₁ runs per notebook every claim is judged, at the nominal level its look allows
(``simulated``, or a spending function in ``boundaries``); a claim that crosses a boundary is
decided and keeps that verdict; one still so close to its band edge that neither boundary is
within reach (|z| below the plan's futility line) stops as inconclusive ("more runs would not
decide it"). Runs are added, up to the next look, only while some claim
is still open. The same function re-judges a stored sequence (``reviewbot verdict``): each
look only ever sees the first n_k runs of each notebook, so the verdicts are the run's.

Several claims: at each look the open claims are tested with Holm's step-down, the j-th
smallest p-value against the look's level for alpha / (m - j + 1); a claim decided at an earlier
look passes its share of alpha on (Holm's rule, carried over looks as in Maurer & Bretz, Stat.
Biopharm. Res. 5(4), 2013), one stopped undecided keeps it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from reviewbot.core.models import ClaimVerdict, RunResult, Verdict
from reviewbot.replication.boundaries import nominal_levels
from reviewbot.replication.claims import Claim, StatsSettings
from reviewbot.replication.judge import build_verdict, claim_test
from reviewbot.replication.looks import LookPlan, first_runs, runs_per_notebook
from reviewbot.replication.simulated import abs_z, simulated_levels
from reviewbot.replication.stats import Decision, StatsParams, TestResult

DECIDED, FUTILE, MAX_RUNS, BUDGET, NOT_CHECKED = (
    "decided", "futile", "max_runs", "budget", "not_checked")


@dataclass(frozen=True)
class ClaimState:
    """Where a claim stands after its latest look; ``stopped`` is empty while it is open."""

    test: TestResult
    decision: Decision
    looks: tuple[int, ...]
    stopped: str = ""


@dataclass(frozen=True)
class Looks:
    """Every claim's state after the looks the runs allow, and how many runs to have next."""

    states: tuple[ClaimState, ...]
    next_runs: int | None  # runs per notebook for the next look; None: nothing to gain


def take_looks(claims: Sequence[Claim], runs: Sequence[RunResult], params: StatsParams,
               plan: LookPlan) -> Looks:
    """Judge every look the runs reach; open claims are judged again at each."""
    available = runs_per_notebook(runs)
    reachable = [n for n in plan.looks if n <= available]
    if not reachable and available:  # fewer runs than the first look: judge what there is
        plan, reachable = LookPlan.fixed(available), [available]
    states: list[ClaimState | None] = [None] * len(claims)
    for k, n in enumerate(reachable):
        subset = first_runs(runs, n)
        open_ = [i for i, state in enumerate(states) if state is None or not state.stopped]
        tests = {i: claim_test(claims[i], subset, params) for i in open_}
        decisions = decide_look(tests, states, k, plan, params)
        for i in open_:
            states[i] = _advance(states[i], tests[i], decisions[i], k, n, plan)
    final = [state or _never_run() for state in states]
    still_open = any(not state.stopped for state in final)
    later = [n for n in plan.looks if n > (reachable[-1] if reachable else 0)]
    return Looks(tuple(final), later[0] if still_open and later else None)


def _never_run() -> ClaimState:
    test = TestResult("none", 0, decided=Verdict.NOT_CHECKED, tags=("not_run",),
                      extra={"detail": "no notebook run"})
    return ClaimState(test, Decision(Verdict.NOT_CHECKED, None, ()), (), NOT_CHECKED)


def _advance(state: ClaimState | None, test: TestResult, decision: Decision, k: int, n: int,
             plan: LookPlan) -> ClaimState:
    looks = (*(state.looks if state else ()), n)
    if test.decided is not None:
        reason = NOT_CHECKED if decision.verdict is Verdict.NOT_CHECKED else DECIDED
        return ClaimState(test, decision, looks, reason)
    if decision.verdict in (Verdict.REPRODUCED, Verdict.NOT_REPRODUCED):
        return ClaimState(test, decision, looks, DECIDED)
    if k == len(plan.looks) - 1:
        return ClaimState(test, decision, looks, MAX_RUNS)
    if _futile(test, n, plan):
        return ClaimState(test, decision, looks, FUTILE)
    return ClaimState(test, decision, looks)


def _futile(test: TestResult, n: int, plan: LookPlan) -> bool:
    """Neither direction is within reach: |z| under the line (binding for simulated levels)."""
    if test.p_repro is None or test.p_fail is None:
        return False
    bound = plan.futility_bounds()[plan.looks.index(n)]
    return float(abs_z(np.asarray([test.p_repro]))[0]) < bound


def look_levels(alpha: float, plan: LookPlan) -> tuple[float, ...]:
    """Each look's one-sided level for ``alpha``: simulated (the default) or spent."""
    if plan.spending == "simulated" and len(plan.looks) > 1:
        return simulated_levels(alpha, plan.looks, plan.level_ratio, plan.futility_bounds())
    return nominal_levels(alpha, plan.looks, "pocock" if plan.spending == "simulated"
                          else plan.spending)


def decide_look(tests: dict[int, TestResult], states: Sequence[ClaimState | None], k: int,
                plan: LookPlan, params: StatsParams) -> dict[int, Decision]:
    """Holm's step-down at look ``k``, each rank at the look's level for its share of alpha."""
    decisions = {i: Decision(t.decided or Verdict.NOT_CHECKED, None, ())
                 for i, t in tests.items()}
    pending = [i for i, t in tests.items() if t.decided is None and t.p_repro is not None]
    if not pending:
        return decisions
    earlier = [s for s in states if s is not None and s.stopped and s.test.p_repro is not None
               and s.test.decided is None]
    size_r = len(pending) + sum(s.decision.verdict is not Verdict.REPRODUCED for s in earlier)
    size_f = len(pending) + sum(s.decision.verdict is not Verdict.NOT_REPRODUCED for s in earlier)
    repro = _step_down({i: tests[i].p_repro for i in pending}, size_r,
                       params.correction_reproduced, k, plan, params.alpha)
    fail = _step_down({i: tests[i].p_fail for i in pending}, size_f,
                      params.correction_not_reproduced, k, plan, params.alpha)
    tags = ("holm_adjusted",) if max(size_r, size_f) > 1 else ()
    tags += ("sequential",) if len(plan.looks) > 1 else ()
    for i in pending:
        decisions[i] = _pick(tests[i], repro[i], fail[i], tags)
    return decisions


@dataclass(frozen=True)
class _Step:
    rejected: bool
    adjusted: float
    level: float


def _step_down(p_values: dict[int, float | None], size: int, method: str, k: int,
               plan: LookPlan, alpha: float) -> dict[int, _Step]:
    """Holm over ``size`` hypotheses (the pending ones first), at look ``k``'s levels."""
    holm = method == "holm"
    order = sorted(p_values, key=lambda i: float(p_values[i] or 1.0))
    steps, running, stopped = {}, 0.0, False
    for rank, i in enumerate(order):
        share = max(size - rank, 1) if holm else 1
        p = float(p_values[i] or 1.0)
        running = max(running, min(1.0, share * p)) if holm else p
        level = look_levels(alpha / share, plan)[k]
        stopped = stopped or p >= level
        steps[i] = _Step(not stopped, running, level)
    return steps


def _pick(test: TestResult, repro: _Step, fail: _Step, tags: tuple[str, ...]) -> Decision:
    if repro.rejected:
        return Decision(Verdict.REPRODUCED, repro.adjusted, tags, test.p_repro, repro.level)
    if fail.rejected:
        return Decision(Verdict.NOT_REPRODUCED, fail.adjusted, tags, test.p_fail, fail.level)
    return Decision(Verdict.INCONCLUSIVE, repro.adjusted, tags, test.p_repro, repro.level)


# ---- verdicts -----------------------------------------------------------------------------


def sequential_verdicts(claims: Sequence[Claim], runs: Sequence[RunResult],
                        settings: StatsSettings, plan: LookPlan) -> tuple[ClaimVerdict, ...]:
    """Final verdicts: a claim still open when the runs ended stopped on the budget."""
    params = settings.params()
    looks = take_looks(claims, runs, params, plan)
    verdicts = []
    for claim, state in zip(claims, looks.states, strict=True):
        stopped = state.stopped or BUDGET
        verdict = build_verdict(claim, state.test, state.decision, params)
        verdicts.append(replace(verdict, looks=state.looks, stopped=stopped,
                                runs_used=state.looks[-1] if state.looks else 0,
                                explanation=_with_looks(verdict.explanation, state, stopped,
                                                        plan)))
    return tuple(verdicts)


_WHY = {DECIDED: "decided", FUTILE: "stopped: more runs would not decide it",
        MAX_RUNS: "stopped: the plan's last look", BUDGET: "stopped: the GPU-time budget "
        "allowed no further look", NOT_CHECKED: "stopped: nothing to judge"}


def _with_looks(explanation: str, state: ClaimState, stopped: str, plan: LookPlan) -> str:
    """``... (looks at 3, 4, 5 runs of the planned 3 to 12: decided).``"""
    if len(plan.looks) == 1 or not state.looks:
        return explanation
    taken, planned = ", ".join(map(str, state.looks)), planned_span(plan.looks)
    return (f"{explanation.rstrip('.')} (looks at {taken} runs of the planned {planned}: "
            f"{_WHY[stopped]}).")


def planned_span(looks: tuple[int, ...]) -> str:
    """``3 to 12`` for a look after every run, else the run counts: ``3, 5, 8, 12``."""
    if len(looks) > 2 and looks == tuple(range(looks[0], looks[-1] + 1)):
        return f"{looks[0]} to {looks[-1]}"
    return ", ".join(map(str, looks))
