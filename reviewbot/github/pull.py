"""What a pull request changed, and which of its lines a review comment may address.

GitHub rejects a whole review when one inline comment sits on a line outside the diff, so
the lines are worked out from each file's patch before anything is posted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_HUNK_HEADER = re.compile(r"^@@ -\d+(?:,\d+)? \+(?P<start>\d+)(?:,\d+)? @@")


@dataclass(frozen=True)
class ChangedFile:
    """One file of the PR: its path in the repository, GitHub's status, and its patch."""

    path: str
    status: str  # added | modified | removed | renamed | copied | changed | unchanged
    patch: str | None  # None for binary or very large files


@dataclass(frozen=True)
class PullRequestInfo:
    """The facts about one pull request that the worker and the poster need."""

    repo: str
    number: int
    head_sha: str
    head_ref: str
    head_clone_url: str
    base_ref: str
    draft: bool
    author: str
    files: tuple[ChangedFile, ...]
    commentable: frozenset[tuple[str, int]]  # (path, line) on the RIGHT side of the diff

    @property
    def changed_paths(self) -> tuple[str, ...]:
        return tuple(changed.path for changed in self.files)


def right_side_lines(patch: str | None) -> set[int]:
    """Lines of the new version shown in ``patch``: added lines and context lines."""
    lines: set[int] = set()
    line = 0
    for text in (patch or "").splitlines():
        header = _HUNK_HEADER.match(text)
        if header:
            line = int(header.group("start"))
        elif text[:1] in ("+", " "):
            lines.add(line)
            line += 1
        # "-" lines exist only on the left; "\ No newline at end of file" is no line
    return lines


def commentable_lines(files: Iterable[ChangedFile]) -> frozenset[tuple[str, int]]:
    """Every (path, line) a review comment may be placed on."""
    return frozenset((changed.path, line) for changed in files if changed.status != "removed"
                     for line in right_side_lines(changed.patch))
