"""The Slurm runner against a real one-node cluster (slurmctld, slurmd and munged started
here from Debian's packages): a review's runs as one job array, sandboxed on the node, with
the same verdicts as local runs; a time limit, a cancellation and a node restart."""

from __future__ import annotations

import contextlib
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from reviewbot.replication.claims import StatsSettings, load_paper
from reviewbot.replication.looks import LookPlan
from reviewbot.replication.sequential import sequential_verdicts
from reviewbot.replication.verdicts import RunPlan, execute
from reviewbot.runners.base import RunRequest
from reviewbot.runners.config import RunnerConfig, SlurmConfig
from reviewbot.runners.local import LocalRunner
from reviewbot.runners.slurm import SlurmRunner, UnsafeFile, read_task_file
from reviewbot.runners.slurm_commands import compress_indices, expand_indices
from tests.reviewbot.service.service_helpers import wait_for
from tests.runners.notebooks import write_notebook
from tests.runners.slurm_cluster import INSTALL, SlurmCluster, missing_commands

RECORD = """
from reviewbot_record import record
record("cost_adam", 0.10 + seed / 1000)
record("cost_sgd", 0.50 + seed / 1000)
print("recorded", seed)
"""
PAPER = """
[paper]
title = "A toy paper"
[claims.adam-beats-sgd]
kind = "ranking"
better = "cost_adam"
worse = "cost_sgd"
direction = "lower"
margin = 0.05
[claims.adam-cost]
metric = "cost_adam"
value = 0.101
direction = "lower"
tolerance = { abs = 0.01 }
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlurmCluster]:
    missing = missing_commands()
    if missing:
        pytest.fail(f"no {', '.join(missing)}: {INSTALL}", pytrace=False)
    cluster = SlurmCluster(tmp_path_factory.mktemp("slurm"))
    try:
        cluster.start()
        yield cluster
    except Exception:
        print(cluster.logs())
        raise
    finally:
        cluster.stop()


def runner_for(tmp_path: Path, slurm: dict | None = None, **settings: object) -> SlurmRunner:
    """Fast polls and small limits; ``slurm`` and ``settings`` override them."""
    cluster = {"poll_s": 0.5, "time_margin_s": 60, "memory_margin_mb": 256,
               "partition": "debug"} | (slurm or {})
    runner = {"cell_timeout_s": 120, "notebook_timeout_s": 120, "memory_mb": 1024} | settings
    config = RunnerConfig(slurm=SlurmConfig(**cluster), **runner)  # type: ignore[arg-type]
    return SlurmRunner(config, data_dir=tmp_path / "data")


def submission(tmp_path: Path, *cells: str, name: str = "replication.ipynb") -> Path:
    folder = tmp_path / "ToyEtAl2020"
    write_notebook(folder, ["seed = 0", *cells], name)
    return folder


def request(folder: Path, seed: int, notebook: str = "replication.ipynb") -> RunRequest:
    return RunRequest(folder, notebook, seed, f"run-{seed}-{notebook}")


def test_a_reviews_runs_are_one_job_array_with_the_verdicts_of_local_runs(cluster, tmp_path):
    folder = submission(tmp_path, RECORD)
    (tmp_path / "papers").mkdir()
    (tmp_path / "papers" / "ToyEtAl2020.toml").write_text(PAPER)
    paper = load_paper("ToyEtAl2020", tmp_path / "papers", StatsSettings())
    plan = RunPlan(seeds=(0, 1, 2), parameters={}, artifacts_dir=tmp_path / "artifacts")

    slurm_runs = execute(folder, plan, runner_for(tmp_path), {})
    local_runs = execute(folder, plan, LocalRunner(runner_for(tmp_path).settings,
                                                   data_dir=tmp_path / "data"), {})

    assert [run.ok for run in slurm_runs] == [True, True, True], [r.error for r in slurm_runs]
    jobs = {run.environment["slurm_job"].split("_")[0] for run in slurm_runs}
    assert len(jobs) == 1, "the three seeds are tasks of one array"
    assert sorted(run.environment["slurm_job"].split("_")[1] for run in slurm_runs) == \
        ["0", "1", "2"]
    assert all(run.environment["sandbox"] == "bubblewrap" for run in slurm_runs)
    assert [run.scalars["cost_adam"] for run in slurm_runs] == pytest.approx([0.1, 0.101, 0.102])
    assert [dict(r.scalars) for r in slurm_runs] == [dict(r.scalars) for r in local_runs]
    on_slurm = sequential_verdicts(paper.claims, slurm_runs, StatsSettings(), LookPlan.fixed(3))
    locally = sequential_verdicts(paper.claims, local_runs, StatsSettings(), LookPlan.fixed(3))
    assert [(v.claim, v.verdict, v.mean) for v in on_slurm] == \
        [(v.claim, v.verdict, v.mean) for v in locally]
    assert {v.verdict.value for v in on_slurm} == {"reproduced"}
    assert "recorded" in (tmp_path / "artifacts" / "replication.ipynb").read_text()
    assert not list((tmp_path / "data" / "slurm").iterdir()), "the batch folder is removed"


def test_a_run_past_the_slurm_time_limit_is_a_timeout(cluster, tmp_path):
    folder = submission(tmp_path, "import time\ntime.sleep(600)")
    write_notebook(folder, ["seed = 0", RECORD], "quick.ipynb")
    runner = runner_for(tmp_path, notebook_timeout_s=600, cell_timeout_s=600,
                        slurm={"time_margin_s": 0, "extra_args": ["--time=1"]})

    slow, quick = runner.run_all([request(folder, 0), request(folder, 0, "quick.ipynb")])

    assert quick.ok and quick.scalars["cost_adam"] == 0.1
    assert not slow.ok
    assert slow.error.startswith("the Slurm job ran past its time limit")
    assert "(timeout)" in slow.error
    assert slow.environment["slurm_state"] == "TIMEOUT"


def test_a_run_past_the_slurm_memory_limit_is_out_of_memory(cluster, tmp_path):
    hog = "import time\nblock = bytearray(900 * 1024 ** 2)\ntime.sleep(30)"
    folder = submission(tmp_path, hog)
    runner = runner_for(tmp_path, memory_mb=0, slurm={"extra_args": ["--mem=300M"]})

    [run] = runner.run_all([request(folder, 0)])

    assert not run.ok
    # OUT_OF_MEMORY with cgroups; this cluster's jobacct_gather kills it and says FAILED
    assert run.environment["slurm_state"] in ("OUT_OF_MEMORY", "FAILED"), run.error
    assert run.error.startswith("the run used more than its Slurm memory limit")
    assert "(out of memory)" in run.error and "Exceeded job memory limit" in run.error


def test_cancelling_a_review_cancels_its_slurm_jobs(cluster, tmp_path):
    folder = submission(tmp_path, "import time\ntime.sleep(600)")
    runner = runner_for(tmp_path)
    runner.job_name = "reviewbot-octo-dlc-pr7"
    stop = threading.Event()
    runner.cancelled = stop.is_set
    results: list = []
    watcher = threading.Thread(target=lambda: results.extend(
        runner.run_all([request(folder, 0), request(folder, 1)])))
    watcher.start()
    try:
        wait_for(lambda: cluster.queue().count("RUNNING") >= 1, 120, "a task to run")
        stop.set()
    finally:
        watcher.join(timeout=120)
    assert [run.ok for run in results] == [False, False]
    assert all(run.error.startswith("cancelled by reviewbot") for run in results)
    wait_for(lambda: "reviewbot-octo-dlc-pr7" not in cluster.queue(), 60,
             "the jobs to leave the queue")


def test_a_task_whose_job_is_cancelled_outside_reviewbot_says_so(cluster, tmp_path):
    folder = submission(tmp_path, "import time\ntime.sleep(600)")
    runner = runner_for(tmp_path)
    runner.job_name = "reviewbot-scancelled"
    results: list = []
    watcher = threading.Thread(target=lambda: results.extend(runner.run_all([request(folder,
                                                                                     0)])))
    watcher.start()
    try:
        wait_for(lambda: "RUNNING reviewbot-scancelled" in cluster.queue(), 120, "the task")
        subprocess.run(["scancel", "--name", "reviewbot-scancelled"], check=True, timeout=30)
    finally:
        watcher.join(timeout=120)
    [run] = results
    assert not run.ok
    assert run.error.startswith("the Slurm job was cancelled (scancel)")


def test_a_run_survives_a_restart_of_the_nodes_slurmd(cluster, tmp_path):
    folder = submission(tmp_path, "import time\ntime.sleep(8)", RECORD)
    runner = runner_for(tmp_path)
    runner.job_name = "reviewbot-restart"
    results: list = []
    seen: list[tuple[int, int]] = []
    watcher = threading.Thread(target=lambda: results.extend(runner.run_all(
        [request(folder, 2)], lambda _: lambda step: seen.append((step.cell, step.cells)))))
    watcher.start()
    try:
        wait_for(lambda: "RUNNING reviewbot-restart" in cluster.queue(), 120, "the task")
        cluster.restart_slurmd()
    finally:
        watcher.join(timeout=180)
    [run] = results
    assert run.ok, run.error
    assert run.scalars["cost_adam"] == pytest.approx(0.102)
    # the cells done on the node, read from the task folder while it slept
    assert seen and all(cells == 4 for _, cells in seen) and seen[0][0] in (1, 2), seen


def test_a_run_whose_node_fails_is_submitted_again_by_policy(cluster, tmp_path):
    folder = submission(tmp_path, "import time\ntime.sleep(5)", RECORD)
    runner = runner_for(tmp_path, slurm={"requeue": 1})
    runner.job_name = "reviewbot-node-fail"
    results: list = []
    watcher = threading.Thread(target=lambda: results.extend(runner.run_all([request(folder,
                                                                                     1)])))
    watcher.start()
    try:
        wait_for(lambda: "RUNNING reviewbot-node-fail" in cluster.queue(), 120, "the task")
        first_job = cluster.queue().split()[0]
        cluster.set_node_state("down")  # the node is lost: Slurm ends its job as NODE_FAIL
        wait_for(lambda: any(line.split()[0] != first_job for line in
                             cluster.queue().splitlines() if "reviewbot-node-fail" in line),
                 60, "the run to be submitted again")
        cluster.set_node_state("resume")
    finally:
        cluster.set_node_state("resume")
        watcher.join(timeout=180)
    [run] = results
    assert run.ok, run.error
    assert run.scalars["cost_adam"] == pytest.approx(0.101)
    assert not run.environment["slurm_job"].startswith(first_job.split("_")[0] + "_")


# ---- no cluster needed ----------------------------------------------------------------------


def test_the_sbatch_options_carry_limits_gpus_and_the_slurm_table(tmp_path):
    runner = runner_for(tmp_path, slurm={"account": "dlc", "qos": "short",
                                         "gpus_per_task": 1})
    options = runner.sbatch_options(tmp_path / "batch", [0, 1, 2, 5])
    assert "--array=0-2,5" in options
    assert "--time=3" in options  # 120 s per notebook + 60 s margin, in whole minutes
    assert "--mem=1280M" in options and "--gres=gpu:1" in options
    assert {"--partition=debug", "--account=dlc", "--qos=short", "--export=NONE"} <= \
        set(options)
    cpu_only = runner_for(tmp_path, gpu=False).sbatch_options(tmp_path, [0])
    assert not any(option.startswith("--gres") for option in cpu_only)


def test_array_indices_round_trip():
    assert expand_indices("0-3,7") == [0, 1, 2, 3, 7]
    assert expand_indices("1-4%2") == [1, 2, 3, 4]
    assert compress_indices([5, 0, 1, 2, 9]) == "0-2,5,9"


def test_task_files_that_are_links_or_too_large_are_refused(tmp_path):
    (tmp_path / "task").mkdir()
    (tmp_path / "secret").write_text("{}")
    (tmp_path / "task" / "result.json").symlink_to(tmp_path / "secret")
    with pytest.raises(UnsafeFile, match="link"):
        read_task_file(tmp_path / "task", "result.json", 1000)
    (tmp_path / "linked").symlink_to(tmp_path / "task")
    with pytest.raises(UnsafeFile, match="not a plain folder"):
        read_task_file(tmp_path / "linked", "result.json", 1000)
    (tmp_path / "task" / "big.json").write_text("x" * 2000)
    with pytest.raises(UnsafeFile, match="larger than 1,000 bytes"):
        read_task_file(tmp_path / "task", "big.json", 1000)
    with pytest.raises(FileNotFoundError):
        read_task_file(tmp_path / "task", "absent.json", 1000)


@contextlib.contextmanager
def _pr_gpu_job(tmp_path: Path, files: dict[str, str], runner_toml: str) -> Iterator[tuple]:
    """A PR on the fake GitHub and a worker whose gpu job for it is recorded:
    (fake GitHub, worker, job spec)."""
    from reviewbot.config import load_config
    from reviewbot.service.jobs import JobSpec
    from reviewbot.service.queue import JobQueue
    from reviewbot.service.settings import Settings
    from reviewbot.service.worker import Worker
    from tests.fakes.github_server import FakeGitHub
    from tests.reviewbot.service import service_helpers as helpers

    config_path = tmp_path / "config.toml"
    config_path.write_text(helpers.SERVICE_CONFIG + runner_toml)
    config = load_config(config_path).config
    with FakeGitHub() as fake:
        origin = helpers.make_origin(tmp_path / "git", files)
        helpers.open_pull(fake, origin)
        settings = Settings(token=fake.token, api_url=fake.base_url, data_dir=tmp_path / "data")
        worker = Worker(JobQueue(settings, config.queue), settings, config, str(config_path))
        spec = JobSpec(helpers.REPO, helpers.NUMBER, origin.head_sha, "run")
        worker.queue.store.record(spec, "d1")
        yield fake, worker, spec


def test_a_newer_push_cancels_the_older_heads_slurm_jobs(cluster, tmp_path):
    from reviewbot.service.jobs import CANCELLED
    from tests.reviewbot.service import service_helpers as helpers

    sleeper = submission(tmp_path / "nb", "import time\ntime.sleep(600)") / "replication.ipynb"
    files = {**helpers.SUBMISSION, "run.ipynb": sleeper.read_text()}
    runner = (f'[runner]\nruns = 1\nbackend = "slurm"\n[runner.slurm]\npoll_s = 0.5\n'
              f'scratch_dir = "{tmp_path / "scratch"}"\n')
    with _pr_gpu_job(tmp_path, files, runner) as (_, worker, spec):
        left_behind = tmp_path / "scratch" / "batch-reviewbot-octo-dlc-pr7-0123"
        left_behind.mkdir(parents=True)  # by a worker killed while it watched
        gpu_job = threading.Thread(target=worker.handle, args=(spec,))
        gpu_job.start()
        try:
            wait_for(lambda: "RUNNING reviewbot-octo-dlc-pr7" in cluster.queue(), 180,
                     "the run to start on the cluster")
            worker.queue.supersede(helpers.REPO, helpers.NUMBER, "f" * 40)  # a newer push
        finally:
            gpu_job.join(timeout=120)
        assert not gpu_job.is_alive(), "the gpu job stopped watching"
        assert worker.queue.store.get(spec.key).state == CANCELLED
        wait_for(lambda: "reviewbot-octo-dlc-pr7" not in cluster.queue(), 60,
                 "the older head's jobs to leave the cluster")
        assert not list((tmp_path / "scratch").iterdir()), "the batch folders are removed"


def _post_runs(tmp_path: Path, backend: str) -> str:
    """A PR's gpu job through the worker on ``backend``; the summary comment it posted."""
    from reviewbot.service.jobs import DONE
    from tests.reviewbot.service import service_helpers as helpers

    toy = submission(tmp_path / "nb", RECORD) / "replication.ipynb"
    files = {"README.md": "# Toy\n", "replication.ipynb": toy.read_text()}
    (tmp_path / "papers").mkdir()
    (tmp_path / "papers" / f"{helpers.FOLDER}.toml").write_text(PAPER)
    runner = (f'[runner]\nbackend = "{backend}"\n[runner.slurm]\npoll_s = 0.5\n'
              f'memory_margin_mb = 256\nscratch_dir = "{tmp_path / "scratch"}"\n')
    with _pr_gpu_job(tmp_path, files, runner) as (fake, worker, spec):
        worker.handle(spec)
        assert worker.queue.store.get(spec.key).state == DONE
        [summary] = fake.state.repo(helpers.REPO).issue_comments[helpers.NUMBER]
    return summary["body"]


def test_a_pull_requests_runs_on_slurm_post_the_verdicts_of_local_runs(cluster, tmp_path):
    on_slurm = _post_runs(tmp_path / "slurm", "slurm")
    locally = _post_runs(tmp_path / "local", "local")

    def claim_rows(body: str) -> list[str]:
        return sorted({line for line in body.splitlines() if line.startswith("| adam-")})

    assert len(claim_rows(on_slurm)) == 2  # each claim once, in the one claims table
    assert claim_rows(on_slurm) == claim_rows(locally)
    assert all("reproduced" in row for row in claim_rows(on_slurm))
    assert "3 runs; 2 claims: 2 reproduced" in on_slurm
