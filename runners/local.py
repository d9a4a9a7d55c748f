"""The local runner: one notebook, one seed, in a sandbox on this machine.

The parent prepares a scratch copy (parameters injected, committed metrics.json removed),
starts ``reviewbot.runners.execute`` under bubblewrap (or, when asked, without it), turns
its events into progress callbacks, and builds the ``RunResult`` from its result event, the
metrics the notebook wrote and where it ran. Every failure comes back as data.
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
from reviewbot.runners.config import RunnerConfig
from reviewbot.runners.device import describe_device
from reviewbot.runners.environments import (
    EnvironmentBuildError,
    find_requirements,
    requirements_python,
)
from reviewbot.runners.metrics import read_metrics
from reviewbot.runners.parameters import Injection, inject
from reviewbot.runners.process import ChildOutcome, Limits, Supervisor
from reviewbot.runners.sandbox import (
    SandboxUnavailable,
    bwrap_command,
    child_environment,
    gpu_devices,
    process_limit_note,
    python_folders,
    sandbox_available,
    sandbox_user,
    user_arguments,
)
from reviewbot.runners.scratch import copy_submission, hand_over

log = logging.getLogger("reviewbot.runner")
RECORD_DIR = Path(__file__).parent / "record"
KERNEL_NAME = "reviewbot-python"


class RunSetupError(Exception):
    """The run could not start (no notebook, unreadable notebook, requirements failed)."""


@dataclass
class Prepared:
    """A scratch folder ready to run: where everything is, and what was changed."""

    scratch: Path
    notebook: Path
    injection: Injection
    overrides: dict[str, object]
    kernel_python: str
    left_out: list[str]
    user: tuple[int, int] | None  # who the sandbox runs as (None: as ourselves)


class LocalRunner:
    """Executes notebooks on this machine, sandboxed by bubblewrap unless told otherwise."""

    def __init__(self, settings: RunnerConfig, sandbox: bool = True,
                 data_dir: Path | None = None, masked_files: Sequence[Path] = ()) -> None:
        if sandbox:
            available, reason = sandbox_available()
            if not available:
                raise SandboxUnavailable(reason)
        self.settings = settings
        self.sandbox = sandbox
        self.data_dir = data_dir or environment.data_dir()
        self.masked_files = tuple(masked_files)  # secret files the sandbox shows as empty
        self.gpu = settings.gpu and bool(gpu_devices())

    def run(self, request: RunRequest, progress: ProgressCallback | None = None) -> RunResult:
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="reviewbot-run-") as tmp:
            try:
                prepared = self._prepare(Path(tmp), request)
            except (RunSetupError, EnvironmentBuildError) as exc:
                return self._failed(request, str(exc), time.monotonic() - started)
            outcome = self._execute(prepared, request, progress)
            return self._result(prepared, request, outcome, time.monotonic() - started)

    def _prepare(self, tmp: Path, request: RunRequest) -> Prepared:
        scratch = tmp / "submission"
        left_out = copy_submission(request.submission_root, scratch,
                                   self.settings.max_copy_file_bytes)
        notebook = scratch / request.notebook
        try:
            nb = nbformat.read(notebook, as_version=4)
        except (OSError, ValueError) as exc:
            raise RunSetupError(f"the notebook {request.notebook} cannot be read: {exc}") from None
        overrides = {"seed": request.seed, **self.settings.parameters, **request.parameters}
        injection = inject(nb, overrides)
        nbformat.write(nb, notebook)
        python = self._kernel_python(request, notebook.parent)
        _write_kernelspec(tmp / "jupyter", python)
        (tmp / "home").mkdir()
        user = sandbox_user(python) if self.sandbox else None
        hand_over(tmp, user)
        return Prepared(tmp, notebook, injection, overrides, python, left_out, user)

    def _kernel_python(self, request: RunRequest, notebook_dir: Path) -> str:
        if self.settings.environment == "runner":
            return sys.executable
        requirements = find_requirements(request.submission_root, notebook_dir)
        if requirements is None:
            raise RunSetupError("runner.environment is 'requirements' but the submission has "
                                "no requirements.txt")
        return str(requirements_python(requirements, self.data_dir))

    def _execute(self, prepared: Prepared, request: RunRequest,
                 progress: ProgressCallback | None) -> ChildOutcome:
        tmp, settings = prepared.scratch, self.settings
        args = {"notebook": str(prepared.notebook), "output": str(tmp / "executed.ipynb"),
                "kernel_name": KERNEL_NAME, "cell_timeout_s": settings.cell_timeout_s,
                "notebook_timeout_s": settings.notebook_timeout_s,
                "memory_bytes": 0 if self.gpu else settings.memory_mb << 20,
                "max_processes": settings.max_processes,
                "max_output_bytes": settings.max_output_bytes}
        env = self._environment(prepared, request)
        read_end, write_end = os.pipe()
        args["events_fd"] = write_end
        inner = [sys.executable, "-m", "reviewbot.runners.execute", json.dumps(args)]
        command = (bwrap_command(tmp, prepared.notebook.parent, env, inner, gpu=self.gpu,
                                 reveal=python_folders(prepared.kernel_python),
                                 masked=self.masked_files, gpus=request.gpus)
                   if self.sandbox else inner)
        on_cell = _progress_reporter(request.notebook, prepared.injection, progress)
        supervisor = Supervisor(Limits(settings.notebook_timeout_s, settings.cell_timeout_s),
                                on_cell)
        log.info("running %s (seed %s, sandbox %s)", request.notebook, request.seed,
                 "on" if self.sandbox else "OFF")
        popen = user_arguments(prepared.user) if self.sandbox else {}
        return supervisor.run(command, env if not self.sandbox else {"PATH": "/usr/bin:/bin"},
                              prepared.notebook.parent, (read_end, write_end), **popen)

    def _environment(self, prepared: Prepared, request: RunRequest) -> dict[str, str]:
        python_bin = str(Path(prepared.kernel_python).parent)
        return child_environment({
            "PATH": f"{python_bin}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(prepared.scratch / "home"),
            "JUPYTER_PATH": str(prepared.scratch / "jupyter"),
            "PYTHONPATH": str(RECORD_DIR),
            "PYTHONHASHSEED": str(request.seed),
            "REVIEWBOT_RUN_ID": request.run_id,
            "REVIEWBOT_SEED": str(request.seed),
            "MPLBACKEND": "Agg",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "TF_DETERMINISTIC_OPS": "1",
        })

    def _result(self, prepared: Prepared, request: RunRequest, outcome: ChildOutcome,
                seconds: float) -> RunResult:
        executed = _read_executed(prepared.scratch / "executed.ipynb")
        if executed is not None and request.artifacts_dir is not None:
            request.artifacts_dir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(prepared.scratch / "executed.ipynb",
                            request.artifacts_dir / Path(request.notebook).name)
        metrics = read_metrics(prepared.notebook.parent, request.run_id, executed)
        result = outcome.result or {}
        environment = self._describe_environment(prepared, result.get("environment", {}))
        error, cell = _run_error(outcome, prepared.injection)
        return RunResult(
            notebook=request.notebook, seed=request.seed, ok=not error, seconds=seconds,
            run_id=request.run_id, scalars=metrics.scalars, series=metrics.series,
            error=error, error_cell=cell,
            output_tail=result.get("output_tail") or _raw_tail(outcome),
            device=describe_device(self.gpu, environment), environment=environment,
            parameters=dict(prepared.overrides), problems=tuple(metrics.problems))

    def _describe_environment(self, prepared: Prepared, kernel: dict[str, str]) -> dict:
        environment = {str(key): str(value) for key, value in kernel.items()}
        environment.setdefault("op_determinism", "TF_DETERMINISTIC_OPS=1 set")
        environment |= {
            "sandbox": "bubblewrap" if self.sandbox else "none (--no-sandbox)",
            "kernel_python": prepared.kernel_python,
            "environment": self.settings.environment,
            "parameters_injection": prepared.injection.how,
            "process_limit": process_limit_note(prepared.user),
        }
        if prepared.left_out:
            environment["left_out_of_scratch_copy"] = "; ".join(prepared.left_out)[:1000]
        return environment

    def _failed(self, request: RunRequest, error: str, seconds: float) -> RunResult:
        log.warning("run of %s could not start: %s", request.notebook, error)
        return RunResult(notebook=request.notebook, seed=request.seed, ok=False,
                         seconds=seconds, run_id=request.run_id, error=error,
                         environment={"sandbox": "bubblewrap" if self.sandbox else "none"})


def _write_kernelspec(jupyter_path: Path, python: str) -> None:
    """A kernelspec that starts the chosen python, found through JUPYTER_PATH."""
    folder = jupyter_path / "kernels" / KERNEL_NAME
    folder.mkdir(parents=True)
    spec = {"argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "reviewbot", "language": "python"}
    (folder / "kernel.json").write_text(json.dumps(spec))


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


def _run_error(outcome: ChildOutcome, injection: Injection) -> tuple[str, int | None]:
    """The run's one-line error (empty when it succeeded) and the original cell number."""
    if outcome.killed:
        return outcome.killed, injection.original_cell(outcome.current_cell)
    if outcome.result is None:
        return (f"the run ended without a result (exit status {outcome.returncode}; the "
                "process was killed or crashed)", injection.original_cell(outcome.current_cell))
    if outcome.result.get("ok"):
        return "", None
    return (str(outcome.result.get("error", "the run failed")),
            injection.original_cell(outcome.result.get("error_cell")))


def _raw_tail(outcome: ChildOutcome) -> str:
    lines = outcome.raw_tail.decode(errors="replace").splitlines()
    return "\n".join(lines[-20:])


def _read_executed(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
