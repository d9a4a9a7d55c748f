"""What reviewbot posts on a pull request, as plain data: no network here.

``reviews`` are ``(folder, Review)`` pairs: ``folder`` is the submission's folder path in
the repository (``"KingmaBa2014"``), which prefixes each finding's path (relative to the
submission) to give the path GitHub knows. Everything taken from a submission is escaped
with the Markdown report's helpers. Hidden markers let the poster find its own comments
again: the sticky summary, the review of one head SHA, the failure note of one job.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reviewbot.core import gate
from reviewbot.core.models import ClaimVerdict, Finding, Review, Severity
from reviewbot.github.pull import PullRequestInfo
from reviewbot.github.settings import GitHubSettings
from reviewbot.report import Counts, location, printable, sort_key, verdict
from reviewbot.report.markdown import code, escape, render_markdown

FolderReview = tuple[str, Review]
SUMMARY_MARKER = "<!-- reviewbot:summary -->"
MAX_COMMENT_CHARS = 65536  # GitHub's limit for comment and review bodies
MAX_CHECK_CHARS = 65535  # check run output.summary
ANNOTATIONS_PER_REQUEST = 50
FAILED_TITLE = "reviewbot failed (bot bug)"
ICON = {Severity.ERROR: "❌", Severity.WARNING: "⚠️", Severity.INFO: "\N{INFORMATION SOURCE}\ufe0f"}
LEVEL = {Severity.ERROR: "failure", Severity.WARNING: "warning", Severity.INFO: "notice"}
_UNSAFE_MARKER = re.compile(r"[^A-Za-z0-9:._/=+]")


def review_marker(head_sha: str) -> str:
    return f"<!-- reviewbot:review sha={_marker_safe(head_sha)} -->"


def failure_marker(job_key: str) -> str:
    return f"<!-- reviewbot:failure job={_marker_safe(job_key)} -->"


def _marker_safe(text: str) -> str:
    """Nothing that could end the HTML comment (``-->``) or break its parsing."""
    return _UNSAFE_MARKER.sub("_", text)


@dataclass(frozen=True)
class Located:
    """A finding with the path it has in the repository."""

    folder: str
    finding: Finding

    @property
    def path(self) -> str | None:
        if self.finding.path is None:
            return None
        return f"{self.folder}/{self.finding.path}" if self.folder else self.finding.path


def located(reviews: Sequence[FolderReview]) -> list[Located]:
    return [Located(folder, finding) for folder, review in reviews for finding in review.findings]


@dataclass(frozen=True)
class InlineComment:
    path: str
    line: int
    body: str

    def as_dict(self) -> dict[str, object]:
        return {"path": self.path, "line": self.line, "side": "RIGHT", "body": self.body}


@dataclass(frozen=True)
class ReviewPlan:
    """One PR review: its event, body and the inline comments that fit the diff."""

    event: str
    body: str
    comments: tuple[InlineComment, ...]


def plan_review(pr: PullRequestInfo, reviews: Sequence[FolderReview],
                settings: GitHubSettings, notes: Sequence[str] = ()) -> ReviewPlan:
    """Inline comments on diff lines (worst first, at most the configured number); the
    findings that cannot go inline are listed in the body."""
    groups = _inline_groups(located(reviews), pr.commentable)
    kept = sorted(groups.items(), key=lambda item: _priority(item[1]))
    kept = kept[: settings.max_inline_comments]
    inline_keys = {key for key, _ in kept}
    marker = review_marker(pr.head_sha)
    comments = tuple(InlineComment(path, line, _inline_body(group, marker))
                     for (path, line), group in sorted(kept))
    rest = [item for item in located(reviews) if _key(item) not in inline_keys]
    body = _review_body(reviews, rest, len(comments), notes, marker)
    return ReviewPlan(review_event(reviews, settings), body, comments)


def _key(item: Located) -> tuple[str, int] | None:
    if item.path is None or item.finding.line is None:
        return None
    return item.path, item.finding.line


def _inline_groups(items: Iterable[Located],
                   commentable: frozenset[tuple[str, int]]) -> dict[tuple[str, int], list[Located]]:
    """Findings per (path, line), only where the line is part of the PR's diff."""
    groups: dict[tuple[str, int], list[Located]] = {}
    for item in items:
        key = _key(item)
        if key is not None and key in commentable:
            groups.setdefault(key, []).append(item)
    return groups


