"""Slurm's command-line tools, as functions: submit an array, read its tasks' states, cancel.

Only ``sbatch``, ``scontrol``, ``sacct`` and ``scancel`` are used, so the worker needs no
Slurm library, just the client commands and a route to slurmctld. States come from
``scontrol`` while slurmctld remembers the job (``MinJobAge``, 300 s by default) and from
``sacct`` after, when the cluster keeps accounting.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence

COMMAND_TIMEOUT_S = 60.0

# Terminal states (``man squeue``, JOB STATE CODES); anything else is still on its way.
COMPLETED, FAILED, TIMEOUT, OUT_OF_MEMORY = "COMPLETED", "FAILED", "TIMEOUT", "OUT_OF_MEMORY"
CANCELLED, NODE_FAIL, PREEMPTED, BOOT_FAIL = "CANCELLED", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL"
DEADLINE, LOST = "DEADLINE", "LOST"  # LOST: neither scontrol nor sacct knows the task
TERMINAL = frozenset({COMPLETED, FAILED, TIMEOUT, OUT_OF_MEMORY, CANCELLED, NODE_FAIL,
                      PREEMPTED, BOOT_FAIL, DEADLINE, LOST})
NODE_TROUBLE = frozenset({NODE_FAIL, PREEMPTED, BOOT_FAIL})  # not the notebook's fault


class SlurmError(Exception):
    """A Slurm command failed (no slurmctld, a refused submission); the message says which."""


def _run(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(list(command), capture_output=True, text=True,
                              timeout=COMMAND_TIMEOUT_S)
    except FileNotFoundError:
        raise SlurmError(f"{command[0]} is not installed on this host (install Slurm's client "
                         "commands, e.g. Debian's slurm-client)") from None
    except subprocess.TimeoutExpired:
        raise SlurmError(f"{command[0]} did not answer within {COMMAND_TIMEOUT_S:g} s") from None


def submit(options: Sequence[str], script: str) -> str:
    """``sbatch --parsable OPTIONS SCRIPT``; the job id."""
    done = _run(["sbatch", "--parsable", *options, script])
    if done.returncode != 0:
        raise SlurmError(f"sbatch refused the job: {_one_line(done.stderr or done.stdout)}")
    return done.stdout.strip().split(";")[0]


def cancel(job_id: str) -> None:
    done = _run(["scancel", job_id])
    if done.returncode != 0 and "Invalid job id" not in done.stderr:
        raise SlurmError(f"scancel {job_id} failed: {_one_line(done.stderr)}")


def cancel_named(name: str) -> None:
    """Cancel every job called ``name`` (left over by a worker that died while watching)."""
    done = _run(["scancel", "--name", name])
    if done.returncode != 0:
        raise SlurmError(f"scancel --name {name} failed: {_one_line(done.stderr)}")


def task_states(job_id: str) -> dict[int, tuple[str, str]]:
    """Array task index -> (state, reason or exit code), from scontrol, else sacct."""
    states = _scontrol_states(job_id)
    return states if states else _sacct_states(job_id)


def _scontrol_states(job_id: str) -> dict[int, tuple[str, str]]:
    done = _run(["scontrol", "-o", "show", "job", job_id])
    if done.returncode != 0:
        return {}  # purged (MinJobAge) or never known: ask sacct
    states: dict[int, tuple[str, str]] = {}
    for line in done.stdout.splitlines():
        fields = dict(re.findall(r"(\w+)=(\S*)", line))
        state = fields.get("JobState", "")
        detail = f"reason {fields.get('Reason', '')}, exit {fields.get('ExitCode', '')}"
        for index in expand_indices(fields.get("ArrayTaskId", "")):
            states[index] = (state, detail)
    return states


def _sacct_states(job_id: str) -> dict[int, tuple[str, str]]:
    done = _run(["sacct", "-j", job_id, "-n", "-P", "-X", "--format=JobID,State,ExitCode"])
    if done.returncode != 0:
        return {}  # no accounting on this cluster
    states: dict[int, tuple[str, str]] = {}
    for line in done.stdout.splitlines():
        parts = line.split("|")
        if len(parts) < 3 or "_" not in parts[0]:
            continue
        indices = parts[0].split("_", 1)[1].strip("[]")
        for index in expand_indices(indices):
            states[index] = (parts[1].split()[0] if parts[1] else "", f"exit {parts[2]}")
    return states


def expand_indices(text: str) -> list[int]:
    """``0-3,7`` (or ``1-9%2``, a throttled pending array) -> [0, 1, 2, 3, 7]."""
    indices: list[int] = []
    for part in text.split("%")[0].split(","):
        low, _, high = part.partition("-")
        if low.isdigit() and (not high or high.isdigit()):
            indices += range(int(low), int(high or low) + 1)
    return indices


def compress_indices(indices: Sequence[int]) -> str:
    """[0, 1, 2, 5] -> ``0-2,5`` (sbatch --array)."""
    ranges: list[str] = []
    for index in sorted(set(indices)):
        if ranges and ranges[-1].split("-")[-1] == str(index - 1):
            ranges[-1] = f"{ranges[-1].split('-')[0]}-{index}"
        else:
            ranges.append(str(index))
    return ",".join(ranges)


def _one_line(text: str) -> str:
    return " ".join(text.split())[:500]
