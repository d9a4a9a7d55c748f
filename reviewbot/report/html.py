"""The mentor's report page: one self-contained HTML file per review.

``reviewbot check --format html`` writes it and the service serves the same text at
``/reviews/{token}``. It shows the verdict, the claims table with the claims plot, the
README's paper-versus-reproduced rows, the findings triaged with the source lines around
each, the similarity matches side by side and the notebooks as committed.

Everything from the submission is untrusted: text is escaped here; notebook HTML arrives
sanitized (``report.notebook_html``); and the page forbids every script and every
external load with a Content-Security-Policy (also sent as a header by the service), so
even a sanitizer miss cannot run code. Links between matched regions are plain anchors.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from reviewbot.core.models import Finding, ResultRow, Review
from reviewbot.report import anchor, cell_place, review_state, total_verdict, verdict
from reviewbot.report.claims_table import HEADERS, claim_rows, claims_summary
from reviewbot.report.html_style import PALETTE, STYLE
from reviewbot.report.rule_docs import RuleDocs
from reviewbot.report.triage import RuleGroup, triage

CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'none'; "
       "base-uri 'none'; form-action 'none'")
CSP_HEADER = f"{CSP}; frame-ancestors 'none'"  # a <meta> policy cannot say frame-ancestors
BADGE = {"failed": "failed", "warnings": "passed with warnings", "passed": "passed"}
CONTEXT = 2  # source lines shown above and below a finding


@dataclass(frozen=True)
class SimilarRegion:
    """Matched lines: ``query_*`` in the submission's file, ``source_*`` in the source."""

    query_start: int
    query_end: int
    source_start: int
    source_end: int
    tokens: int
    kind: str


@dataclass(frozen=True)
class SimilarPair:
    """One file of the submission against one indexed source, with both texts."""

    path: str
    text: str
    source_label: str
    source_path: str
    source_text: str
    score: float
    regions: tuple[SimilarRegion, ...]


@dataclass(frozen=True)
class ReportPage:
    """A review and what the page shows beside it, gathered by the caller."""

    review: Review
    plot_png: bytes | None = None
    similarity: tuple[SimilarPair, ...] = ()
    notebooks: tuple[tuple[str, str], ...] = ()  # (path, sanitized HTML)
    sources: Mapping[str, str] = field(default_factory=dict)  # path -> text, for context
    docs: RuleDocs = field(default_factory=RuleDocs)


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def render_html(pages: Sequence[ReportPage], title: str = "reviewbot report") -> str:
    body = [review_html(page, n) for n, page in enumerate(pages)]
    if len(pages) > 1:
        body.append(f"<p class='total'>{esc(total_verdict([p.review for p in pages]))}</p>")
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">"
            f"<meta name='referrer' content='no-referrer'>"
            f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>"
            + "\n".join(body) + "</body></html>\n")


def review_html(page: ReportPage, n: int) -> str:
    review = page.review
    state = review_state(review)
    parts = [f"<section class='review' id='r{n}'>",
             f"<h1><span class='badge {state}'>{BADGE[state]}</span> "
             f"{esc(review.submission)}</h1>",
             f"<p class='verdict {'passed' if review.passed else 'failed'}'>"
             f"{esc(verdict(review))}</p>"]
    parts += [f"<p class='note'>{esc(note)}</p>" for note in review.notes]
    parts += [claims_html(page), readme_results_html(review.readme_results),
              findings_html(page, n), similarity_html(page.similarity, n),
              notebooks_html(page.notebooks), "</section>"]
    return "\n".join(part for part in parts if part)


# ---- claims -------------------------------------------------------------------------------


