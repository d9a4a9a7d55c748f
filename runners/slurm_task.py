"""What one Slurm array task runs: ``python -m reviewbot.runners.slurm_task BATCH_DIR``.

The task reads its request (``task-<SLURM_ARRAY_TASK_ID>/request.json``) and the runner
settings (``settings.json``) that the submitting worker wrote into the batch folder, runs
the notebook with the local runner (in its bubblewrap sandbox, exactly as on one
machine), and writes ``result.json`` beside the request. The file appears whole (written
aside, then renamed), so the watcher never reads half a result.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import Any

from reviewbot.core.models import RunResult, Series, freeze
from reviewbot.runners.base import CellProgress, RunRequest
from reviewbot.runners.config import RunnerConfig

REQUEST, RESULT, PROGRESS, SETTINGS = "request.json", "result.json", "progress.json", \
    "settings.json"
EXECUTED = "executed.ipynb"


def result_dict(run: RunResult) -> dict[str, Any]:
    """A run as plain JSON (non-finite numbers as null)."""
    return {
        "notebook": run.notebook, "seed": run.seed, "ok": run.ok, "seconds": run.seconds,
        "run_id": run.run_id, "scalars": {k: _finite(v) for k, v in run.scalars.items()},
        "series": {k: {"x": [_finite(v) for v in s.x], "y": [_finite(v) for v in s.y],
                       "x_name": s.x_name} for k, s in run.series.items()},
        "error": run.error, "error_cell": run.error_cell, "output_tail": run.output_tail,
        "device": run.device, "environment": dict(run.environment),
        "parameters": {k: v if isinstance(v, (bool, int, float, str)) else str(v)
                       for k, v in run.parameters.items()},
        "problems": list(run.problems),
    }


def result_from_dict(data: dict[str, Any]) -> RunResult:
    """The inverse of ``result_dict``; raises KeyError/TypeError/ValueError on a bad file."""
    series = {str(k): Series(_floats(s["x"]), _floats(s["y"]), str(s.get("x_name", "step")))
              for k, s in dict(data.get("series") or {}).items()}
    cell = data.get("error_cell")
    return RunResult(
        notebook=str(data["notebook"]), seed=int(data["seed"]), ok=bool(data["ok"]),
        seconds=float(data.get("seconds", 0.0)), run_id=str(data.get("run_id", "")),
        scalars=freeze({str(k): _float(v) for k, v in dict(data.get("scalars") or {}).items()}),
        series=freeze(series), error=str(data.get("error", "")),
        error_cell=None if cell is None else int(cell),
        output_tail=str(data.get("output_tail", "")), device=str(data.get("device", "")),
        environment=freeze({str(k): str(v) for k, v in
                            dict(data.get("environment") or {}).items()}),
        parameters=freeze(dict(data.get("parameters") or {})),
        problems=tuple(str(p) for p in data.get("problems") or ()))


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _float(value: object) -> float:
    return math.nan if value is None else float(value)  # type: ignore[arg-type]


def _floats(values: object) -> tuple[float, ...]:
    return tuple(_float(v) for v in values)  # type: ignore[attr-defined]


def write_atomically(path: Path, data: dict[str, Any]) -> None:
    aside = path.with_name(f".{path.name}.{os.getpid()}")
    aside.write_text(json.dumps(data, allow_nan=False), encoding="utf-8")
    aside.replace(path)


def request_of(task_dir: Path, data: dict[str, Any]) -> RunRequest:
    return RunRequest(Path(data["submission_root"]), data["notebook"], int(data["seed"]),
                      data["run_id"], dict(data.get("parameters") or {}),
                      task_dir / "artifacts" if data.get("artifacts") else None)


def run_task(batch_dir: Path, index: int) -> int:
    """Run task ``index`` of the batch; 0 when a result was written."""
    from reviewbot.runners.local import LocalRunner  # nbformat, the sandbox: only in the task

    task_dir = batch_dir / f"task-{index}"
    settings_data = json.loads((batch_dir / SETTINGS).read_text(encoding="utf-8"))
    request = request_of(task_dir, json.loads((task_dir / REQUEST).read_text(encoding="utf-8")))
    settings = RunnerConfig.model_validate(settings_data["runner"])
    runner = LocalRunner(settings, sandbox=bool(settings_data.get("sandbox", True)),
                         data_dir=Path(settings_data["data_dir"]))

    def progress(step: CellProgress) -> None:
        write_atomically(task_dir / PROGRESS, {"cell": step.cell, "cells": step.cells,
                                               "elapsed": step.elapsed})

    result = runner.run(request, progress)
    if request.artifacts_dir is not None:
        executed = request.artifacts_dir / Path(request.notebook).name
        if executed.is_file():
            executed.replace(task_dir / EXECUTED)
    write_atomically(task_dir / RESULT, result_dict(result))
    return 0


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m reviewbot.runners.slurm_task BATCH_DIR", file=sys.stderr)
        return 2
    index = os.environ.get("SLURM_ARRAY_TASK_ID", "")
    if not index.isdigit():
        print("SLURM_ARRAY_TASK_ID is not set: run this as a Slurm array task", file=sys.stderr)
        return 2
    return run_task(Path(argv[0]), int(index))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
