"""The bubblewrap sandbox a notebook's kernel lives in, and the environment it is given.

Only the kernel is inside. It sees an allowlisted filesystem on a read-only root: the
system folders a Python (and CUDA) kernel needs, read-only (/usr and its links, a few files
of /etc, /sys when a GPU is passed); the kernel's interpreter and packages, read-only; the
run's scratch copy, HOME and kernel sockets, writable; a size-capped /tmp and /dev/shm.
Nothing else of the host exists there: no /home, /root, /srv, /opt, /var (beyond the way
down to a bound interpreter), no data folder, job store, index or keys.

It has its own network namespace (no interface up), PID namespace (pid 1 is bubblewrap's;
the runner is invisible), IPC and UTS namespaces, no capabilities, ``no_new_privs``, a seccomp
filter (``runners/seccomp.py``) and never host root:

- started by root, bubblewrap builds the sandbox without a user namespace and ``setpriv``
  becomes uid/gid 65534 (nobody) with every capability and the bounding set dropped before
  the kernel starts; the seccomp filter refuses new user namespaces;
- started by anyone else, bubblewrap makes a user namespace with uid 65534 inside,
  ``--disable-userns`` forbids nested ones, and the filter refuses them too.

Every part of the command line is built here from paths the runner chose; nothing comes from
the submission but the scratch copy's contents.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from reviewbot.core.errors import ReviewbotError
from reviewbot.runners.device import device_bind_arguments, gpu_binding, gpu_devices

NOBODY = 65534
SECRET_NAME = re.compile(r"(GITHUB_|^AWS_|TOKEN|SECRET|KEY|PASSWORD|CREDENTIAL)", re.IGNORECASE)
PASSED_THROUGH = ("CUDA_VISIBLE_DEVICES", "LANG")
SYSTEM_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC_ALLOWED = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "timezone",
               "nsswitch.conf", "hosts", "host.conf", "alternatives", "fonts", "mime.types",
               "os-release")
PREFIX_PARTS = ("bin", "lib", "lib64", "pyvenv.cfg")  # what a kernel needs of a Python prefix
PASSWD = "root:x:0:0:root:/root:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:" \
         "/usr/sbin/nologin\n"
GROUP = "root:x:0:\nnogroup:x:65534:\n"
MISSING_HINT = ("the notebook sandbox is not available: install bubblewrap (apt-get install "
                "bubblewrap) and make each guarantee hold (reviewbot doctor says which), or "
                "pass --no-sandbox to run the notebooks unsandboxed on this machine")


class SandboxUnavailable(ReviewbotError):
    """bubblewrap is missing, or a guarantee of the sandbox does not hold on this machine."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"{MISSING_HINT} ({reason})")


@dataclass(frozen=True)
class Layout:
    """The run's folders: ``writable`` ones are bound read-write, all at their own path."""

    scratch: Path  # the submission copy; the notebook's folder is inside
    home: Path
    runtime: Path  # the kernel's connection file and sockets
    etc: Path  # the passwd and group files the sandbox sees

    @property
    def writable(self) -> tuple[Path, ...]:
        return (self.scratch, self.home, self.runtime)

    @property
    def log(self) -> Path:
        """The kernel's stdout and stderr: beside the bound folders, inside the disk quota,
        and not visible in the sandbox."""
        return self.scratch.parent / "kernel.log"

    @classmethod
    def under(cls, folder: Path) -> Layout:
        """The layout in a run folder: everything the kernel may write under ``rw/``."""
        rw = folder / "rw"
        return cls(rw / "submission", rw / "home", rw / "runtime", folder / "etc")

    def create(self) -> None:
        for path in self.writable:
            path.mkdir(parents=True, exist_ok=True)
        self.etc.mkdir(parents=True, exist_ok=True)
        (self.etc / "passwd").write_text(PASSWD)
        (self.etc / "group").write_text(GROUP)


def sandbox_user() -> tuple[int, int] | None:
    """(uid, gid) the kernel runs as on the host when we are root; None: our own uid,
    mapped to 65534 inside a user namespace."""
    return (NOBODY, NOBODY) if os.geteuid() == 0 else None


def child_environment(values: Mapping[str, str]) -> dict[str, str]:
    """The kernel's whole environment: ``values`` plus the few safe variables passed through.

    A name that looks like a credential is refused even when the runner itself sets it.
    """
    env = {"LANG": "C.UTF-8", "TMPDIR": "/tmp", "PYTHONNOUSERSITE": "1"}
    env |= {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    env |= dict(values)
    leaked = [name for name in env if SECRET_NAME.search(name)]
    if leaked:
        raise ValueError(f"refusing to pass {', '.join(leaked)} into a notebook run")
    return env


def bwrap_command(layout: Layout, cwd: Path, env: Mapping[str, str], inner: Sequence[str],
                  pythons: Sequence[str], *, readable: Sequence[Path] = (), gpu: bool = False,
                  gpus: Sequence[str] | None = None, masked: Sequence[Path] = (),
                  tmp_bytes: int = 1 << 30) -> list[str]:
    """The command that runs ``inner`` in the sandbox; ``{seccomp_fd}`` is left for the
    launcher to fill with the descriptor of the compiled filter."""
    command = [bwrap_path(), *_identity_arguments(), "--die-with-parent", "--new-session",
               "--hostname", "sandbox", "--seccomp", "{seccomp_fd}"]
    read_only = [*python_folders(*pythons), *readable]
    command += ["--perms", "0755", "--dir", "/etc"]
    command += _system_arguments(layout, gpu, gpus)
    for folder in ("/tmp", "/dev/shm"):  # writable by anyone, sticky, as on any host
        command += ["--perms", "1777", "--size", str(tmp_bytes), "--tmpfs", folder]
    command += _parent_folders([*read_only, *layout.writable])
    command += _read_only_arguments(read_only)
    command += masked_key_arguments(read_only, masked)
    for folder in layout.writable:
        command += ["--bind", str(folder), str(folder)]
    command += ["--remount-ro", "/", "--chdir", str(cwd), "--clearenv"]
    for name, value in env.items():
        command += ["--setenv", name, value]
    return [*command, "--", *_drop_to_sandbox_user(), *inner]


@functools.cache
def bwrap_path() -> str:
    return shutil.which("bwrap") or "bwrap"


def _identity_arguments() -> list[str]:
    if os.geteuid() == 0:  # no user namespace: setpriv switches to nobody inside
        return ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
                "--unshare-cgroup-try"]
    return ["--unshare-all", "--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY),
            "--disable-userns"]