def claims_html(page: ReportPage) -> str:
    review = page.review
    if not (review.runs or review.verdicts):
        return ""
    head = "".join(f"<th>{esc(name)}</th>" for name in HEADERS)
    rows = "".join(_claim_tr(row.cells(), row.verdict.value) for row in claim_rows(review))
    plot = (f"<img class='plot' alt='claims plot: a panel per claim' "
            f"src='data:image/png;base64,{base64.b64encode(page.plot_png).decode()}'>"
            if page.plot_png else "")
    return (f"<h2>Claims</h2><p>{esc(claims_summary(review))}</p>"
            f"<table class='claims'><tr>{head}</tr>{rows}</table>{plot}")


def _claim_tr(cells: Sequence[str], state: str) -> str:
    tds = "".join(f"<td>{esc(cell)}</td>" for cell in cells)
    return f"<tr class='claim {esc(state)}'>{tds}</tr>"


def readme_results_html(rows: Sequence[ResultRow]) -> str:
    """The README's own results: the paper's number next to the candidate's."""
    if not rows:
        return ""
    head = "<tr><th>metric</th><th>setting</th><th>paper</th><th>reproduced</th>" \
           "<th>difference</th><th>README</th></tr>"
    body = "".join(_result_tr(row) for row in rows)
    return f"<h2>Results the README reports</h2><table class='results'>{head}{body}</table>"


def _result_tr(row: ResultRow) -> str:
    unit = f" {row.unit}" if row.unit and row.unit != "%" else row.unit
    paper = "" if row.paper is None else f"{row.paper:g}{unit}"
    mine = "" if row.reproduced is None else f"{row.reproduced:g}{unit}"
    gap = "" if row.paper is None or row.reproduced is None else \
        f"{row.reproduced - row.paper:+.4g}{unit}"
    cells = (row.metric, row.setting, paper, mine, gap, f"{row.path}:{row.line}")
    return "<tr>" + "".join(f"<td>{esc(cell)}</td>" for cell in cells) + "</tr>"


# ---- findings -----------------------------------------------------------------------------


def findings_html(page: ReportPage, n: int) -> str:
    sorted_out = triage(page.review)
    parts = ["<h2>Findings</h2>"]
    if sorted_out.failing:
        parts.append(f"<h3>What fails the review ({len(sorted_out.failing)})</h3>")
        parts += [finding_html(f, page) for f in sorted_out.failing]
    for title, groups in (("Warnings", sorted_out.warnings), ("Info", sorted_out.infos)):
        if groups:
            count = sum(group.count for group in groups)
            parts.append(f"<h3>{title} ({count}, by rule)</h3>")
            parts += [group_html(group, page) for group in groups]
    if len(parts) == 1:
        parts.append("<p>Nothing found.</p>")
    return "\n".join(parts)


def group_html(group: RuleGroup, page: ReportPage) -> str:
    url = page.docs.url(group.check)
    name = f"<a href='{esc(url)}'>{esc(group.code)}</a>" if url else esc(group.code)
    items = "".join(finding_html(f, page, fix=False) for f in group.findings)
    return (f"<details class='group'><summary>{name} ({group.count}): "
            f"{esc(group.fix)}</summary>{items}</details>")


def finding_html(finding: Finding, page: ReportPage, fix: bool = True) -> str:
    place = anchor(finding) or "the submission as a whole"
    cell = cell_place(finding)
    where = esc(place) + (f" ({esc(cell)})" if cell else "")
    url = page.docs.url(finding.check)
    code = f"<a href='{esc(url)}'>{esc(finding.code)}</a>" if url else esc(finding.code)
    advice = f"<p class='fix'>Fix: {esc(finding.fix)}</p>" if fix and finding.fix else ""
    return (f"<div class='finding {finding.severity.value}'><p><b>{code}</b> "
            f"<code>{where}</code>: {esc(finding.message)}</p>{advice}"
            f"{context_html(finding, page.sources)}</div>")


def cell_key(path: str, cell: int) -> str:
    """How a notebook cell's source is keyed in ``ReportPage.sources``."""
    return f"{path}#cell{cell}"


