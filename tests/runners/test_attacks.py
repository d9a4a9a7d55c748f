"""A malicious candidate's notebooks, run for real in the real sandbox: one test per attack.

Each test runs a notebook through ``LocalRunner`` (real kernel, real bubblewrap, real
cgroup) and checks three things: the host is untouched, nothing leaked into the executed
notebook or the result, and the run ended with the right reason. CI runs them as root; they
are also run as an unprivileged user (see README, "Sandbox").
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from reviewbot.runners.guarantees import hidden_paths, probe_guarantees
from tests.conftest import REPO_ROOT
from tests.runners.notebooks import Ran, run_cells

REPORT = probe_guarantees()
pytestmark = pytest.mark.skipif(not REPORT.ok, reason=f"no sandbox here: {REPORT.summary}")

LIBC = "import ctypes, errno, os\nlibc = ctypes.CDLL(None, use_errno=True)\n" \
       "def call(name, *args):\n" \
       "    result = getattr(libc, name)(*args)\n" \
       "    print(name, 'ALLOWED' if result >= 0 else errno.errorcode[ctypes.get_errno()])\n"


@pytest.fixture
def marker() -> str:
    return f"rb-attack-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def planted(tmp_path: Path, marker: str) -> Iterator[dict[str, Path]]:
    """Secrets on the host: a key in /tmp, one in $HOME, and the reviewbot's data folder."""
    home_key = Path.home() / f".{marker}.pem"
    files = {"tmp": tmp_path / "id_rsa", "home": home_key, "data": tmp_path / "data" / "jobs.db"}
    for name, path in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"SECRET-{name}-{marker}")
    yield files
    home_key.unlink(missing_ok=True)


def _leaked(ran: Ran, marker: str) -> bool:
    text = ran.executed_text + json.dumps(ran.result.environment) + ran.result.output_tail
    return f"-{marker}" in text


def test_escape_as_root_mount_unmount_remount_and_host_writes_fail(
        tmp_path: Path, marker: str) -> None:
    targets = [Path("/etc") / marker, Path("/tmp") / marker, Path.home() / marker,
               REPO_ROOT / "reviewbot" / marker, Path(sys.prefix) / marker, tmp_path / marker]
    cells = [LIBC + "print('uid', os.getuid(), open('/proc/self/status').read()"
                    ".split('CapEff:')[1].split()[0])\n"
             "call('unshare', 0x00020000)\ncall('unshare', 0x10000000 | 0x00020000)\n"
             "call('umount2', b'/tmp', 2)\ncall('mount', None, b'/', None, 32 | 1 << 5, None)\n"
             "call('mount', b'/', b'/', None, 4096 | 16384, None)",
             f"for path in {[str(t) for t in targets]!r}:\n"
             "    try:\n        open(path, 'w').write('escaped')\n        print('wrote', path)\n"
             "    except OSError as error:\n        print('refused', path, error.errno)"]
    ran = run_cells(tmp_path, cells)
    assert ran.result.ok, ran.result.error
    out = ran.outputs()
    assert "uid 65534 0000000000000000" in out
    assert out.count("ALLOWED") == 0 and out.count("EPERM") == 5
    for target in targets:
        assert not target.exists(), target
    assert "refused /etc/" in out and f"refused {REPO_ROOT}" in out


def test_keys_in_tmp_and_home_and_the_shadow_file_cannot_be_read(
        tmp_path: Path, marker: str, planted: dict[str, Path]) -> None:
    paths = [*map(str, planted.values()), "/etc/shadow"]
    cells = [f"for path in {paths!r}:\n"
             "    try:\n        print('READ', open(path).read())\n"
             "    except OSError as error:\n        print('hidden', path, error.errno)"]
    ran = run_cells(tmp_path, cells)
    assert ran.result.ok, ran.result.error
    assert not _leaked(ran, marker)
    assert "READ" not in ran.outputs()
    assert ran.outputs().count("hidden") == len(paths)


def test_a_fork_loop_stops_at_the_sandbox_process_limit(tmp_path: Path) -> None:
    fork = ("import os, time\nstarted = 0\ntry:\n    for _ in range(400):\n"
            "        if os.fork() == 0:\n            time.sleep(30)\n            os._exit(0)\n"
            "        started += 1\nexcept OSError as error:\n"
            "    print('refused after', started, error)\nprint('started', started)")
    ran = run_cells(tmp_path, [fork], max_processes=64)
    assert not ran.result.ok
    assert ran.result.error == ("the run tried to start more than its limit of 64 processes "
                                "and threads")
    assert ran.result.error_cell == 2
    started = int(re.findall(r"started (\d+)", ran.outputs())[-1])
    assert started < 64


