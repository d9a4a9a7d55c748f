"""Real parts for the service tests: a bare git repository holding a PR head with a
submission, the fake GitHub knowing that PR, a maintainers' config file, and the
environment a ``reviewbot worker``/``serve`` subprocess reads."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import nbformat

from tests.fakes.github_server import FakeGitHub
from tests.fakes.github_state import PullFile

REPO = "octo/dlc"
FOLDER = "SmithJonesEtAl2017"
NUMBER = 7
SECRET = "webhook-secret-for-tests"
MODEL = ('"""The model."""\nimport os\n\n\ndef load():\n    """Load."""\n'
         "    return open('/home/alice/data.csv')\n")
# Fast posting, fast retries, and no pylint (the lint check has its own tests).
SERVICE_CONFIG = """
[checks.lint]
enabled = false
[github]
seconds_between_requests = 0.0
seconds_between_writes = 0.0
max_retries = 1
[queue]
backoff_s = 0.2
max_backoff_s = 1.0
"""


def notebook() -> str:
    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_markdown_cell("# Smith and Jones, reproduced"),
                  nbformat.v4.new_code_cell("import model\nrows = model.load()")]
    return nbformat.writes(book)


SUBMISSION = {"README.md": "# SmithJones\n", "model.py": MODEL, "run.ipynb": notebook(),
              "requirements.txt": "numpy==1.26.4\n"}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd,
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


@dataclass(frozen=True)
class Origin:
    """A bare repository: main, and a PR head commit adding FOLDER."""

    bare: Path
    head_sha: str
    patches: Mapping[str, str]  # path -> unified diff hunk as GitHub lists it

    @property
    def clone_url(self) -> str:
        return f"file://{self.bare}"


def make_origin(root: Path, files: Mapping[str, str] = SUBMISSION) -> Origin:
    work = root / "work"
    work.mkdir(parents=True)
    git(work, "init", "-q", "-b", "main")
    (work / "README.md").write_text("DLC\n")
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "base")
    for name, text in files.items():
        (work / FOLDER / name).parent.mkdir(parents=True, exist_ok=True)
        (work / FOLDER / name).write_text(text)
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "submission")
    head = git(work, "rev-parse", "HEAD")
    patches = {f"{FOLDER}/{name}": _hunks(git(work, "diff", "HEAD~1", "HEAD", "--",
                                               f"{FOLDER}/{name}")) for name in files}
    bare = root / "origin.git"
    git(root, "clone", "-q", "--bare", str(work), str(bare))
    git(bare, "config", "uploadpack.allowReachableSHA1InWant", "true")  # as on GitHub
    return Origin(bare, head, patches)


def _hunks(diff: str) -> str:
    """GitHub's ``patch`` field: the diff from the first hunk header on."""
    return diff[diff.index("@@"):]


def open_pull(fake: FakeGitHub, origin: Origin, number: int = NUMBER, **details: object) -> None:
    fake.add_pull(REPO, number, origin.head_sha,
                  [PullFile(path, patch, "added") for path, patch in origin.patches.items()],
                  **({"clone_url": origin.clone_url} | details))


def write_config(folder: Path) -> Path:
    path = folder / "config.toml"
    path.write_text(SERVICE_CONFIG)
    return path


def service_env(fake: FakeGitHub, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVIEWBOT_")}
    return env | {"REVIEWBOT_WEBHOOK_SECRET": SECRET, "REVIEWBOT_GITHUB_TOKEN": fake.token,
                  "REVIEWBOT_GITHUB_API_URL": fake.base_url, "REVIEWBOT_DATA_DIR": str(data_dir),
                  "REVIEWBOT_CACHE_DIR": os.environ.get("REVIEWBOT_CACHE_DIR", "")}


def reviewbot(args: list[str], env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``reviewbot ARGS`` as a subprocess, its output to ``log``."""
    return subprocess.Popen([sys.executable, "-m", "reviewbot.cli", *args], env=dict(env),
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)


def wait_for(condition: Callable[[], object], timeout: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{tail}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
