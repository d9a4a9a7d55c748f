"""Per-run progress while runs execute: a rich bar on a terminal, plain lines otherwise.

Runs may go side by side (``[runner] concurrency``): every active run has its own bar or its
own labelled lines (notebook, seed and GPU), and the bars are safe to update from threads.

Progress goes to stderr, so that a report on stdout (or piped into a file) stays clean.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from reviewbot.replication.verdicts import ProgressFor
from reviewbot.runners.base import CellProgress, ProgressCallback, RunRequest


@contextmanager
def run_progress(quiet: bool, stream: TextIO | None = None) -> Iterator[ProgressFor]:
    """A factory of per-run callbacks; nothing when quiet, a bar when ``stream`` is a TTY."""
    out = stream or sys.stderr
    if quiet:
        yield lambda request: None
    elif out.isatty():
        with _bars(out) as factory:
            yield factory
    else:
        yield lambda request: _plain_lines(request, out)


def _label(request: RunRequest) -> str:
    """``nb.ipynb (seed 3, GPU 1)``: runs go side by side, each line says which it is."""
    gpu = f", GPU {','.join(request.gpus)}" if request.gpus else ""
    return f"{request.notebook} (seed {request.seed}{gpu})"


def _plain_lines(request: RunRequest, out: TextIO) -> ProgressCallback:
    print(f"running {_label(request)}", file=out, flush=True)

    def report(step: CellProgress) -> None:
        print(f"  {_label(request)}: cell {step.cell} of {step.cells}, "
              f"{step.elapsed:.1f} s", file=out, flush=True)

    return report


@contextmanager
def _bars(out: TextIO) -> Iterator[ProgressFor]:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("cells"), TimeElapsedColumn())
    with Progress(*columns, console=Console(file=out), transient=False) as bars:
        def factory(request: RunRequest) -> ProgressCallback:
            task = bars.add_task(_label(request), total=None)

            def report(step: CellProgress) -> None:
                bars.update(task, total=step.cells, completed=step.cell)

            return report

        yield factory
