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


_CONTEXT = 2  # lines shown around a matched region on the page
_MAX_REGION_LINES = 60  # a longer region is cut on the page (its full span is in the title)
_STYLE = """body{font-family:sans-serif;margin:1em;max-width:110em}pre{margin:0;font-size:12px}
table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left}
.pair{display:flex;gap:1em;margin:.5em 0}.pair>div{flex:1;overflow:auto;border:1px solid #ccc}
.line{color:#999;user-select:none}.ctx{color:#666}h3{margin-top:1.5em}a{text-decoration:none}"""


def match_data(results: list[FileMatches]) -> list[dict[str, object]]:
    """The matches by source, best first: what a page or another report shows.

    One entry per indexed source with its origin, best score and, per queried file, the
    score and the matched regions (lines on both sides, size, kind).
    """
    sources: dict[tuple[str, str], dict[str, object]] = {}
    for result in results:
        for match in result.matches:
            origin = match.source.origin
            entry = sources.setdefault((origin.label, origin.path), {
                "label": origin.label, "path": origin.path, "repo": origin.repo,
                "revision": origin.revision, "author": origin.author, "score": 0.0,
                "reuse": match.reuse, "files": []})
            entry["score"] = max(float(entry["score"]), round(match.score, 4))  # type: ignore[arg-type]
            entry["files"].append(_file_entry(result.document, match))  # type: ignore[union-attr]
    return sorted(sources.values(), key=lambda e: (-float(e["score"]), str(e["path"])))  # type: ignore[arg-type]


def _file_entry(document: Document, match: Match) -> dict[str, object]:
    return {"file": document.path, "score": round(match.score, 4),
            "submission_coverage": round(match.submission_coverage, 4),
            "source_coverage": round(match.source_coverage, 4),
            "regions": [{"query": region_title(document, match, r)[0],
                         "source": region_title(document, match, r)[1],
                         "query_lines": [r.query_start, r.query_end],
                         "source_lines": [r.source_start, r.source_end],
                         "tokens": r.tokens, "kind": r.kind} for r in match.regions]}


def to_html(results: list[FileMatches], title: str = "reviewbot similar") -> str:
    """One small page: a summary, then per source (best first) its regions paired by colour,
    each shown with only its matched lines and a little context, linked to its partner."""
    texts = {(m.source.origin.label, m.source.origin.path): text
             for r in results for m, text in zip(r.matches, r.source_texts, strict=True)}
    documents = {r.document.path: r.document for r in results}
    sources = match_data(results)
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
             f"</title><style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>",
             _summary(results, sources)]
    for number, source in enumerate(sources):
        text = texts[(str(source["label"]), str(source["path"]))]
        parts.append(_html_source(number, source, documents, text))
    parts.append("</body></html>")
    return "\n".join(parts)


def _summary(results: list[FileMatches], sources: list[dict[str, object]]) -> str:
    if not sources:
        return (f"<p>{len(results)} files compared; no indexed source matches them.</p>")
    rows = "".join(
        f"<tr><td><a href='#src-{i}'>{float(s['score']):.0%}</a></td>"  # type: ignore[arg-type]
        f"<td>{html.escape(str(s['label']))}</td><td>{html.escape(str(s['path']))}</td>"
        f"<td>{len(s['files'])}</td>"  # type: ignore[arg-type]
        f"<td>{sum(len(f['regions']) for f in s['files'])}</td></tr>"  # type: ignore[union-attr,index]
        for i, s in enumerate(sources))
    return (f"<p>{len(results)} files compared with the index; {len(sources)} sources match, "
            "best first.</p><table><tr><th>score</th><th>label</th><th>source</th>"
            f"<th>files</th><th>regions</th></tr>{rows}</table>")


def _html_source(number: int, source: dict[str, object], documents: dict[str, Document],
                 text: str) -> str:
    origin = f"{source['label']}: {source['path']}" + (f" ({source['repo']})"
                                                      if source["repo"] else "")
    parts = [f"<h2 id='src-{number}'>{float(source['score']):.0%} "  # type: ignore[arg-type]
             f"{html.escape(origin)}</h2>"]
    for file in source["files"]:  # type: ignore[union-attr]
        document = documents[file["file"]]
        parts.append(f"<h3>{html.escape(file['file'])}: {file['score']:.0%} "
                     f"[submission covered {file['submission_coverage']:.0%}, source covered "
                     f"{file['source_coverage']:.0%}]</h3>")
        for index, region in enumerate(file["regions"]):
            parts.append(_html_pair(f"{number}-{len(parts)}-{index}", region, index,
                                    document.text, text))
    return "\n".join(parts)


def _html_pair(key: str, region: dict, index: int, query: str, source: str) -> str:
    colour = f"hsl({(index * 67) % 360},85%,85%)"
    left = _excerpt_html(query, region["query_lines"], colour)
    right = _excerpt_html(source, region["source_lines"], colour)
    return (f"<div class='pair'><div id='q-{key}' style='border-color:{colour}'>"
            f"<a href='#s-{key}'>{html.escape(region['query'])}</a> ({region['tokens']} tokens, "
            f"{region['kind']}){left}</div><div id='s-{key}'><a href='#q-{key}'>"
            f"{html.escape(region['source'])}</a>{right}</div></div>")


def _excerpt_html(text: str, span: list[int], colour: str) -> str:
    lines = text.splitlines()
    start, end = span
    shown_end = min(end, start + _MAX_REGION_LINES - 1)
    rows = []
    for number in range(max(1, start - _CONTEXT), min(len(lines), shown_end + _CONTEXT) + 1):
        inside = start <= number <= shown_end
        style = f" style='background:{colour}'" if inside else " class='ctx'"
        rows.append(f"<span{style}><span class='line'>{number:5} </span>"
                    f"{html.escape(lines[number - 1])}</span>")
    cut = f"\n      ... ({end - shown_end} more lines)" if end > shown_end else ""
    return "<pre>" + "\n".join(rows) + cut + "</pre>"
