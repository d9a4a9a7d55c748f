"""Webhook event -> the job it asks for, or the reason it asks for none.

Pure functions over the parsed payload: no I/O except one job-store lookup (a re-requested
check run on a fork's commit carries no PR number; the store remembers it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from reviewbot.service.jobs import Job, JobKind, JobSpec

PR_ACTIONS = frozenset({"opened", "synchronize", "reopened", "ready_for_review"})
REVIEW = JobKind.REVIEW

FindJob = Callable[[str, str], Job | None]  # (repo, sha) -> the latest job for that commit


class PayloadError(ValueError):
    """The payload lacks a field the event must have."""


@dataclass(frozen=True)
class Work:
    """A job to record; ``supersede`` cancels older heads' jobs, ``rerun`` redoes a done one."""

    spec: JobSpec
    supersede: bool = False
    rerun: bool = False


@dataclass(frozen=True)
class Ignored:
    reason: str


def repository_of(payload: Mapping[str, Any]) -> str:
    """``owner/name`` of the payload's repository ('' when it names none, e.g. an org ping)."""
    repo = payload.get("repository")
    return str(repo.get("full_name", "")) if isinstance(repo, Mapping) else ""


def interpret(event: str, payload: Mapping[str, Any], find_job: FindJob) -> Work | Ignored:
    """What a delivery of ``event`` asks reviewbot to do."""
    action = str(payload.get("action", ""))
    if event == "pull_request":
        if action not in PR_ACTIONS:
            return Ignored(f"pull_request action {action!r}")
        return _pull_request_work(payload, action)
    if event == "check_run":
        if action != "rerequested":
            return Ignored(f"check_run action {action!r}")
        return _rerun_work(payload, find_job)
    return Ignored(f"event {event!r}")


def _pull_request_work(payload: Mapping[str, Any], action: str) -> Work:
    pr = _field(payload, "pull_request")
    spec = JobSpec(repo=_require_repo(payload), pr=int(_field(pr, "number")),
                   sha=str(_field(_field(pr, "head"), "sha")), kind=REVIEW,
                   installation_id=_installation(payload), draft=bool(pr.get("draft", False)))
    return Work(spec, supersede=action == "synchronize")


def _rerun_work(payload: Mapping[str, Any], find_job: FindJob) -> Work | Ignored:
    check_run = _field(payload, "check_run")
    repo, sha = _require_repo(payload), str(_field(check_run, "head_sha"))
    pulls = check_run.get("pull_requests") or []
    if pulls and isinstance(pulls[0], Mapping) and "number" in pulls[0]:
        number, draft = int(pulls[0]["number"]), False
    else:
        known = find_job(repo, sha)
        if known is None:
            return Ignored("check run of a commit with no known pull request")
        number, draft = known.spec.pr, known.spec.draft
    spec = JobSpec(repo, number, sha, REVIEW, _installation(payload), draft)
    return Work(spec, rerun=True)


def _require_repo(payload: Mapping[str, Any]) -> str:
    repo = repository_of(payload)
    if "/" not in repo:
        raise PayloadError("payload lacks repository.full_name")
    return repo


def _installation(payload: Mapping[str, Any]) -> int | None:
    installation = payload.get("installation")
    if isinstance(installation, Mapping) and isinstance(installation.get("id"), int):
        return installation["id"]
    return None


def _field(mapping: Any, name: str) -> Any:
    if not isinstance(mapping, Mapping) or mapping.get(name) is None:
        raise PayloadError(f"payload lacks {name!r}")
    return mapping[name]
