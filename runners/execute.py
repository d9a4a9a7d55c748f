"""The runner: the trusted process that executes one notebook in a sandboxed kernel.

``python -I -m reviewbot.runners.execute '<json>'`` runs outside the sandbox, as the
reviewbot's own user, from the run's folder (not the submission's). It starts the kernel
through the run's kernelspec (the launcher, then bubblewrap), talks to it over Unix sockets
in the run's runtime folder, runs the notebook cell by cell with nbclient, and writes JSON
lines to the file descriptor it was given: ``{"event": "start", ...}`` before each cell,
``{"event": "cell", ...}`` after it, and one ``{"event": "result", ...}`` at the end.

The kernel cannot reach this process: another uid (or a user namespace), another PID
namespace, no descriptor of ours (jupyter_client closes them all when it starts the kernel),
and a seccomp filter against ptrace. What the kernel sends is treated as the notebook's
output, never as the run's result.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import re
import sys
import time
from pathlib import Path
from typing import Any, TextIO

import nbformat
from jupyter_core.utils import ensure_async
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

TAIL_LINES = 20
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class OutputLimitExceeded(Exception):
    """The notebook printed more than the run may keep."""


class StopRun(Exception):
    """The notebook's own time limit ran out before a cell finished."""


class LimitedClient(NotebookClient):
    """An nbclient client that stops keeping output past a byte budget and interrupts."""

    def __init__(self, nb: Any, max_output_bytes: int, **kwargs: Any) -> None:
        super().__init__(nb, **kwargs)
        self.max_output_bytes = max_output_bytes
        self.output_bytes = 0
        self.output_overflow = False
        self.interrupting: asyncio.Future | None = None  # kept so the task is not collected
        self.runtime = ""

    def output(self, outs: list, msg: dict, display_id: str | None, cell_index: int) -> Any:
        self.output_bytes += _message_size(msg.get("content", {}))
        if self.output_bytes <= self.max_output_bytes:
            return super().output(outs, msg, display_id, cell_index)
        if not self.output_overflow:
            self.output_overflow = True
            self.interrupting = asyncio.ensure_future(ensure_async(self.km.interrupt_kernel()))
        return None


    def create_kernel_manager(self) -> Any:
        """A kernel manager speaking over Unix sockets in the runtime folder (the sandbox has
        no network to carry TCP)."""
        manager = super().create_kernel_manager()
        manager.transport = "ipc"
        manager.ip = str(Path(self.runtime) / "kernel")
        manager.connection_file = str(Path(self.runtime) / "kernel.json")
        return manager


def _message_size(content: dict) -> int:
    data = content.get("data", {})
    return len(str(content.get("text", ""))) + sum(len(str(value)) for value in data.values())


class Execution:
    """One notebook run: the client, the cell being run, and the events sent to the parent."""

    def __init__(self, args: dict[str, Any], events: TextIO) -> None:
        self.args = args
        self.events = events
        self.nb = nbformat.read(args["notebook"], as_version=4)
        self.client = LimitedClient(
            self.nb, args["max_output_bytes"], kernel_name=args["kernel_name"],
            timeout=int(args["cell_timeout_s"]), shutdown_kernel="immediate",
            resources={"metadata": {"path": str(Path(args["notebook"]).parent)}})
        self.client.runtime = args["runtime"]
        self.started = time.monotonic()
        self.current = 0  # 1-based number of the cell being run

    def emit(self, event: str, **fields: Any) -> None:
        self.events.write(json.dumps({"event": event, **fields}) + "\n")
        self.events.flush()

    def run(self) -> dict[str, Any]:
        failure: dict[str, Any] = {}
        try:
            with self.client.setup_kernel():
                self.client.wait_for_reply(self.client.kc.kernel_info())
                failure = self._run_cells()
        except Exception as exc:  # every way a run can end badly is reported, not raised
            failure = describe_failure(exc, self)
        failure.pop("kernel_alive", None)
        _write_executed(self.nb, self.args["output"])
        return {"ok": not failure, "cells": len(self.nb.cells),
                "seconds": time.monotonic() - self.started,
                "output_tail": output_tail(self.nb.cells[: max(self.current, 1)]), **failure}

    def _run_cells(self) -> dict[str, Any]:
        cells = len(self.nb.cells)
        for index, cell in enumerate(self.nb.cells):
            self.current = index + 1
            self.emit("start", cell=self.current, cells=cells)
            self._set_cell_timeout()
            try:
                self.client.execute_cell(cell, index,
                                         execution_count=self.client.code_cells_executed + 1)
            except CellExecutionError as exc:
                return {**describe_failure(exc, self), "kernel_alive": True}
            if self.client.output_overflow:
                raise OutputLimitExceeded()
            self.emit("cell", cell=self.current, cells=cells,
                      elapsed=time.monotonic() - self.started)
        return {}

    def _set_cell_timeout(self) -> None:
        left = self.args["notebook_timeout_s"] - (time.monotonic() - self.started)
        if left <= 0:
            raise StopRun()
        self.client.timeout = max(1, math.ceil(min(self.args["cell_timeout_s"], left)))


