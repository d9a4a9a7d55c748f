"""reviewbot's GitHub side: the only module that imports PyGithub.

``connect`` authenticates (a token, or a GitHub App's installation token) against
``settings.api_url`` (github.com, GitHub Enterprise or a test server) and returns a
``GitHubRepo`` whose methods fetch a pull request and post the review. Every call retries
5xx answers and rate limits (``Retry-After`` and secondary limits honoured) before giving
up with a ``GitHubError`` whose ``retryable`` tells the worker whether to try the job again.

Posting is idempotent per head SHA: the sticky summary comment, the review and a failure
note each carry a hidden marker, and the check run's annotation count says how many
annotations were already sent, so a redelivered webhook or a retried job posts nothing twice.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, Protocol, TypeVar

import requests
from github import Auth, Github, GithubException, GithubIntegration, GithubRetry
from github.CheckRun import CheckRun
from github.PullRequest import PullRequest

from reviewbot.core import gate
from reviewbot.core.errors import ReviewbotError
from reviewbot.github import content as pr_content
from reviewbot.github.content import FolderReview
from reviewbot.github.pull import ChangedFile, PullRequestInfo, commentable_lines
from reviewbot.github.settings import GitHubSettings

__all__ = ["ChangedFile", "GitHubError", "GitHubRepo", "GitHubSettings", "PublishResult",
           "PullRequestInfo", "connect"]

class Credentials(Protocol):
    """How to reach GitHub: the service's environment settings (``service.settings``) have
    these fields; the github room needs no more of them and imports nothing of the service."""

    @property
    def app_id(self) -> str: ...
    @property
    def private_key_file(self) -> Path | None: ...
    @property
    def token(self) -> str: ...
    @property
    def api_url(self) -> str: ...

P = ParamSpec("P")
R = TypeVar("R")


class GitHubError(ReviewbotError):
    """A GitHub call failed; ``retryable`` for 5xx, rate limits and network trouble."""

    def __init__(self, message: str, *, status: int | None = None,
                 retryable: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable


def _translate_errors(method: Callable[P, R]) -> Callable[P, R]:
    """PyGithub's and requests' exceptions become ``GitHubError`` (the worker knows no PyGithub)."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except GithubException as exc:
            retryable = exc.status >= 500 or exc.status == 429 or (
                exc.status == 403 and "rate limit" in str(exc.data).lower())
            raise GitHubError(f"GitHub answered {exc.status} to {method.__name__}: "
                              f"{_message(exc.data)}", status=exc.status,
                              retryable=retryable) from exc
        except requests.RequestException as exc:  # retries exhausted, connection refused
            raise GitHubError(f"GitHub could not be reached ({method.__name__}): "
                              f"{type(exc).__name__}", retryable=True) from exc

    return wrapper


def _message(data: Any) -> str:
    if isinstance(data, dict):
        errors = data.get("errors") or []
        return "; ".join([str(data.get("message", "")), *map(str, errors)]).strip("; ")
    return str(data)[:500]


@dataclass(frozen=True)
class PublishResult:
    """What ``publish`` did: ids of what exists now, and whether a review was posted now."""

    summary_comment_id: int
    review_id: int | None
    review_posted: bool
    inline_comments: int
    check_id: int | None


def connect(settings: Credentials, repo_full_name: str, installation_id: int | None = None,
            github_settings: GitHubSettings | None = None) -> GitHubRepo:
    """A client for ``repo_full_name``: App auth when an App id is set, else the token."""
    tuning = github_settings or GitHubSettings()
    options = _client_options(settings, tuning)
    if settings.app_id:
        auth, own_login = _app_auth(settings, repo_full_name, installation_id, options)
    elif settings.token:
        auth, own_login = Auth.Token(settings.token), None
    else:
        raise GitHubError("no GitHub credentials: set REVIEWBOT_GITHUB_TOKEN, or "
                          "REVIEWBOT_GITHUB_APP_ID with REVIEWBOT_GITHUB_PRIVATE_KEY_FILE")
    client = Github(auth=auth, lazy=True, **options)
    return GitHubRepo(client, repo_full_name, auth, tuning, own_login)


def _client_options(settings: Credentials, tuning: GitHubSettings) -> dict[str, Any]:
    retry = GithubRetry(total=tuning.max_retries, backoff_factor=0.5,
                        max_rate_limit_wait=tuning.max_rate_limit_wait)
    return {"base_url": settings.api_url, "retry": retry, "timeout": 30,
            "seconds_between_requests": tuning.seconds_between_requests or None,
            "seconds_between_writes": tuning.seconds_between_writes or None}


