"""What the terminal shows while long static work goes on: a transient bar on stderr.

Only on a terminal: piped or redirected, nothing is printed (logs and CI output stay clean,
and the report on stdout is never mixed with it). The bar disappears when the work ends.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

Advance = Callable[[str], None]  # called with what is being done next


def _quiet(_: str) -> None:
    return None


class Steps:
    """A bar of ``total`` steps; ``step(label)`` says what starts now and counts the last."""

    def __init__(self, bars: Progress | None, task: TaskID | None) -> None:
        self._bars, self._task, self._started = bars, task, False

    def step(self, label: str) -> None:
        if self._bars is None or self._task is None:
            return
        self._bars.update(self._task, description=label, advance=1 if self._started else 0)
        self._bars.refresh()  # each step is seconds of work: show it now, not at the next tick
        self._started = True

    def grow(self, total: int) -> None:
        """The work turned out larger (e.g. a source's files were counted)."""
        if self._bars is not None and self._task is not None:
            self._bars.update(self._task, total=total)

    def advance_to(self, done: int, label: str) -> None:
        if self._bars is not None and self._task is not None:
            self._bars.update(self._task, completed=done, description=label)


@contextmanager
def progress(description: str, total: int | None, *, stream: TextIO | None = None,
             quiet: bool = False) -> Iterator[Steps]:
    """Steps shown as a bar on a terminal; a silent ``Steps`` when piped or ``quiet``."""
    out = stream or sys.stderr
    if quiet or not out.isatty():
        yield Steps(None, None)
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=Console(file=out), transient=True) as bars:
        yield Steps(bars, bars.add_task(description, total=total))
