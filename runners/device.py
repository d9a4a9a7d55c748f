"""Where a run happens: the GPU model from nvidia-smi, or the CPU."""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path


@functools.cache
def gpu_names() -> tuple[str, ...]:
    """Names of the NVIDIA GPUs this machine has (empty without a driver)."""
    if shutil.which("nvidia-smi"):
        try:
            done = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
                                  capture_output=True, text=True, timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            return ()
        if done.returncode == 0:
            return tuple(line.strip() for line in done.stdout.splitlines() if line.strip())
    return tuple(_proc_gpu_model(info) for info in
                 sorted(Path("/proc/driver/nvidia/gpus").glob("*/information")))


def _proc_gpu_model(info: Path) -> str:
    for line in info.read_text(errors="replace").splitlines():
        if line.startswith("Model:"):
            return line.split(":", 1)[1].strip()
    return "NVIDIA GPU"


def describe_device(gpu_passed: bool, environment: dict[str, str]) -> str:
    """"CPU", or the GPU model(s) when GPUs were passed in and the framework saw them."""
    names = gpu_names() if gpu_passed else ()
    if not names:
        return "CPU"
    if environment.get("tensorflow_gpus") == "0":
        return f"CPU (TensorFlow saw no GPU; present: {', '.join(names)})"
    return ", ".join(names)


def gpu_devices() -> list[str]:
    """NVIDIA device nodes present on this machine (none on a CPU host)."""
    names = [path for path in Path("/dev").glob("nvidia*") if not path.is_dir()]
    return sorted(str(path) for path in names)


def device_bind_arguments() -> list[str]:
    """bubblewrap arguments passing the NVIDIA device nodes into the sandbox (after --dev)."""
    return [arg for node in gpu_devices() for arg in ("--dev-bind", node, node)]
