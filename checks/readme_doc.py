"""The README as a document: headings, sections, tables, links and images, found once.

Markdown READMEs are parsed with markdown-it-py (CommonMark plus pipe tables), so a line
before a code fence is never taken for a setext heading and nothing inside an HTML comment
counts: comments are blanked out first, keeping line numbers. reStructuredText and plain
text READMEs are read by structure (underlined headings, short bold or ``Title:`` lines).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

_MAX_README_CHARS = 200_000
_MAX_HEADING_CHARS = 300  # a longer line is prose; also keeps the patterns below linear
PSEUDO_LEVEL = 99  # bold or "Title:" lines: a section that ends at the next heading
MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown")

_FENCE = re.compile(r"^\s*(```|~~~)")
_ATX = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_UNDERLINE = re.compile(r"^([=\-~^\"'`*+#:._])\1{2,}\s*$")
_BOLD_LINE = re.compile(r"^\s*(\*\*|__)([^*_\n]{1,60})\1\s*:?\s*$")
_COLON_LINE = re.compile(r"^\s*([A-Z][\w /&()'-]{0,40}):\s*$")
_MD_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?\s*$")
_RST_TABLE_RULE = re.compile(r"^\s*(\+-{3,})+\+\s*$|^\s*={2,}(\s+={2,})+\s*$")
_HTML_COMMENT = re.compile(r"<!--.*?(-->|\Z)", re.DOTALL)
_IMAGE = re.compile(r"!\[[^\]\n]{0,300}\]\(|<img\b", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s)\]>\"'`]+")


@dataclass(frozen=True)
class Heading:
    line: int  # 1-based line of the heading's text
    title: str
    level: int


@dataclass(frozen=True)
class Grid:
    """A table as cells: its header row and body rows, with the line of each body row."""

    line: int
    end: int  # last line, inclusive
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]  # (line, cells)


@dataclass(frozen=True)
class Link:
    line: int
    url: str
    text: str


@dataclass(frozen=True)
class Readme:
    """A README's visible text with its headings, tables, links and images."""

    path: str
    text: str  # HTML comments blanked out (line numbers kept)
    lines: tuple[str, ...]
    headings: tuple[Heading, ...]  # in line order
    tables: tuple[tuple[int, str], ...]  # (first line, table text)
    grids: tuple[Grid, ...] = ()
    links: tuple[Link, ...] = ()
    image_lines: tuple[int, ...] = ()

    def find(self, pattern: re.Pattern[str]) -> list[Heading]:
        return [h for h in self.headings if pattern.search(h.title)]

    def span(self, heading: Heading) -> tuple[int, int]:
        """The 1-based lines (first, last) of the body under ``heading``."""
        end = len(self.lines)
        after = bisect.bisect_right(self.headings, heading.line, key=lambda h: h.line)
        for other in self.headings[after:]:
            if other.level <= heading.level or heading.level == PSEUDO_LEVEL:
                end = other.line - 1  # the heading's own text line ends the section
                break
        return heading.line + 1, end

    def section(self, heading: Heading) -> str:
        """The text under ``heading`` up to the next heading of the same or a higher level."""
        first, last = self.span(heading)
        return "\n".join(self.lines[first - 1:last])


def parse_readme(path: str, text: str) -> Readme:
    # Past this a README is not prose anyone reads; the cap bounds the work on hostile input.
    text = text[:_MAX_README_CHARS]
    if path.lower().endswith(MARKDOWN_SUFFIXES):
        return _parse_markdown(path, text)
    lines = text.split("\n")  # "\n" only, so line numbers match GitHub's
    tables = tuple(_tables(lines))
    return Readme(path, text, tuple(lines), tuple(_plain_headings(lines)), tables,
                  grids=tuple(_plain_grids(tables)), links=tuple(_plain_links(lines)),
                  image_lines=tuple(i for i, line in enumerate(lines, 1) if _IMAGE.search(line)))


def blank_comments(text: str) -> str:
    """``text`` with HTML comments replaced by as many newlines as they spanned."""
    return _HTML_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text)


# --- Markdown ---------------------------------------------------------------------------

_MARKDOWN = MarkdownIt("commonmark").enable("table")


def _parse_markdown(path: str, text: str) -> Readme:
    visible = blank_comments(text)
    lines = visible.split("\n")
    tokens = _MARKDOWN.parse(visible)
    headings = sorted([*_md_headings(tokens), *_pseudo_headings(tokens, lines)],
                      key=lambda h: h.line)
    grids = tuple(_md_grids(tokens))
    tables = [(g.line, "\n".join(lines[g.line - 1:g.end])) for g in grids]
    tables += [t for t in _tables(lines) if "<table" in t[1].lower()]
    links, images = _md_links_and_images(tokens, lines)
    return Readme(path, visible, tuple(lines), tuple(headings), tuple(sorted(tables)), grids,
                  tuple(links), tuple(sorted(set(images))))


def _md_headings(tokens: list[Token]) -> Iterable[Heading]:
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.map:
            title = _plain(tokens[index + 1].content)
            yield Heading(token.map[0] + 1, title, int(token.tag[1:]))


def _pseudo_headings(tokens: list[Token], lines: list[str]) -> Iterable[Heading]:
    """A paragraph that is one short bold line or 'Title:' line reads as a heading."""
    for index, token in enumerate(tokens):
        if token.type != "paragraph_open" or not token.map or token.map[1] - token.map[0] != 1:
            continue
        if index > 0 and tokens[index - 1].type == "list_item_open":
            continue
        line = lines[token.map[0]]
        pseudo = _BOLD_LINE.match(line) or _COLON_LINE.match(line)
        if pseudo and len(line) <= _MAX_HEADING_CHARS:
            yield Heading(token.map[0] + 1, pseudo.group(pseudo.lastindex or 1).strip(),
                          PSEUDO_LEVEL)


