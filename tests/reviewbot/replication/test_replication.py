"""Replication end to end with real kernels: run tiny notebooks, judge claims, extend the review.

``KernelRunner`` is a small real Runner of the test's own (nbclient, a fresh ipykernel, the
notebook's folder as working directory), so these tests do not depend on bubblewrap; one
test goes through reviewbot's LocalRunner (without the sandbox) and the CLI.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from reviewbot.config import Config
from reviewbot.core.models import RunResult, Series, Severity, Verdict, freeze
from reviewbot.pipeline import review_path
from reviewbot.replication.claims import StatsSettings, load_paper
from reviewbot.replication.verdicts import RunPlan, notebooks_of, replicate
from reviewbot.runners.base import CellProgress, ProgressCallback, RunRequest
from tests.conftest import REPO_ROOT, write_tree

NAME = "Tiny2020"


def notebook(*sources: str) -> str:
    """A notebook whose first code cell is tagged ``parameters`` (seed, epochs)."""
    parameters = nbformat.v4.new_code_cell("seed = 0\nepochs = 3")
    parameters.metadata["tags"] = ["parameters"]
    cells = [nbformat.v4.new_markdown_cell("# tiny"), parameters,
             *(nbformat.v4.new_code_cell(source) for source in sources)]
    book = nbformat.v4.new_notebook(cells=cells)
    book.metadata["kernelspec"] = {"name": "python3", "language": "python",
                                   "display_name": "Python 3"}
    return nbformat.writes(book)


def recording(score: str) -> str:
    """A cell writing metrics.json with the runner's nonce: ``score`` is a Python expression."""
    return ("import json, os\n"
            f"score = {score}\n"
            "curve = {'x': [1, 2, 3], 'y': [1.0 - 0.1 * score * e for e in (1, 2, 3)]}\n"
            "json.dump({'schema': 1, 'run_id': os.environ['REVIEWBOT_RUN_ID'],\n"
            "           'scalars': {'score': score, 'epochs_run': epochs},\n"
            "           'series': {'loss': curve}}, open('metrics.json', 'w'))")


