"""The bubblewrap sandbox a notebook run lives in, and the environment it is given.

The sandbox has its own empty network namespace (only a loopback that is down), its own
PID namespace (everything dies with it), a read-only view of the machine with /tmp, /run and
HOME private, the scratch copy writable, and an environment built from scratch: nothing of
the parent's environment passes but what a kernel needs.

Run as root, bubblewrap is started as ``nobody`` (uid 65534): the kernel ignores
RLIMIT_NPROC for root, and files only root may read stay unreadable to the notebook.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from reviewbot.core.environment import SECRET_VARIABLES
from reviewbot.core.errors import ReviewbotError
from reviewbot.runners.device import gpu_binding

NOBODY = 65534
HIDDEN_DIRS = ("/tmp", "/var/tmp", "/run", "/dev/shm", "/root", "/home")
SECRET_NAME = re.compile(r"(^GITHUB_|^AWS_|TOKEN|SECRET|KEY|PASSWORD|CREDENTIAL)", re.IGNORECASE)
PASSED_THROUGH = ("CUDA_VISIBLE_DEVICES", "LANG")
MISSING_HINT = ("bubblewrap is not available: install it (apt-get install bubblewrap) or pass "
                "--no-sandbox to run the notebooks unsandboxed on this machine")


class SandboxUnavailable(ReviewbotError):
    """bubblewrap is missing or cannot create namespaces on this machine."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"{MISSING_HINT} ({reason})")


def sandbox_user(*pythons: str) -> tuple[int, int] | None:
    """(uid, gid) the sandbox runs as when started by root; None: stay who we are.

    Root hands the run to ``nobody`` unless an interpreter it needs is out of nobody's reach
    (installed under /root, say): then the sandbox runs as root, where RLIMIT_NPROC is not
    enforced; ``process_limit_note`` says so.
    """
    if os.geteuid() != 0:
        return None
    needed = [sys.executable, *pythons]
    if all(_reachable_by_others(Path(python).resolve()) for python in needed):
        return (NOBODY, NOBODY)
    return None


def process_limit_note(user: tuple[int, int] | None) -> str:
    """How the process limit applies to a sandbox run as ``user``."""
    if os.geteuid() == 0 and user is None:
        return ("not enforced: the run's processes belong to root, for whom Linux ignores "
                "RLIMIT_NPROC (a sandbox stays root when its Python is not readable by nobody)")
    if user is not None:
        return "RLIMIT_NPROC for uid 65534 (nobody)"
    return f"RLIMIT_NPROC for uid {os.getuid()} (counts all of this user's processes)"


def _reachable_by_others(path: Path) -> bool:
    """Whether a user with no rights of its own can execute ``path``."""
    for folder in path.parents:
        if not folder.stat().st_mode & 0o001:
            return False
    return bool(path.stat().st_mode & 0o005 == 0o005)


def gpu_devices() -> list[str]:
    """NVIDIA device nodes present on this machine (none on a CPU host)."""
    dev = Path("/dev")
    names = [path for path in dev.glob("nvidia*") if not path.is_dir()]
    return sorted(str(path) for path in names)


