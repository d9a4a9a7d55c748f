"""The Markdown report: what the bot's pull-request comment says, triaged.

A reader sees the verdict first, then every finding that fails the review, then the
warnings grouped by rule (a count and the first places), the info findings as a count, the
claims table, and only then, folded in ``<details>``, the checks and the findings file by
file. The whole stays within ``max_chars`` (10,000 for a comment): the folded parts shrink
first, and a failing finding is never dropped.

Submission text (paths, messages, numbers a check quotes from the code) is untrusted: it is
escaped so that it can neither inject HTML, mention or reference anyone, nor close the table
or code span it sits in. Fix texts are the maintainers' own words: their code spans stay
code spans.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from reviewbot.core.models import Finding, Review
from reviewbot.report import (
    VERDICT_MARK,
    Counts,
    anchor,
    by_file,
    cell_place,
    fit,
    plural,
    review_mark,
    summary_rows,
    total_verdict,
    verdict,
)
from reviewbot.report.budget import Section, assemble
from reviewbot.report.claims_table import HEADERS, claim_rows, claims_summary
from reviewbot.report.results_table import HEADERS as RESULT_HEADERS
from reviewbot.report.results_table import result_cells, results_caption
from reviewbot.report.rule_docs import RuleDocs
from reviewbot.report.triage import RuleGroup, Triage, groups, triage

MAX_CHARS = 10_000  # a comment a mentor reads; GitHub's own limit is 65,536
ZWJ = "\u200d"  # placed after '@' and '#' so that GitHub links no one and nothing
STATUS_MARK = {"passed": "✅", "failed": "❌", "errored": "💥", "skipped": "⏭️"}
SEVERITY_MARK = {"error": "❌", "warning": "⚠️", "info": "ℹ️"}  # noqa: RUF001
SHORTENED = ("\n_Shortened to fit a comment: every failing finding is above; the rest is in "
             "the full report and in `reviewbot check`._\n")
SHORT_MESSAGE = 160  # a failing finding's message when the full ones do not fit

_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&$#])")
_MENTION = re.compile(r"([@#])(?=[\w.-])")
_BACKTICKS = re.compile(r"`+")
_HTML = re.compile(r"([<>&|\\])")


def escape(text: str) -> str:
    """``text`` as inert Markdown on one line: no HTML, mentions, references, code or tables."""
    flat = " ".join(text.split())
    return _MENTION.sub(lambda m: m.group(1) + ZWJ, _SPECIAL.sub(r"\\\1", flat))


def trusted(text: str) -> str:
    """Maintainers' text (a rule's fix) on one line: code spans kept, no HTML, no mentions."""
    flat = " ".join(text.split())
    return _MENTION.sub(lambda m: m.group(1) + ZWJ, _HTML.sub(r"\\\1", flat))


def code(text: str, *, in_table: bool = True) -> str:
    """``text`` as a code span that holds any backticks (and, in a table, any ``|``)."""
    flat = " ".join(text.split())
    if in_table:  # GFM splits cells before it parses code spans
        flat = flat.replace("|", "\\|")
    longest = max((len(run) for run in _BACKTICKS.findall(flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def html_text(text: str) -> str:
    """Untrusted text inside raw HTML (a ``<summary>``): escaped, mentioning no one."""
    return _MENTION.sub(lambda m: m.group(1) + ZWJ, html.escape(" ".join(text.split())))


@dataclass(frozen=True)
class MarkdownOptions:
    """What the surroundings add: links, the size limit, findings already shown inline."""

    max_chars: int = MAX_CHARS
    docs: RuleDocs = field(default_factory=RuleDocs)
    report_url: str = ""  # the full report page, linked for the info findings
    inline: frozenset[Finding] = field(default_factory=frozenset)  # commented on the diff
    reproduce: bool = True  # the "run reviewbot check" line


def render_markdown(reviews: Sequence[Review], max_chars: int = MAX_CHARS,
                    options: MarkdownOptions | None = None) -> str:
    """Every review triaged, within ``max_chars``; a total line for several submissions."""
    opts = options or MarkdownOptions(max_chars=max_chars)
    sections = [s for index, review in enumerate(reviews)
                for s in review_sections(review, opts, index)]
    if len(reviews) > 1:
        sections.append(Section((len(reviews), 0), 0, (f"**{escape(total_verdict(reviews))}**\n",)))
    made = assemble(sections, opts.max_chars - len(SHORTENED))
    return fit(made.text + ("" if made.complete else SHORTENED), opts.max_chars)


def review_sections(review: Review, opts: MarkdownOptions, index: int) -> list[Section]:
    """The parts of one review, in reading order, each with its priority and shorter forms."""
    sorted_out = triage(review)
    at = lambda order: (index, order)  # noqa: E731 - position in the comment
    sections = [Section(at(0), 0, (head(review),)),
                Section(at(1), 0, failing_variants(review, sorted_out, opts)),
                Section(at(2), 1, warning_variants(sorted_out, opts)),
                Section(at(3), 1, (info_line(sorted_out, opts),))]
    if review.runs or review.verdicts:
        sections.append(Section(at(4), 2, (claims_block(review), claims_summary_line(review))))
    if result_cells(review):  # the README's numbers, paper against reproduced
        sections.append(Section(at(5), 3, (results_block(review), "")))
    sections.append(Section(at(6), 4, (checks_details(review), "")))
    files = [(p, [f for f in fs if f not in opts.inline]) for p, fs in by_file(review.findings)]
    sections += [Section(at(7 + n), 5 + n, file_variants(path, found, opts))
                 for n, (path, found) in enumerate(files) if found]
    if opts.reproduce:
        sections.append(Section(at(10_000), 0, (reproduce_line(review),)))
    return sections


def head(review: Review) -> str:
    lines = [f"### {review_mark(review)} reviewbot: {escape(review.submission)}", "",
             f"**{escape(verdict(review))}**"]
    lines += ["", *(f"> **note:** {escape(note)}" for note in review.notes)] if review.notes \
        else []
    return "\n".join(lines) + "\n"


# ---- what fails the review --------------------------------------------------------------


def failing_variants(review: Review, sorted_out: Triage,
                     opts: MarkdownOptions) -> tuple[str, ...]:
    """Every failing finding, from the fullest form to the tersest; never fewer findings."""
    crashed = [f"- 💥 check {code(name, in_table=False)} errored (a bot bug, not yours): "
               f"{escape(shorten(error, SHORT_MESSAGE))}\n"
               for name, error in errored(review)]
    if not sorted_out.failing and not crashed:
        return ("",)
    title = (f"**What fails the review** ({len(sorted_out.failing) + len(crashed)}):\n\n"
             + "".join(crashed))
    forms = [dict(fix=True, limit=None), dict(fix=False, limit=None),
             dict(fix=False, limit=SHORT_MESSAGE), dict(fix=False, limit=0)]
    listed = tuple(title + "\n".join(failing_item(f, opts, **form) for f in sorted_out.failing)
                   + "\n" for form in forms)
    return (*listed, title + failing_by_rule(sorted_out, opts))


def errored(review: Review) -> list[tuple[str, str]]:
    """(check, what went wrong) of each crashed check, without the pipeline's own preamble."""
    return [(r.check, r.error.removeprefix(f"check {r.check} errored (bot bug): "))
            for r in review.results if r.check in review.errored_checks]


