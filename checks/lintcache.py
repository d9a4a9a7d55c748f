"""A disk cache of pylint results, one JSON file per (file content, pylint, options) key.

Linting is the slow part of a review; a candidate re-checking after a small change should
only pay for the files they changed. A key covers everything that can change pylint's
verdict on one file by itself: its text, its path in the submission, the pylint, astroid
and Python versions, and the options. Results that depend on other files (imports that
resolve to a changed sibling) can go stale; the options that report across files
(duplicate-code, cyclic-import) are off by default for that reason.

Entries are written atomically (temporary file, then rename) so that two reviews sharing
a cache never read half an entry; an unreadable entry is a miss, and a cache that cannot
be written only costs speed.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

CACHE_ENV = "REVIEWBOT_CACHE_DIR"
FORMAT_VERSION = 1  # bump when the stored layout changes


@dataclass(frozen=True)
class LintMessage:
    """One pylint message, as much of it as a finding needs."""

    msg_id: str  # e.g. W0611
    symbol: str  # e.g. unused-import
    text: str
    line: int | None
    column: int | None

    @property
    def category(self) -> str:
        """Pylint's category letter: E, W, R, C, F or I."""
        return self.msg_id[:1].upper()


@dataclass(frozen=True)
class LintedFile:
    """Pylint's result for one file: its statement count (for the score) and messages."""

    statements: int
    messages: tuple[LintMessage, ...]


def default_cache_dir(configured: str = "") -> Path:
    """``configured``, else ``$REVIEWBOT_CACHE_DIR``, else the user's cache folder."""
    if configured:
        return Path(configured).expanduser()
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "reviewbot"


def tool_versions() -> str:
    """The versions that change pylint's output, as one string for cache keys."""
    versions = [f"python {sys.version_info.major}.{sys.version_info.minor}"]
    for package in ("pylint", "astroid"):
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package} missing")
    return "; ".join(versions)


class LintCache:
    """Pylint results on disk under ``directory/pylint``, keyed by content and options."""

    def __init__(self, directory: Path, options: list[str]) -> None:
        self.folder = directory / "pylint"
        self._salt = json.dumps([FORMAT_VERSION, tool_versions(), options])

    def key(self, path: str, text: str) -> str:
        digest = hashlib.sha256(self._salt.encode())
        for part in (path, text):
            digest.update(b"\0" + part.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

    def get(self, key: str) -> LintedFile | None:
        """The stored result, or None when absent or unreadable (then it is linted again)."""
        try:
            data = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
            return _from_json(data)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, result: LintedFile) -> None:
        """Store ``result``; a cache that cannot be written is skipped silently."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(_to_json(result), stream)
            os.replace(temporary, self.folder / f"{key}.json")
        except OSError:
            return

    def entries(self) -> int:
        """How many results are stored (for tests and ``cache`` housekeeping)."""
        return len(list(self.folder.glob("*.json"))) if self.folder.is_dir() else 0


def _to_json(result: LintedFile) -> dict:
    messages = [[m.msg_id, m.symbol, m.text, m.line, m.column] for m in result.messages]
    return {"statements": result.statements, "messages": messages}


def _from_json(data: dict) -> LintedFile:
    messages = tuple(LintMessage(str(i), str(s), str(t), _int(line), _int(column))
                     for i, s, t, line, column in data["messages"])
    return LintedFile(int(data["statements"]), messages)


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, int) else None
