"""The terminal report: a checks table, the findings file by file, and the verdict line.

Everything taken from the submission (paths, messages) goes in as ``rich.text.Text``, never
as markup, so a message holding ``[bold]`` or an escape sequence prints as written.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from reviewbot.core.models import Finding, Review, Severity, Verdict
from reviewbot.report import (
    anchor,
    by_file,
    cell_place,
    location,
    plural,
    printable,
    summary_rows,
    total_verdict,
    verdict,
)
from reviewbot.report.claims_table import HEADERS, claim_rows, claims_summary
from reviewbot.report.results_table import HEADERS as RESULT_HEADERS
from reviewbot.report.results_table import result_cells, results_caption
from reviewbot.report.triage import RuleGroup, Triage, triage

SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
STATUS_STYLE = {"passed": "green", "failed": "red", "errored": "bold magenta", "skipped": "dim"}
NO_FILE = "(the submission as a whole)"


def render_text(reviews: Sequence[Review], *, color: bool = False, width: int = 120) -> str:
    """The whole report as a string; ANSI styles only when ``color``."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=color, no_color=not color,
                      color_system="standard" if color else None, highlight=False,
                      emoji=False, soft_wrap=True)
    for index, review in enumerate(reviews):
        if index:
            console.print()
        console.print(review_block(review))
    if len(reviews) > 1:
        console.print()
        console.print(Text(total_verdict(reviews), style="bold"))
    return buffer.getvalue()


def review_block(review: Review) -> RenderableType:
    """Heading, checks table, findings by file, verdict: one submission's report."""
    parts: list[RenderableType] = [
        Text.assemble((printable(review.submission), "bold"), "  ",
                      (printable(review.root), "dim")),
        checks_table(review),
    ]
    parts += [Text(f"note: {printable(note)}", style="bold yellow") for note in review.notes]
    if result_cells(review):
        parts += [Text(""), Text(results_caption(review), style="bold"),
                  readme_results_table(review)]
    if review.runs or review.verdicts:
        parts += [Text(""), Text(claims_summary(review), style="bold"), claims_table(review)]
        parts += [Text(f"  {printable(row.claim)}: {printable(row.why)}")
                  for row in claim_rows(review)]  # the sentence in full, not in a narrow column
    parts += triage_lines(triage(review))
    parts += [line for group in by_file(review.findings) for line in file_lines(*group)]
    parts += [Text(""), Text(verdict(review), style="bold green" if review.passed else "bold red")]
    return Group(*parts)


def triage_lines(sorted_out: Triage) -> list[RenderableType]:
    """What fails the review (each finding), warnings by rule, info as a count."""
    lines: list[RenderableType] = []
    if sorted_out.failing:
        lines += [Text(""), Text(f"What fails the review ({len(sorted_out.failing)}):",
                                 style="bold red")]
        lines += [_failing_line(finding) for finding in sorted_out.failing]
    if sorted_out.warnings:
        lines += [Text(""), Text(f"Warnings ({sorted_out.warning_count}, by rule):",
                                 style="bold yellow")]
        lines += [_group_line(group) for group in sorted_out.warnings]
    if sorted_out.info_count:
        codes = ", ".join(f"{g.code} x{g.count}" for g in sorted_out.infos)
        lines += [Text(""), Text(f"Info: {plural(sorted_out.info_count, 'finding')} ({codes}), "
                                 "listed by file below.", style="cyan")]
    return lines


def _place(finding: Finding) -> str:
    cell = cell_place(finding)
    return printable(anchor(finding) + (f" ({cell})" if cell else "")) or NO_FILE


def _failing_line(finding: Finding) -> Text:
    line = Text("  ")
    line.append(f"{finding.severity.value} ", style=SEVERITY_STYLE[finding.severity])
    line.append(f"{finding.code} ", style="bold")
    line.append(f"{_place(finding)}: {printable(finding.message)}")
    return line


def _group_line(group: RuleGroup) -> Text:
    places = ", ".join(_place(f) for f in group.first())
    more = f" and {group.count - len(group.first())} more" if group.count > len(group.first()) \
        else ""
    line = Text("  ")
    line.append(f"{group.code} ", style="bold")
    line.append(f"x{group.count}: {places}{more}")
    return line


def checks_table(review: Review) -> Table:
    table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    for name, justify in (("check", "left"), ("status", "left"), ("errors", "right"),
                          ("warnings", "right"), ("info", "right"), ("notes", "left")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in summary_rows(review):
        table.add_row(row.check, Text(row.status, style=STATUS_STYLE.get(row.status, "")),
                      str(row.counts.errors), str(row.counts.warnings), str(row.counts.infos),
                      Text(printable(row.note)))
    return table


VERDICT_STYLE = {Verdict.REPRODUCED: "green", Verdict.NOT_REPRODUCED: "bold red",
                 Verdict.INCONCLUSIVE: "yellow", Verdict.NOT_CHECKED: "dim"}


def readme_results_table(review: Review) -> Table:
    """The README's reported results: the paper's value, the reproduced one and the gap."""
    table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    for name in RESULT_HEADERS:
        table.add_column(name, overflow="fold", justify="left" if name in ("metric", "setting")
                         else "right")
    for row in result_cells(review):
        table.add_row(*(Text(printable(cell)) for cell in row))
    return table


def claims_table(review: Review) -> Table:
    """A row per claim: verdict, paper value and band, observed mean (CI), n and p."""
    table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    for name in HEADERS[:-1]:
        table.add_column(name, overflow="fold")
    for row in claim_rows(review):
        cells = [Text(printable(cell)) for cell in row.cells()[:-1]]
        cells[1].stylize(VERDICT_STYLE[row.verdict])
        table.add_row(*cells)
    return table


def file_lines(path: str | None, findings: Sequence[Finding]) -> list[RenderableType]:
    """A blank line, the path, then per finding what is wrong and, dimmed, the fix.

    A fix already shown in this file for the same code is not repeated: forty unused
    variables need the advice once.
    """
    heading = Text(printable(path or NO_FILE), style="bold underline")
    lines: list[RenderableType] = [Text(""), heading]
    advised: set[tuple[str, str]] = set()
    for finding in findings:
        lines += finding_lines(finding, show_fix=(finding.code, finding.fix) not in advised)
        advised.add((finding.code, finding.fix))
    return lines


def finding_lines(finding: Finding, *, show_fix: bool = True) -> list[Text]:
    where = location(finding)
    head = Text("  ")
    if where:
        head.append(f"{where}: ")
    head.append(finding.severity.value, style=SEVERITY_STYLE[finding.severity])
    head.append(f" {finding.code} ", style="bold")
    head.append(printable(finding.message))
    if not finding.fix or not show_fix:
        return [head]
    return [head, Text(f"    fix: {printable(finding.fix)}", style="dim")]
