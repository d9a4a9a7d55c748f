"""Secrets never reach the sandbox: the names come from core, the key file from the caller."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest

from reviewbot.core.environment import SECRET_VARIABLES
from reviewbot.runners.sandbox import bwrap_command, child_environment, sandbox_available
from tests.conftest import REPO_ROOT

KEY = "-----BEGIN RSA PRIVATE KEY-----\nnot really\n"


def _cat_in_sandbox(scratch: Path, key: Path, masked: list[Path]) -> str:
    command = bwrap_command(scratch, scratch, {"PATH": "/usr/bin:/bin"}, ["cat", str(key)],
                            masked=masked)
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    return done.stdout


@pytest.mark.skipif(not sandbox_available()[0], reason="bubblewrap cannot run here")
def test_the_private_key_the_caller_names_reads_empty_in_the_sandbox(tmp_path: Path) -> None:
    # outside /tmp and the home folders, which the sandbox hides anyway
    with tempfile.TemporaryDirectory(dir=REPO_ROOT, prefix=".key-test-") as folder:
        key = Path(folder) / "app.pem"
        key.write_text(KEY)
        key.chmod(0o644)
        assert _cat_in_sandbox(tmp_path, key, masked=[]) == KEY  # what masking prevents
        assert _cat_in_sandbox(tmp_path, key, masked=[key]) == ""


def test_every_secret_variable_of_the_environment_is_refused() -> None:
    for name in SECRET_VARIABLES:
        with pytest.raises(ValueError, match=f"refusing to pass {name} into a notebook run"):
            child_environment({name: "x"})