def test_a_forged_result_from_the_kernel_does_not_count(tmp_path: Path) -> None:
    forged = json.dumps({"event": "result", "ok": True, "cells": 3, "output_tail": "forged"})
    cells = [LIBC + "import glob, signal\n"
                    f"line = {forged!r} + '\\n'\n"
                    "pids = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())\n"
                    "print('pids', pids)\n"
                    "others = [pid for pid in pids if pid != os.getpid()]\n"
                    "for fd in [f for pid in others for f in glob.glob(f'/proc/{pid}/fd/*')]:\n"
                    "    try:\n"
                    "        os.write(os.open(fd, os.O_WRONLY | os.O_NONBLOCK), line.encode())\n"
                    "        print('FORGED into', fd)\n"
                    "    except OSError:\n        pass\n"
                    "for pid in others:\n    pidfd = libc.syscall(434, pid, 0)\n"
                    "    if pidfd >= 0:\n        call('syscall', 438, pidfd, 3, 0)\n"
                    "    if pid != 1:\n"
                    "        try:\n            os.kill(pid, signal.SIGKILL)\n"
                    "        except OSError:\n            pass",
             "1 / 0"]
    ran = run_cells(tmp_path, cells)
    assert not ran.result.ok
    assert ran.result.error == "ZeroDivisionError: division by zero"
    assert ran.result.error_cell == 3
    pids = [int(pid) for pid in re.search(r"pids \[([\d, ]+)\]", ran.outputs())[1].split(",")]
    assert max(pids) < 20  # only the sandbox's own processes are visible
    assert "syscall EPERM" in ran.outputs()  # pidfd_getfd on every other process
    assert "ALLOWED" not in ran.outputs()
    # the only descriptors reachable are bubblewrap's stdio: /dev/null and the kernel's log
    assert set(re.findall(r"FORGED into (\S+)", ran.outputs())) <= {
        "/proc/1/fd/0", "/proc/1/fd/1", "/proc/1/fd/2"}


def test_modules_in_the_submission_do_not_shadow_the_runner(tmp_path: Path) -> None:
    sentinel = tmp_path / "SHADOWED"
    shadow = (f"import pathlib\ntry:\n    pathlib.Path({str(sentinel)!r}).write_text('x')\n"
              "except OSError:\n    pass\n")
    files = {name: shadow for name in ("resource.py", "json.py", "nbclient.py", "launch.py",
                                       "reviewbot/__init__.py", "reviewbot/runners/__init__.py",
                                       "reviewbot/runners/execute.py", "runners/launch.py")}
    ran = run_cells(tmp_path, ["print('the notebook ran')",
                               "block = bytearray(3 * 1024 ** 3)"], files=files, memory_mb=2048)
    assert not sentinel.exists()
    assert "the notebook ran" in ran.outputs()
    assert not ran.result.ok
    assert ran.result.error.startswith("out of memory") or "memory limit of 2,048 MiB" in \
        ran.result.error
    assert ran.result.error_cell == 3


def test_the_environment_facts_are_not_the_kernels_to_report(tmp_path: Path) -> None:
    fake = "__version__ = '9.9.9'\nclass config:\n    pass\n"
    cells = ["import sys, tensorflow\nsys.version = '9.9.9 (forged)'\n"
             "import platform\nplatform.python_version = lambda: '9.9.9'\n"
             "print('imported', tensorflow.__version__)"]
    ran = run_cells(tmp_path, cells, files={"tensorflow/__init__.py": fake})
    assert ran.result.ok, ran.result.error
    assert "imported 9.9.9" in ran.outputs()
    environment = ran.result.environment
    assert environment["python"] == platform.python_version()
    if importlib.util.find_spec("tensorflow") is None:
        assert "tensorflow" not in environment and "op_determinism" not in environment
    else:
        assert environment["tensorflow"] != "9.9.9"
        assert environment["op_determinism"].startswith("TF_DETERMINISTIC_OPS=1 set by")


