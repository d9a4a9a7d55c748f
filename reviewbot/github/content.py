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
from reviewbot.core.models import Finding, Review, Severity
from reviewbot.github.pull import PullRequestInfo
from reviewbot.github.settings import GitHubSettings
from reviewbot.report import (
    STATE_MARK,
    Counts,
    by_file,
    cell_place,
    fit,
    location,
    plural,
    printable,
    review_mark,
    review_state,
    sort_key,
    verdict,
)
from reviewbot.report.markdown import (
    MarkdownOptions,
    code,
    escape,
    finding_row,
    render_markdown,
    rule_link,
    trusted,
)
from reviewbot.report.rule_docs import RuleDocs

FolderReview = tuple[str, Review]
SUMMARY_MARKER = "<!-- reviewbot:summary -->"
MAX_COMMENT_CHARS = 65536  # GitHub's limit for comment and review bodies
MAX_CHECK_CHARS = 65535  # check run output.summary
MAX_COMMENT_BUDGET = 10_000  # what a mentor reads at a glance: the triage
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
class Placement:
    """Where each finding is said, so that it is said once.

    On the diff: an inline review comment (the worst lines, up to the configured number),
    the other diff lines as check-run annotations (GitHub shows them on the diff too).
    Everything else: the summary comment. The summary still lists every failing finding,
    marked "shown on the diff" when it is.
    """

    inline: frozenset[Located]
    annotated: frozenset[Located]

    @property
    def on_diff(self) -> frozenset[Finding]:
        return frozenset(item.finding for item in self.inline | self.annotated)


def place_findings(pr: PullRequestInfo, reviews: Sequence[FolderReview],
                   settings: GitHubSettings) -> Placement:
    groups = _inline_groups(located(reviews), pr.commentable)
    kept = sorted(groups.items(), key=lambda item: _priority(item[1]))
    inline = [item for _, group in kept[: settings.max_inline_comments] for item in group]
    rest = [item for _, group in kept[settings.max_inline_comments:] for item in group]
    return Placement(frozenset(inline), frozenset(rest))


@dataclass(frozen=True)
class ReviewPlan:
    """One PR review: its event, body and the inline comments that fit the diff."""

    event: str
    body: str
    comments: tuple[InlineComment, ...]


def plan_review(pr: PullRequestInfo, reviews: Sequence[FolderReview],
                settings: GitHubSettings, notes: Sequence[str] = (),
                placement: Placement | None = None) -> ReviewPlan:
    """Inline comments on diff lines (worst first, at most the configured number); the body
    says the verdict and where everything else is (the summary comment), listing nothing."""
    placed = placement or place_findings(pr, reviews, settings)
    groups = _inline_groups(placed.inline, pr.commentable)
    marker = review_marker(pr.head_sha)
    docs = rule_docs(pr, settings)
    comments = tuple(InlineComment(path, line, _inline_body(group, marker, docs))
                     for (path, line), group in sorted(groups.items()))
    elsewhere = len(located(reviews)) - len(placed.inline)
    body = _review_body(reviews, len(placed.inline), elsewhere, notes, marker)
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
    for group in groups.values():
        group.sort(key=lambda item: (-item.finding.severity.rank, sort_key(item.finding)))
    return groups


def _priority(group: list[Located]) -> tuple[int, int]:
    worst = max(item.finding.severity.rank for item in group)
    return -worst, -len(group)


def _inline_body(group: list[Located], marker: str, docs: RuleDocs) -> str:
    paragraphs = (finding_paragraph(item.finding, docs) for item in group)
    return "\n\n".join(paragraphs) + f"\n\n{marker}"


def finding_paragraph(finding: Finding, docs: RuleDocs | None = None) -> str:
    """``❌ error `CODE` (cell 3, line 2): message`` then the fix (code spans kept)."""
    place = f" ({escape(cell_place(finding))})" if finding.cell is not None else ""
    rule = rule_link(finding, MarkdownOptions(docs=docs or RuleDocs()))
    text = (f"{ICON[finding.severity]} **{finding.severity.value}** {rule}"
            f"{place}: {escape(finding.message)}")
    return f"{text}\n\n_Fix:_ {trusted(finding.fix)}" if finding.fix else text


def review_event(reviews: Sequence[FolderReview], settings: GitHubSettings) -> str:
    """The gate decides whether changes are requested; the settings only allow it."""
    if settings.review_event == "REQUEST_CHANGES" and gate.requests_changes(
            [review for _, review in reviews], settings.request_changes_on):
        return "REQUEST_CHANGES"
    return "COMMENT"


