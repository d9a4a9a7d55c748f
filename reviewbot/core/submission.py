"""Load a submission folder safely into a ``Submission``.

Nothing here trusts the folder: symlinks are never followed out of it, files over the size
limit are listed but never read, undecodable text becomes a finding, and a notebook that
nbformat cannot read is kept aside with the reason so the notebook check can report it.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from reviewbot.core.errors import SubmissionError
from reviewbot.core.ipynb import Notebook, NotebookFormatError, parse_notebook
from reviewbot.core.models import Finding, Rule, Severity

CHECK_ID = "load"
SYMLINK_OUTSIDE = Rule(CHECK_ID, "LOAD001", Severity.ERROR, "symlink pointing outside the folder",
                       "Replace the link with the file itself, or remove it.")
TOO_LARGE = Rule(CHECK_ID, "LOAD002", Severity.WARNING, "file over the size limit (not read)",
                 "Keep large data and weights out of the repository; document where to get them.")
NOT_UTF8 = Rule(CHECK_ID, "LOAD003", Severity.WARNING, "text file that is not UTF-8",
                "Save the file as UTF-8.")
UNREADABLE = Rule(CHECK_ID, "LOAD004", Severity.WARNING, "file that cannot be read",
                  "Check the file's permissions and that it is a regular file.")
TOO_MANY = Rule(CHECK_ID, "LOAD005", Severity.WARNING, "more files than the review reads",
                "Remove generated files, data and checkpoints from the submission.")
RULES = (SYMLINK_OUTSIDE, TOO_LARGE, NOT_UTF8, UNREADABLE, TOO_MANY)

TEXT_SUFFIXES = {".md", ".rst", ".txt", ".cfg", ".toml", ".ini", ".yml", ".yaml", ".json", ".sh",
                 ".in", ".csv", ""}
SKIPPED_DIRS = {".git", ".hg", ".svn"}
# A DLC folder is named Author1Author2Author3EtAlYEAR (a letter may follow the year).
SUBMISSION_NAME = re.compile(r"^[A-Z][A-Za-z]*(EtAl)?\d{4}[a-z]?$")
_MANY = 3  # subfolders with a README that make a folder look like a course checkout


@dataclass(frozen=True)
class FileEntry:
    """A file in the folder: its path relative to the root, its size and what it is."""

    path: str
    size: int
    kind: str  # python | notebook | text | binary | symlink | special | unread


@dataclass(frozen=True)
class TextFile:
    """A decoded text file (module, README, requirements...)."""

    path: str
    text: str


@dataclass(frozen=True)
class Submission:
    """A submission folder as the checks see it; nothing in it has been executed."""

    name: str
    root: Path
    files: tuple[FileEntry, ...]
    modules: tuple[TextFile, ...]
    notebooks: tuple[Notebook, ...]
    texts: tuple[TextFile, ...]
    broken_notebooks: tuple[tuple[str, str], ...]  # (path, why nbformat refused it)
    load_findings: tuple[Finding, ...]

    def text(self, path: str) -> str | None:
        """The decoded text of a module or text file, or None when it was not read."""
        for item in (*self.modules, *self.texts):
            if item.path == path:
                return item.text
        return None


@dataclass(frozen=True)
class LoadLimits:
    max_file_bytes: int = 5_000_000
    max_files: int = 5_000


def discover(path: Path, pattern: str = "") -> list[Path]:
    """The submission folders under ``path``: itself, or each folder it holds that is named
    like a submission (``pattern``, a glob such as ``Project_*``; DLC's naming when empty)."""
    if not path.exists():
        raise SubmissionError(f"{path}: no such file or folder")
    if not path.is_dir():
        raise SubmissionError(f"{path}: is a file; give the submission's folder instead")
    if is_submission_name(path.resolve().name, pattern):
        return [path]
    children = sorted(p for p in path.iterdir()
                      if p.is_dir() and not p.is_symlink() and is_submission_name(p.name, pattern))
    return children or [path]


def is_submission_name(name: str, pattern: str = "") -> bool:
    """Whether a folder named ``name`` is a submission: ``pattern`` (a glob such as
    ``Project_*``) or, when empty, DLC's ``AuthorAuthorEtAlYEAR``."""
    if pattern:
        return fnmatch.fnmatchcase(name, pattern)
    return bool(SUBMISSION_NAME.match(name))


def many_submissions_note(path: Path, pattern: str = "") -> str | None:
    """A note when ``path`` is reviewed as one submission but looks like a checkout of many:
    several subfolders that each hold a README and none named as the pattern wants."""
    if not path.is_dir() or discover(path, pattern) != [path]:
        return None
    folders = sorted(p.name for p in path.iterdir() if p.is_dir() and not p.is_symlink()
                     and not p.name.startswith(".") and _has_readme(p))
    if len(folders) < _MANY:
        return None
    common = _common_prefix(folders)
    suggestion = f"'{common}*'" if len(common) >= 3 else "a glob matching their names"
    shown = ", ".join(folders[:3]) + (", ..." if len(folders) > 3 else "")
    wanted = f"the pattern {pattern!r}" if pattern else "DLC's naming (AuthorEtAlYEAR)"
    return (f"{path.name} looks like {len(folders)} submissions ({shown}), none named as "
            f"{wanted}; it was reviewed as one. Set [review] submission_pattern = {suggestion} "
            "in config.toml to review each folder.")


def _common_prefix(names: list[str]) -> str:
    first, last = min(names), max(names)
    length = next((i for i, (a, b) in enumerate(zip(first, last, strict=False)) if a != b),
                  min(len(first), len(last)))
    return first[:length]


def _has_readme(folder: Path) -> bool:
    try:
        return any(child.name.lower().startswith("readme") for child in folder.iterdir())
    except OSError:
        return False


def load(path: Path, limits: LoadLimits = LoadLimits()) -> Submission:
    """Read the folder at ``path`` within ``limits``; problems become load findings."""
    root = path.resolve()
    if not root.is_dir():
        raise SubmissionError(f"{path}: not a folder")
    loader = _Loader(root, limits)
    loader.scan()
    return loader.result()


class _Loader:
    """Walks one folder once and sorts each file into the submission's parts."""

    def __init__(self, root: Path, limits: LoadLimits) -> None:
        self.root = root
        self.limits = limits
        self.files: list[FileEntry] = []
        self.modules: list[TextFile] = []
        self.notebooks: list[Notebook] = []
        self.texts: list[TextFile] = []
        self.broken: list[tuple[str, str]] = []
        self.findings: list[Finding] = []

    def result(self) -> Submission:
        return Submission(self.root.name, self.root, tuple(self.files), tuple(self.modules),
                          tuple(self.notebooks), tuple(self.texts), tuple(self.broken),
                          tuple(self.findings))

    def scan(self) -> None:
        for directory, subdirs, names in os.walk(self.root, followlinks=False):
            subdirs[:] = sorted(d for d in subdirs if d not in SKIPPED_DIRS)
            for name in [*sorted(names), *self._linked_dirs(directory, subdirs)]:
                if len(self.files) >= self.limits.max_files:
                    self._too_many()
                    return
                self._visit(Path(directory, name))

    def _linked_dirs(self, directory: str, subdirs: list[str]) -> list[str]:
        # os.walk lists symlinked folders with the folders; they are checked like files.
        linked = [d for d in subdirs if Path(directory, d).is_symlink()]
        subdirs[:] = [d for d in subdirs if d not in linked]
        return linked

    def _too_many(self) -> None:
        message = (f"the folder has more than {self.limits.max_files} files; "
                   "the review read only the first ones")
        self.findings.append(TOO_MANY.finding(message))

    def _visit(self, path: Path) -> None:
        relative = path.relative_to(self.root).as_posix()
        try:
            info = path.lstat()
        except OSError as exc:
            self._unreadable(relative, exc)
            return
        if stat.S_ISLNK(info.st_mode):
            self._visit_symlink(path, relative)
        elif not stat.S_ISREG(info.st_mode):
            self.files.append(FileEntry(relative, 0, "special"))
        elif info.st_size > self.limits.max_file_bytes:
            self._too_large(relative, info.st_size)
        else:
            self._read(path, relative, info.st_size)

    def _visit_symlink(self, path: Path, relative: str) -> None:
        target = Path(os.path.realpath(path))
        self.files.append(FileEntry(relative, 0, "symlink"))
        if not target.is_relative_to(self.root):
            message = (f"{relative} is a symlink to {os.readlink(path)}, outside the "
                       "submission; it was not followed")
            self.findings.append(SYMLINK_OUTSIDE.finding(message, relative))

    def _too_large(self, relative: str, size: int) -> None:
        self.files.append(FileEntry(relative, size, "unread"))
        limit = _megabytes(self.limits.max_file_bytes)
        message = f"{relative} is {_megabytes(size)}, over the {limit} limit; it was not read"
        self.findings.append(TOO_LARGE.finding(message, relative))

    def _unreadable(self, relative: str, exc: OSError) -> None:
        self.files.append(FileEntry(relative, 0, "unread"))
        message = f"{relative} cannot be read ({exc.strerror or exc})"
        self.findings.append(UNREADABLE.finding(message, relative))

    def _read(self, path: Path, relative: str, size: int) -> None:
        kind = _kind_by_name(path)
        if kind == "binary":
            self.files.append(FileEntry(relative, size, "binary"))
            return
        try:
            data = _read_no_follow(path, self.limits.max_file_bytes)
        except OSError as exc:
            self._unreadable(relative, exc)
            return
        if b"\0" in data[:8192]:
            self.files.append(FileEntry(relative, size, "binary"))
            return
        self.files.append(FileEntry(relative, size, kind))
        self._add_text(relative, kind, self._decode(relative, data, kind))

    def _add_text(self, relative: str, kind: str, text: str) -> None:
        if kind == "python":
            self.modules.append(TextFile(relative, text))
        elif kind == "notebook":
            self._add_notebook(relative, text)
        else:
            self.texts.append(TextFile(relative, text))

    def _add_notebook(self, relative: str, text: str) -> None:
        try:
            self.notebooks.append(parse_notebook(relative, text))
        except NotebookFormatError as exc:
            self.broken.append((relative, str(exc)))

    def _decode(self, relative: str, data: bytes, kind: str) -> str:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            declared = _declared_encoding(data) if kind == "python" else None
            if declared:
                return data.decode(declared, errors="replace")
            message = (f"{relative} is not UTF-8 (byte 0x{data[exc.start]:02x} at offset "
                       f"{exc.start}); it was read with the bad bytes replaced")
            self.findings.append(NOT_UTF8.finding(message, relative, _line_of(data, exc.start)))
            return data.decode("utf-8", errors="replace")


def _kind_by_name(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in {".py", ".pyw"}:
        return "python"
    if suffix == ".ipynb":
        return "notebook"
    if suffix in TEXT_SUFFIXES or path.name.lower().startswith(("readme", "requirements")):
        return "text"
    return "binary"


def _read_no_follow(path: Path, limit: int) -> bytes:
    # O_NOFOLLOW: the file cannot be swapped for a symlink between lstat and open.
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(descriptor, "rb") as handle:
        return handle.read(limit + 1)


_CODING = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def _declared_encoding(data: bytes) -> str | None:
    """The PEP 263 encoding a Python file declares in its first two lines, if valid."""
    for line in data.splitlines()[:2]:
        match = _CODING.match(line)
        if match:
            name = match.group(1).decode("ascii", "replace")
            try:
                data.decode(name)
            except (LookupError, UnicodeDecodeError):
                return None
            return name
    return None


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"
