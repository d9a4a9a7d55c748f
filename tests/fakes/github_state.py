"""The state behind the fake GitHub server: repositories, pull requests and what was posted.

Validation follows GitHub's documented rules (and the errors it is seen to return), written
here independently of reviewbot's own diff parsing so that a test can catch reviewbot
getting a diff line wrong.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

ANNOTATIONS_PER_REQUEST = 50
MAX_OUTPUT_CHARS = 65535
MAX_COMMENT_CHARS = 65536
CONCLUSIONS = {"action_required", "cancelled", "failure", "neutral", "success", "skipped",
               "timed_out"}  # "stale" exists but only GitHub may set it
LEVELS = {"notice", "warning", "failure"}
STATES = {"error", "failure", "pending", "success"}
REVIEW_EVENTS = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED",
                 "COMMENT": "COMMENTED"}
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")


class Unprocessable(Exception):
    """A request GitHub would answer with 422 and this message."""

    def __init__(self, message: str, errors: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []


def diff_lines(patch: str | None) -> set[int]:
    """Lines of the new file that a review comment may address (added or context lines)."""
    lines: set[int] = set()
    new_line = 0
    for text in (patch or "").splitlines():
        header = _HUNK.match(text)
        if header:
            new_line = int(header.group(1))
        elif text.startswith(("+", " ")):
            lines.add(new_line)
            new_line += 1
    return lines


@dataclass
class PullFile:
    """One changed file of a pull request, as GET .../pulls/{n}/files lists it."""

    filename: str
    patch: str | None
    status: str = "modified"


@dataclass
class Pull:
    number: int
    head_sha: str
    files: list[PullFile]
    head_ref: str = "feature"
    base_ref: str = "main"
    draft: bool = False
    author: str = "candidate"
    clone_url: str = ""
    shas: list[str] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    review_comments: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Repo:
    full_name: str
    installation_id: int = 1
    private: bool = False
    clone_url: str = ""
    pulls: dict[int, Pull] = field(default_factory=dict)
    issue_comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    check_runs: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[dict[str, Any]] = field(default_factory=list)


class State:
    """Everything the fake knows; ids are unique across kinds, like GitHub's."""

    def __init__(self) -> None:
        self.repos: dict[str, Repo] = {}
        self._ids = itertools.count(1000)

    def next_id(self) -> int:
        return next(self._ids)

    def repo(self, full_name: str) -> Repo:
        if full_name not in self.repos:
            raise KeyError(full_name)
        return self.repos[full_name]

    def pull(self, full_name: str, number: int) -> Pull:
        pull = self.repo(full_name).pulls.get(number)
        if pull is None:
            raise KeyError(number)
        return pull

    def comment(self, full_name: str, comment_id: int) -> dict[str, Any]:
        for comments in self.repo(full_name).issue_comments.values():
            for comment in comments:
                if comment["id"] == comment_id:
                    return comment
        raise KeyError(comment_id)

    def check_run(self, full_name: str, run_id: int) -> dict[str, Any]:
        for run in self.repo(full_name).check_runs:
            if run["id"] == run_id:
                return run
        raise KeyError(run_id)


def validate_review(pull: Pull, body: dict[str, Any]) -> None:
    """422s of POST .../pulls/{n}/reviews: event, body, commit and every comment's line."""
    event = body.get("event")
    if event is not None and event not in REVIEW_EVENTS:
        raise Unprocessable("Validation Failed", [f"event {event!r} is not allowed"])
    if event in ("COMMENT", "REQUEST_CHANGES") and not body.get("body"):
        raise Unprocessable("Unprocessable Entity", [f"Body is required for {event}"])
    if body.get("commit_id") and body["commit_id"] not in pull.shas:
        raise Unprocessable("Unprocessable Entity", ["commit_id is not part of the pull request"])
    if len(body.get("body") or "") > MAX_COMMENT_CHARS:
        raise Unprocessable("Validation Failed", ["Body is too long (maximum is 65536 characters)"])
    for comment in body.get("comments") or []:
        validate_review_comment(pull, comment)


def validate_review_comment(pull: Pull, comment: dict[str, Any]) -> None:
    files = {f.filename: f for f in pull.files}
    if not comment.get("body"):
        raise Unprocessable("Unprocessable Entity", ["Body can't be blank"])
    changed = files.get(comment.get("path", ""))
    if changed is None:
        raise Unprocessable("Unprocessable Entity", ["Path could not be resolved"])
    if comment.get("side", "RIGHT") != "RIGHT" or not isinstance(comment.get("line"), int):
        raise Unprocessable("Unprocessable Entity", ["Line could not be resolved"])
    if comment["line"] not in diff_lines(changed.patch):
        raise Unprocessable("Unprocessable Entity",
                            ["Pull request review thread line must be part of the diff"])


def validate_check_run(body: dict[str, Any]) -> None:
    """422s of POST/PATCH check-runs: conclusion, output sizes, the 50-annotation cap."""
    conclusion = body.get("conclusion")
    if conclusion is not None and conclusion not in CONCLUSIONS:
        raise Unprocessable("Invalid request.", [f"conclusion {conclusion!r} is not allowed"])
    if body.get("status") not in (None, "queued", "in_progress", "completed"):
        raise Unprocessable("Invalid request.", [f"status {body['status']!r} is not allowed"])
    if body.get("status") == "completed" and conclusion is None:
        raise Unprocessable("Invalid request.", ["conclusion is required when completed"])
    validate_output(body.get("output"))


def validate_output(output: dict[str, Any] | None) -> None:
    if output is None:
        return
    if not output.get("title") or not output.get("summary"):
        raise Unprocessable("Invalid request.", ["output needs a title and a summary"])
    for key in ("summary", "text"):
        if len(output.get(key) or "") > MAX_OUTPUT_CHARS:
            raise Unprocessable("Invalid request.",
                                [f"output.{key} is too long (maximum is 65535 characters)"])
    annotations = output.get("annotations") or []
    if len(annotations) > ANNOTATIONS_PER_REQUEST:
        raise Unprocessable("Invalid request.",
                            ["Only 50 annotations are allowed per request"])
    for annotation in annotations:
        validate_annotation(annotation)


def validate_annotation(annotation: dict[str, Any]) -> None:
    missing = [key for key in ("path", "start_line", "end_line", "annotation_level", "message")
               if key not in annotation]
    if missing:
        raise Unprocessable("Invalid request.", [f"annotation lacks {', '.join(missing)}"])
    if annotation["annotation_level"] not in LEVELS:
        raise Unprocessable("Invalid request.", ["annotation_level is not allowed"])
    if annotation["end_line"] < annotation["start_line"]:
        raise Unprocessable("Invalid request.", ["end_line precedes start_line"])
