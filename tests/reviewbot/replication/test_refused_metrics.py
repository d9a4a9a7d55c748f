"""A refused metric is recognised from the runner's structured problem, never from wording."""

from __future__ import annotations

from pathlib import Path

from reviewbot.core.models import MetricProblem, MetricProblemKind, RunResult
from reviewbot.replication.claims import Claim, StatsSettings, load_paper
from reviewbot.replication.judge import gather
from reviewbot.replication.runs_io import read_runs, write_runs
from reviewbot.replication.verdicts import run_notes
from tests.conftest import write_tree
from tests.reviewbot.replication.test_replication import NAME, claims_toml


def _claim(tmp_path: Path) -> Claim:
    papers = write_tree(tmp_path / "papers", {f"{NAME}.toml": claims_toml()})
    return load_paper(NAME, papers, StatsSettings()).claims[0]


def _runs(**fields: object) -> list[RunResult]:
    return [RunResult("tiny.ipynb", seed, True, 1.0, parameters={"epochs": 3}, **fields)
            for seed in (0, 1, 2)]


def test_a_structured_refusal_makes_the_claim_invalid_value(tmp_path: Path) -> None:
    refused = MetricProblem(MetricProblemKind.VALUE_REFUSED, "any words at all", "score")
    gathered = gather(_claim(tmp_path), _runs(metric_problems=(refused,)))
    assert (gathered.reason, gathered.detail) == (
        "invalid_value", "score was refused (NaN, inf or wrong type)")


def test_a_message_that_only_mentions_the_metric_is_not_a_refusal(tmp_path: Path) -> None:
    worded = ("metric 'score': nan is not a finite number: refused",)
    note = MetricProblem(MetricProblemKind.NOTE, "score: metrics.json has no run_id", "score")
    gathered = gather(_claim(tmp_path), _runs(problems=worded, metric_problems=(note,)))
    assert gathered.reason == "metric_missing"


def test_metric_problems_survive_a_runs_file(tmp_path: Path) -> None:
    refused = MetricProblem(MetricProblemKind.VALUE_REFUSED, "metric 'score': refused", "score")
    write_runs(tmp_path / "runs.json", {NAME: _runs(metric_problems=(refused,))})
    stored = read_runs(tmp_path / "runs.json")[0].runs
    assert [run.metric_problems for run in stored] == [(refused,)] * 3
    assert gather(_claim(tmp_path), stored).reason == "invalid_value"


def test_the_review_notes_the_sandbox_guarantees_and_metrics_taken_without_run_id() -> None:
    note = MetricProblem(MetricProblemKind.NOTE, "metrics.json has no run_id: accepted")
    runs = _runs(environment={"sandbox_guarantees": "held: uid, seccomp"},
                 metric_problems=(note,))
    assert run_notes(runs) == ("sandbox guarantees held: uid, seccomp",
                               "metrics.json has no run_id: accepted")
    assert run_notes(_runs(environment={"sandbox_guarantees": "none: --no-sandbox"})) == ()
