"""The Runner protocol: what the pipeline and the gpu worker call to execute a notebook."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from reviewbot.core.models import RunResult


@dataclass(frozen=True)
class CellProgress:
    """Reported after each cell: cell i of n, seconds since the notebook started."""

    notebook: str
    cell: int
    cells: int
    elapsed: float


ProgressCallback = Callable[[CellProgress], None]


@dataclass(frozen=True)
class RunRequest:
    """One notebook execution: which notebook, which seed, which parameter overrides."""

    submission_root: Path
    notebook: str  # path relative to submission_root
    seed: int
    run_id: str  # nonce the notebook must echo in metrics.json
    parameters: Mapping[str, object] = field(default_factory=dict)
    artifacts_dir: Path | None = None  # where the executed notebook is written
    gpus: tuple[str, ...] | None = None  # GPU indices this run may use; None: the runner's


class Runner(Protocol):
    """Executes one notebook; every failure is returned as data, never raised."""

    def run(self, request: RunRequest, progress: ProgressCallback | None = None) -> RunResult:
        ...
