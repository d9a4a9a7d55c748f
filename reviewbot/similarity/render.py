"""Showing matches: side by side in the terminal (rich) and as a self-contained HTML page."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from reviewbot.similarity.align import Region
from reviewbot.similarity.documents import Document
from reviewbot.similarity.search import Match

_CONTEXT_LINES = 12  # lines of a region shown in the terminal at most


@dataclass(frozen=True)
class FileMatches:
    """A queried file, its matches best first, and each source's text."""

    document: Document
    matches: tuple[Match, ...]
    source_texts: tuple[str, ...]


def match_title(match: Match) -> str:
    origin = match.source.origin
    reuse = " (same author: reuse)" if match.reuse else ""
    return (f"{match.score:.0%} {origin.label}: {origin.path}{reuse}  "
            f"[submission covered {match.submission_coverage:.0%}, "
            f"source covered {match.source_coverage:.0%}]")


def region_title(document: Document, match: Match, region: Region) -> tuple[str, str]:
    left = document.span(region.query_start, region.query_end)
    right = f"{match.source.origin.path}:{region.source_start}-{region.source_end}"
    return left, right


def print_text(console: Console, results: list[FileMatches], regions: int) -> None:
    for result in results:
        console.rule(result.document.path)
        if not result.matches:
            console.print("no indexed source matches this file")
        for match, text in zip(result.matches, result.source_texts, strict=True):
            console.print(Text(match_title(match), style="bold"))
            for region in match.regions[:regions]:
                console.print(_side_by_side(result.document, match, region, text))


def _side_by_side(document: Document, match: Match, region: Region, source: str) -> Panel:
    left, right = region_title(document, match, region)
    table = Table(expand=True, show_lines=False)
    table.add_column(left, overflow="fold", ratio=1)
    table.add_column(right, overflow="fold", ratio=1)
    table.add_row(Text(_excerpt(document.text, region.query_start, region.query_end)),
                  Text(_excerpt(source, region.source_start, region.source_end)))
    caption = f"{region.tokens} tokens, {region.kind}"
    return Panel(Group(table), title=caption, title_align="left")


def _excerpt(text: str, start: int, end: int) -> str:
    lines = text.splitlines()[start - 1:min(end, start + _CONTEXT_LINES - 1)]
    shown = "\n".join(f"{start + i:5} {line}" for i, line in enumerate(lines))
    return shown + ("\n      ..." if end - start + 1 > _CONTEXT_LINES else "")


def to_json(results: list[FileMatches]) -> str:
    return json.dumps([{
        "file": r.document.path,
        "matches": [{
            "label": m.source.origin.label, "path": m.source.origin.path,
            "repo": m.source.origin.repo, "revision": m.source.origin.revision,
            "author": m.source.origin.author, "score": round(m.score, 4),
            "submission_coverage": round(m.submission_coverage, 4),
            "source_coverage": round(m.source_coverage, 4), "reuse": m.reuse,
            "regions": [{"query": region_title(r.document, m, g)[0],
                         "source": region_title(r.document, m, g)[1],
                         "tokens": g.tokens, "kind": g.kind} for g in m.regions]}
            for m in r.matches]} for r in results], indent=2)


_STYLE = """body{font-family:sans-serif;margin:1em}pre{margin:0;font-size:12px}
.pair{display:flex;gap:1em}.pair>div{flex:1;overflow:auto;max-height:40em;border:1px solid #ccc}
.hit{background:#ffe08a}.line{color:#999;user-select:none}h3{margin-top:1.5em}"""


def to_html(results: list[FileMatches]) -> str:
    """One page: per match, both files side by side with the matched lines highlighted."""
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>reviewbot similar"
             f"</title><style>{_STYLE}</style></head><body><h1>reviewbot similar</h1>"]
    for result in results:
        parts.append(f"<h2>{html.escape(result.document.path)}</h2>")
        if not result.matches:
            parts.append("<p>No indexed source matches this file.</p>")
        for match, text in zip(result.matches, result.source_texts, strict=True):
            parts.append(_html_match(result.document, match, text))
    parts.append("</body></html>")
    return "\n".join(parts)


def _html_match(document: Document, match: Match, source: str) -> str:
    rows = "".join(
        f"<li>{html.escape(' ~ '.join(region_title(document, match, r)))} "
        f"({r.tokens} tokens, {r.kind})</li>" for r in match.regions)
    query_hits = {n for r in match.regions for n in range(r.query_start, r.query_end + 1)}
    source_hits = {n for r in match.regions for n in range(r.source_start, r.source_end + 1)}
    return (f"<h3>{html.escape(match_title(match))}</h3><ul>{rows}</ul><div class='pair'>"
            f"<div>{_html_code(document.text, query_hits)}</div>"
            f"<div>{_html_code(source, source_hits)}</div></div>")


def _html_code(text: str, hits: set[int]) -> str:
    lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        css = " class='hit'" if number in hits else ""
        lines.append(f"<span{css}><span class='line'>{number:5} </span>"
                     f"{html.escape(line)}</span>")
    return "<pre>" + "\n".join(lines) + "</pre>"