def context_html(finding: Finding, sources: Mapping[str, str]) -> str:
    """The lines around a finding: in its module, or in its notebook cell."""
    if finding.path is None:
        return ""
    if finding.cell is not None:
        text, line = sources.get(cell_key(finding.path, finding.cell)), finding.cell_line
    else:
        text, line = sources.get(finding.path), finding.line
    if text is None or line is None:
        return ""
    lines = text.splitlines()
    first, last = max(line - CONTEXT, 1), min(line + CONTEXT, len(lines))
    shown = [f"<span class='{'hit' if k == line else 'ctx'}'><span class='ln'>{k:5}"
             f"</span> {esc(lines[k - 1])}</span>" for k in range(first, last + 1)]
    return "<pre class='context'>" + "\n".join(shown) + "</pre>" if shown else ""


# ---- similarity ---------------------------------------------------------------------------


def similarity_html(pairs: Sequence[SimilarPair], n: int) -> str:
    """A summary sorted by score, then each pair side by side, regions linked both ways."""
    if not pairs:
        return ""
    ranked = sorted(pairs, key=lambda pair: -pair.score)
    rows = "".join(
        f"<tr><td><a href='#r{n}-m{k}'>{pair.score:.0%}</a></td><td>{esc(pair.path)}</td>"
        f"<td>{esc(pair.source_label)}: {esc(pair.source_path)}</td>"
        f"<td>{len(pair.regions)}</td></tr>" for k, pair in enumerate(ranked))
    table = ("<table class='similar'><tr><th>score</th><th>file</th><th>matches</th>"
             f"<th>regions</th></tr>{rows}</table>")
    return "<h2>Similar code</h2>" + table + "".join(
        pair_html(pair, f"r{n}-m{k}") for k, pair in enumerate(ranked))


def pair_html(pair: SimilarPair, key: str) -> str:
    left = {r: (reg.query_start, reg.query_end) for r, reg in enumerate(pair.regions)}
    right = {r: (reg.source_start, reg.source_end) for r, reg in enumerate(pair.regions)}
    legend = "".join(
        f"<li class='c{r % len(PALETTE)}'><a href='#{key}-q{r}'>{reg.query_start}-"
        f"{reg.query_end}</a> ~ <a href='#{key}-s{r}'>{reg.source_start}-{reg.source_end}</a>"
        f" ({reg.tokens} tokens, {esc(reg.kind)})</li>" for r, reg in enumerate(pair.regions))
    return (f"<div class='pair-block' id='{key}'><h3>{pair.score:.0%} {esc(pair.path)} ~ "
            f"{esc(pair.source_label)}: {esc(pair.source_path)}</h3><ol>{legend}</ol>"
            f"<div class='pair'><div>{code_html(pair.text, left, key, 'q', 's')}</div>"
            f"<div>{code_html(pair.source_text, right, key, 's', 'q')}</div></div></div>")


def code_html(text: str, regions: Mapping[int, tuple[int, int]], key: str, side: str,
              other: str) -> str:
    """Numbered lines; each region in its colour, its first line a link to its partner."""
    starts = {start: r for r, (start, _) in regions.items()}
    colour = {line: r for r, (start, end) in regions.items() for line in range(start, end + 1)}
    lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        css = f" class='c{colour[number] % len(PALETTE)}'" if number in colour else ""
        mark = ""
        if number in starts:
            r = starts[number]
            mark = f"<a class='jump' id='{key}-{side}{r}' href='#{key}-{other}{r}'>⇄</a>"
        lines.append(f"<span{css}><span class='ln'>{number:5}</span>{mark} {esc(line)}</span>")
    return "<pre>" + "\n".join(lines) + "</pre>"


# ---- notebooks ----------------------------------------------------------------------------


def notebooks_html(notebooks: Sequence[tuple[str, str]]) -> str:
    return "".join(f"<h2>Notebook {esc(path)}</h2><div class='notebook'>{body}</div>"
                   for path, body in notebooks)
