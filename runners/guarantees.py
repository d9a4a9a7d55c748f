"""What the sandbox guarantees on this machine, each one tried rather than assumed.

A probe is started exactly as a kernel is (launcher, control group, seccomp, bubblewrap,
the same filesystem) and reports from inside: its uid, its capabilities, its seccomp mode,
whether ptrace, mount and a new user namespace are refused, whether the network is
reachable, and whether any host path that must stay hidden can be seen. ``reviewbot doctor``
prints each guarantee; ``--run`` refuses unless all of them hold.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from reviewbot.runners.cgroups import CgroupUnavailable, create_run_cgroup
from reviewbot.runners.launchspec import (
    KERNEL_LOG,
    KernelLaunch,
    kernel_log_tail,
    resource_limits,
    write_launch,
    write_seccomp,
)
from reviewbot.runners.sandbox import Layout, bwrap_command, bwrap_path, hand_over, sandbox_user
from reviewbot.runners.seccomp import SeccompUnsupported

PROBE = r"""
import ctypes, json, os, socket, sys
libc = ctypes.CDLL(None, use_errno=True)
status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines()
              if ":" in line)
out = {"uid": os.getuid(), "cap_eff": status["CapEff"].strip(),
       "cap_prm": status["CapPrm"].strip(), "seccomp": status["Seccomp"].strip(),
       "ptrace": libc.ptrace(16, 1, 0, 0) == 0,
       "mount": libc.mount(b"none", b"/tmp", b"tmpfs", 0, None) == 0}
try:
    socket.create_connection(("192.0.2.1", 9), timeout=2).close()
    out["network"] = "connected"
except OSError as error:
    out["network"] = str(error)
def entries(path):
    try:
        return set(os.listdir(path))
    except OSError:  # a folder the sandbox cannot list shows nothing
        return set()
hidden = json.loads(sys.argv[1])
out["visible"] = [path for path, allowed in hidden.items() if os.path.lexists(path) and
                  (not os.path.isdir(path) or not entries(path) <= set(allowed))]
