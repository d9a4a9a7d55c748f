"""`reviewbot doctor` tries the sandbox and TensorFlow and prints one line per item."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from reviewbot.runners.sandbox import sandbox_available


def test_doctor_prints_the_sandbox_tensorflow_and_kernel_with_a_matching_exit_code() -> None:
    done = subprocess.run([str(Path(sys.executable).parent / "reviewbot"), "doctor"],
                          capture_output=True, text=True, timeout=300)
    lines = {line.split("  ")[0]: line for line in done.stdout.splitlines() if line}
    available, reason = sandbox_available()
    assert done.returncode == (0 if available else 1)
    assert reason in lines["sandbox (bubblewrap)"]
    assert "TensorFlow" in lines and "GPUs" in lines and "process limit" in lines
    assert " ok " in lines["ipykernel"] and " ok " in lines["nbclient"]
