"""The ``[github]`` table of config.toml: which repositories, how reviews are posted."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from reviewbot.core.models import Severity

Conclusion = Literal["action_required", "cancelled", "failure", "neutral", "success", "skipped"]


class GitHubSettings(BaseModel):
    """How reviewbot talks to GitHub; secrets are not here (they come from the environment)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    repositories: list[str] = Field(
        default_factory=list,
        description='repositories served, as "owner/name"; empty: every installation')
    review_event: Literal["COMMENT", "REQUEST_CHANGES"] = Field(
        "COMMENT", description="event of the PR review: COMMENT, or REQUEST_CHANGES when a "
                               "finding reaches request_changes_on")
    request_changes_on: Severity = Field(
        Severity.ERROR, description="lowest severity that requests changes (with REQUEST_CHANGES)")
    check_name: str = Field("reviewbot", min_length=1, description="name of the check run")
    conclusion_on_errors: Conclusion = Field(
        "failure", description="check run conclusion when the review fails")
    conclusion_on_warnings: Conclusion = Field(
        "neutral", description="check run conclusion when it passes with warnings")
    conclusion_on_success: Conclusion = Field(
        "success", description="check run conclusion when nothing was found")
    max_inline_comments: int = Field(
        30, ge=0, description="inline review comments per review at most; further diff "
                              "lines become check-run annotations")
    report_url: str = Field(
        "", description="link to the report page; {repo}, {number} and {sha} are filled in; "
                        "empty: no link")
    report_base_url: str = Field(
        "", description="where the service's report pages are reached, e.g. "
                        "https://reviewbot.example.org; each review's page is "
                        "<base>/reviews/<token>; empty: no page link")
    docs_url: str = Field(
        "", description="where rule codes link to (README anchors are appended); empty: the "
                        "README on the repository's default branch")
    max_comment_chars: int = Field(
        10_000, ge=2_000, le=65_536, description="size of the summary comment at most; every "
                                                 "failing finding is always kept")
    seconds_between_requests: float = Field(
        0.25, ge=0, description="pause between API calls (GitHub's secondary limits)")
    seconds_between_writes: float = Field(
        1.0, ge=0, description="pause between API writes (content creation limit)")
    max_retries: int = Field(
        5, ge=0, description="retries of a call that got a 5xx or a rate limit")
    max_rate_limit_wait: float = Field(
        900.0, gt=0, description="seconds a call may wait for a rate limit before the job "
                                 "is retried later instead")
