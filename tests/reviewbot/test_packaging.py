"""The wheel: it holds every package (checks/, webhooks/, runners/ mapped under reviewbot.)
and its data, and once installed in a fresh virtual environment the ``reviewbot`` command
works from a folder outside the repository.

Slow (it installs the dependencies from the package index), so marked ``slow``; it still
runs in the default test command.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, write_tree

SOURCES = ("pyproject.toml", "README.md", "reviewbot", "checks", "webhooks", "runners")
EXPECTED_FILES = ("reviewbot/cli.py", "reviewbot/checks/readme.py", "reviewbot/checks/__init__.py",
                  "reviewbot/webhooks/__init__.py", "reviewbot/runners/__init__.py",
                  "reviewbot/report/sarif.py", "reviewbot/schemas/review-v1.json")


def run(command: list[str | Path], cwd: Path, timeout: int = 900) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "REVIEWBOT_CONFIG"}}
    return subprocess.run([str(part) for part in command], cwd=cwd, env=env, text=True,
                          capture_output=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of the sources (the working tree is left untouched)."""
    source = tmp_path_factory.mktemp("source")
    for name in SOURCES:
        origin = REPO_ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(origin, source / name)
    dist = tmp_path_factory.mktemp("dist")
    built = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, source],
                cwd=source)
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel_file,) = dist.glob("reviewbot-*.whl")
    return wheel_file


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ folder of a fresh virtual environment with the wheel installed."""
    venv = tmp_path_factory.mktemp("venv")
    created = run([sys.executable, "-m", "venv", venv], cwd=venv)
    assert created.returncode == 0, created.stderr
    install = run([venv / "bin" / "python", "-m", "pip", "install", "-q", wheel], cwd=venv)
    assert install.returncode == 0, install.stdout + install.stderr
    return venv / "bin"


@pytest.mark.slow
def test_wheel_holds_every_package_and_the_schema(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in EXPECTED_FILES:
        assert expected in names
    assert not any(name.startswith(("checks/", "webhooks/", "runners/", "tests/"))
                   for name in names)  # nothing generic lands in site-packages
    assert not [name for name in names if "bench" in name]  # benchmark glue is not shipped


@pytest.mark.slow
def test_installed_command_shows_its_help(installed: Path, tmp_path: Path) -> None:
    result = run([installed / "reviewbot", "--help"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "check" in result.stdout and "config" in result.stdout


@pytest.mark.slow
def test_installed_command_reviews_a_folder_from_outside_the_repo(installed: Path,
                                                                   tmp_path: Path) -> None:
    folder = write_tree(tmp_path / "SmithJonesEtAl2017", {"model.py": "x = 1\n"})
    where = run([installed / "python", "-c", "import reviewbot; print(reviewbot.__file__)"],
                cwd=tmp_path)
    assert not where.stdout.startswith(str(REPO_ROOT))  # the wheel's copy, not the sources
    result = run([installed / "reviewbot", "check", folder, "--only", "readme", "--format",
                  "json"], cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    (review,) = data["reviews"]
    codes = [f["code"] for check in review["checks"] for f in check["findings"]]
    assert "README001" in codes
    assert {check["id"]: check["status"] for check in review["checks"]}["lint"] == "skipped"


@pytest.mark.slow
def test_installed_verdict_without_claims_is_a_usage_error(installed: Path,
                                                           tmp_path: Path) -> None:
    """No config and no papers/ beside the wheel: not an empty pass, an exit 2 that says so."""
    runs = tmp_path / "runs.json"
    runs.write_text(json.dumps({"schema": "reviewbot.runs/1", "submissions": [
        {"submission": "KingmaBa2014", "runs": [
            {"notebook": "a.ipynb", "seed": 0, "ok": True, "scalars": {"loss": 0.1}}]}]}))
    result = run([installed / "reviewbot", "verdict", runs], cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("reviewbot: error: no claims file for KingmaBa2014: ")
    assert "no claims registered" not in result.stdout