@_translate_errors
def _app_auth(settings: Credentials, repo_full_name: str, installation_id: int | None,
              options: dict[str, Any]) -> tuple[Auth.Auth, str]:
    """The installation token of the App's installation on the repository."""
    assert settings.private_key_file is not None  # Settings.validate pairs them
    key = settings.private_key_file.read_text(encoding="utf-8")
    app_id = int(settings.app_id) if settings.app_id.isdigit() else settings.app_id
    app_auth = Auth.AppAuth(app_id, key)
    integration = GithubIntegration(auth=app_auth, **options)
    if installation_id is None:
        owner, name = repo_full_name.split("/", 1)
        installation_id = integration.get_repo_installation(owner, name).id
    own_login = f"{integration.get_app().slug}[bot]"
    return app_auth.get_installation_auth(installation_id), own_login


class GitHubRepo:
    """One repository, seen through an authenticated client."""

    def __init__(self, client: Github, repo_full_name: str, auth: Auth.Auth,
                 github_settings: GitHubSettings, own_login: str | None = None) -> None:
        self._client = client
        self._repo = client.get_repo(repo_full_name)
        self.full_name = repo_full_name
        self._auth = auth
        self._settings = github_settings
        self._own_login = own_login

    @property
    @_translate_errors
    def own_login(self) -> str:
        """The login our comments are posted under (``<app-slug>[bot]`` for an App)."""
        if self._own_login is None:
            self._own_login = self._client.get_user().login
        return self._own_login

    # -- reading -------------------------------------------------------------------------
    @_translate_errors
    def pull_request(self, number: int) -> PullRequestInfo:
        pull = self._repo.get_pull(number)
        files = tuple(ChangedFile(f.filename, f.status, f.patch) for f in pull.get_files())
        return PullRequestInfo(
            repo=self.full_name, number=pull.number, head_sha=pull.head.sha,
            head_ref=pull.head.ref, head_clone_url=pull.head.repo.clone_url,
            base_ref=pull.base.ref, draft=bool(pull.draft), author=pull.user.login,
            files=files, commentable=commentable_lines(files))

    @_translate_errors
    def clone_token(self) -> str:
        """A token for ``git fetch`` over https; "" when the repository is public."""
        if not self._repo.private:
            return ""
        return self._auth.token

    # -- the check run -------------------------------------------------------------------
    @_translate_errors
    def start_check(self, head_sha: str, *, rerun: bool = False, details_url: str = "") -> int:
        """The check run of ``head_sha``: the existing one (a retried job) or a new one."""
        if not rerun:
            existing = self._existing_check(head_sha)
            if existing is not None:
                return existing.id
        extra = {"details_url": details_url} if details_url else {}
        run = self._repo.create_check_run(name=self._settings.check_name, head_sha=head_sha,
                                          status="in_progress", **extra)
        return run.id

    def _existing_check(self, head_sha: str) -> CheckRun | None:
        commit = self._repo.get_commit(head_sha)
        runs = commit.get_check_runs(check_name=self._settings.check_name)
        return next(iter(runs), None)  # GitHub lists the newest first

    @_translate_errors
    def update_check(self, check_id: int, summary_text: str) -> None:
        """Progress shown on the running check (e.g. "static review done; 3 runs queued")."""
        run = self._repo.get_check_run(check_id)
        if run.status == "completed":
            return
        run.edit(status="in_progress", output={
            "title": "reviewbot: review in progress",
            "summary": pr_content.fit(summary_text or "working", pr_content.MAX_CHECK_CHARS)})

    @_translate_errors
    def finish_check(self, check_id: int, reviews: Sequence[FolderReview],
                     github_settings: GitHubSettings, notes: Sequence[str] = (),
                     placement: pr_content.Placement | None = None,
                     report_url: str = "") -> None:
        """Conclusion from config, the annotations (50 per request), the report page link.

        With a ``placement`` only the diff lines that got no inline comment are annotated
        (a finding is said once); without, every finding tied to a file is.
        """
        run = self._repo.get_check_run(check_id)
        docs = pr_content.RuleDocs.for_repository(self.full_name, github_settings.docs_url)
        output = pr_content.check_output(reviews, notes, docs, report_url)
        conclusion = check_conclusion(reviews, github_settings)
        link = {"details_url": report_url} if report_url else {}
        if run.status == "completed":  # a retried job or a later enrichment: no re-annotating
            if run.output.summary != output["summary"] or run.conclusion != conclusion:
                run.edit(conclusion=conclusion, output=output, **link)
            return
        sent = run.output.annotations_count or 0  # a job that died half way resumes here
        batches = pr_content.in_batches(pr_content.annotations(reviews, placement)[sent:])
        for batch in batches[:-1]:
            run.edit(output={**output, "annotations": batch})
        run.edit(status="completed", conclusion=conclusion,
                 output={**output, "annotations": batches[-1]}, **link)

    @_translate_errors
    def mark_stale(self, check_id: int, newer_sha: str) -> None:
        """A newer push superseded this SHA: its unfinished check run is cancelled."""
        run = self._repo.get_check_run(check_id)
        if run.status == "completed":
            return
        run.edit(conclusion="cancelled", output={
            "title": f"superseded by {newer_sha[:12]}",
            "summary": f"A newer commit ({newer_sha}) was pushed to this pull request; "
                       "its review replaces this one."})

    # -- posting -------------------------------------------------------------------------
    @_translate_errors
    def publish(self, pr: PullRequestInfo, reviews: Sequence[FolderReview],
                github_settings: GitHubSettings, check_id: int | None,
                notes: Sequence[str] = (), report_url: str = "") -> PublishResult:
        """Sticky summary comment, one review per head SHA, and the finished check run.

        ``reviews`` pairs each submission's folder path in the repository with its Review;
        ``notes`` are plain sentences (escaped here) said at the top of the review and summary;
        ``report_url`` is the review's report page (the comment and the check run link it).
        Each finding is said once: inline on the diff, as an annotation on the diff, or in
        the summary comment (``pr_content.Placement``).
        """
        pull = self._repo.get_pull(pr.number)
        placement = pr_content.place_findings(pr, reviews, github_settings)
        comment_id = self._upsert_summary(pull, pr_content.summary_body(
            pr, reviews, github_settings, notes, placement, report_url))
        plan = pr_content.plan_review(pr, reviews, github_settings, notes, placement)
        review_id, posted = self._review_once(pull, pr.head_sha, plan)
        if check_id is not None:
            self.finish_check(check_id, reviews, github_settings, notes, placement,
                              report_url or pr_content.report_link(pr, github_settings))
        return PublishResult(comment_id, review_id, posted, len(plan.comments), check_id)

    def _own_comments(self, pull: PullRequest, marker: str) -> Iterable[Any]:
        login = self.own_login
        return (comment for comment in pull.get_issue_comments()
                if comment.user.login == login and marker in (comment.body or ""))

    def _upsert_summary(self, pull: PullRequest, body: str) -> int:
        """Edit our summary comment in place (only when it changed), or create it."""
        existing = next(iter(self._own_comments(pull, pr_content.SUMMARY_MARKER)), None)
        if existing is None:
            return pull.create_issue_comment(body).id
        if existing.body != body:
            existing.edit(body)
        return existing.id

    def _review_once(self, pull: PullRequest, head_sha: str,
                     plan: pr_content.ReviewPlan) -> tuple[int, bool]:
        marker = pr_content.review_marker(head_sha)
        login = self.own_login
        for review in pull.get_reviews():
            if review.user.login == login and marker in (review.body or ""):
                return review.id, False
        review = pull.create_review(commit=self._repo.get_commit(head_sha), body=plan.body,
                                    event=plan.event,
                                    comments=[c.as_dict() for c in plan.comments])
        return review.id, True

    @_translate_errors
    def report_failure(self, pr_number: int, head_sha: str, job_key: str, message: str,
                       check_id: int | None) -> None:
        """One short comment per job key, and the check run concluded as a bot failure."""
        pull = self._repo.get_pull(pr_number)
        marker = pr_content.failure_marker(job_key)
        if next(iter(self._own_comments(pull, marker)), None) is None:
            pull.create_issue_comment(pr_content.failure_comment(job_key, message))
        run = self._repo.get_check_run(check_id or self.start_check(head_sha))
        run.edit(conclusion="failure", output=pr_content.failure_check_output(job_key, message))


def check_conclusion(reviews: Sequence[FolderReview], settings: GitHubSettings) -> str:
    """The check run's conclusion: the gate decides the outcome, the settings name it."""
    return gate.conclusion([review for _, review in reviews], settings.conclusion_on_errors,
                           settings.conclusion_on_warnings, settings.conclusion_on_success)