def _drop_to_sandbox_user() -> list[str]:
    if os.geteuid() != 0:
        return []  # bubblewrap already dropped every capability in the user namespace
    return ["/usr/bin/setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all", "--"]


def _system_arguments(layout: Layout, gpu: bool, gpus: Sequence[str] | None) -> list[str]:
    """/usr and its links, allowlisted /etc entries, /proc, a minimal /dev, CPU info."""
    command = ["--ro-bind", "/usr", "/usr"]
    for link in SYSTEM_LINKS:
        path = Path(link)
        if path.is_symlink():
            command += ["--symlink", os.readlink(path), link]
        elif path.is_dir():
            command += ["--ro-bind", link, link]
    for name in ETC_ALLOWED:
        command += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    command += ["--ro-bind", str(layout.etc / "passwd"), "/etc/passwd",
                "--ro-bind", str(layout.etc / "group"), "/etc/group",
                "--proc", "/proc", "--dev", "/dev"]
    if gpu:  # CUDA reads the PCI tree; without /sys cuInit fails
        command += ["--ro-bind", "/sys", "/sys"]
        # one GPU of several (RunRequest.gpus): only its node and the shared ones
        command += (gpu_binding(gpu_devices(), gpus[0])[0] if gpus
                    else device_bind_arguments())
    else:
        for folder in ("/sys", "/sys/devices", "/sys/devices/system"):
            command += ["--perms", "0755", "--dir", folder]
        command += ["--ro-bind-try", "/sys/devices/system/cpu", "/sys/devices/system/cpu"]
    return command


def _parent_folders(destinations: Sequence[Path]) -> list[str]:
    """Create the folders leading to each bound path as 0755: bubblewrap would make them
    0700 and owned by root, which the sandbox's user could not pass through."""
    parents = {parent for path in destinations for parent in path.parents
               if parent != Path("/") and parent != Path("/tmp")}
    parents -= set(destinations)
    command: list[str] = []
    for folder in sorted(parents, key=lambda path: len(path.parts)):
        command += ["--perms", "0755", "--dir", str(folder)]
    return command


def _read_only_arguments(folders: Sequence[Path]) -> list[str]:
    command: list[str] = []
    for folder in sorted({path for path in folders if path.exists()}):
        if folder.is_symlink():
            command += ["--symlink", os.readlink(folder), str(folder)]
        else:
            command += ["--ro-bind", str(folder), str(folder)]
    return command


def python_folders(*pythons: str) -> list[Path]:
    """The parts of each interpreter's prefix (a venv's and its base's) a kernel needs.

    Only ``bin``, ``lib``, ``lib64`` and ``pyvenv.cfg`` are bound, so a Python installed in a
    home folder does not reveal the rest of that home.
    """
    prefixes = {Path(sys.base_prefix)}
    for python in pythons:
        prefixes |= {Path(python).parent.parent, Path(python).resolve().parent.parent}
        prefixes |= {_venv_base(Path(python).parent.parent)} - {None}
    parts = [prefix / part for prefix in prefixes if not _is_system(prefix)
             for part in PREFIX_PARTS]
    return [part for part in parts if part.exists() or part.is_symlink()]


def _venv_base(venv: Path) -> Path | None:
    """The prefix a virtual environment was made from (``home`` in pyvenv.cfg)."""
    try:
        lines = (venv / "pyvenv.cfg").read_text(errors="replace").splitlines()
    except OSError:
        return None
    for line in lines:
        key, _, value = line.partition("=")
        if key.strip() == "home" and value.strip():
            return Path(value.strip()).resolve().parent
    return None


def _is_system(prefix: Path) -> bool:
    return prefix in (Path("/"), Path("/usr")) or prefix.is_relative_to("/usr")


def masked_key_arguments(bound: Sequence[Path], keys: Sequence[Path]) -> list[str]:
    """Secret files (the GitHub App's private key) read as empty, should a bound folder
    contain them.

    bubblewrap runs as root or as the key's owner here, so the key's folder may be 0700.
    """
    arguments = []
    for key in {Path(name).resolve() for name in keys}:
        if any(key.is_relative_to(folder.resolve()) for folder in bound if folder.exists()):
            arguments += ["--ro-bind", "/dev/null", str(key)]
    return arguments


def hand_over(folders: Sequence[Path], user: tuple[int, int] | None) -> None:
    """Make ``folders`` (recursively) owned by the sandbox's user when it is not us."""
    if user is None:
        return
    for folder in folders:
        for path in [folder, *folder.rglob("*")]:
            os.lchown(path, *user)


def sandbox_available() -> tuple[bool, str]:
    """Whether the sandbox can be built here with every guarantee held (tried, not guessed)."""
    from reviewbot.runners.guarantees import probe_guarantees

    report = probe_guarantees()
    return report.ok, report.summary