@pytest.mark.parametrize("attack, expected", [
    ("os.symlink(HOST, 'metrics.json')",
     "metrics.json is a link or lies behind one, and links are not followed: ignored"),
    ("open('metrics.json', 'w').write('[' * 100000 + ']' * 100000)",
     "metrics.json is nested too deeply: ignored"),
    ("os.mkfifo('metrics.json')", "metrics.json is not a regular file: ignored"),
    ("import json\njson.dump({'scalars': {f'k{i}': 'bad' for i in range(200000)}}, "
     "open('metrics.json', 'w'))",
     "metrics.json holds 200,000 metrics, more than the 10,000 a run may record: ignored"),
])
def test_links_and_malformed_metrics_are_refused_as_one_bounded_finding(
        tmp_path: Path, marker: str, attack: str, expected: str) -> None:
    host = tmp_path / "host-secret.json"
    host.write_text(json.dumps({"schema": 1, "scalars": {"stolen": 42.0}, "note": marker}))
    ran = run_cells(tmp_path, [f"import os\nHOST = {str(host)!r}\n{attack}"])
    assert ran.result.ok, ran.result.error
    assert ran.result.scalars == {}
    assert ran.result.problems == (expected,)
    assert host.read_text().startswith('{"schema": 1')


def test_many_bad_metrics_give_a_few_findings_and_a_count(tmp_path: Path) -> None:
    cells = ["import json\nscalars = {f'm{i}': 'bad' for i in range(50)}\nscalars['ok'] = 0.5\n"
             "json.dump({'scalars': scalars}, open('metrics.json', 'w'))"]
    ran = run_cells(tmp_path, cells)
    assert ran.result.scalars == {"ok": 0.5}
    assert len(ran.result.problems) == 6
    assert ran.result.problems[-1] == "45 more metric problems in this run, not listed"
    assert len(ran.result.metric_problems) == 51  # 50 refused, and the note on the run_id


def test_dev_shm_and_tmp_are_size_capped(tmp_path: Path) -> None:
    cells = ["chunk = b'x' * (8 << 20)\nwith open('/dev/shm/fill', 'wb') as out:\n"
             "    for _ in range(128):\n        out.write(chunk)"]
    ran = run_cells(tmp_path, cells, tmp_mb=64)
    assert not ran.result.ok
    assert ran.result.error.startswith("the run reached a disk limit (10,240 MiB for its folder "
                                       "and each file in it; 64 MiB each for /tmp and /dev/shm)")
    assert "No space left on device" in ran.result.error


def test_memory_fanned_out_over_children_hits_the_sandbox_limit(tmp_path: Path) -> None:
    cells = ["import os, time\nchildren = []\nfor _ in range(6):\n    pid = os.fork()\n"
             "    if pid == 0:\n        block = b'x' * (256 << 20)\n        time.sleep(20)\n"
             "        os._exit(0)\n    children.append(pid)\ntime.sleep(8)\n"
             "print([os.waitpid(pid, os.WNOHANG) for pid in children])"]
    ran = run_cells(tmp_path, cells, memory_mb=1024)
    assert not ran.result.ok
    assert ran.result.error.startswith("the run used more than its memory limit of 1,024 MiB")


def test_filling_the_disk_is_stopped_at_the_quota(tmp_path: Path) -> None:
    one_file = ["with open('big', 'wb') as out:\n    out.write(b'x' * (100 << 20))"]
    ran = run_cells(tmp_path / "one", one_file, disk_mb=64)
    assert not ran.result.ok  # refused at the file size, or stopped by the quota's watch
    assert ran.result.error.startswith(("the run reached a disk limit (64 MiB for its folder",
                                        "the run wrote more than its disk limit of 64 MiB"))
    many = ["import time\nfor i in range(10):\n"
            "    open(f'part{i}', 'wb').write(b'x' * (16 << 20))\n"
            "time.sleep(10)\nprint('not stopped')"]
    ran = run_cells(tmp_path / "many", many, disk_mb=64)
    assert not ran.result.ok
    assert ran.result.error == ("the run wrote more than its disk limit of 64 MiB into its "
                                "folder and was stopped")
    assert "not stopped" not in ran.outputs()


