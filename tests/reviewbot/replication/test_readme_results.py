"""The README's reported numbers against what the runs measured (RUN007), and RUN006."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from reviewbot.config import parse_config, rulebook
from reviewbot.core.models import ResultRow, Review, RunResult, Severity, freeze
from reviewbot.replication.claims import StatsSettings, load_paper
from reviewbot.replication.readme_results import metric_name
from reviewbot.replication.verdicts import judged
from tests.conftest import write_tree

NAME = "Readme2020"
CLAIMS = ("[claims.acc]\nmetric = \"test_accuracy\"\nvalue = 91.0\ntolerance = { abs = 1.0 }\n"
          "readme_metric = [\"top-1\"]\n")


def review(rows: tuple[ResultRow, ...] = ()) -> Review:
    return Review(NAME, "/nowhere", (), (), Severity.ERROR, "test", readme_results=rows)


def runs(*values: float) -> tuple[RunResult, ...]:
    return tuple(RunResult("nb.ipynb", seed, True, 1.0, scalars=freeze({"test_accuracy": v}))
                 for seed, v in enumerate(values))


def row(metric: str, reproduced: float | None, line: int = 12) -> ResultRow:
    return ResultRow(metric, "CIFAR-10", 91.0, reproduced, "%", "README.md", line)


@pytest.fixture
def paper(tmp_path: Path):
    folder = write_tree(tmp_path / "papers", {f"{NAME}.toml": CLAIMS})
    return load_paper(NAME, folder, StatsSettings())


def test_names_match_whatever_the_spelling() -> None:
    assert metric_name("Test_Accuracy (%)") == metric_name("test-accuracy") == "test accuracy"


def test_a_readme_number_the_runs_do_not_produce_is_a_warning_at_its_line(paper) -> None:
    rows = (row("Test accuracy", 93.5), row("top-1", 90.6, line=20), row("loss", 0.1, line=30))
    done = judged(review(rows), runs(90.5, 90.7, 90.6), paper, StatsSettings())
    [finding] = [f for f in done.findings if f.code == "RUN007"]
    assert (finding.severity, finding.path, finding.line) == (Severity.WARNING, "README.md", 12)
    assert finding.message == ("the README reports Test accuracy (CIFAR-10) = 93.5 %, but the "
                               "runs averaged 90.6 % over 3 runs: 2.9 apart, more than claim "
                               "acc's tolerance 1")


def test_a_row_without_a_reproduced_number_or_within_tolerance_is_quiet(paper) -> None:
    rows = (row("test_accuracy", None), row("top-1", 91.4))
    done = judged(review(rows), runs(90.5, 90.7, 90.6), paper, StatsSettings())
    assert not [f for f in done.findings if f.code == "RUN007"]


def test_nothing_checked_fails_and_the_maintainers_can_relevel_it(paper) -> None:
    failed = tuple(RunResult("nb.ipynb", s, False, 1.0, error="KeyError: 'x'", error_cell=4)
                   for s in range(3))
    done = judged(review(), failed, paper, StatsSettings())
    [none] = [f for f in done.findings if f.code == "RUN006"]
    assert none.severity is Severity.ERROR and not done.passed
    assert none.message.startswith("none of the 1 registered claims could be checked")
    relaxed = parse_config({"rules": {"RUN006": "warning", "RUN001": "warning"}}, "test")
    done = judged(replace(review(), rules=rulebook(relaxed)), failed, paper, relaxed.stats)
    assert [f.severity for f in done.findings if f.code == "RUN006"] == [Severity.WARNING]
    assert done.passed


def test_some_checked_says_k_of_n_first(tmp_path: Path) -> None:
    claims = CLAIMS + "[claims.other]\nmetric = \"missing\"\nvalue = 1.0\n"
    folder = write_tree(tmp_path / "papers", {f"{NAME}.toml": claims})
    paper = load_paper(NAME, folder, StatsSettings())
    done = judged(review(), runs(90.5, 90.7, 90.6), paper, StatsSettings())
    summary = done.results[-1].stats["summary"]
    assert summary.startswith("1 of 2 claims checked; 3 runs; 2 claims: ")
    assert not [f for f in done.findings if f.code == "RUN006"]


def test_the_bundled_claims_say_whose_number_and_at_most_worse() -> None:
    from reviewbot.replication.claims import REPO_PAPERS_DIR
    from reviewbot.report.claims_table import paper_cell

    paper = load_paper("KingmaBa2014", REPO_PAPERS_DIR, StatsSettings())
    costs = [(0.1882, 0.1803, 0.3123), (0.1851, 0.1842, 0.3301), (0.1832, 0.1795, 0.3150)]
    stored = tuple(RunResult("KingmaBa2014.ipynb", seed, True, 50.0, scalars=freeze({
        "final_train_cost_adam": adam, "final_train_cost_sgd_nesterov": sgd,
        "final_train_cost_adagrad": adagrad})) for seed, (adam, sgd, adagrad) in enumerate(costs))
    done = judged(review(), stored, paper, StatsSettings())
    by_id = {v.claim: v for v in done.verdicts}
    final = by_id["adam-final-cost"]
    assert "(the reference run's 0.185 + the tolerance 0.00925)" in final.explanation
    assert paper_cell(final) == "reference run 0.185 ±0.00925 tolerance (lower)"
    similar = by_id["adam-similar-to-sgd-nesterov"]
    assert paper_cell(similar) == ("final_train_cost_adam at most 0.02 worse than "
                                   "final_train_cost_sgd_nesterov (lower is better)")
    assert "(final_train_cost_adam at most 0.02 worse than final_train_cost_sgd_nesterov)" in \
        similar.explanation