class KernelRunner:
    """A real, minimal Runner: nbclient in a fresh kernel on a scratch copy of the folder."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.requests: list[RunRequest] = []

    def run(self, request: RunRequest, progress: ProgressCallback | None = None) -> RunResult:
        self.requests.append(request)
        work = self.scratch / f"{request.seed}-{request.run_id}"
        shutil.copytree(request.submission_root, work)
        book = nbformat.read(work / request.notebook, as_version=4)
        overrides = {"seed": request.seed, **request.parameters}
        book.cells.insert(2, nbformat.v4.new_code_cell(
            "\n".join(f"{k} = {v!r}" for k, v in overrides.items())))
        started = time.monotonic()
        error, cell = self._execute(book, work / request.notebook, request.run_id)
        if progress:
            progress(CellProgress(request.notebook, len(book.cells), len(book.cells), 0.0))
        return self._result(request, overrides, error, cell, time.monotonic() - started, work)

    @staticmethod
    def _execute(book: nbformat.NotebookNode, path: Path, run_id: str) -> tuple[str, int | None]:
        os.environ["REVIEWBOT_RUN_ID"] = run_id  # the kernel inherits it
        try:
            NotebookClient(book, timeout=60, kernel_name="python3",
                           resources={"metadata": {"path": str(path.parent)}}).execute()
        except CellExecutionError as exc:
            failed = next(i for i, c in enumerate(book.cells) if any(
                o.get("output_type") == "error" for o in c.get("outputs", [])))
            return f"{exc.ename}: {exc.evalue}", failed  # the injected cell shifts by one
        finally:
            del os.environ["REVIEWBOT_RUN_ID"]
        return "", None

    @staticmethod
    def _result(request: RunRequest, overrides: Mapping[str, object], error: str,
                cell: int | None, seconds: float, work: Path) -> RunResult:
        metrics = work / Path(request.notebook).parent / "metrics.json"
        data = json.loads(metrics.read_text()) if metrics.exists() and not error else {}
        if data.get("run_id") != request.run_id:
            data = {}
        series = {k: Series(tuple(v["x"]), tuple(v["y"])) for k, v in
                  data.get("series", {}).items()}
        return RunResult(request.notebook, request.seed, not error, seconds, request.run_id,
                         freeze(data.get("scalars", {})), freeze(series), error, cell,
                         parameters=freeze(overrides))


def claims_toml(value: float = 0.9, direction: str = "higher", tolerance: str = "abs = 0.05",
                budget: int = 3) -> str:
    return (f"[paper]\nfull_budget = {{ epochs = {budget} }}\n\n"
            f"[claims.score]\nmetric = \"score\"\nvalue = {value}\n"
            f"direction = \"{direction}\"\ntolerance = {{ {tolerance} }}\nsource = \"Table 1\"\n")


@pytest.fixture
def papers(tmp_path: Path) -> Path:
    return tmp_path / "papers"


def replicate_folder(tmp_path: Path, papers: Path, cells: tuple[str, ...], claims: str | None,
                     seeds: tuple[int, ...] = (0, 1, 2), parameters: Mapping = freeze(),
                     sandboxed: bool = True):
    folder = write_tree(tmp_path / "submissions" / NAME, {"tiny.ipynb": notebook(*cells)})
    if claims is not None:
        write_tree(papers, {f"{NAME}.toml": claims})
    settings = StatsSettings()
    review = review_path(folder, Config(), [])
    runner = KernelRunner(tmp_path / "scratch")
    plan = RunPlan(seeds, parameters, sandboxed)
    return replicate(review, runner, plan, load_paper(NAME, papers, settings), settings), runner


def test_a_notebook_that_reproduces_its_claim(tmp_path: Path, papers: Path) -> None:
    review, runner = replicate_folder(tmp_path, papers, (recording("0.9 + 0.01 * seed"),),
                                      claims_toml())
    assert [run.seed for run in review.runs] == [0, 1, 2]
    assert all(request.parameters == {"epochs": 3} for request in runner.requests)
    [verdict] = review.verdicts
    assert verdict.verdict is Verdict.REPRODUCED
    assert verdict.observed == pytest.approx((0.9, 0.91, 0.92))
    assert verdict.explanation.startswith("score averaged 0.91 over 3 runs (90% CI 0.8931 to "
                                          "0.9269) and needs to be above 0.85 (the paper's 0.9 - "
                                          "the tolerance 0.05): reproduced (p = 0.00")
    assert review.passed


def test_a_notebook_that_misses_its_claim_fails_the_review(tmp_path: Path, papers: Path) -> None:
    review, _ = replicate_folder(tmp_path, papers, (recording("0.5 + 0.01 * seed"),),
                                 claims_toml())
    [verdict] = review.verdicts
    assert verdict.verdict is Verdict.NOT_REPRODUCED
    assert not review.passed
    [finding] = [f for f in review.findings if f.code == "RUN003"]
    assert (finding.severity, finding.path) == (Severity.ERROR, "tiny.ipynb")
    assert finding.message.startswith("claim score: score averaged 0.51 over 3 runs")


def test_not_reproduced_is_a_warning_when_the_config_says_so(tmp_path: Path,
                                                             papers: Path) -> None:
    write_tree(papers, {f"{NAME}.toml": claims_toml()})
    folder = write_tree(tmp_path / NAME, {"tiny.ipynb": notebook(recording("0.5 + seed / 100"))})
    settings = StatsSettings(fail_on_not_reproduced=False)
    review = replicate(review_path(folder, Config(), []), KernelRunner(tmp_path / "s"),
                       RunPlan((0, 1), {}), load_paper(NAME, papers, settings), settings)
    assert review.verdicts[0].verdict is Verdict.NOT_REPRODUCED
    assert review.passed


def test_a_notebook_that_raises_is_a_finding_at_its_cell(tmp_path: Path, papers: Path) -> None:
    review, _ = replicate_folder(tmp_path, papers, ("x = 1", "1 / 0", recording("0.9")),
                                 claims_toml(), seeds=(0, 1))
    [finding] = [f for f in review.findings if f.code == "RUN001"]
    assert finding.message == ("notebook tiny.ipynb failed in cell 4: ZeroDivisionError: "
                               "division by zero (seeds 0, 1)")
    assert (finding.path, finding.cell) == ("tiny.ipynb", 4)
    raw = (tmp_path / "submissions" / NAME / "tiny.ipynb").read_text().splitlines()
    assert "1 / 0" in raw[finding.line - 1]  # the raw .ipynb line GitHub comments address
    [verdict] = review.verdicts
    assert (verdict.verdict, verdict.tags) == (Verdict.NOT_CHECKED, ("run_failed",))
    assert "ZeroDivisionError" in verdict.explanation
    assert not review.passed


def test_a_shortened_budget_is_not_checked(tmp_path: Path, papers: Path) -> None:
    review, runner = replicate_folder(tmp_path, papers, (recording("0.9 + seed / 100"),),
                                      claims_toml(), seeds=(0, 1), parameters={"epochs": 1})
    assert runner.requests[0].parameters == {"epochs": 1}
    [verdict] = review.verdicts
    assert verdict.verdict is Verdict.NOT_CHECKED
    assert "reduced_budget" in verdict.tags
    assert verdict.explanation.startswith("not checked at full budget: the runs used epochs = 1,"
                                          " the claim needs epochs = 3 (mean 0.905 over 2 runs")
    assert review.passed  # the maintainers shortened it, not the candidate


def test_a_missing_metric_names_what_was_recorded(tmp_path: Path, papers: Path) -> None:
    claims = claims_toml().replace('metric = "score"', 'metric = "accuracy"')
    review, _ = replicate_folder(tmp_path, papers, (recording("0.9"),), claims, seeds=(0,))
    [verdict] = review.verdicts
    assert verdict.tags == ("metric_missing",)
    assert verdict.explanation == ("not checked: no run recorded accuracy (recorded: epochs_run,"
                                   " loss, score).")
    codes = [(f.code, f.severity) for f in review.findings if f.code.startswith("RUN")]
    assert codes == [("RUN005", Severity.WARNING), ("RUN006", Severity.ERROR)]
    none_checked = review.findings[-1]
    assert none_checked.message == ("none of the 1 registered claims could be checked, so nothing "
                                    "was reproduced (score: no run recorded accuracy (recorded: "
                                    "epochs_run, loss, score).)")
    assert not review.passed  # a replication that checked nothing is not a pass
    assert review.results[-1].stats["summary"].startswith("0 of 1 claims checked; 1 run;")


def test_without_a_claims_file_the_runs_are_recorded_and_said(tmp_path: Path,
                                                              papers: Path) -> None:
    review, _ = replicate_folder(tmp_path, papers, (recording("0.9"),), None, seeds=(0,),
                                 sandboxed=False)
    assert review.verdicts == ()
    assert review.runs[0].scalars["score"] == 0.9
    assert any("WITHOUT a sandbox" in note for note in review.notes)
    assert any(note.startswith("no claims are registered for Tiny2020") for note in review.notes)


def test_checkpoints_and_hidden_folders_are_not_run(tmp_path: Path) -> None:
    folder = write_tree(tmp_path / NAME, {"a.ipynb": "{}", ".ipynb_checkpoints/a-checkpoint.ipynb":
                                          "{}", "sub/b.ipynb": "{}", ".git/c.ipynb": "{}"})
    assert notebooks_of(folder) == ["a.ipynb", "sub/b.ipynb"]


def test_check_run_through_the_local_runner_and_the_cli(tmp_path: Path) -> None:
    folder = write_tree(tmp_path / "dlc" / NAME, {"tiny.ipynb": notebook(
        recording("0.9 + 0.01 * seed"))})
    write_tree(tmp_path / "maint", {"config.toml": "[stats]\npapers_dir = \"papers\"\n",
                                    f"papers/{NAME}.toml": claims_toml()})
    report, plots = tmp_path / "out" / "r.json", tmp_path / "plots"
    runs_file = tmp_path / "runs.json"
    report.parent.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "reviewbot.cli", "check", str(folder), "--run", "--runs", "2",
         "--no-sandbox", "--config", str(tmp_path / "maint" / "config.toml"), "--format", "json",
         "--output", str(report), "--plot-dir", str(plots), "--save-runs", str(runs_file),
         "--only", "readme"], capture_output=True, text=True, cwd=REPO_ROOT, check=False)
    assert "running tiny.ipynb (seed 0)" in done.stderr  # plain progress: not a terminal
    document = json.loads(report.read_text())
    [review] = document["reviews"]
    assert [run["seed"] for run in review["runs"]] == [0, 1]
    assert review["verdicts"][0]["verdict"] == "reproduced"
    assert any("WITHOUT a sandbox" in note for note in review["notes"])
    plot = plots / f"{NAME}-claims.png"
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"plot: {plot}" in review["notes"]
    assert json.loads(runs_file.read_text())["schema"] == "reviewbot.runs/1"


def test_adaptive_seeds_add_runs_only_while_needed_and_verdict_agrees(tmp_path: Path,
                                                                      papers: Path) -> None:
    from reviewbot.replication.runs_io import read_runs, write_runs
    from reviewbot.replication.verdicts import judged, review_plan, stored_plan

    scores = "[0.89, 0.93, 0.87, 0.9, 0.91, 0.9, 0.9, 0.9][seed]"  # open at 3 and 4, clear at 5
    folder = write_tree(tmp_path / "submissions" / NAME, {"tiny.ipynb": notebook(
        recording(scores))})
    write_tree(papers, {f"{NAME}.toml": claims_toml()})
    settings = StatsSettings()
    paper = load_paper(NAME, papers, settings)
    runner = KernelRunner(tmp_path / "scratch")
    plan = RunPlan(tuple(range(12)), {}, True, adaptive=True)
    review = replicate(review_path(folder, Config(), []), runner, plan, paper, settings)
    assert [request.seed for request in runner.requests] == [0, 1, 2, 3, 4]  # 3 looks, no more
    [verdict] = review.verdicts
    assert (verdict.verdict, verdict.looks, verdict.runs_used, verdict.stopped) == (
        Verdict.REPRODUCED, (3, 4, 5), 5, "decided")
    assert "(looks at 3, 4, 5 runs of the planned 3 to 12: decided)" in verdict.explanation
    saved = tmp_path / "runs.json"
    write_runs(saved, {NAME: review.runs}, {NAME: review_plan(review)})
    [entry] = read_runs(saved)
    again = judged(review_path(folder, Config(), []), entry.runs, paper, settings, (),
                   stored_plan(entry.plan))
    assert again.verdicts == review.verdicts  # the same verdicts, p-values and looks
