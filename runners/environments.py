"""The kernel's Python: the runner's own, or a virtual environment built from the
submission's requirements.txt (cached by the file's hash under the data directory).

The build runs outside the sandbox with network, but installs wheels only
(``--only-binary=:all:``): no setup.py of anything is run, and pip options inside the file
(another index, editable installs, URLs) are refused.
"""

from __future__ import annotations

import fcntl
import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

from reviewbot.core.errors import ReviewbotError

KERNEL_PACKAGES = ("ipykernel",)  # what the kernel itself needs on top of the submission's
BUILD_TIMEOUT_S = 1800
OPTION_OR_URL = re.compile(r"^\s*-|://|^\s*[./~]|\s@\s")


class EnvironmentBuildError(ReviewbotError):
    """The submission's requirements could not be installed; the run cannot happen."""


def find_requirements(submission: Path, notebook_dir: Path) -> Path | None:
    """requirements.txt next to the notebook, else at the submission's top level."""
    for folder in (notebook_dir, submission):
        candidate = folder / "requirements.txt"
        if candidate.is_file():
            return candidate
    return None


def requirement_lines(path: Path) -> list[str]:
    """The file's requirements, one per line; pip options and URLs are refused."""
    lines = []
    for number, raw in enumerate(path.read_text(errors="replace").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if OPTION_OR_URL.search(line):
            raise EnvironmentBuildError(
                f"requirements.txt line {number}: {line!r} is a pip option, a path or a URL; "
                "review runs install packages from PyPI by name only")
        lines.append(line)
    return lines


def requirements_python(path: Path, data_dir: Path) -> Path:
    """The python of a venv with the requirements installed (built once, then reused)."""
    lines = requirement_lines(path)
    key = hashlib.sha256("\n".join([sys.version, *KERNEL_PACKAGES, *lines]).encode())
    home = (data_dir / "envs").resolve()
    home.mkdir(parents=True, exist_ok=True)
    venv = home / key.hexdigest()[:20]
    with open(home / f"{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two runs of one submission build it once
        if not (venv / ".complete").is_file():
            _build(venv, lines)
    return venv / "bin" / "python"


def _build(venv: Path, lines: list[str]) -> None:
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    command = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
               "--disable-pip-version-check", "--only-binary=:all:", *KERNEL_PACKAGES, *lines]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        shutil.rmtree(venv, ignore_errors=True)
        raise EnvironmentBuildError(f"installing requirements.txt took longer than "
                                    f"{BUILD_TIMEOUT_S} s") from None
    if done.returncode != 0:
        shutil.rmtree(venv, ignore_errors=True)
        errors = [line for line in done.stderr.splitlines() if line.startswith("ERROR")]
        detail = "; ".join(errors[-2:]) or done.stderr.strip()[-300:]
        raise EnvironmentBuildError(f"could not install requirements.txt: {detail}")
    (venv / ".complete").write_text("\n".join(lines) + "\n")
