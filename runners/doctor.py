"""``reviewbot doctor``: what this machine can run, each item tried rather than assumed.

The sandbox's guarantees (bubblewrap, uid, capabilities, seccomp, user namespaces, cgroup
limits, filesystem view, network) come from a probe started exactly as a kernel is; each
is printed with what was seen. The exit status is 1 unless every guarantee held.
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from reviewbot.core import environment
from reviewbot.runners.device import gpu_devices, gpu_names
from reviewbot.runners.facts import TF_GPU_PROBE
from reviewbot.runners.guarantees import probe_guarantees


@dataclass(frozen=True)
class Item:
    name: str
    ok: bool
    detail: str


def diagnose() -> list[Item]:
    """Every item the doctor reports, in the order printed."""
    report = probe_guarantees()
    guarantees = [Item(f"sandbox: {item.name}", item.held, item.detail)
                  for item in report.guarantees]
    return [
        *guarantees,
        _gpus(),
        _tensorflow(),
        _package("nbclient"),
        _package("ipykernel"),
        Item("kernel python", True, sys.executable),
        _data_dir(),
    ]


def _gpus() -> Item:
    names = gpu_names()
    if not names:
        return Item("GPUs", True, "none (runs use the CPU)")
    devices = ", ".join(gpu_devices()) or "no /dev/nvidia* nodes"
    return Item("GPUs", True, f"{', '.join(names)}; passed into the sandbox: {devices}")


def _tensorflow() -> Item:
    try:
        done = subprocess.run([sys.executable, "-I", "-c", TF_GPU_PROBE], capture_output=True,
                              text=True, timeout=180, cwd="/")
    except subprocess.TimeoutExpired:
        return Item("TensorFlow", False, "importing tensorflow took over 180 s")
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["import failed"])[-1]
        return Item("TensorFlow", False, f"not importable: {last}")
    version, gpus = done.stdout.split()[-2:]
    return Item("TensorFlow", True, f"{version}, sees {gpus} GPU(s)")


def _package(name: str) -> Item:
    try:
        return Item(name, True, importlib.metadata.version(name))
    except importlib.metadata.PackageNotFoundError:
        return Item(name, False, f"not installed: pip install {name}")


def _data_dir() -> Item:
    folder = environment.data_dir().resolve()
    existing = next((p for p in [folder, *folder.parents] if p.exists()), Path("/"))
    writable = os.access(existing, os.W_OK)
    return Item("data dir", writable, f"{folder}" + ("" if writable else " (not writable)"))


def run_doctor() -> int:
    """Print the report; exit status 1 when notebooks cannot be run sandboxed here."""
    items = diagnose()
    width = max(len(item.name) for item in items)
    for item in items:
        print(f"{item.name:<{width}}  {'ok ' if item.ok else 'NO '}  {item.detail}")
    sandbox_ok = all(item.ok for item in items if item.name.startswith("sandbox: "))
    if not sandbox_ok:
        print("\nNotebooks can only run here with --no-sandbox (never in the service).")
    return 0 if sandbox_ok else 1