def failing_by_rule(sorted_out: Triage, opts: MarkdownOptions) -> str:
    """The tersest form that still names every failing finding: its places, rule by rule."""
    rules = groups(sorted_out.failing)
    return "\n".join(f"- {rule_link(g.findings[0], opts)} ({g.count}): "
                     + ", ".join(where(f) or "the submission" for f in g.findings)
                     for g in rules) + "\n"


def failing_item(finding: Finding, opts: MarkdownOptions, *, fix: bool,
                 limit: int | None) -> str:
    place = where(finding) or "the submission as a whole"
    message = finding.message if limit is None else shorten(finding.message, limit)
    text = f"- {SEVERITY_MARK[finding.severity.value]} {rule_link(finding, opts)} {place}"
    text += f": {escape(message)}" if message else ""
    if finding in opts.inline:
        return text + " (commented on the diff)"
    return text + (f"\n  _Fix:_ {trusted(finding.fix)}" if fix and finding.fix else "")


def shorten(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: max(limit - 1, 0)].rstrip() + "…"


def rule_link(finding: Finding, opts: MarkdownOptions) -> str:
    url = opts.docs.url(finding.check)
    label = code(finding.code, in_table=True)
    return f"[{label}]({url})" if url else label


# ---- warnings and info ------------------------------------------------------------------


def warning_variants(sorted_out: Triage, opts: MarkdownOptions) -> tuple[str, ...]:
    """The warnings table: a row per rule; shorter forms keep fewer rows, then only a count."""
    groups = sorted_out.warnings
    if not groups:
        return ("",)
    title = (f"**Warnings** ({sorted_out.warning_count}, by rule):\n\n"
             "| rule | count | first places | fix |\n| --- | ---: | --- | --- |\n")
    rows = [warning_row(group, opts) for group in groups]
    forms = [rows[:keep] for keep in (len(rows), 10, 5) if keep <= len(rows)]
    variants = [title + "\n".join(kept) + _more_rules(len(rows) - len(kept)) + "\n"
                for kept in dict.fromkeys(map(tuple, forms))]
    count_only = f"**Warnings:** {plural(sorted_out.warning_count, 'warning')} of " \
                 f"{plural(len(groups), 'rule')} (see the full report).\n"
    return (*variants, count_only)


def _more_rules(hidden: int) -> str:
    return f"\n\n_and {plural(hidden, 'more rule')}: see the full report_" if hidden else ""


