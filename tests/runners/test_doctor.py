"""`reviewbot doctor` tries each guarantee of the sandbox, TensorFlow and the kernel."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from reviewbot.runners.guarantees import probe_guarantees

GUARANTEES = ("bubblewrap", "uid", "capabilities", "seccomp", "user namespaces",
              "filesystem", "network", "cgroup limits")


def test_doctor_prints_each_guarantee_with_what_held_and_a_matching_exit_code() -> None:
    done = subprocess.run([str(Path(sys.executable).parent / "reviewbot"), "doctor"],
                          capture_output=True, text=True, timeout=300)
    lines = {line.split("  ")[0]: line for line in done.stdout.splitlines() if line}
    report = probe_guarantees()
    assert done.returncode == (0 if report.ok else 1)
    for item in report.guarantees:
        line = lines[f"sandbox: {item.name}"]
        assert (" ok " if item.held else " NO ") in line and item.detail in line
    if report.ok:
        assert [f"sandbox: {name}" in lines for name in GUARANTEES] == [True] * len(GUARANTEES)
        assert "uid 65534 in the sandbox" in lines["sandbox: uid"]
    assert "TensorFlow" in lines and "GPUs" in lines
    assert " ok " in lines["ipykernel"] and " ok " in lines["nbclient"]