def _plain(inline: str) -> str:
    """Heading text without emphasis markers: '**1. Results**' -> '1. Results'."""
    return re.sub(r"[*_`]{1,3}", "", inline).strip()


def _md_grids(tokens: list[Token]) -> Iterable[Grid]:
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.type == "table_open" and token.map:
            end = next(i for i in range(index, len(tokens)) if tokens[i].type == "table_close")
            header, rows = _grid_rows(tokens[index:end])
            yield Grid(token.map[0] + 1, token.map[1], header, tuple(rows))
            index = end
        index += 1


def _grid_rows(tokens: list[Token]) -> tuple[tuple[str, ...], list[tuple[int, tuple[str, ...]]]]:
    header: tuple[str, ...] = ()
    rows: list[tuple[int, tuple[str, ...]]] = []
    cells: list[str] = []
    line = 0
    for token in tokens:
        if token.type == "tr_open":
            cells, line = [], (token.map[0] + 1 if token.map else line)
        elif token.type == "inline":
            cells.append(_plain(token.content))
        elif token.type == "tr_close":
            if not header and not rows:
                header = tuple(cells)
            else:
                rows.append((line, tuple(cells)))
    return header, rows


def _md_links_and_images(tokens: list[Token], lines: list[str]) -> tuple[list[Link], list[int]]:
    links: list[Link] = []
    images: list[int] = []
    for token in tokens:
        if not token.map:
            continue
        first, last = token.map
        block = "\n".join(lines[first:last])
        if token.type in {"html_block", "inline"} and _IMAGE.search(block):
            images += [first + 1 + i for i, line in enumerate(lines[first:last])
                       if _IMAGE.search(line)]
        if token.type == "inline":
            links += _inline_links(token, lines, first)
        if token.type in {"html_block", "fence", "code_block"}:
            links += [Link(first + 1 + i, url, "") for i, line in enumerate(lines[first:last])
                      for url in _URL.findall(line)]
    return links, images


def _inline_links(token: Token, lines: list[str], first: int) -> Iterable[Link]:
    children = token.children or []
    for index, child in enumerate(children):
        if child.type == "link_open":
            url = str(child.attrs.get("href", ""))
            text = children[index + 1].content if index + 1 < len(children) else ""
            yield Link(_line_holding(lines, first, url), url, text)
        elif child.type in {"text", "html_inline"}:
            for url in _URL.findall(child.content):
                yield Link(_line_holding(lines, first, url), url, "")


def _line_holding(lines: list[str], first: int, needle: str) -> int:
    for offset, line in enumerate(lines[first:first + 200]):
        if needle in line:
            return first + offset + 1
    return first + 1


# --- reStructuredText and plain text (by structure) -------------------------------------

def _plain_headings(lines: list[str]) -> Iterable[Heading]:
    adornments: list[str] = []  # underline characters in order of first use: their levels
    in_fence = False
    for index, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        heading = _heading_at(lines, index, adornments)
        if heading is not None:
            yield heading


def _heading_at(lines: list[str], index: int, adornments: list[str]) -> Heading | None:
    line = lines[index]
    if len(line) > _MAX_HEADING_CHARS:
        return None
    atx = _ATX.match(line)
    if atx:
        return Heading(index + 1, atx.group(2), len(atx.group(1)))
    if _is_title_text(line) and index + 1 < len(lines) and _UNDERLINE.match(lines[index + 1]):
        char = lines[index + 1].strip()[0]
        if char not in adornments:
            adornments.append(char)
        return Heading(index + 1, line.strip(), adornments.index(char) + 1)
    pseudo = _BOLD_LINE.match(line) or _COLON_LINE.match(line)
    if pseudo:
        return Heading(index + 1, pseudo.group(pseudo.lastindex or 1).strip(), PSEUDO_LEVEL)
    return None


def _is_title_text(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not _UNDERLINE.match(stripped) and "|" not in stripped


def _tables(lines: list[str]) -> Iterable[tuple[int, str]]:
    """Markdown pipe tables, reST grid and simple tables, and HTML tables."""
    index = 0
    while index < len(lines):
        if _MD_TABLE_RULE.match(lines[index]) or _RST_TABLE_RULE.match(lines[index]) \
                or "<table" in lines[index].lower():
            start, end = _block_around(lines, index)
            yield start + 1, "\n".join(lines[start:end])
            index = end
        else:
            index += 1


def _block_around(lines: list[str], index: int) -> tuple[int, int]:
    """The run of non-blank lines holding ``index`` (a table's header, rule and rows)."""
    start = index
    while start > 0 and lines[start - 1].strip():
        start -= 1
    end = index
    while end < len(lines) and lines[end].strip():
        end += 1
    return start, end


def _plain_grids(tables: Iterable[tuple[int, str]]) -> Iterable[Grid]:
    """reST simple and grid tables and pipe tables in plain text, split into cells."""
    for first, text in tables:
        if "<table" in text.lower():
            continue
        rows = [(first + offset, tuple(cell for cell in re.split(r"\s{2,}|\s*\|\s*",
                                                                 line.strip().strip("|+"))
                                       if cell))
                for offset, line in enumerate(text.split("\n"))
                if line.strip() and not re.fullmatch(r"[\s=+|:-]+", line)]
        if len(rows) > 1:
            yield Grid(first, first + text.count("\n"), rows[0][1], tuple(rows[1:]))


def _plain_links(lines: list[str]) -> Iterable[Link]:
    for index, line in enumerate(lines, start=1):
        for url in _URL.findall(line):
            yield Link(index, url.rstrip(".,;"), "")