out["userns"] = libc.unshare(0x10000000) == 0
print(json.dumps(out))
"""
MUST_STAY_HIDDEN = ("/etc/shadow", "/etc/gshadow", "/etc/ssh", "/root", "/home", "/srv",
                    "/opt", "/var", "/mnt", "/media", "/boot")


@dataclass(frozen=True)
class Guarantee:
    name: str
    held: bool
    detail: str


@dataclass(frozen=True)
class ProbeReport:
    guarantees: tuple[Guarantee, ...]

    @property
    def ok(self) -> bool:
        return all(item.held for item in self.guarantees)

    @property
    def summary(self) -> str:
        failed = [f"{item.name}: {item.detail}" for item in self.guarantees if not item.held]
        if failed:
            return "not held: " + "; ".join(failed)
        return "held: " + ", ".join(item.name for item in self.guarantees)


@functools.cache
def probe_guarantees() -> ProbeReport:
    """Every guarantee, tried once per process."""
    if not Path(bwrap_path()).is_file():
        return ProbeReport((Guarantee("bubblewrap", False, "bwrap is not installed"),))
    with tempfile.TemporaryDirectory(prefix="reviewbot-probe-") as folder:
        try:
            return ProbeReport(_probe(Path(folder)))
        except SeccompUnsupported as exc:
            return ProbeReport((Guarantee("seccomp", False, str(exc)),))


def _probe(folder: Path) -> tuple[Guarantee, ...]:
    layout = Layout.under(folder)
    layout.create()
    hand_over(layout.writable, sandbox_user())
    try:
        group = create_run_cgroup(f"reviewbot-probe-{os.getpid()}", 256 << 20, 64)
        cgroup = Guarantee("cgroup limits", True, f"cgroup v{group.version} memory and pids "
                           "per run")
    except CgroupUnavailable as exc:  # the other guarantees are still worth knowing
        group, cgroup = None, Guarantee("cgroup limits", False, str(exc))
    try:
        seen, error = _run_probe(folder, layout, group.procs_files if group else [])
    finally:
        if group:
            group.remove()
    held = [Guarantee("bubblewrap", bool(seen), error or "runs")]
    return (*held, *(judge_probe(seen) if seen else []), cgroup)


def _run_probe(folder: Path, layout: Layout, procs: list[str]) -> tuple[dict, str]:
    hidden = hidden_paths()
    inner = [sys.executable, "-I", "-S", "-c", PROBE, json.dumps(hidden)]
    command = bwrap_command(layout, layout.scratch, {"PATH": "/usr/bin:/bin"}, inner,
                            [sys.executable], tmp_bytes=16 << 20)
    launch = KernelLaunch(command, {"PATH": "/usr/bin:/bin"}, procs,
                          resource_limits(0, 0), sandbox_user(), write_seccomp(folder))
    connection = layout.runtime / "probe.json"
    connection.write_text("{}")
    argv = [arg.replace("{connection_file}", str(connection)) for arg in
            write_launch(folder, launch)]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=folder)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {}, f"the sandbox could not be started: {exc}"
    said = kernel_log_tail(folder / KERNEL_LOG).strip().splitlines()  # the launcher wrote it
    try:
        return json.loads(said[-1]), ""
    except (ValueError, IndexError):
        last = (said or done.stderr.strip().splitlines() or ["no message"])[-1]
        return {}, f"bwrap failed: {last}"


def judge_probe(seen: dict) -> list[Guarantee]:
    """The guarantees as the probe saw them from inside."""
    uid = seen.get("uid")
    no_caps = seen.get("cap_eff") == seen.get("cap_prm") == "0000000000000000"
    filtered = seen.get("seccomp") == "2" and not seen.get("ptrace") and not seen.get("mount")
    network = str(seen.get("network", ""))
    return [
        Guarantee("uid", uid == 65534,
                  f"uid {uid} in the sandbox; on the host: {_host_uid_text()}"),
        Guarantee("capabilities", no_caps, "none" if no_caps else
                  f"effective {seen.get('cap_eff')}, permitted {seen.get('cap_prm')}"),
        Guarantee("seccomp", filtered, "filter loaded; ptrace and mount refused" if filtered
                  else f"mode {seen.get('seccomp')}, ptrace refused: {not seen.get('ptrace')},"
                       f" mount refused: {not seen.get('mount')}"),
        Guarantee("user namespaces", not seen.get("userns"),
                  "a new user namespace is refused" if not seen.get("userns")
                  else "the sandbox could create a user namespace"),
        Guarantee("filesystem", not seen.get("visible"),
                  "allowlisted: host homes, /root, /srv, /opt, /var, keys and data hidden"
                  if not seen.get("visible") else f"visible: {', '.join(seen['visible'])}"),
        Guarantee("network", "unreachable" in network,
                  "none (no interface up)" if "unreachable" in network
                  else f"reachable ({network})"),
    ]


def _host_uid_text() -> str:
    if os.geteuid() == 0:
        return "65534 (nobody), switched from root before the kernel starts"
    return f"{os.geteuid()} (this user, in a user namespace; not root)"


def hidden_paths() -> dict[str, list[str]]:
    """Host paths that must not be visible -> the entries allowed in them (the way down to
    an interpreter bound inside, say /root/.pyenv)."""
    from reviewbot.runners.sandbox import python_folders

    paths = [*MUST_STAY_HIDDEN, str(_data_dir()), str(Path(__file__).resolve().parents[1])]
    key = os.environ.get("REVIEWBOT_GITHUB_PRIVATE_KEY_FILE")
    if key:
        paths += [key, str(Path(key).parent)]
    bound = python_folders(sys.executable)
    return {path: sorted(_children_on_the_way(Path(path), bound)) for path in paths}


def _children_on_the_way(path: Path, bound: list[Path]) -> set[str]:
    names = set()
    for folder in bound:
        if folder.is_relative_to(path) and folder != path:
            names.add(folder.relative_to(path).parts[0])
    return names


def _data_dir() -> Path:
    return Path(os.environ.get("REVIEWBOT_DATA_DIR", ".reviewbot-data")).resolve()
