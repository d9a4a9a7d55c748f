"""Runs at the same time: up to ``[runner] concurrency``, each holding one GPU while it runs.

On a host with several GPUs, a run takes a free GPU from the pool and gives it back when it
ends, so no two runs share one and each sees only its own (``RunRequest.gpus``; the runner
binds that device node alone and sets ``CUDA_VISIBLE_DEVICES``). On a CPU host the runs just
go side by side. Results come back in the order of the requests, however they finish.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from reviewbot.core.models import RunResult
from reviewbot.runners.base import ProgressCallback, Runner, RunRequest

ProgressFor = Callable[[RunRequest], ProgressCallback | None]


def available_gpus(runner: Runner) -> tuple[str, ...]:
    """The GPUs the runner may hand to runs: the runner knows its host's devices (a runner
    without GPUs, or that schedules them itself, has no ``gpus``)."""
    gpus = getattr(runner, "gpus", None)
    return tuple(gpus()) if callable(gpus) else ()


class GpuPool:
    """Hands each run one GPU of ``gpus``; with none, runs get ``None`` (the runner's choice)."""

    def __init__(self, gpus: Sequence[str]) -> None:
        self._free: queue.Queue[str] = queue.Queue()
        for gpu in gpus:
            self._free.put(gpu)
        self.size = len(gpus)

    def run(self, runner: Runner, request: RunRequest,
            progress: ProgressFor | None) -> RunResult:
        if self.size == 0:
            return runner.run(request, progress(request) if progress else None)
        gpu = self._free.get()  # blocks while every GPU is busy
        try:
            mine = replace(request, gpus=(gpu,))
            return runner.run(mine, progress(mine) if progress else None)
        finally:
            self._free.put(gpu)


def run_all(requests: Sequence[RunRequest], runner: Runner, concurrency: int,
            progress: ProgressFor | None = None,
            gpus: Sequence[str] | None = None) -> tuple[RunResult, ...]:
    """Every request, ``concurrency`` at a time (at most one per GPU when there are GPUs)."""
    pool = GpuPool(available_gpus(runner) if gpus is None else gpus)
    workers = max(1, min(concurrency, pool.size or concurrency, len(requests) or 1))
    if workers == 1:
        return tuple(pool.run(runner, request, progress) for request in requests)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="reviewbot-run") as threads:
        return tuple(threads.map(lambda request: pool.run(runner, request, progress), requests))
