"""Template text left in a README: placeholders and the maintainers' registered template.

Course and DLC READMEs start from a template. A line still holding a placeholder (``@TODO``,
``TBD``, "Write your ...") or a sentence of the registered template is template text, and a
section that still holds template text counts as missing: the review judges the README as
if those sections were empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from reviewbot.checks.readme_doc import Heading, Readme, blank_comments

_PLACEHOLDER = re.compile(
    r"@TODO|\bTBD\b|^\W{0,6}TODO\b|^\W{0,6}(write|describe|explain|present|provide|summari[sz]e|"
    r"introduce|discuss|insert|add|put) (your|here)\b|\blorem ipsum\b|<\s*your[ _-]\w+\s*>",
    re.IGNORECASE)
_MIN_TEMPLATE_LINE = 25  # shorter template lines ("# 1. Introduction") are headings people keep
_FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass(frozen=True)
class TemplateText:
    """Where a README still holds template text, and the text judged without it."""

    lines: tuple[int, ...]  # 1-based lines holding template text
    samples: tuple[str, ...]  # the first of them, shortened
    cleaned: str  # the README with template lines and the sections holding them blanked
    sections: int  # sections (with a body) holding template text
    filled: int  # sections with a body free of template text


def _template_text(path: str) -> str:
    """The registered template's text; empty when none is registered or it cannot be read."""
    if not path:
        return ""
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def template_lines(path: str) -> frozenset[str]:
    """The sentences of a registered template (whitespace-normalised), or none."""
    lines = (_norm(line) for line in blank_comments(_template_text(path)).splitlines())
    return frozenset(line for line in lines if len(line) >= _MIN_TEMPLATE_LINE)


def find_template_text(readme: Readme, registered: frozenset[str]) -> TemplateText:
    marked = [index for index, line in enumerate(readme.lines, start=1)
              if _is_template(line, registered)]
    marked = _outside_fences(readme, marked)
    lines = list(readme.lines)
    sections = filled = 0
    for heading in readme.headings:
        first, last = _own_body(readme, heading)
        body = [n for n in range(first, last + 1) if readme.lines[n - 1].strip()]
        if not body:
            continue
        if any(n in marked for n in body) or heading.line in marked:
            sections += 1
            for n in range(first, last + 1):
                lines[n - 1] = ""
        else:
            filled += 1
    for n in marked:
        lines[n - 1] = ""
    samples = tuple(readme.lines[n - 1].strip()[:80] for n in marked[:3])
    return TemplateText(tuple(marked), samples, "\n".join(lines), sections, filled)


def _is_template(line: str, registered: frozenset[str]) -> bool:
    if _PLACEHOLDER.search(line):
        return True
    normal = _norm(line)
    return len(normal) >= _MIN_TEMPLATE_LINE and normal in registered


def _outside_fences(readme: Readme, marked: list[int]) -> list[int]:
    fenced: set[int] = set()
    inside = False
    for index, line in enumerate(readme.lines, start=1):
        if _FENCE.match(line):
            inside = not inside
        elif inside:
            fenced.add(index)
    return [n for n in marked if n not in fenced]


def _own_body(readme: Readme, heading: Heading) -> tuple[int, int]:
    """The lines under ``heading`` up to the next heading of any level."""
    later = [h.line for h in readme.headings if h.line > heading.line]
    return heading.line + 1, (later[0] - 1 if later else len(readme.lines))


def _norm(line: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"^[#>*\-\s]+", "", line)).strip().lower()


def template_links(path: str) -> frozenset[str]:
    """The URLs of a registered template (the course page, the project list): never the paper."""
    return frozenset(re.findall(r"https?://[^\s)\]>\"']+", _template_text(path)))