def _priority(group: list[Located]) -> tuple[int, int]:
    worst = max(item.finding.severity.rank for item in group)
    return -worst, -len(group)


def _inline_body(group: list[Located], marker: str) -> str:
    ordered = sorted(group, key=lambda item: (-item.finding.severity.rank,
                                              sort_key(item.finding)))
    return "\n\n".join(finding_paragraph(item.finding) for item in ordered) + f"\n\n{marker}"


def finding_paragraph(finding: Finding) -> str:
    """``❌ error `CODE` (cell 3, line 2): message`` then the fix, all escaped."""
    place = f" ({escape(location(finding))})" if finding.cell is not None else ""
    text = (f"{ICON[finding.severity]} **{finding.severity.value}** {code(finding.code)}"
            f"{place}: {escape(finding.message)}")
    return f"{text}\n\n_Fix:_ {escape(finding.fix)}" if finding.fix else text


def review_event(reviews: Sequence[FolderReview], settings: GitHubSettings) -> str:
    """The gate decides whether changes are requested; the settings only allow it."""
    if settings.review_event == "REQUEST_CHANGES" and gate.requests_changes(
            [review for _, review in reviews], settings.request_changes_on):
        return "REQUEST_CHANGES"
    return "COMMENT"


def _review_body(reviews: Sequence[FolderReview], rest: Sequence[Located], inline: int,
                 notes: Sequence[str], marker: str) -> str:
    lines = [f"**{escape(review.submission)}**: {escape(verdict(review))}"
             for _, review in reviews] or ["No submission folder was reviewed."]
    lines += ["", *note_lines(notes)]
    if inline:
        lines.append(f"{inline} finding location(s) are commented inline on the diff.")
    if rest:
        lines += ["", "Findings not on lines of this diff:", ""]
        lines += [_finding_item(item) for item in rest]
    lines += ["", "The full review is in the reviewbot summary comment and the check run."]
    return fit("\n".join(lines), MAX_COMMENT_CHARS - len(marker) - 2) + f"\n\n{marker}"


def _finding_item(item: Located) -> str:
    finding = item.finding
    place = ""
    if item.path is not None:
        anchor = f"{item.path}:{finding.line}" if finding.line is not None else item.path
        place = f"{code(anchor, in_table=False)} "
    return (f"- {place}{ICON[finding.severity]} {finding.severity.value} "
            f"{code(finding.code, in_table=False)}: {escape(finding.message)}")


def note_lines(notes: Sequence[str]) -> list[str]:
    """The worker's notes (e.g. files outside any submission folder) as escaped bullets."""
    return [f"- {escape(note)}" for note in notes] + ([""] if notes else [])


def summary_body(pr: PullRequestInfo, reviews: Sequence[FolderReview],
                 settings: GitHubSettings, notes: Sequence[str] = ()) -> str:
    """The sticky comment: verdict, checks tables, findings, claims, link to the report."""
    head = [SUMMARY_MARKER, f"## reviewbot review of {pr.head_sha[:12]}", "",
            *note_lines(notes)]
    tail = [section for _, review in reviews if (section := claims_section(review))]
    link = report_link(pr, settings)
    if link:
        tail.append(f"[Full report]({link})")
    budget = MAX_COMMENT_CHARS - sum(len(part) + 1 for part in [*head, *tail]) - 200
    body = render_markdown([review for _, review in reviews], max_chars=max(budget, 1000)
                           ) if reviews else "No submission folder was reviewed.\n"
    return fit("\n".join([*head, body, *tail]), MAX_COMMENT_CHARS)


