"""A one-node Slurm cluster on this machine, from Debian's slurm-wlm and munge.

munged, slurmctld and slurmd run in the foreground as children of the test process, on
loopback, with every file (key, sockets, state, logs, slurm.conf) in one temporary folder;
the node has this machine's CPUs and memory and two fake GPUs (GRES on /dev/null and
/dev/zero: the scheduler counts and assigns them, nothing real is bound). ``SLURM_CONF``
points the client commands at it.
``stop`` ends every daemon it started, and the fixture calls it even when a test fails.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from tests.reviewbot.service.service_helpers import free_port, wait_for

NODE = "node1"
PARTITION = "debug"
FAKE_DEVICES = ("/dev/null", "/dev/zero")  # stand-ins: Slurm only counts and hands them out
FAKE_GPUS = len(FAKE_DEVICES)
INSTALL = "run dev/install-test-deps (it installs slurm-wlm and munge)"


def missing_commands() -> list[str]:
    return [name for name in ("munged", "slurmctld", "slurmd", "sbatch", "scontrol")
            if shutil.which(name) is None]


def _memory_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024 - 512
    return 1024


def slurm_conf(folder: Path, ctld_port: int, slurmd_port: int) -> str:
    return f"""ClusterName=reviewbot-test
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={folder}/munge.socket
StateSaveLocation={folder}/state
SlurmdSpoolDir={folder}/spool
SlurmctldPidFile={folder}/slurmctld.pid
SlurmdPidFile={folder}/slurmd.pid
SlurmctldLogFile={folder}/slurmctld.log
SlurmdLogFile={folder}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=1
JobAcctGatherParams=OverMemoryKill
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
DefMemPerCPU=512
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
MinJobAge=600
SlurmdTimeout=300
InactiveLimit=0
KillWait=5
GresTypes=gpu
NodeName={NODE} NodeHostname=localhost NodeAddr=127.0.0.1 CPUs={os.cpu_count()} \
RealMemory={_memory_mb()} Gres=gpu:{FAKE_GPUS} State=UNKNOWN
PartitionName={PARTITION} Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""


class SlurmCluster:
    """munged + slurmctld + slurmd; ``restart_slurmd`` stops the node's daemon and starts it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.conf = folder / "slurm.conf"
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._old_conf = os.environ.get("SLURM_CONF")

    def start(self) -> None:
        for sub in ("state", "spool"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)
        self.conf.write_text(slurm_conf(self.folder, free_port(), free_port()))
        (self.folder / "gres.conf").write_text(
            "".join(f"NodeName={NODE} Name=gpu File={device}\n" for device in FAKE_DEVICES))
        self._start_munge()
        os.environ["SLURM_CONF"] = str(self.conf)
        self._spawn("slurmctld", ["slurmctld", "-D", "-i", "-f", str(self.conf)])
        wait_for(lambda: self._scontrol("ping").returncode == 0, 60,
                 "slurmctld to answer", self.folder / "slurmctld.log")
        self._start_slurmd()

    def _start_munge(self) -> None:
        key = self.folder / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o600)
        self._spawn("munged", ["munged", "--foreground", "--force",
                               f"--socket={self.folder}/munge.socket", f"--key-file={key}",
                               f"--pid-file={self.folder}/munged.pid",
                               f"--log-file={self.folder}/munged.log",
                               f"--seed-file={self.folder}/munged.seed"])
        wait_for(lambda: (self.folder / "munge.socket").exists(), 30, "munged's socket",
                 self.folder / "munged.log")

    def _start_slurmd(self) -> None:
        self._spawn("slurmd", ["slurmd", "-D", "-N", NODE, "-f", str(self.conf)])
        wait_for(self.node_idle, 60, "the node to be idle", self.folder / "slurmd.log")

    def node_idle(self) -> bool:
        done = self._scontrol("-o", "show", "node", NODE)
        return any(state in done.stdout for state in ("State=IDLE", "State=MIXED",
                                                       "State=ALLOCATED"))

    def restart_slurmd(self) -> None:
        """What a node reboot does to the daemon: it goes away, and comes back."""
        process = self.processes.pop("slurmd")
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        time.sleep(1.0)
        self._start_slurmd()

    def set_node_state(self, state: str) -> None:
        """``down`` (its jobs end as NODE_FAIL) or ``resume``."""
        self._scontrol("update", f"nodename={NODE}", f"state={state}", "reason=test")
        if state == "resume":
            wait_for(self.node_idle, 60, "the node to come back", self.folder / "slurmd.log")

    def queue(self) -> str:
        done = subprocess.run(["squeue", "-h", "-o", "%i %T %j"], capture_output=True,
                              text=True, timeout=30)
        return done.stdout

    def _scontrol(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["scontrol", *args], capture_output=True, text=True, timeout=30)

    def _spawn(self, name: str, command: list[str]) -> None:
        log = (self.folder / f"{name}.stdout").open("ab")
        self.processes[name] = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                                start_new_session=True)

    def stop(self) -> None:
        """Cancel what is left, then stop slurmd, slurmctld and munged (in that order)."""
        if "slurmctld" in self.processes:
            subprocess.run(["scancel", "--user", "root"], capture_output=True, timeout=30)
        for name in ("slurmd", "slurmctld", "munged"):
            process = self.processes.pop(name, None)
            if process is None:
                continue
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        _kill_stepds(self.folder)
        if self._old_conf is None:
            os.environ.pop("SLURM_CONF", None)
        else:
            os.environ["SLURM_CONF"] = self._old_conf

    def logs(self) -> str:
        return "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')[-2000:]}"
                         for path in sorted(self.folder.glob("*.log")))


def _kill_stepds(folder: Path) -> None:
    """slurmstepd outlives slurmd on purpose (jobs survive a daemon restart): end ours."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if command and command[0].endswith(b"slurmstepd") and _uses(proc, folder):
            os.kill(int(proc.name), signal.SIGKILL)


def _uses(proc: Path, folder: Path) -> bool:
    try:
        return str(folder) in (proc / "environ").read_bytes().decode(errors="replace") or \
            str(folder) in os.readlink(proc / "cwd")
    except OSError:
        return False
