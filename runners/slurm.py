"""The Slurm runner: the runs of a review as the tasks of one Slurm job array.

The worker stages a batch folder on a filesystem the nodes share (a safe copy of each
submission, one ``task-<i>/request.json`` per (notebook, seed), the runner settings and a
batch script), submits it with ``sbatch --array``, and watches the tasks' states. Each task
runs ``reviewbot.runners.slurm_task``: the local runner, bubblewrap sandbox included, on
the node, which writes ``task-<i>/result.json``. The worker only submits and watches: it
never holds a GPU itself.

Results are read back as carefully as a local run's files: no symbolic link is followed
(``O_NOFOLLOW`` on the folder and the file), only regular files under a size cap are read,
and a result that names another run is refused. A task that left no result becomes a
failed run saying what Slurm did to it (time limit, memory, cancelled); node failures and
preemptions are submitted again, ``[runner.slurm] requeue`` times.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import shlex
import shutil
import stat
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

from reviewbot.core.models import RunResult
from reviewbot.runners import slurm_commands as slurm
from reviewbot.runners.base import CellProgress, ProgressCallback, RunRequest
from reviewbot.runners.config import RunnerConfig
from reviewbot.runners.scratch import copy_submission
from reviewbot.runners.slurm_task import (
    EXECUTED,
    PROGRESS,
    REQUEST,
    RESULT,
    SETTINGS,
    result_from_dict,
)

log = logging.getLogger("reviewbot.runner.slurm")
ProgressFor = Callable[[RunRequest], ProgressCallback | None]
LOST_AFTER_POLLS = 3  # polls in a row in which Slurm does not know a task
MEMORY_KILL_SIGNS = ("exceeded job memory limit", "exceeded memory limit", "oom-kill",
                     "out of memory")  # what slurmstepd writes into the task's log


class UnsafeFile(Exception):
    """A task's file is a link, not a regular file, or too large."""


@dataclasses.dataclass
class Task:
    """One (notebook, seed) of the batch and where it stands."""

    index: int
    request: RunRequest
    job_id: str = ""
    state: str = ""
    detail: str = ""
    submissions: int = 0
    unknown_polls: int = 0
    result: RunResult | None = None
    seen_progress: tuple[int, int] = (0, 0)


