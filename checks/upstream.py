"""Upstream awareness: code the submission took from another project.

Sources the README declares ("based on", "adapted from", "forked from" next to a repository
URL) and fork markers (another project's code of conduct, contributing guide, packaging
files, licence, a second README, copyright headers naming an owner) are surfaced for the
mentor. Files that carry another owner's copyright header and that the README never names
count as unchanged upstream files: the style checks (lint's style messages, modularity,
comments) leave them out, so the review speaks about the candidate's own code; the copy
check still reads them.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass

from reviewbot.core.submission import Submission

FORK_FILES = {"code_of_conduct.md", "contributing.md", "hubconf.py", "setup.py", "setup.cfg",
              "pyproject.toml", "manifest.in", "license", "license.txt", "license.md",
              "copying", "authors", "authors.md", "changelog.md", "tox.ini", ".travis.yml"}
README_NAMES = ("readme.md", "readme.markdown", "readme.rst", "readme.txt", "readme")
_HEADER = re.compile(r"^\s*#.{0,40}?(copyright\b.{0,100}|licensed under .{0,80}|"
                     r"\(c\)\s*\d{4}.{0,80})$", re.IGNORECASE | re.MULTILINE)
_DECLARED = re.compile(
    r"\b(based on|adapted (from|the)|forked|borrowed from|taken from|built (on|upon)|"
    r"copied from|derived from|as (the|a|our) base|starting point|modified version of|"
    r"(code|implementation) (is )?from)\b", re.IGNORECASE)
_REPOSITORY = re.compile(r"https?://(www\.)?(github\.com|gitlab\.com|bitbucket\.org)/"
                         r"[\w.-]+/[\w.-]+", re.IGNORECASE)


@dataclass(frozen=True)
class Upstream:
    """What the submission says or shows about code it did not write."""

    declared: tuple[tuple[int, str], ...]  # (README line, repository URL)
    markers: tuple[str, ...]  # fork-marker files
    headers: tuple[tuple[str, str], ...]  # (file, the copyright line)
    unchanged: frozenset[str]  # upstream files the README never names

    @property
    def found(self) -> bool:
        return bool(self.declared or self.markers or self.headers)


# Several checks ask about the same submission: it is read once per submission object.
_CACHE: dict[int, tuple[weakref.ref, Upstream]] = {}
_CACHE_SIZE = 8


def find_upstream(submission: Submission) -> Upstream:
    return _find(submission)


def _find(submission: Submission) -> Upstream:
    cached = _CACHE.get(id(submission))
    if cached is not None and cached[0]() is submission:
        return cached[1]
    upstream = _read(submission)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.clear()
    _CACHE[id(submission)] = (weakref.ref(submission), upstream)
    return upstream


def _read(submission: Submission) -> Upstream:
    readme = _readme_text(submission)
    headers = tuple((m.path, h) for m in submission.modules if (h := _header(m.text)))
    unchanged = frozenset(path for path, _ in headers
                          if path.rsplit("/", 1)[-1] not in readme)
    return Upstream(tuple(_declared(readme)), tuple(_markers(submission)), headers, unchanged)


def upstream_files(submission: Submission) -> frozenset[str]:
    """Files left out of the style review: unchanged copies of another project's code."""
    return _find(submission).unchanged


def _readme_text(submission: Submission) -> str:
    top = {e.path.lower(): e.path for e in submission.files if "/" not in e.path}
    for name in README_NAMES:
        if name in top:
            return submission.text(top[name]) or ""
    return ""


def _markers(submission: Submission) -> list[str]:
    top = [e.path for e in submission.files if "/" not in e.path]
    markers = [path for path in top if path.lower() in FORK_FILES]
    # another project's README kept under a new name: LIB_README.md, ORIGINAL_README.md
    others = [path for path in top if "readme" in path.lower()
              and not path.lower().startswith("readme")]
    return markers + others


def _header(text: str) -> str:
    match = _HEADER.search("\n".join(text.splitlines()[:25]))
    return match.group(0).strip("# \t") if match else ""


def _declared(readme: str) -> list[tuple[int, str]]:
    """Repository URLs on or just after a line that says the code comes from elsewhere."""
    found: list[tuple[int, str]] = []
    lines = readme.splitlines()
    for index, line in enumerate(lines, start=1):
        if _DECLARED.search(line):
            nearby = " ".join(lines[index - 1:index + 1])
            found += [(index, m.group(0).rstrip(".,)")) for m in _REPOSITORY.finditer(nearby)]
    unique = {url.lower(): (line, url) for line, url in reversed(found)}
    return sorted(unique.values())
