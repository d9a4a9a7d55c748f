"""The code base stays ruff clean, and the README's test command is the one CI runs."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO_ROOT


def test_ruff_is_clean() -> None:
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=REPO_ROOT,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_runs_the_readme_test_command() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    ci_script = (REPO_ROOT / ".ci" / "run").read_text()
    blocks = readme.split("```")
    first, second = blocks[1].strip(), blocks[3].strip()  # the two commands come first
    assert first == "dev/example"
    assert "reviewbot check examples/KingmaBa2014 --run" in (REPO_ROOT / first).read_text()
    assert second == "dev/test"  # it installs what the tests need, then runs them all
    assert second in ci_script.splitlines()