def report_link(pr: PullRequestInfo, settings: GitHubSettings) -> str:
    if not settings.report_url:
        return ""
    return settings.report_url.format(repo=pr.repo, number=pr.number, sha=pr.head_sha)


def claims_section(review: Review) -> str:
    """A table of the claim verdicts, when the review has any."""
    if not review.verdicts:
        return ""
    lines = [f"#### Claims of {escape(review.submission)}", "",
             "| claim | metric | paper | observed | verdict | why |",
             "| --- | --- | ---: | ---: | --- | --- |"]
    lines += [_claim_row(claim) for claim in review.verdicts]
    return "\n".join(lines) + "\n"


def _claim_row(claim: ClaimVerdict) -> str:
    paper = "" if claim.paper_value is None else f"{claim.paper_value:g} {escape(claim.unit)}"
    observed = "" if claim.mean is None else f"{claim.mean:g} (n={claim.n})"
    return (f"| {escape(claim.claim)} | {escape(claim.metric)} | {paper.strip()} | {observed} | "
            f"{claim.verdict.value.replace('_', ' ')} | {escape(claim.explanation)} |")


def check_output(reviews: Sequence[FolderReview], notes: Sequence[str] = ()) -> dict[str, str]:
    """Title and summary of the finished check run (summary within GitHub's 65,535)."""
    counts = sum((Counts.of(review.findings) for _, review in reviews), Counts())
    failed = any(not review.passed for _, review in reviews)
    title = f"{'FAILED' if failed else 'PASSED'}: {counts.phrase()}"
    head = "\n".join(note_lines(notes))
    body = render_markdown([review for _, review in reviews],
                           max_chars=MAX_CHECK_CHARS - len(head) - 200) if reviews else (
        "No submission folder was reviewed.\n")
    return {"title": title, "summary": fit(head + "\n" + body, MAX_CHECK_CHARS)}


def annotations(reviews: Sequence[FolderReview]) -> list[dict[str, object]]:
    """Every finding tied to a file, as a check run annotation (plain text, no Markdown)."""
    return [_annotation(item) for item in located(reviews) if item.path is not None]


def _annotation(item: Located) -> dict[str, object]:
    finding = item.finding
    line = finding.line or 1
    note = location(finding) if finding.cell is not None else ""
    message = printable(finding.message) + (f" ({note})" if note else "")
    annotation: dict[str, object] = {
        "path": item.path, "start_line": line, "end_line": line,
        "annotation_level": LEVEL[finding.severity], "message": fit(message, 60_000),
        "title": f"{finding.code} ({finding.check})"}
    if finding.fix:
        annotation["raw_details"] = fit(printable(finding.fix), 60_000)
    return annotation


def in_batches(items: Sequence[dict[str, object]],
               size: int = ANNOTATIONS_PER_REQUEST) -> list[list[dict[str, object]]]:
    """``items`` in requests of at most ``size``; always at least one (maybe empty) batch."""
    return [list(items[i:i + size]) for i in range(0, len(items), size)] or [[]]


def failure_comment(job_key: str, message: str) -> str:
    """The short note a PR gets when a job fails for the bot's own reasons."""
    return "\n".join([
        failure_marker(job_key),
        "**reviewbot failed on this pull request** because of a problem in the bot, not in "
        "your submission. The maintainers have been told through the check run; pushing "
        "again retries the review.", "",
        f"Job: {code(job_key, in_table=False)}", "",
        f"Error: {escape(fit(message, 2000))}"])


def failure_check_output(job_key: str, message: str) -> dict[str, str]:
    summary = (f"Job {code(job_key, in_table=False)} failed because of a problem in reviewbot, "
               f"not in the submission.\n\n{escape(fit(message, 20_000))}")
    return {"title": FAILED_TITLE, "summary": summary}


def fit(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, saying that the rest was cut."""
    if len(text) <= limit:
        return text
    note = "\n\n_(cut to fit GitHub's size limit; run `reviewbot check` for all of it)_"
    return text[: max(limit - len(note), 0)] + note
