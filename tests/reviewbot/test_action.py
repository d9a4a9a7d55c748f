"""The GitHub Action's script and the pre-commit hook, run against a real git repository.

What runs on GitHub is ``action.yml``'s review step (a bash script around
``python -m reviewbot.action``); here that very script is cut out of action.yml and
run with bash in a checkout, with the variables GitHub sets (GITHUB_OUTPUT,
GITHUB_STEP_SUMMARY, GITHUB_REPOSITORY). Only the two ``uses:`` steps (setup-python and
the SARIF upload) cannot run here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import REPO_ROOT, write_tree
from tests.reviewbot.report.test_report import sarif_schema

README = ("# Smith & Jones (2017), reproduced\n\nPaper: https://arxiv.org/abs/1234.5678\n\n"
          "## Running\n\n`python model.py`\n\n## Results\n\nAccuracy 91% (paper: 92%).\n")
MODEL = '"""The model."""\n\n\ndef main():\n    """Run."""\n    return open("/home/alice/x.csv")\n'


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True, env=env).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, str]:
    """A DLC checkout: an old submission on the base; the PR adds another and a stray file."""
    root = tmp_path / "dlc"
    write_tree(root, {"DoeEtAl2019/README.md": "# Doe\n", "DoeEtAl2019/a.py": "x = 1\n",
                      "README.md": "# DLC\n"})
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", "-A")
    git(root, "commit", "--quiet", "-m", "base")
    base = git(root, "rev-parse", "HEAD")
    write_tree(root, {"SmithJonesEtAl2017/model.py": MODEL, "docs/notes.md": "notes\n"})
    git(root, "add", "-A")
    git(root, "commit", "--quiet", "-m", "a submission")
    return root, base


def review_step_script() -> str:
    """The ``run: |`` block of action.yml's step with ``id: review``."""
    lines = (REPO_ROOT / "action.yml").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "id: review")
    run = next(i for i in range(start, len(lines)) if lines[i].strip() == "run: |")
    indent = len(lines[run + 1]) - len(lines[run + 1].lstrip())
    block = []
    for line in lines[run + 1:]:
        if line.strip() and len(line) - len(line.lstrip()) < indent:
            break
        block.append(line[indent:])
    return "\n".join(block) + "\n"


def run_action(root: Path, base: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess,
                                                                dict[str, str]]:
    bin_dir = str(Path(sys.executable).parent)  # the venv's python is "python" in the step
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}",
           "REVIEWBOT_BASE": base, "REVIEWBOT_HEAD": "HEAD", "REVIEWBOT_SARIF": "out.sarif",
           "REVIEWBOT_CONFIG_FILE": "", "GITHUB_REPOSITORY": "octo/dlc",
           "GITHUB_OUTPUT": str(tmp_path / "output"),
           "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}
    env.pop("REVIEWBOT_CONFIG", None)
    done = subprocess.run(["bash", "-e", "-c", review_step_script()], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    output = tmp_path / "output"
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines()) \
        if output.exists() else {}
    return done, outputs


def test_the_action_reviews_only_the_changed_submission_and_writes_sarif(
        repo: tuple[Path, str], tmp_path: Path) -> None:
    root, base = repo
    done, outputs = run_action(root, base, tmp_path)
    assert done.returncode == 0, done.stderr  # the step itself passes: findings come next
    assert outputs == {"status": "1"}  # ... and the last step fails the job on them
    assert "SmithJonesEtAl2017" in done.stdout and "DoeEtAl2019" not in done.stdout
    assert "What fails the review" in done.stdout and "README001" in done.stdout
    log = json.loads((root / "out.sarif").read_text())
    jsonschema.Draft4Validator(sarif_schema()).validate(log)
    run = log["runs"][0]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in run["results"]}
    assert "SmithJonesEtAl2017/model.py" in uris and not any("DoeEtAl" in u for u in uris)
    assert all(rule["helpUri"].startswith("https://github.com/octo/dlc/blob/HEAD/README.md#")
               for rule in run["tool"]["driver"]["rules"])
    summary = (tmp_path / "summary.md").read_text()
    assert summary.startswith("### ❌ reviewbot: SmithJonesEtAl2017")


def test_a_change_outside_submissions_reviews_nothing_and_passes(
        repo: tuple[Path, str], tmp_path: Path) -> None:
    root, _ = repo
    write_tree(root, {"docs/more.md": "more\n"})
    git(root, "add", "-A")
    git(root, "commit", "--quiet", "-m", "docs only")
    done, outputs = run_action(root, git(root, "rev-parse", "HEAD~1"), tmp_path)
    assert done.returncode == 0 and outputs == {"status": "0"}
    assert "touches no submission folder" in done.stdout
    assert json.loads((root / "out.sarif").read_text())["runs"][0]["results"] == []


def test_an_unknown_base_is_a_clear_usage_error(repo: tuple[Path, str], tmp_path: Path) -> None:
    root, _ = repo
    done, outputs = run_action(root, "f" * 40, tmp_path)
    assert done.returncode == 2 and outputs == {"status": "2"}
    assert "reviewbot: error: git diff" in done.stderr and "Traceback" not in done.stderr


def test_the_pre_commit_hook_reviews_the_folders_of_the_staged_files(
        repo: tuple[Path, str]) -> None:
    root, _ = repo
    hook = Path(sys.executable).parent / "reviewbot-pre-commit"
    done = subprocess.run([str(hook), "SmithJonesEtAl2017/model.py", "docs/notes.md"],
                          cwd=root, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 1 and "README001" in done.stdout
    quiet = subprocess.run([str(hook), "docs/notes.md"], cwd=root, capture_output=True,
                           text=True, timeout=60, check=False)
    assert quiet.returncode == 0 and quiet.stdout == ""
    hooks = (REPO_ROOT / ".pre-commit-hooks.yaml").read_text()
    assert "entry: reviewbot-pre-commit" in hooks and "- id: reviewbot" in hooks
