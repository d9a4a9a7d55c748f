"""The Markdown report: what the bot's pull-request comment says.

Submission text (paths, messages, numbers a check quotes from the code) is untrusted: it is
escaped so that it can neither inject HTML, mention or reference anyone, nor close the table
or code span it sits in. The comment stays under GitHub's size limit by dropping the
longest tail of findings and saying so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from reviewbot.core.models import Finding, Review, Verdict
from reviewbot.report import by_file, location, summary_rows, total_verdict, verdict
from reviewbot.report.claims_table import HEADERS, claim_rows, claims_summary
from reviewbot.report.results_table import HEADERS as RESULT_HEADERS
from reviewbot.report.results_table import result_cells, results_caption

MAX_CHARS = 60_000  # GitHub refuses comments over 65,536 characters
ZWJ = "\u200d"  # placed after '@' and '#' so that GitHub links no one and nothing
STATUS_MARK = {"passed": "✅", "failed": "❌", "errored": "💥", "skipped": "⏭️"}

_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&$#])")
_MENTION = re.compile(r"([@#])(?=[\w.-])")
_BACKTICKS = re.compile(r"`+")


def escape(text: str) -> str:
    """``text`` as inert Markdown on one line: no HTML, mentions, references, code or tables."""
    flat = " ".join(text.split())
    return _MENTION.sub(lambda m: m.group(1) + ZWJ, _SPECIAL.sub(r"\\\1", flat))


def code(text: str, *, in_table: bool = True) -> str:
    """``text`` as a code span that holds any backticks (and, in a table, any ``|``)."""
    flat = " ".join(text.split())
    if in_table:  # GFM splits cells before it parses code spans
        flat = flat.replace("|", "\\|")
    longest = max((len(run) for run in _BACKTICKS.findall(flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def render_markdown(reviews: Sequence[Review], max_chars: int = MAX_CHARS) -> str:
    blocks = [review_markdown(review) for review in reviews]
    if len(reviews) > 1:
        blocks.append(f"**{escape(total_verdict(reviews))}**\n")
    return _fit("\n".join(blocks), max_chars)


def review_markdown(review: Review) -> str:
    mark = "✅" if review.passed else "❌"
    lines = [f"### {mark} reviewbot: {escape(review.submission)}", "",
             f"**{escape(verdict(review))}**", "", *checks_table(review)]
    lines += [f"> **note:** {escape(note)}" for note in review.notes]
    if result_cells(review):
        lines += ["", f"**{escape(results_caption(review))}**", "", *readme_results_table(review)]
    if review.runs or review.verdicts:
        lines += ["", f"**{escape(claims_summary(review))}**", "", *claims_table(review)]
    for path, findings in by_file(review.findings):
        lines += ["", *file_section(path, findings)]
    return "\n".join(lines) + "\n"


def checks_table(review: Review) -> list[str]:
    lines = ["| check | status | errors | warnings | info | notes |",
             "| --- | --- | ---: | ---: | ---: | --- |"]
    for row in summary_rows(review):
        status = f"{STATUS_MARK.get(row.status, '')} {row.status}".strip()
        lines.append(f"| {escape(row.check)} | {status} | {row.counts.errors} | "
                     f"{row.counts.warnings} | {row.counts.infos} | {escape(row.note)} |")
    return lines


VERDICT_MARK = {Verdict.REPRODUCED: "✅", Verdict.NOT_REPRODUCED: "❌",
                Verdict.INCONCLUSIVE: "❔", Verdict.NOT_CHECKED: "⏭️"}


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


def file_section(path: str | None, findings: Sequence[Finding]) -> list[str]:
    heading = f"#### {code(path, in_table=False)}" if path else "#### the submission as a whole"
    lines = [heading, "", "| where | severity | code | message | fix |",
             "| --- | --- | --- | --- | --- |"]
    lines += [finding_row(finding) for finding in findings]
    return lines


def finding_row(finding: Finding) -> str:
    return (f"| {where(finding)} | {finding.severity.value} | {escape(finding.code)} | "
            f"{escape(finding.message)} | {escape(finding.fix)} |")


def where(finding: Finding) -> str:
    """``path:line`` as code; for a notebook also its cell and line in the cell."""
    if finding.path is None:
        return ""
    anchor = f"{finding.path}:{finding.line}" if finding.line is not None else finding.path
    if finding.cell is None:
        return code(anchor)
    cell = location(finding).split(" (", 1)[0]  # "cell 3, line 2"
    return f"{code(anchor)} ({cell})"


def _fit(text: str, max_chars: int) -> str:
    """Cut at a line boundary under ``max_chars`` and say that the rest was left out."""
    if len(text) <= max_chars:
        return text
    note = "\n\n_The report was cut here to fit a comment; run `reviewbot check` for all of it._\n"
    cut = text.rfind("\n", 0, max_chars - len(note))
    return text[: max(cut, 0)] + note
