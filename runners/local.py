"""The local runner: one notebook, one seed, its kernel in a sandbox on this machine.

The parent prepares a run folder (the scratch copy with parameters injected and committed
metrics.json removed, HOME and the kernel's runtime folder, all under ``rw/``), creates the
run's control group, writes the launcher's spec and the kernelspec, and starts the runner
(``python -I -m reviewbot.runners.execute``, outside the sandbox, from the run folder). The
runner starts the kernel in the sandbox; the parent turns the runner's events into progress
callbacks, watches the disk quota, and builds the ``RunResult`` from the result event, the
limits the run hit, the metrics read safely from the scratch copy and facts measured by
trusted code. Every failure comes back as data.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from reviewbot.core import environment
from reviewbot.core.models import RunResult
from reviewbot.runners.base import CellProgress, ProgressCallback, RunRequest
from reviewbot.runners.cgroups import CgroupUnavailable, RunCgroup, create_run_cgroup
from reviewbot.runners.config import RunnerConfig
from reviewbot.runners.device import (
    GPUS_VARIABLE,
    describe_device,
    gpu_binding,
    gpu_devices,
    gpu_indices,
)
from reviewbot.runners.environments import (
    EnvironmentBuildError,
    find_requirements,
    requirements_python,
)
from reviewbot.runners.facts import environment_facts
from reviewbot.runners.launchspec import (
    KERNEL_NAME,
    KernelLaunch,
    kernel_argv,
    kernel_log_tail,
    resource_limits,
    write_kernelspec,
    write_launch,
    write_seccomp,
)
from reviewbot.runners.metrics import read_metrics, read_notebook_json
from reviewbot.runners.parameters import Injection, inject
from reviewbot.runners.process import ChildOutcome, Limits, Supervisor
from reviewbot.runners.sandbox import (
    Layout,
    SandboxUnavailable,
    bwrap_command,
    child_environment,
    hand_over,
    sandbox_available,
    sandbox_user,
)
from reviewbot.runners.scratch import FolderQuota, copy_submission

log = logging.getLogger("reviewbot.runner")
RECORD_DIR = Path(__file__).parent / "record"


class RunSetupError(Exception):
    """The run could not start (no notebook, unreadable notebook, requirements failed)."""


@dataclass
class Prepared:
    """A run folder ready to run: where everything is, and what was changed."""

    folder: Path
    layout: Layout
    notebook: Path
    injection: Injection
    overrides: dict[str, object]
    kernel_python: str
    left_out: list[str]
    user: tuple[int, int] | None  # who the kernel runs as on the host (None: as ourselves)
    mentions_tensorflow: bool


class LocalRunner:
    """Executes notebooks on this machine; kernels sandboxed by bubblewrap unless told not."""

    def __init__(self, settings: RunnerConfig, sandbox: bool = True,
                 data_dir: Path | None = None, masked_files: Sequence[Path] = ()) -> None:
        self.guarantees = "none: --no-sandbox"
        if sandbox:
            available, self.guarantees = sandbox_available()
            if not available:
                raise SandboxUnavailable(self.guarantees)
        self.settings = settings
        self.sandbox = sandbox
        self.data_dir = data_dir or environment.data_dir()
        # secret files the sandbox shows as empty: the caller's settings name them; the
        # environment's key is masked too, should a caller forget to pass it
        self.masked_files = (*masked_files, *filter(None, [environment.private_key_file()]))
        self.gpu = settings.gpu and bool(gpu_devices())

    def gpus(self) -> tuple[str, ...]:
        """GPU indices runs may use, one run each (``REVIEWBOT_GPUS`` narrows them)."""
        if not self.gpu:
            return ()
        return gpu_indices(gpu_devices(), os.environ.get(GPUS_VARIABLE))

    def run(self, request: RunRequest, progress: ProgressCallback | None = None) -> RunResult:
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="reviewbot-run-") as tmp:
            try:
                prepared = self._prepare(Path(tmp), request)
                group = self._cgroup(Path(tmp).name)
            except (RunSetupError, EnvironmentBuildError, CgroupUnavailable) as exc:
                return self._failed(request, str(exc), time.monotonic() - started)
            except OSError as exc:  # an unreadable file in the submission, a full disk
                return self._failed(request, f"the run could not be prepared: {exc}",
                                    time.monotonic() - started)
            try:
                outcome = self._execute(prepared, request, progress, group)
                breaches = group.breaches() if group else []
            finally:
                if group:
                    group.remove()
            return self._result(prepared, request, outcome, breaches,
                                time.monotonic() - started)

    def _prepare(self, folder: Path, request: RunRequest) -> Prepared:
        layout = Layout.under(folder)
        layout.create()
        left_out = copy_submission(request.submission_root, layout.scratch,
                                   self.settings.max_copy_file_bytes)
        notebook = layout.scratch / request.notebook
        try:
            nb = nbformat.read(notebook, as_version=4)
        except (OSError, ValueError) as exc:
            raise RunSetupError(f"the notebook {request.notebook} cannot be read: {exc}") from None
        overrides = {"seed": request.seed, **self.settings.parameters, **request.parameters}
        injection = inject(nb, overrides)
        nbformat.write(nb, notebook)
        python = self._kernel_python(request, notebook.parent)
        user = sandbox_user() if self.sandbox else None
        hand_over(layout.writable, user)
        mentions = "tensorflow" in notebook.read_text(errors="replace")
        return Prepared(folder, layout, notebook, injection, overrides, python, left_out, user,
                        mentions)

    def _kernel_python(self, request: RunRequest, notebook_dir: Path) -> str:
        if self.settings.environment == "runner":
            return sys.executable
        requirements = find_requirements(request.submission_root, notebook_dir)
        if requirements is None:
            raise RunSetupError("runner.environment is 'requirements' but the submission has "
                                "no requirements.txt")
        return str(requirements_python(requirements, self.data_dir))

    def _cgroup(self, name: str) -> RunCgroup | None:
        settings = self.settings
        if not self.sandbox or not (settings.memory_mb or settings.max_processes):
            return None
        return create_run_cgroup(name, settings.memory_mb << 20, settings.max_processes)

    def _execute(self, prepared: Prepared, request: RunRequest,
                 progress: ProgressCallback | None, group: RunCgroup | None) -> ChildOutcome:
        folder, settings = prepared.folder, self.settings
        write_kernelspec(folder / "jupyter", self._launcher(prepared, request, group))
        args = {"notebook": str(prepared.notebook), "output": str(folder / "executed.ipynb"),
                "kernel_name": KERNEL_NAME, "cell_timeout_s": settings.cell_timeout_s,
                "notebook_timeout_s": settings.notebook_timeout_s,
                "max_output_bytes": settings.max_output_bytes,
                "runtime": str(prepared.layout.runtime), "disk_mb": settings.disk_mb,
                "tmp_mb": settings.tmp_mb}
        read_end, write_end = os.pipe()
        args["events_fd"] = write_end
        command = [sys.executable, "-I", "-m", "reviewbot.runners.execute", json.dumps(args)]
        on_cell = _progress_reporter(request.notebook, prepared.injection, progress)
        quota = FolderQuota(prepared.layout.scratch.parent, settings.disk_mb << 20)
        supervisor = Supervisor(Limits(settings.notebook_timeout_s, settings.cell_timeout_s),
                                on_cell, quota.check)
        log.info("running %s (seed %s, sandbox %s)", request.notebook, request.seed,
                 "on" if self.sandbox else "OFF")
        return supervisor.run(command, runner_environment(folder, prepared.layout), folder,
                              (read_end, write_end))

    def _launcher(self, prepared: Prepared, request: RunRequest,
                  group: RunCgroup | None) -> list[str]:
        """The launcher's argv, after writing its spec: the kernel, sandboxed unless told."""
        settings = self.settings
        kernel = kernel_argv(prepared.kernel_python, prepared.notebook.parent)
        env = self._kernel_environment(prepared, request)
        rlimits = resource_limits(0 if self.gpu else settings.memory_mb << 20,
                                  settings.disk_mb << 20)
        log = prepared.layout.log
        if not self.sandbox:
            return write_launch(prepared.folder, KernelLaunch(kernel, env, rlimits=rlimits,
                                                              log=log))
        command = bwrap_command(prepared.layout, prepared.notebook.parent, env, kernel,
                                [prepared.kernel_python], readable=[RECORD_DIR], gpu=self.gpu,
                                gpus=request.gpus, masked=self.masked_files,
                                tmp_bytes=settings.tmp_mb << 20)
        return write_launch(prepared.folder, KernelLaunch(
            command, {"PATH": "/usr/bin:/bin"}, group.procs_files if group else (), rlimits,
            prepared.user, write_seccomp(prepared.folder), log))

    def _kernel_environment(self, prepared: Prepared, request: RunRequest) -> dict[str, str]:
        python_bin = str(Path(prepared.kernel_python).parent)
        return child_environment({
            "PATH": f"{python_bin}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(prepared.layout.home),
            "PYTHONPATH": str(RECORD_DIR),
            "PYTHONHASHSEED": str(request.seed),
            "REVIEWBOT_RUN_ID": request.run_id,
            "REVIEWBOT_SEED": str(request.seed),
            "MPLBACKEND": "Agg",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "TF_DETERMINISTIC_OPS": "1",
            **(gpu_binding(gpu_devices(), request.gpus[0])[1] if self.gpu and request.gpus
               else {}),  # one GPU of several: CUDA_VISIBLE_DEVICES names it
        })

    def _result(self, prepared: Prepared, request: RunRequest, outcome: ChildOutcome,
                breaches: list[str], seconds: float) -> RunResult:
        executed = read_notebook_json(prepared.folder / "executed.ipynb")
        if executed is not None and request.artifacts_dir is not None:
            request.artifacts_dir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(prepared.folder / "executed.ipynb",
                            request.artifacts_dir / Path(request.notebook).name)
        metrics = read_metrics(prepared.layout.scratch,
                               str(Path(request.notebook).parent), request.run_id, executed)
        result = outcome.result or {}
        environment = self._describe_environment(prepared)
        error, cell = _run_error(outcome, prepared.injection, breaches)
        return RunResult(
            notebook=request.notebook, seed=request.seed, ok=not error, seconds=seconds,
            run_id=request.run_id, scalars=metrics.scalars, series=metrics.series,
            error=error, error_cell=cell,
            output_tail=result.get("output_tail") or _raw_tail(outcome, prepared.layout.log),
            device=describe_device(self.gpu, environment), environment=environment,
            parameters=dict(prepared.overrides),
            problems=metrics.messages(), metric_problems=tuple(metrics.problems))

    def _describe_environment(self, prepared: Prepared) -> dict[str, str]:
        environment = environment_facts(prepared.kernel_python, prepared.folder, self.gpu,
                                        prepared.mentions_tensorflow)
        environment |= {
            "sandbox": "bubblewrap" if self.sandbox else "none (--no-sandbox)",
            "sandbox_guarantees": self.guarantees,
            "limits": self._limits_text(),
            "kernel_python": prepared.kernel_python,
            "environment": self.settings.environment,
            "parameters_injection": prepared.injection.how,
        }
        if prepared.left_out:
            environment["left_out_of_scratch_copy"] = "; ".join(prepared.left_out)[:1000]
        return environment

    def _limits_text(self) -> str:
        s = self.settings
        if not self.sandbox:
            return (f"address space {s.memory_mb:,} MiB per process, files {s.disk_mb:,} MiB "
                    "(no cgroup, no tmpfs limits without the sandbox)")
        return (f"memory {s.memory_mb:,} MiB and {s.max_processes:,} processes for the whole "
                f"sandbox (cgroup; 0 = none), disk {s.disk_mb:,} MiB, /tmp and /dev/shm "
                f"{s.tmp_mb:,} MiB each")

    def _failed(self, request: RunRequest, error: str, seconds: float) -> RunResult:
        log.warning("run of %s could not start: %s", request.notebook, error)
        return RunResult(notebook=request.notebook, seed=request.seed, ok=False,
                         seconds=seconds, run_id=request.run_id, error=error,
                         environment={"sandbox": "bubblewrap" if self.sandbox else "none"})


