"""Where a run happens: the GPU model from nvidia-smi, or the CPU."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from collections.abc import Sequence
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


GPUS_VARIABLE = "REVIEWBOT_GPUS"  # e.g. "0,2": the GPUs runs may use (default: every one)
GPU_NODE = re.compile(r"^/dev/nvidia(\d+)$")


def gpu_indices(device_nodes: Sequence[str], setting: str | None = None) -> tuple[str, ...]:
    """The GPUs runs may use: ``setting`` ("0,2", from REVIEWBOT_GPUS) or every /dev/nvidiaN.

    A listed index without its device node is left out: a run could not open it.
    """
    present = [match.group(1) for node in device_nodes if (match := GPU_NODE.match(node))]
    present.sort(key=int)
    if not setting:
        return tuple(present)
    wanted = [part.strip() for part in setting.split(",") if part.strip()]
    return tuple(index for index in wanted if index in present)


def gpu_binding(device_nodes: Sequence[str], gpu: str) -> tuple[list[str], dict[str, str]]:
    """bwrap arguments and environment for a run that may use GPU ``gpu`` and no other.

    The shared nodes (/dev/nvidiactl, /dev/nvidia-uvm, ...) are bound with only that GPU's
    /dev/nvidiaN; ``CUDA_VISIBLE_DEVICES`` names it in PCI bus order, the order of nvidia-smi
    and of the device minor numbers on a standard driver install.
    """
    shared = [node for node in device_nodes if not GPU_NODE.match(node)]
    own = [node for node in device_nodes if (m := GPU_NODE.match(node)) and m.group(1) == gpu]
    arguments: list[str] = []
    for node in sorted(shared) + own:
        arguments += ["--dev-bind", node, node]
    return arguments, {"CUDA_VISIBLE_DEVICES": gpu, "CUDA_DEVICE_ORDER": "PCI_BUS_ID"}


def gpu_devices() -> list[str]:
    """NVIDIA device nodes present on this machine (none on a CPU host)."""
    names = [path for path in Path("/dev").glob("nvidia*") if not path.is_dir()]
    return sorted(str(path) for path in names)


def device_bind_arguments() -> list[str]:
    """bubblewrap arguments passing the NVIDIA device nodes into the sandbox (after --dev)."""
    return [arg for node in gpu_devices() for arg in ("--dev-bind", node, node)]
