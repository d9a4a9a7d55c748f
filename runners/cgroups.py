"""One control group per run: memory and processes limited for the whole sandbox.

cgroup v2 where the memory and pids controllers live there, else the v1 ``memory`` and
``pids`` hierarchies. A run's group is created under ``$REVIEWBOT_CGROUP`` (a path inside
each hierarchy, for a folder delegated to an unprivileged user) or under the group this
process is in. The kernel's launcher moves itself in before the sandbox starts, so every
process of the run, and every page it touches (tmpfs included), is counted. What the limits
stopped is read back afterwards as one sentence per breach.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

CONTROLLERS = ("memory", "pids")


class CgroupUnavailable(Exception):
    """No writable memory and pids control groups here; the reason says what is missing."""


@dataclass
class RunCgroup:
    """The run's group(s): one folder on v2, one per controller on v1."""

    version: int
    folders: dict[str, Path]  # controller -> folder ("memory", "pids"; both the same on v2)
    memory_bytes: int
    max_processes: int
    removed: bool = field(default=False)

    @property
    def procs_files(self) -> list[str]:
        """The ``cgroup.procs`` files a process writes its pid into to join the run."""
        return sorted({str(folder / "cgroup.procs") for folder in self.folders.values()})

    def breaches(self) -> list[str]:
        """Which limits the run hit, each said with the limit."""
        found = []
        if self.memory_bytes and self._count("memory", self._memory_events(), "oom_kill"):
            found.append(f"the run used more than its memory limit of "
                         f"{self.memory_bytes >> 20:,} MiB (all its processes and in-memory "
                         "files together) and the system killed a process")
        if self.max_processes and self._count("pids", "pids.events", "max"):
            found.append(f"the run tried to start more than its limit of "
                         f"{self.max_processes:,} processes and threads")
        return found

    def _memory_events(self) -> str:
        return "memory.events" if self.version == 2 else "memory.oom_control"

    def _count(self, controller: str, name: str, key: str) -> int:
        try:
            text = (self.folders[controller] / name).read_text()
        except OSError:
            return 0
        for line in text.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == key and parts[1].isdigit():
                return int(parts[1])
        return 0

    def remove(self) -> None:
        """Kill what is left of the run and delete its group(s)."""
        if self.removed:
            return
        for folder in set(self.folders.values()):
            _empty_and_remove(folder)
        self.removed = True


def _empty_and_remove(folder: Path) -> None:
    for _ in range(50):
        with contextlib.suppress(OSError, ValueError):
            for pid in (folder / "cgroup.procs").read_text().split():
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(int(pid), signal.SIGKILL)
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.02)  # killed processes take a moment to leave the group


def create_run_cgroup(name: str, memory_bytes: int, max_processes: int) -> RunCgroup:
    """A fresh group for one run with its limits written; CgroupUnavailable says why not."""
    places = controller_places()
    missing = [c for c in CONTROLLERS if c not in places]
    if missing:
        raise CgroupUnavailable(f"no {' or '.join(missing)} cgroup controller is mounted")
    version = 2 if places["memory"][0] == 2 else 1
    folders: dict[str, Path] = {}
    try:
        if version == 2:  # the controllers must be handed down to the new group
            with contextlib.suppress(OSError):
                _write(places["memory"][1] / "cgroup.subtree_control", "+memory +pids")
        for controller in CONTROLLERS:
            parent = places[controller][1]
            folders[controller] = parent / name
            folders[controller].mkdir(exist_ok=True)
        group = RunCgroup(version, folders, memory_bytes, max_processes)
        _write_limits(group)
    except OSError as exc:
        for folder in folders.values():
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise CgroupUnavailable(f"cannot create a cgroup for the run under "
                                f"{', '.join(sorted({str(p[1]) for p in places.values()}))}: "
                                f"{exc.strerror or exc} (run as root, or set REVIEWBOT_CGROUP "
                                "to a cgroup delegated to this user)") from None
    return group


def _write_limits(group: RunCgroup) -> None:
    memory, pids = group.folders["memory"], group.folders["pids"]
    if group.version == 2:
        _write(memory / "memory.max", str(group.memory_bytes or "max"))
        with contextlib.suppress(OSError):  # no swap accounting: nothing to close
            _write(memory / "memory.swap.max", "0")
        _write(pids / "pids.max", str(group.max_processes or "max"))
        return
    if group.memory_bytes:
        _write(memory / "memory.limit_in_bytes", str(group.memory_bytes))
        with contextlib.suppress(OSError):  # swap accounting off: the limit above holds RAM
            _write(memory / "memory.memsw.limit_in_bytes", str(group.memory_bytes))
    _write(pids / "pids.max", str(group.max_processes or "max"))


def _write(path: Path, value: str) -> None:
    with open(path, "w") as handle:
        handle.write(value)


def controller_places() -> dict[str, tuple[int, Path]]:
    """controller -> (cgroup version, the folder a run's group is created in)."""
    mounts = _mounts()
    own = _own_groups()
    places: dict[str, tuple[int, Path]] = {}
    delegated = os.environ.get("REVIEWBOT_CGROUP", "").strip("/")
    for controller in CONTROLLERS:
        if controller in mounts.get("v1", {}):
            root, version, key = mounts["v1"][controller], 1, controller
        elif "v2" in mounts and controller in _v2_controllers(mounts["v2"]):
            root, version, key = mounts["v2"], 2, ""
        else:
            continue
        relative = delegated or own.get(key, "").strip("/")
        places[controller] = (version, root / relative if relative else root)
    return places


def _mounts() -> dict:
    found: dict = {"v1": {}}
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        fields = line.split(" - ")
        if len(fields) != 2:
            continue
        mount_point = Path(fields[0].split()[4])
        kind, _source, options = [*fields[1].split(), "", ""][:3]
        if kind == "cgroup2":
            found.setdefault("v2", mount_point)
        elif kind == "cgroup":
            for controller in CONTROLLERS:
                if controller in options.split(","):
                    found["v1"].setdefault(controller, mount_point)
    return found


def _v2_controllers(root: Path) -> set[str]:
    try:
        return set((root / "cgroup.controllers").read_text().split())
    except OSError:
        return set()


def _own_groups() -> dict[str, str]:
    """controller ("" for v2) -> the group this process is in."""
    groups: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            for controller in controllers.split(",") if controllers else [""]:
                groups[controller] = path
    return groups