def warning_row(group: RuleGroup, opts: MarkdownOptions) -> str:
    places = ", ".join(where(f) or "the submission" for f in group.first())
    more = f" and {group.count - len(group.first())} more" if group.count > len(group.first()) \
        else ""
    return (f"| {rule_link(group.findings[0], opts)} | {group.count} | {places}{more} | "
            f"{trusted(group.fix)} |")


def info_line(sorted_out: Triage, opts: MarkdownOptions) -> str:
    count = sorted_out.info_count
    if not count:
        return ""
    codes = ", ".join(f"{code(g.code, in_table=False)} {g.count}" for g in sorted_out.infos[:8])
    more = ", …" if len(sorted_out.infos) > 8 else ""
    where_to = f"[the full report]({opts.report_url})" if opts.report_url else \
        "the findings by file below, or `reviewbot check`"
    return f"**Info:** {plural(count, 'finding')} ({codes}{more}); see {where_to}.\n"


# ---- claims and checks --------------------------------------------------------------------


def claims_block(review: Review) -> str:
    return "\n".join([f"**{escape(claims_summary(review))}**", "", *claims_table(review)]) + "\n"


def claims_summary_line(review: Review) -> str:
    return f"**{escape(claims_summary(review))}** (table in the full report)\n"


def results_block(review: Review) -> str:
    return "\n".join([f"**{escape(results_caption(review))}**", "",
                      *readme_results_table(review), ""])


def readme_results_table(review: Review) -> list[str]:
    lines = ["| " + " | ".join(RESULT_HEADERS) + " |", "| --- | --- | ---: | ---: | ---: | ---: |"]
    lines += ["| " + " | ".join(escape(cell) for cell in row) + " |"
              for row in result_cells(review)]
    return lines


def claims_table(review: Review) -> list[str]:
    lines = ["| " + " | ".join(HEADERS) + " |", "| --- | --- | --- | --- | ---: | ---: | --- |"]
    for row in claim_rows(review):
        cells = [escape(cell) for cell in row.cells()]
        cells[1] = f"{VERDICT_MARK[row.verdict]} {cells[1]}"
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def checks_table(review: Review) -> list[str]:
    lines = ["| check | status | errors | warnings | info | notes |",
             "| --- | --- | ---: | ---: | ---: | --- |"]
    for row in summary_rows(review):
        mark = "⚠️" if row.status == "passed" and row.counts.warnings else \
            STATUS_MARK.get(row.status, "")
        status = f"{mark} {row.status}".strip()
        lines.append(f"| {escape(row.check)} | {status} | {row.counts.errors} | "
                     f"{row.counts.warnings} | {row.counts.infos} | {escape(row.note)} |")
    return lines


def checks_details(review: Review) -> str:
    rows = summary_rows(review)
    states = Counts.of(review.findings)
    summary = f"Checks: {len(rows)} ({states.phrase()})"
    return "\n".join([f"<details><summary>{html_text(summary)}</summary>", "",
                      *checks_table(review), "", "</details>"]) + "\n"


# ---- findings by file ---------------------------------------------------------------------


def file_variants(path: str | None, findings: Sequence[Finding],
                  opts: MarkdownOptions) -> tuple[str, ...]:
    """A file's ``<details>``: every finding; or errors and warnings only; or nothing."""
    full = file_details(path, findings, len(findings))
    serious = [f for f in findings if f.severity.rank > 0]
    forms = [full]
    if len(serious) < len(findings):
        forms.append(file_details(path, serious, len(findings)) if serious else "")
    return (*forms, "")


def file_details(path: str | None, shown: Sequence[Finding], total: int) -> str:
    name = path or "the submission as a whole"
    counts = Counts.of(shown).phrase()
    summary = f"{name}: {counts}"
    lines = [f"<details><summary>{html_text(summary)}</summary>", "",
             "| where | severity | code | message | fix |", "| --- | --- | --- | --- | --- |"]
    advised: set[tuple[str, str]] = set()  # forty unused variables need the advice once
    for finding in shown:
        lines.append(finding_row(finding, show_fix=(finding.code, finding.fix) not in advised))
        advised.add((finding.code, finding.fix))
    if len(shown) < total:
        lines += ["", f"_{total - len(shown)} info finding(s) more: see the full report._"]
    return "\n".join([*lines, "", "</details>"]) + "\n"


def finding_row(finding: Finding, *, show_fix: bool = True) -> str:
    advice = trusted(finding.fix) if show_fix else "(as above)"
    return (f"| {where(finding)} | {finding.severity.value} | {escape(finding.code)} | "
            f"{escape(finding.message)} | {advice} |")


def where(finding: Finding) -> str:
    """``path:line`` as code; for a notebook also its cell and line in the cell."""
    if finding.path is None:
        return ""
    cell = cell_place(finding)
    return f"{code(anchor(finding))} ({cell})" if cell else code(anchor(finding))


def reproduce_line(review: Review) -> str:
    folder = review.submission or "."
    return (f"Run {code(f'reviewbot check {folder}', in_table=False)} to reproduce this review "
            "locally.\n")