def runner_environment(folder: Path, layout: Layout) -> dict[str, str]:
    """The runner's environment: only Jupyter's folders, all inside the run folder."""
    (folder / "runner-home").mkdir(exist_ok=True)
    return {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(folder / "runner-home"),
            "JUPYTER_PATH": str(folder / "jupyter"), "JUPYTER_RUNTIME_DIR": str(layout.runtime),
            "JUPYTER_DATA_DIR": str(folder / "jupyter-data"),
            "JUPYTER_CONFIG_DIR": str(folder / "jupyter-config"),
            "JUPYTER_PLATFORM_DIRS": "1"}


def _progress_reporter(notebook: str, injection: Injection,
                       progress: ProgressCallback | None) -> Any:
    def on_cell(event: dict[str, Any]) -> None:
        if injection.is_injected(event.get("cell")):
            return  # the submitted notebook has no such cell to report
        cell = injection.original_cell(event.get("cell")) or 0
        cells = event.get("cells", 0) - (injection.inserted_at is not None)
        elapsed = float(event.get("elapsed", 0.0))
        log.info("%s: cell %d of %d done, %.1f s", notebook, cell, cells, elapsed)
        if progress is not None:
            progress(CellProgress(notebook=notebook, cell=cell, cells=cells, elapsed=elapsed))
    return on_cell


def _run_error(outcome: ChildOutcome, injection: Injection,
               breaches: list[str]) -> tuple[str, int | None]:
    """The run's one-line error (empty when it succeeded) and the original cell number;
    a limit the run hit is named first, whatever the kernel made of it."""
    failing_cell = (outcome.result or {}).get("error_cell") or outcome.current_cell
    if breaches:
        return "; ".join(breaches), injection.original_cell(failing_cell)
    if outcome.killed:
        return outcome.killed, injection.original_cell(outcome.current_cell)
    if outcome.result is None:
        return (f"the run ended without a result (exit status {outcome.returncode}; the "
                "process was killed or crashed)", injection.original_cell(outcome.current_cell))
    if outcome.result.get("ok"):
        return "", None
    return (str(outcome.result.get("error", "the run failed")),
            injection.original_cell(outcome.result.get("error_cell")))


def _raw_tail(outcome: ChildOutcome, log: Path) -> str:
    """What the runner and the kernel printed last, when the run gave no result."""
    text = outcome.raw_tail.decode(errors="replace") + "\n" + kernel_log_tail(log)
    return "\n".join(line for line in text.splitlines() if line.strip())[-4000:]