def child_environment(values: Mapping[str, str]) -> dict[str, str]:
    """The run's whole environment: ``values`` plus the few safe variables passed through.

    A name that looks like a credential is refused even when the runner itself sets it.
    """
    env = {"LANG": "C.UTF-8", "TMPDIR": "/tmp", "PYTHONNOUSERSITE": "1"}
    env |= {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    env |= dict(values)
    leaked = [name for name in env if name in SECRET_VARIABLES or SECRET_NAME.search(name)]
    if leaked:
        raise ValueError(f"refusing to pass {', '.join(leaked)} into a notebook run")
    return env


def bwrap_command(scratch: Path, cwd: Path, env: Mapping[str, str], inner: Sequence[str],
                  gpu: bool = False, reveal: Sequence[Path] = (),
                  masked: Sequence[Path] = (), gpus: Sequence[str] | None = None) -> list[str]:
    """The bwrap command line that runs ``inner`` in ``cwd`` with only ``scratch`` writable.

    Home folders, /tmp and /run are empty in the sandbox; ``reveal`` lists folders under
    them the run needs (the Python installations), bound back read-only. ``masked`` files
    (the GitHub App's private key, from the settings the caller was given) read as empty.
    """
    command = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session",
               "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    for hidden in HIDDEN_DIRS:
        command += ["--tmpfs", hidden]
    for folder in sorted({path.resolve() for path in reveal}):
        if any(folder.is_relative_to(hidden) for hidden in HIDDEN_DIRS) and folder.is_dir():
            command += ["--ro-bind", str(folder), str(folder)]
    command += _masked_files(masked)
    if gpu and gpus:  # one GPU of several (RunRequest.gpus): only its node, and named
        arguments, gpu_env = gpu_binding(gpu_devices(), gpus[0])
        command, env = command + arguments, {**env, **gpu_env}
    elif gpu:
        for device in gpu_devices():
            command += ["--dev-bind", device, device]
    command += ["--bind", str(scratch), str(scratch), "--chdir", str(cwd), "--clearenv"]
    for name, value in env.items():
        command += ["--setenv", name, value]
    return [*command, "--", *inner]


def python_folders(*pythons: str) -> list[Path]:
    """The folders a run needs: the interpreters' prefixes and reviewbot's own packages.

    reviewbot's packages matter when it is installed from a checkout under /tmp or a home
    folder (an editable install), which the sandbox would otherwise hide.
    """
    folders = [Path(sys.prefix), Path(sys.base_prefix), *_package_folders()]
    for python in pythons:
        venv = Path(python).parent.parent
        folders += [venv, Path(python).resolve().parent.parent]
    return folders


def _package_folders() -> list[Path]:
    """Where the reviewbot packages live, found without importing them (the check registry
    is not the runner's to load)."""
    folders = []
    for name in ("reviewbot", "reviewbot.checks", "reviewbot.runners"):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            folders += [Path(place).resolve() for place in spec.submodule_search_locations]
    return folders


def _masked_files(files: Sequence[Path]) -> list[str]:
    """Secret files (the GitHub App's private key) read as empty in the sandbox."""
    command = []
    for path in files:
        if path.is_file():
            command += ["--ro-bind", "/dev/null", str(path.resolve())]
    return command


@functools.cache
def sandbox_available() -> tuple[bool, str]:
    """Whether bubblewrap is installed and can build the sandbox here (tried, not guessed)."""
    if shutil.which("bwrap") is None:
        return False, "bwrap is not installed"
    with tempfile.TemporaryDirectory(prefix="reviewbot-probe-") as scratch:
        os.chmod(scratch, 0o755)
        probe = bwrap_command(Path(scratch), Path(scratch), {"PATH": "/usr/bin:/bin"},
                              [sys.executable, "-c", "import socket; socket.create_connection("
                               "('192.0.2.1', 9), timeout=1)"], reveal=python_folders())
        return _try_probe(probe)


def _try_probe(probe: list[str]) -> tuple[bool, str]:
    try:
        done = subprocess.run(probe, capture_output=True, text=True, timeout=30,
                              **user_arguments(sandbox_user()))
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"bwrap could not be started: {exc}"
    if "Network is unreachable" in done.stderr:
        return True, "bubblewrap works; the sandbox has no network"
    if done.returncode == 0:
        return False, "bubblewrap runs but the sandbox could reach the network"
    return False, "bwrap failed: " + (done.stderr.strip().splitlines() or ["no message"])[-1]


def user_arguments(user: tuple[int, int] | None) -> dict:
    """subprocess arguments that start the sandbox as ``user`` (None: as ourselves)."""
    if user is None:
        return {}
    return {"user": user[0], "group": user[1], "extra_groups": []}
