"""How a run's kernel is started: the launcher's spec file and the kernelspec that calls it.

The runner (outside the sandbox) starts kernels through jupyter_client, which runs the
kernelspec's ``argv``. That argv is ``python -I -S runners/launch.py SPEC {connection_file}``;
SPEC (written here, in a folder the kernel never sees) holds the whole sandbox command line,
the control groups to join, the per-process limits and the kernel's environment.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reviewbot.runners.seccomp import filter_program

LAUNCHER = Path(__file__).with_name("launch.py")
KERNEL_NAME = "reviewbot-python"
KERNEL_LOG = "kernel.log"


@dataclass(frozen=True)
class KernelLaunch:
    """Everything the launcher does before it becomes bubblewrap (or the bare kernel)."""

    command: Sequence[str]  # may hold {connection_file} and {seccomp_fd}
    env: Mapping[str, str]
    cgroup_procs: Sequence[str] = ()
    rlimits: Mapping[str, int] = field(default_factory=dict)
    owner: tuple[int, int] | None = None  # who must read the connection file (root only)
    seccomp: Path | None = None
    log: Path | None = None  # the kernel's stdout and stderr (default: kernel.log beside SPEC)


def kernel_argv(python: str, folder: Path) -> list[str]:
    """The kernel itself, as the sandbox (or an unsandboxed run) starts it.

    ``-P`` keeps the notebook's folder off ``sys.path`` while the kernel starts, so a
    submission's ``json.py`` cannot break it; the folder is put first again before the
    first cell runs, as ``python -m`` would have, so the notebook imports its own modules.
    """
    safe_path = ["-P"] if sys.version_info >= (3, 11) else []
    first_line = f"__import__('sys').path.insert(0, {str(folder)!r})"
    return [python, *safe_path, "-m", "ipykernel_launcher", "-f", "{connection_file}",
            f"--IPKernelApp.exec_lines={first_line}"]


def resource_limits(memory_bytes: int, file_bytes: int) -> dict[str, int]:
    """Per-process limits of the kernel and its children (the cgroup holds the totals)."""
    limits = {"RLIMIT_CORE": 0}
    if memory_bytes:
        limits["RLIMIT_AS"] = memory_bytes
    if file_bytes:
        limits["RLIMIT_FSIZE"] = file_bytes
    return limits


def write_seccomp(folder: Path) -> Path:
    path = folder / "seccomp.bpf"
    path.write_bytes(filter_program())
    return path


def write_launch(folder: Path, launch: KernelLaunch) -> list[str]:
    """Write the launcher's spec into ``folder``; the argv that starts it (with
    ``{connection_file}`` left for jupyter_client)."""
    spec = folder / "launch.json"
    spec.write_text(json.dumps({
        "command": list(launch.command), "env": dict(launch.env),
        "cgroup_procs": list(launch.cgroup_procs), "rlimits": dict(launch.rlimits),
        "owner": list(launch.owner) if launch.owner else None,
        "seccomp": str(launch.seccomp) if launch.seccomp else None,
        "log": str(launch.log or folder / KERNEL_LOG)}))
    return [sys.executable, "-I", "-S", str(LAUNCHER), str(spec), "{connection_file}"]


def kernel_log_tail(log: Path, max_bytes: int = 8192) -> str:
    """The end of what the kernel printed outside any cell (crashes, import errors)."""
    try:
        with open(log, "rb") as handle:
            handle.seek(max(0, handle.seek(0, 2) - max_bytes))
            return handle.read().decode(errors="replace")
    except OSError:
        return ""


def write_kernelspec(jupyter_path: Path, argv: Sequence[str]) -> None:
    """A kernelspec found through JUPYTER_PATH; interrupts go as messages (a signal would
    reach bubblewrap, not the kernel)."""
    folder = jupyter_path / "kernels" / KERNEL_NAME
    folder.mkdir(parents=True, exist_ok=True)
    spec = {"argv": list(argv), "display_name": "reviewbot", "language": "python",
            "interrupt_mode": "message"}
    (folder / "kernel.json").write_text(json.dumps(spec))
