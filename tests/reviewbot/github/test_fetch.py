"""Fetching a PR head with real git from a bare repository through file://."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from reviewbot.github.fetch import FetchError, FolderSplit, fetch_head, submission_folders

TOKEN = "ghs_SECRETtoken1234567890"


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd,
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


def commit(work: Path, files: dict[str, str], message: str) -> str:
    for name, text in files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(text)
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", message)
    return git(work, "rev-parse", "HEAD")


@pytest.fixture
def origin(tmp_path: Path) -> tuple[Path, str, str]:
    """A bare repo: main, and refs/pull/1/head two commits ahead; returns (bare, sha1, sha2)."""
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    commit(work, {"README.md": "DLC\n"}, "base")
    git(work, "checkout", "-q", "-b", "pr")
    first = commit(work, {"KingmaBa2014/README.md": "# Adam\n"}, "submission")
    second = commit(work, {"KingmaBa2014/model.py": "x = 1\n"}, "more")
    bare = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    git(bare, "update-ref", "refs/pull/1/head", second)
    git(bare, "config", "uploadpack.allowReachableSHA1InWant", "true")  # as on GitHub
    return bare, first, second


def test_fetches_exactly_the_sha(origin: tuple[Path, str, str], tmp_path: Path) -> None:
    bare, first, _ = origin
    dest = fetch_head(f"file://{bare}", first, tmp_path / "checkout", token=TOKEN)
    assert (dest / "KingmaBa2014" / "README.md").read_text() == "# Adam\n"
    assert not (dest / "KingmaBa2014" / "model.py").exists()  # the later commit is not there
    assert git(dest, "rev-parse", "HEAD") == first
    assert git(dest, "rev-list", "--count", "HEAD") == "1"  # shallow


def test_the_token_is_never_written_to_disk(origin: tuple[Path, str, str],
                                            tmp_path: Path) -> None:
    bare, _, second = origin
    dest = fetch_head(f"file://{bare}", second, tmp_path / "checkout", token=TOKEN)
    assert "extraheader" not in (dest / ".git" / "config").read_text().lower()
    for path in (dest / ".git").rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


def test_an_unknown_sha_is_a_clear_error(origin: tuple[Path, str, str], tmp_path: Path) -> None:
    bare, _, _ = origin
    with pytest.raises(FetchError, match="git fetch failed"):
        fetch_head(f"file://{bare}", "0123456789" * 4, tmp_path / "checkout", token=TOKEN)


@pytest.mark.parametrize(("url", "sha", "problem"), [
    ("ext::sh -c touch% /tmp/pwned", "a" * 40, "only https and file"),
    ("https://github.com/o/r.git", "main", "not a full commit SHA"),
])
def test_refuses_odd_requests(url: str, sha: str, problem: str, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match=problem):
        fetch_head(url, sha, tmp_path / "checkout")


def test_the_error_message_never_shows_the_token(tmp_path: Path) -> None:
    url = f"file://{tmp_path}/{TOKEN}/missing.git"  # git quotes the URL in its error
    with pytest.raises(FetchError) as caught:
        fetch_head(url, "a" * 40, tmp_path / "checkout", token=TOKEN)
    assert TOKEN not in str(caught.value) and "***" in str(caught.value)


@pytest.mark.parametrize(("paths", "expected"), [
    (["KingmaBa2014/README.md", "KingmaBa2014/model.py"], FolderSplit(("KingmaBa2014",), ())),
    (["KingmaBa2014/a.py", "MikolovEtAl2015/b.py"],
     FolderSplit(("KingmaBa2014", "MikolovEtAl2015"), ())),
    (["KingmaBa2014/a.py", "README.md", ".github/workflows/ci.yml", "notes/x.md"],
     FolderSplit(("KingmaBa2014",), (".github/workflows/ci.yml", "README.md", "notes/x.md"))),
    (["KingmaBa2014"], FolderSplit((), ("KingmaBa2014",))),  # a file, not a folder
])
def test_submission_folders(paths: list[str], expected: FolderSplit) -> None:
    assert submission_folders(paths) == expected
