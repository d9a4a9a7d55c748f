"""Filling the index: folders, files and git repositories (cloned shallow to a cache).

Each document keeps its origin: the repository (URL or folder), the path inside it, the
commit it was read at and the author given in config.toml.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from reviewbot.core.errors import UsageError
from reviewbot.similarity.documents import Document, read_many
from reviewbot.similarity.index import Origin, SimilarityIndex

SUFFIXES = (".py", ".ipynb")
_SKIPPED_DIRS = {".git", ".hg", ".svn", "__pycache__", "node_modules", ".venv", "venv",
                 ".ipynb_checkpoints", ".tox"}
_GIT_URL = re.compile(r"^(https?://|git@|ssh://|git://|file://)|\.git$")
_CLONE_SECONDS = 300


@dataclass(frozen=True)
class Source:
    """A corpus entry as given on the command line or in config.toml."""

    location: str
    label: str
    author: str = ""
    template: bool = False


@dataclass
class AddReport:
    label: str
    files: int = 0
    added: int = 0
    skipped: list[str] = field(default_factory=list)


def is_git_url(location: str) -> bool:
    return bool(_GIT_URL.search(location)) and not Path(location).is_dir()


def add_source(index: SimilarityIndex, source: Source, cache_dir: Path,
               on_file: Callable[[int, int], None] | None = None) -> AddReport:
    """Index every .py and .ipynb file of ``source``; unreadable files are listed.

    ``on_file(done, total)`` is told after each file is read (progress on a terminal).
    """
    if is_git_url(source.location):
        root, repo = clone(source.location, cache_dir), source.location
    else:
        root, repo = Path(source.location), str(Path(source.location).resolve())
        if not root.exists():
            raise UsageError(f"{source.location}: no such file or folder")
    report = AddReport(source.label)
    revision = _revision(root if root.is_dir() else root.parent)
    files = list(source_files(root))
    report.files = len(files)
    origin = Origin(source.label, "", repo, revision, source.author, source.template)
    # one transaction, fed as files are fingerprinted: a first load is a bulk load
    report.added = index.add(_readable(files, origin, report, on_file))
    return report


def _readable(files: list[tuple[Path, str]], origin: Origin, report: AddReport,
              on_file: Callable[[int, int], None] | None = None
              ) -> Iterator[tuple[Origin, Document]]:
    for done, (_path, document) in enumerate(read_many(files, packed=True), start=1):
        if on_file is not None:
            on_file(done, len(files))
        if isinstance(document, Document):
            yield replace(origin, path=document.path), document
        else:
            report.skipped.append(document)


def source_files(root: Path) -> Iterator[tuple[Path, str]]:
    """(file, path relative to root) of the sources under ``root``, sorted, links skipped."""
    if root.is_file():
        yield root, root.name
        return
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part in _SKIPPED_DIRS for part in relative.parts[:-1]):
            continue
        if path.suffix in SUFFIXES and path.is_file() and not path.is_symlink():
            yield path, relative.as_posix()


def clone(url: str, cache_dir: Path) -> Path:
    """A shallow clone of ``url`` in the cache (fetched again when already there)."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", url).strip("-")[-60:]
    target = cache_dir / f"{slug}-{hashlib.sha256(url.encode()).hexdigest()[:8]}"
    cache_dir.mkdir(parents=True, exist_ok=True)
    if (target / ".git").exists():
        _git(["fetch", "--depth", "1", "origin", "HEAD"], target)
        _git(["reset", "--hard", "FETCH_HEAD"], target)
    else:
        _git(["clone", "--depth", "1", "--quiet", url, str(target)], cache_dir)
    return target


def _git(args: list[str], cwd: Path) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                              timeout=_CLONE_SECONDS, check=False,
                              env={"GIT_TERMINAL_PROMPT": "0", "PATH": "/usr/bin:/bin"})
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"git {args[0]} failed: {exc}") from None
    if done.returncode != 0:
        raise UsageError(f"git {args[0]} failed: {done.stderr.strip().splitlines()[-1:]}")
    return done.stdout.strip()


def _revision(folder: Path) -> str:
    try:
        return _git(["rev-parse", "HEAD"], folder)
    except UsageError:
        return ""
