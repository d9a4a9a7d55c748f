"""Facts about a run's environment, measured by trusted code, never by the notebook's kernel.

The Python version comes from the kernel's interpreter started with ``-I -S`` in a folder of
the runner's (no site-packages, nothing of the submission on its path); package versions are
read from the installed metadata as data; whether TensorFlow sees the GPUs is asked of the
runner's own environment (``python -I`` from the same neutral folder), only when a GPU is
passed and the notebook mentions TensorFlow. A notebook can change what its kernel reports;
it cannot change these.
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
import platform
import subprocess
import sys
from pathlib import Path

TF_GPU_PROBE = ("import os; os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'; import tensorflow as tf; "
                "print(tf.__version__, len(tf.config.list_physical_devices('GPU')))")
VERSION_PROBE = "import sys; print(sys.version.split()[0])"
DETERMINISM = "TF_DETERMINISTIC_OPS=1 set by the runner (what the notebook then did is not " \
              "measured)"


def environment_facts(kernel_python: str, neutral: Path, gpu: bool,
                      mentions_tensorflow: bool) -> dict[str, str]:
    """``python``, and when TensorFlow is installed ``tensorflow``, ``op_determinism`` and
    (GPU runs of the runner's environment) ``tensorflow_gpus``."""
    facts = {"python": python_version(kernel_python, neutral)}
    tensorflow = package_version(kernel_python, "tensorflow")
    if tensorflow:
        facts |= {"tensorflow": tensorflow, "op_determinism": DETERMINISM}
        if gpu and mentions_tensorflow and _is_runner_python(kernel_python):
            seen = tensorflow_gpus(os.environ.get("CUDA_VISIBLE_DEVICES", ""))
            if seen is not None:
                facts["tensorflow_gpus"] = seen
    return facts


def python_version(python: str, neutral: Path) -> str:
    if _is_runner_python(python):
        return platform.python_version()
    try:
        done = subprocess.run([python, "-I", "-S", "-c", VERSION_PROBE], capture_output=True,
                              text=True, timeout=30, cwd=neutral, env={})
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return done.stdout.strip()[:40] or "unknown"


def package_version(python: str, name: str) -> str:
    """The installed version of ``name`` in ``python``'s environment, read from its metadata."""
    if _is_runner_python(python):
        paths = sys.path
    else:
        venv = Path(python).parent.parent
        paths = [str(path) for path in venv.glob("lib*/python*/site-packages")]
    for dist in importlib.metadata.distributions(path=paths):
        if (dist.metadata["Name"] or "").lower() == name:
            return str(dist.version)[:40]
    return ""


@functools.cache
def tensorflow_gpus(visible: str) -> str | None:
    """How many GPUs TensorFlow sees in the runner's environment (started from /)."""
    env = {"PATH": "/usr/bin:/bin", "CUDA_VISIBLE_DEVICES": visible} if visible else \
        {"PATH": "/usr/bin:/bin"}
    try:
        done = subprocess.run([sys.executable, "-I", "-c", TF_GPU_PROBE], capture_output=True,
                              text=True, timeout=180, cwd="/", env=env)
    except (OSError, subprocess.TimeoutExpired):
        return None
    words = done.stdout.split()
    return words[-1] if done.returncode == 0 and words else None


def _is_runner_python(python: str) -> bool:
    return Path(python).resolve() == Path(sys.executable).resolve() and \
        Path(python).parent.parent == Path(sys.prefix)