def _review_body(reviews: Sequence[FolderReview], inline: int, elsewhere: int,
                 notes: Sequence[str], marker: str) -> str:
    lines = [f"{review_mark(review)} **{escape(review.submission)}**: {escape(verdict(review))}"
             for _, review in reviews] or ["No submission folder was reviewed."]
    lines += ["", *note_lines(notes)]
    if inline:
        verb = "is" if inline == 1 else "are"
        lines.append(f"{plural(inline, 'finding')} on lines of this diff {verb} commented "
                     "below.")
    if elsewhere:
        verb = "is" if elsewhere == 1 else "are"
        lines.append(f"The other {plural(elsewhere, 'finding')} {verb} in the reviewbot summary "
                     "comment (and the check run).")
    return fit("\n".join(lines), MAX_COMMENT_CHARS - len(marker) - 2) + f"\n\n{marker}"


def note_lines(notes: Sequence[str]) -> list[str]:
    """The worker's notes (e.g. files outside any submission folder) as escaped bullets."""
    return [f"- {escape(note)}" for note in notes] + ([""] if notes else [])


def summary_body(pr: PullRequestInfo, reviews: Sequence[FolderReview],
                 settings: GitHubSettings, notes: Sequence[str] = (),
                 placement: Placement | None = None, report_url: str = "") -> str:
    """The sticky comment, triaged, within ``settings.max_comment_chars`` (10,000)."""
    link = report_url or report_link(pr, settings)
    head = [SUMMARY_MARKER, f"## reviewbot review of {pr.head_sha[:12]}", "",
            *note_lines(notes)]
    tail = [f"[Full report]({link})\n"] if link else []
    limit = settings.max_comment_chars
    budget = limit - sum(len(part) + 1 for part in [*head, *tail])
    placed = placement or place_findings(pr, reviews, settings)
    options = MarkdownOptions(max_chars=max(budget, 1000), docs=rule_docs(pr, settings),
                              report_url=link, inline=placed.on_diff)
    body = render_markdown([review for _, review in reviews], options=options) if reviews \
        else "No submission folder was reviewed.\n"
    return fit("\n".join([*head, body, *tail]), limit)


def rule_docs(pr: PullRequestInfo, settings: GitHubSettings) -> RuleDocs:
    return RuleDocs.for_repository(pr.repo, settings.docs_url)


def report_link(pr: PullRequestInfo, settings: GitHubSettings) -> str:
    if not settings.report_url:
        return ""
    return settings.report_url.format(repo=pr.repo, number=pr.number, sha=pr.head_sha)


def check_title(reviews: Sequence[FolderReview]) -> str:
    """``❌ FAILED: 2 errors, …``; ``⚠️ passed with warnings: …``; ``✅ PASSED: …``."""
    counts = sum((Counts.of(review.findings) for _, review in reviews), Counts())
    states = {review_state(review) for _, review in reviews}
    state = next((s for s in ("failed", "warnings") if s in states), "passed")
    word = {"failed": "FAILED", "warnings": "PASSED with warnings", "passed": "PASSED"}[state]
    return f"{STATE_MARK[state]} {word}: {counts.phrase()}"


def check_output(reviews: Sequence[FolderReview], notes: Sequence[str] = (),
                 docs: RuleDocs | None = None, report_url: str = "") -> dict[str, str]:
    """Title; the triage as summary; every finding by file as text (each within 65,535)."""
    head = "\n".join(note_lines(notes))
    plain = [review for _, review in reviews]
    triaged = MarkdownOptions(max_chars=MAX_COMMENT_BUDGET, docs=docs or RuleDocs(),
                              report_url=report_url)
    summary = render_markdown(plain, options=triaged) if reviews else (
        "No submission folder was reviewed.\n")
    text = findings_by_file(plain, MAX_CHECK_CHARS - 200)
    return {"title": check_title(reviews), "summary": fit(head + "\n" + summary,
                                                           MAX_CHECK_CHARS),
            "text": fit(text, MAX_CHECK_CHARS)}


def findings_by_file(reviews: Sequence[Review], limit: int) -> str:
    """Every finding, file by file, as Markdown tables (the check run's ``text``)."""
    blocks = []
    for review in reviews:
        blocks.append(f"### {escape(review.submission)}\n")
        blocks += [file_table(path, found) for path, found in by_file(review.findings)]
    return fit("\n".join(blocks), limit)


def file_table(path: str | None, findings: Sequence[Finding]) -> str:
    heading = f"#### {code(path, in_table=False)}" if path else "#### the submission as a whole"
    rows = [finding_row(finding) for finding in findings]
    return "\n".join([heading, "", "| where | severity | code | message | fix |",
                      "| --- | --- | --- | --- | --- |", *rows]) + "\n"


def annotations(reviews: Sequence[FolderReview],
                placement: Placement | None = None) -> list[dict[str, object]]:
    """Check run annotations (plain text): the diff lines past the inline comments when
    ``placement`` says so, else every finding tied to a file."""
    if placement is not None:
        items = [item for item in located(reviews) if item in placement.annotated]
    else:
        items = [item for item in located(reviews) if item.path is not None]
    return [_annotation(item) for item in items]


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