def _write_executed(nb: Any, path: str) -> None:
    """Write the executed notebook; outputs too deeply nested to write leave none."""
    with contextlib.suppress(RecursionError, ValueError, OSError):
        nbformat.write(nb, path)  # on failure the parent reads "no executed notebook"


def describe_failure(exc: Exception, run: Execution) -> dict[str, Any]:
    """What stopped the run, in one line, and which cell."""
    cell, limits = run.current or None, run.args
    if isinstance(exc, OutputLimitExceeded) or run.client.output_overflow:
        error = (f"the notebook printed more than the output limit of "
                 f"{limits['max_output_bytes']:,} bytes; the run was stopped")
    elif isinstance(exc, CellExecutionError):
        error = describe_cell_error(exc.ename, exc.evalue, limits)
    elif isinstance(exc, CellTimeoutError | StopRun):
        error = describe_timeout(run)
    elif isinstance(exc, DeadKernelError):
        error = ("the kernel died (it crashed, or the system killed it for using too much "
                 "memory)")
    else:
        error = f"the notebook could not be run: {type(exc).__name__}: {exc}"
    return {"error": error, "error_cell": cell}


def describe_cell_error(ename: str, evalue: str, limits: dict[str, Any] | None = None) -> str:
    """The exception a cell raised, said in terms of what the sandbox allows."""
    message = f"{ename}: {evalue}".strip()
    if re.search(r"No space left on device|File too large|Disk quota exceeded", evalue):
        return f"the run reached a disk limit ({describe_disk_limits(limits or {})}): {message}"
    if ename == "StdinNotImplementedError":
        return ("the notebook asked for keyboard input (input()), which an unattended run "
                f"cannot give: {message}")
    if "MemoryError" in ename:
        return f"out of memory (the run's memory limit was reached): {message}"
    if re.search(r"unreachable|name resolution|Name or service not known|No address|"
                 r"Connection refused|nodename nor servname", evalue, re.IGNORECASE):
        return f"the notebook tried to reach the network, which review runs do not have: {message}"
    return message


def describe_disk_limits(limits: dict[str, Any]) -> str:
    parts = []
    if limits.get("disk_mb"):
        parts.append(f"{limits['disk_mb']:,} MiB for its folder and each file in it")
    if limits.get("tmp_mb"):
        parts.append(f"{limits['tmp_mb']:,} MiB each for /tmp and /dev/shm")
    return "; ".join(parts) or "the disk is full"


def describe_timeout(run: Execution) -> str:
    elapsed = time.monotonic() - run.started
    limit = run.args["notebook_timeout_s"]
    if elapsed >= limit - 1:
        return f"the notebook ran longer than its limit of {limit:g} s and was stopped"
    return (f"the cell ran longer than the per-cell limit of {run.args['cell_timeout_s']:g} s "
            "and was stopped")


def output_tail(cells: list) -> str:
    """The last lines the notebook printed (streams, results and tracebacks), ANSI removed."""
    lines: list[str] = []
    for cell in cells:
        for out in cell.get("outputs", []):
            lines += _output_text(out).splitlines()
    return "\n".join(lines[-TAIL_LINES:])[-4000:]


def _output_text(out: Any) -> str:
    if out.get("output_type") == "stream":
        return out.get("text", "")
    if out.get("output_type") == "error":
        return ANSI.sub("", "\n".join(out.get("traceback", [])))
    return str(out.get("data", {}).get("text/plain", ""))


def main(argv: list[str]) -> int:
    args = json.loads(argv[1])
    with open(args["events_fd"], "w", buffering=1, closefd=True) as events:
        execution = Execution(args, events)
        result = execution.run()
        execution.emit("result", **result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
