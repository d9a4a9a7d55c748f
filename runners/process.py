"""Start the runner child, follow its events, and kill everything it started on a deadline.

The parent keeps its own deadlines (the notebook's limit, and each cell's limit plus a
grace period) on top of the child's, so a wedged child or kernel can never hang a review,
and calls a watch (the disk quota) every second, which may stop the run with a reason.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GRACE_S = 15.0  # the child stops a cell itself; the parent steps in only after this
RAW_TAIL_BYTES = 8192
MAX_EVENT_BYTES = 1_000_000
WATCH_EVERY_S = 1.0


@dataclass
class ChildOutcome:
    """What the parent saw of one child: its result event, or why it was killed."""

    result: dict[str, Any] | None = None
    killed: str = ""
    current_cell: int | None = None
    returncode: int | None = None
    raw_tail: bytes = b""
    events: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Limits:
    notebook_s: float
    cell_s: float


class Supervisor:
    """Runs one child to its end or its deadline, reporting each cell to ``on_cell``."""

    def __init__(self, limits: Limits, on_cell: Callable[[dict[str, Any]], None],
                 watch: Callable[[], str] | None = None) -> None:
        self.limits = limits
        self.on_cell = on_cell
        self.watch = watch
        self.next_watch = time.monotonic() + WATCH_EVERY_S
        self.outcome = ChildOutcome()
        self.started = time.monotonic()
        self.cell_deadline = float("inf")
        self.pending = b""

    def run(self, command: list[str], env: dict[str, str], cwd: Path,
            pipe: tuple[int, int], **popen: Any) -> ChildOutcome:
        """Run ``command``; ``pipe`` is (read end, write end) of the events pipe."""
        read_end, write_end = pipe
        child = subprocess.Popen(command, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 pass_fds=(write_end,), start_new_session=True, **popen)
        os.close(write_end)
        try:
            self._follow(child, read_end)
        finally:
            if child.poll() is None:
                kill_tree(child.pid)
            self.outcome.returncode = child.wait()
            os.close(read_end)
            child.stdout.close()
        return self.outcome

    def _follow(self, child: subprocess.Popen, read_end: int) -> None:
        selector = selectors.DefaultSelector()
        selector.register(read_end, selectors.EVENT_READ, "events")
        selector.register(child.stdout.fileno(), selectors.EVENT_READ, "raw")
        while selector.get_map():
            wait = min(self._time_left(), self._watched())
            if wait <= 0:
                kill_tree(child.pid)
                return
            for key, _ in selector.select(timeout=wait):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    selector.unregister(key.fd)
                elif key.data == "events":
                    self._take_events(chunk)
                else:
                    self.outcome.raw_tail = (self.outcome.raw_tail + chunk)[-RAW_TAIL_BYTES:]

    def _time_left(self) -> float:
        now = time.monotonic()
        notebook_deadline = self.started + self.limits.notebook_s + GRACE_S
        if now >= notebook_deadline:
            self.outcome.killed = (f"the notebook ran longer than its limit of "
                                   f"{self.limits.notebook_s:g} s and was killed")
        elif now >= self.cell_deadline:
            self.outcome.killed = (f"the cell ran longer than the per-cell limit of "
                                   f"{self.limits.cell_s:g} s and was killed")
        return min(notebook_deadline, self.cell_deadline) - now

    def _watched(self) -> float:
        """Seconds until the watch is due; 0 once it has asked to stop the run."""
        if self.watch is None:
            return WATCH_EVERY_S
        now = time.monotonic()
        if now >= self.next_watch:
            self.next_watch = now + WATCH_EVERY_S
            reason = self.watch()
            if reason:
                self.outcome.killed = reason
                return 0.0
        return self.next_watch - now

    def _take_events(self, chunk: bytes) -> None:
        self.pending = (self.pending + chunk)[-MAX_EVENT_BYTES:]
        *lines, self.pending = self.pending.split(b"\n")
        for line in lines:
            with contextlib.suppress(ValueError):
                self._take_event(json.loads(line))

    def _take_event(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "start":
            self.outcome.current_cell = event.get("cell")
            self.cell_deadline = time.monotonic() + self.limits.cell_s + GRACE_S
        elif kind == "cell":
            self.cell_deadline = float("inf")
            self.on_cell(event)
        elif kind == "result":
            self.outcome.result = event


def kill_tree(pid: int) -> None:
    """SIGKILL ``pid``, its process group and every descendant (kernels start their own
    session, so the group alone would miss them outside the sandbox)."""
    for victim in [*_descendants(pid), pid]:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(victim, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    stack = [pid]
    while stack:
        parent = stack.pop()
        for task in Path(f"/proc/{parent}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                children = [int(child) for child in task.read_text().split()]
                found += children
                stack += children
    return found
