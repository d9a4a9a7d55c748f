"""Runs side by side, one GPU each: the device assignment on fake device lists."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from reviewbot.core.models import RunResult
from reviewbot.replication.parallel import run_all
from reviewbot.runners.base import ProgressCallback, RunRequest
from reviewbot.runners.device import gpu_binding, gpu_indices

NODES = ["/dev/nvidia-uvm", "/dev/nvidia0", "/dev/nvidia1", "/dev/nvidia2", "/dev/nvidiactl",
         "/dev/nvidia-caps"]


def test_gpu_indices_come_from_the_device_nodes_or_the_setting() -> None:
    assert gpu_indices(NODES) == ("0", "1", "2")
    assert gpu_indices(NODES, "2, 0") == ("2", "0")
    assert gpu_indices(NODES, "0,7") == ("0",)  # no /dev/nvidia7: a run could not open it
    assert gpu_indices(["/dev/nvidiactl"]) == ()  # a driver without GPUs: CPU runs


def test_a_run_sees_only_its_own_gpu_node_and_index() -> None:
    arguments, env = gpu_binding(NODES, "1")
    bound = [arguments[i + 1] for i in range(0, len(arguments), 3)]
    assert "/dev/nvidia1" in bound
    assert "/dev/nvidia0" not in bound and "/dev/nvidia2" not in bound
    assert {"/dev/nvidiactl", "/dev/nvidia-uvm"} <= set(bound)  # the shared driver nodes
    assert arguments[:3] == ["--dev-bind", bound[0], bound[0]]
    assert env == {"CUDA_VISIBLE_DEVICES": "1", "CUDA_DEVICE_ORDER": "PCI_BUS_ID"}


class SlowRunner:
    """A runner that notes which GPUs are in use at the same time.

    Each run waits (up to a few seconds) until ``expected`` runs are in flight, so that the
    overlap seen does not depend on how fast this machine starts threads.
    """

    def __init__(self, expected: int = 1) -> None:
        self.expected = expected
        self.lock = threading.Lock()
        self.busy: list[str] = []
        self.overlap = 0
        self.shared = False

    def run(self, request: RunRequest, progress: ProgressCallback | None = None) -> RunResult:
        gpu = ",".join(request.gpus or ("cpu",))
        with self.lock:
            self.shared = self.shared or (gpu != "cpu" and gpu in self.busy)
            self.busy.append(gpu)
            self.overlap = max(self.overlap, len(self.busy))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.busy) >= self.expected or self.overlap >= self.expected:
                    break
            time.sleep(0.01)
        with self.lock:
            self.busy.remove(gpu)
        return RunResult(request.notebook, request.seed, True, 0.05, device=gpu)


def requests(count: int) -> list[RunRequest]:
    return [RunRequest(Path("."), "nb.ipynb", seed, f"id{seed}") for seed in range(count)]


def test_each_run_gets_exactly_one_gpu_and_none_is_shared() -> None:
    runner = SlowRunner(expected=3)
    results = run_all(requests(9), runner, concurrency=4, gpus=("0", "1", "2"))
    assert [r.seed for r in results] == list(range(9))  # request order, however they finish
    assert {r.device for r in results} <= {"0", "1", "2"}
    assert runner.overlap == 3  # concurrency 4, but only three GPUs
    assert not runner.shared


def test_on_cpu_runs_go_side_by_side_up_to_the_concurrency() -> None:
    runner = SlowRunner(expected=2)
    results = run_all(requests(6), runner, concurrency=2, gpus=())
    assert [r.device for r in results] == ["cpu"] * 6
    assert runner.overlap == 2
    single = SlowRunner()
    run_all(requests(3), single, concurrency=1, gpus=())
    assert single.overlap == 1


def test_progress_names_every_run_with_its_seed_and_gpu() -> None:
    import io

    from reviewbot.replication.progress import run_progress

    stream = io.StringIO()
    with run_progress(quiet=False, stream=stream) as progress:
        run_all(requests(4), SlowRunner(expected=2), concurrency=2, progress=progress,
                gpus=("0", "1"))
    lines = sorted(line for line in stream.getvalue().splitlines() if line.startswith("running"))
    assert len(lines) == 4
    assert all(line.startswith("running nb.ipynb (seed ") for line in lines)
    assert {line.rsplit(", ", 1)[1] for line in lines} == {"GPU 0)", "GPU 1)"}