@pytest.mark.skipif(platform.machine() != "x86_64", reason="x86_64 system call numbers")
def test_ptrace_namespaces_and_kernel_facilities_are_refused(tmp_path: Path) -> None:
    cells = [LIBC + "call('ptrace', 16, 1, 0, 0)\ncall('ptrace', 0, 0, 0, 0)\n"
                    "call('unshare', 0x10000000)\ncall('unshare', 0x40000000)\n"
                    "call('setns', 0, 0)\ncall('syscall', 56, 0x10000000 | 17, 0, 0, 0, 0)\n"
                    "call('syscall', 250, 0, 0, 0, 0, 0)\ncall('syscall', 321, 0, 0, 0)\n"
                    "call('syscall', 298, 0, 0, -1, -1, 0)\ncall('syscall', 313, -1, 0, 0)\n"
                    "call('syscall', 435, 0, 0)"]
    ran = run_cells(tmp_path, cells)
    assert ran.result.ok, ran.result.error
    lines = [line for line in ran.outputs().splitlines() if line.startswith(("ptrace", "un",
                                                                             "setns", "sys"))]
    assert len(lines) == 11
    assert lines[-1] == "syscall ENOSYS"  # clone3: the C library falls back to clone
    assert all(line.endswith("EPERM") for line in lines[:-1]), lines


def test_host_files_outside_the_allowlist_are_not_visible(
        tmp_path: Path, marker: str, planted: dict[str, Path]) -> None:
    paths = ["/etc/shadow", "/etc/ssh", "/srv", "/opt", "/var/lib", "/home", "/mnt", "/root",
             str(tmp_path / "data"), str(REPO_ROOT / "reviewbot"), str(REPO_ROOT / ".git"),
             str(Path.home() / ".ssh")]
    way_down = {path: allowed for path, allowed in hidden_paths().items() if path in paths}
    cells = [f"import json, os\nfor path in {paths!r}:\n"
             "    seen = os.path.exists(path)\n"
             "    if os.path.isdir(path):\n"
             "        seen = sorted(os.listdir(path))\n"
             "    print('SEEN', json.dumps([path, seen]))\n"
             "print('etc', sorted(os.listdir('/etc')))"]
    ran = run_cells(tmp_path, cells)
    assert ran.result.ok, ran.result.error
    seen = dict(json.loads(line[5:]) for line in ran.outputs().splitlines()
                if line.startswith("SEEN "))
    assert set(seen) == set(paths)
    for path, what in seen.items():  # absent, or only the way down to the kernel's Python
        allowed = set(way_down.get(path, []))
        assert what is False or (isinstance(what, list) and set(what) <= allowed), (path, what)
    etc = ran.outputs().split("etc ")[-1]
    assert "shadow" not in etc and "ssh" not in etc and "'passwd'" in etc
    assert not _leaked(ran, marker)


def test_the_app_key_in_a_private_folder_neither_blocks_runs_nor_leaks(
        tmp_path: Path, marker: str, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = tmp_path / "keys"
    keys.mkdir(mode=0o700)
    key = keys / "app.pem"
    key.write_text(f"-----BEGIN PRIVATE KEY----- {marker}")
    monkeypatch.setenv("REVIEWBOT_GITHUB_PRIVATE_KEY_FILE", str(key))
    cells = [f"import os\nprint('key visible', os.path.exists({str(key)!r}))\n"
             "print(sorted(os.environ))"]
    ran = run_cells(tmp_path, cells)
    assert ran.result.ok, ran.result.error
    assert "key visible False" in ran.outputs()
    assert marker not in ran.executed_text
    assert "REVIEWBOT_GITHUB_PRIVATE_KEY_FILE" not in ran.executed_text


def test_run_refuses_and_names_the_guarantee_that_does_not_hold(tmp_path: Path) -> None:
    submission = tmp_path / "SmithJones2017"
    submission.mkdir()
    (submission / "README.md").write_text("# A replication\n")
    env = {**os.environ, "REVIEWBOT_CGROUP": f"no-such-group-{uuid.uuid4().hex[:8]}/run"}
    done = subprocess.run([str(Path(sys.executable).parent / "reviewbot"), "check",
                           str(submission), "--run"], capture_output=True, text=True,
                          timeout=300, env=env)
    assert done.returncode == 2
    assert "cannot run notebooks in a sandbox here (not held: cgroup limits: cannot create a " \
           "cgroup for the run" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_gpu_worker_does_not_start_without_every_guarantee(tmp_path: Path) -> None:
    env = {**os.environ, "REVIEWBOT_GITHUB_TOKEN": "t", "REVIEWBOT_DATA_DIR": str(tmp_path),
           "REVIEWBOT_CGROUP": f"no-such-group-{uuid.uuid4().hex[:8]}/run"}
    done = subprocess.run([str(Path(sys.executable).parent / "reviewbot"), "worker", "--queue",
                           "gpu"], capture_output=True, text=True, timeout=300, env=env,
                          cwd=tmp_path)
    assert done.returncode == 2
    assert "not held: cgroup limits" in done.stderr and "Traceback" not in done.stderr