class SlurmRunner:
    """Runs notebooks as Slurm array tasks; ``run_all`` submits a whole review at once."""

    def __init__(self, settings: RunnerConfig, sandbox: bool = True,
                 data_dir: Path | None = None) -> None:
        self.settings, self.sandbox = settings, sandbox
        self.data_dir = (data_dir or Path(os.environ.get("REVIEWBOT_DATA_DIR",
                                                        ".reviewbot-data"))).resolve()
        slurm_settings = settings.slurm
        self.scratch_root = Path(slurm_settings.scratch_dir or self.data_dir / "slurm")
        self.job_name = "reviewbot"  # the gpu worker names jobs after their pull request
        self.cancelled: Callable[[], bool] = lambda: False  # polled while the tasks run
        self.replace_named_jobs = False  # cancel jobs left under job_name by a dead worker

    def run(self, request: RunRequest, progress: ProgressCallback | None = None) -> RunResult:
        return self.run_all([request], lambda _: progress)[0]

    def run_all(self, requests: Sequence[RunRequest],
                progress: ProgressFor | None = None) -> list[RunResult]:
        """Every request as one task of one array; results in the order of ``requests``."""
        tasks = [Task(index, request) for index, request in enumerate(requests)]
        if not tasks:
            return []
        batch = self.scratch_root / f"batch-{self.job_name}-{uuid.uuid4().hex}"
        try:
            if self.replace_named_jobs:
                self._replace_leftovers()
            self._stage(batch, tasks)
            self._submit(batch, tasks)
            self._watch(batch, tasks, progress)
        except slurm.SlurmError as exc:
            log.error("slurm: %s", exc)
            for task in tasks:
                task.result = task.result or self._failed(task, f"Slurm: {exc}")
        finally:
            self._cancel_live(tasks)
            shutil.rmtree(batch, ignore_errors=True)
        return [task.result or self._failed(task, "no result") for task in tasks]

    def _replace_leftovers(self) -> None:
        """Cancel the jobs, and remove the batch folders, a dead worker left under our name."""
        slurm.cancel_named(self.job_name)
        for folder in self.scratch_root.glob(f"batch-{self.job_name}-*"):
            shutil.rmtree(folder, ignore_errors=True)

    # ---- staging and submitting -----------------------------------------------------------

    def _stage(self, batch: Path, tasks: Sequence[Task]) -> None:
        """Copies of the submissions, one request per task, settings and the batch script."""
        batch.mkdir(parents=True, mode=0o755)
        staged: dict[Path, Path] = {}
        for task in tasks:
            root = task.request.submission_root
            if root not in staged:
                staged[root] = batch / f"submission-{len(staged)}"
                copy_submission(root, staged[root], self.settings.max_copy_file_bytes)
            task_dir = batch / f"task-{task.index}"
            task_dir.mkdir()
            request = task.request
            (task_dir / REQUEST).write_text(json.dumps({
                "submission_root": str(staged[root]), "notebook": request.notebook,
                "seed": request.seed, "run_id": request.run_id,
                "parameters": {k: v if isinstance(v, (bool, int, float, str)) else str(v)
                               for k, v in request.parameters.items()},
                "artifacts": request.artifacts_dir is not None}))
        (batch / SETTINGS).write_text(json.dumps({
            "runner": self.settings.model_dump(mode="json"), "sandbox": self.sandbox,
            "data_dir": str(self.data_dir)}))
        python = self.settings.slurm.python or sys.executable
        script = batch / "task.sh"
        # --export=NONE: nothing of the worker's environment (its GitHub token) reaches a node
        script.write_text("#!/bin/sh\nexport PATH=/usr/local/bin:/usr/bin:/bin\n"
                          f"exec {shlex.quote(python)} -m reviewbot.runners.slurm_task "
                          f"{shlex.quote(str(batch))}\n")
        script.chmod(0o755)

    def sbatch_options(self, batch: Path, indices: Sequence[int]) -> list[str]:
        """The options of one submission of tasks ``indices`` (public: the README shows them)."""
        config, cluster = self.settings, self.settings.slurm
        minutes = math.ceil((config.notebook_timeout_s + cluster.time_margin_s) / 60)
        options = [f"--array={slurm.compress_indices(indices)}", f"--job-name={self.job_name}",
                   f"--output={batch}/task-%a/slurm.out", f"--chdir={batch}",
                   f"--time={minutes}", "--no-requeue", "--export=NONE", "--ntasks=1"]
        if config.memory_mb:
            options.append(f"--mem={config.memory_mb + cluster.memory_margin_mb}M")
        if config.gpu and cluster.gpus_per_task:
            options.append(f"--gres=gpu:{cluster.gpus_per_task}")
        options += [f"--{name}={value}" for name, value in
                    (("partition", cluster.partition), ("account", cluster.account),
                     ("qos", cluster.qos)) if value]
        return [*options, *cluster.extra_args]

    def _submit(self, batch: Path, tasks: Sequence[Task]) -> None:
        indices = [task.index for task in tasks]
        job_id = slurm.submit(self.sbatch_options(batch, indices), str(batch / "task.sh"))
        log.info("slurm job %s: %d run(s) of %s", job_id, len(tasks), self.job_name)
        for task in tasks:
            task.job_id, task.state, task.unknown_polls = job_id, "PENDING", 0
            task.submissions += 1

    # ---- watching -------------------------------------------------------------------------

    def _watch(self, batch: Path, tasks: Sequence[Task], progress: ProgressFor | None) -> None:
        while pending := [task for task in tasks if task.result is None]:
            if self.cancelled():
                self._cancel_live(pending)
                for task in pending:
                    task.result = self._failed(task, "cancelled by reviewbot before the run "
                                                     "finished (a newer push, or a shutdown)")
                return
            self._poll(batch, pending)
            self._resubmit(batch, [task for task in pending if task.state == "REQUEUE"])
            self._report_progress(batch, pending, progress)
            if any(task.result is None for task in tasks):
                time.sleep(self.settings.slurm.poll_s)

    def _poll(self, batch: Path, pending: Sequence[Task]) -> None:
        states: dict[str, dict[int, tuple[str, str]]] = {}
        for job_id in {task.job_id for task in pending}:
            states[job_id] = slurm.task_states(job_id)
        for task in pending:
            task.result = self._collect(batch, task)
            if task.result is not None:
                continue
            state, detail = states[task.job_id].get(task.index, ("", ""))
            task.unknown_polls = 0 if state else task.unknown_polls + 1
            if task.unknown_polls >= LOST_AFTER_POLLS:
                state = slurm.LOST
            task.state, task.detail = state.split()[0] if state else "", detail
            if task.state in slurm.TERMINAL:
                self._finish_without_result(batch, task)

    def _finish_without_result(self, batch: Path, task: Task) -> None:
        """A task Slurm ended: read its result once more, else say what Slurm did."""
        task.result = self._collect(batch, task)
        if task.result is not None:
            return
        if task.state in slurm.NODE_TROUBLE and task.submissions <= self.settings.slurm.requeue:
            log.warning("slurm job %s task %d: %s; submitting it again", task.job_id,
                        task.index, task.state)
            task.state = "REQUEUE"
            return
        task.result = self._failed(task, self._state_error(batch, task))

    def _resubmit(self, batch: Path, tasks: Sequence[Task]) -> None:
        if tasks:
            for task in tasks:
                for name in (RESULT, PROGRESS, EXECUTED):
                    (batch / f"task-{task.index}" / name).unlink(missing_ok=True)
            self._submit(batch, tasks)

    def _cancel_live(self, tasks: Sequence[Task]) -> None:
        for job_id in {task.job_id for task in tasks if task.job_id}:
            if any(t.job_id == job_id and t.state not in slurm.TERMINAL for t in tasks):
                try:
                    slurm.cancel(job_id)
                except slurm.SlurmError as exc:
                    log.error("could not cancel slurm job %s: %s", job_id, exc)
                for task in tasks:
                    task.state = slurm.CANCELLED if task.job_id == job_id else task.state

    def _report_progress(self, batch: Path, pending: Sequence[Task],
                         progress: ProgressFor | None) -> None:
        for task in pending:
            callback = progress(task.request) if progress and task.result is None else None
            if callback is None:
                continue
            try:
                data = json.loads(read_task_file(batch / f"task-{task.index}", PROGRESS, 4096))
                step = (int(data["cell"]), int(data["cells"]))
            except (UnsafeFile, OSError, ValueError, KeyError, TypeError):
                continue
            if step != task.seen_progress:
                task.seen_progress = step
                callback(CellProgress(task.request.notebook, *step, float(data["elapsed"])))

    # ---- results --------------------------------------------------------------------------

    def _collect(self, batch: Path, task: Task) -> RunResult | None:
        """The task's result, when it wrote one; a refused file is a failed run."""
        task_dir = batch / f"task-{task.index}"
        cap = self.settings.slurm.max_result_bytes
        try:
            data = json.loads(read_task_file(task_dir, RESULT, cap))
            result = result_from_dict(data)
        except FileNotFoundError:
            return None
        except (UnsafeFile, OSError, ValueError, KeyError, TypeError) as exc:
            return self._failed(task, f"the task's result file was refused: {exc}")
        request = task.request
        if (result.run_id, result.notebook, result.seed) != (request.run_id, request.notebook,
                                                             request.seed):
            return self._failed(task, "the task's result file belongs to another run")
        self._copy_executed(task_dir, request, cap)
        where = {"runner": "slurm", "slurm_job": f"{task.job_id}_{task.index}"}
        return dataclasses.replace(result, environment={**result.environment, **where})

    def _copy_executed(self, task_dir: Path, request: RunRequest, cap: int) -> None:
        if request.artifacts_dir is None:
            return
        try:
            executed = read_task_file(task_dir, EXECUTED, cap)
        except (UnsafeFile, OSError):
            return  # the run's result says what happened; the executed copy is a courtesy
        request.artifacts_dir.mkdir(parents=True, exist_ok=True)
        (request.artifacts_dir / Path(request.notebook).name).write_bytes(executed)

    def _state_error(self, batch: Path, task: Task) -> str:
        config = self.settings
        minutes = math.ceil((config.notebook_timeout_s + config.slurm.time_margin_s) / 60)
        memory = (f" of {config.memory_mb + config.slurm.memory_margin_mb} MiB"
                  if config.memory_mb else "")  # else extra_args may say --mem
        messages = {
            slurm.TIMEOUT: f"the Slurm job ran past its time limit of {minutes} min and was "
                           "stopped (timeout)",
            slurm.OUT_OF_MEMORY: f"the run used more than its Slurm memory limit{memory} and "
                                 "was killed (out of memory)",
            slurm.CANCELLED: "the Slurm job was cancelled (scancel) before the run finished",
            slurm.LOST: "Slurm no longer knows the task and it left no result",
        }
        if task.state in slurm.NODE_TROUBLE:
            return (f"the node running it failed ({task.state}) {task.submissions} time(s); "
                    f"given up after runner.slurm.requeue = {config.slurm.requeue}")
        log_tail = self._log_tail(batch, task)
        if any(sign in log_tail.lower() for sign in MEMORY_KILL_SIGNS):
            # without cgroups Slurm kills over-limit jobs itself and reports them FAILED
            return f"{messages[slurm.OUT_OF_MEMORY]}; {log_tail}"
        message = messages.get(task.state, f"the Slurm task ended ({task.state}, "
                                           f"{task.detail}) without a result")
        return f"{message}; {log_tail}".rstrip("; ")

    def _log_tail(self, batch: Path, task: Task) -> str:
        try:
            text = read_task_file(batch / f"task-{task.index}", "slurm.out", 1 << 20)
        except (UnsafeFile, OSError):
            return ""
        lines = text.decode(errors="replace").strip().splitlines()
        return f"task log: {' | '.join(lines[-5:])}" if lines else ""

    def _failed(self, task: Task, error: str) -> RunResult:
        request = task.request
        return RunResult(notebook=request.notebook, seed=request.seed, ok=False, seconds=0.0,
                         run_id=request.run_id, error=error,
                         environment={"runner": "slurm", "slurm_job": task.job_id,
                                      "slurm_state": task.state})


def read_task_file(folder: Path, name: str, cap: int) -> bytes:
    """``folder/name``, refusing links (folder or file), non-regular files and over ``cap``."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK
    try:
        folder_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as exc:
        if exc.errno == 2:
            raise FileNotFoundError(str(folder)) from None
        raise UnsafeFile(f"{folder.name} is not a plain folder") from None
    try:
        fd = os.open(name, flags, dir_fd=folder_fd)
    except FileNotFoundError:
        raise
    except OSError:
        raise UnsafeFile(f"{name} is a link or cannot be opened") from None
    finally:
        os.close(folder_fd)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFile(f"{name} is not a regular file")
        if info.st_size > cap:
            raise UnsafeFile(f"{name} is larger than {cap:,} bytes")
        data = handle.read(cap + 1)
    if len(data) > cap:
        raise UnsafeFile(f"{name} is larger than {cap:,} bytes")
    return data
