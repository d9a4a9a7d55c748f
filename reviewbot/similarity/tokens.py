"""Normalized token streams: what disguises change (names, literals, layout) is erased.

One lenient regular-expression tokenizer reads Python 3 and Python 2 alike (``print x``,
backticks, ``<>``, ``0777L``), several times faster than ``tokenize`` and never raises.
Comments, blank lines, indentation and docstrings disappear; a logical line end stays as
one token because statement boundaries are structure, not layout.
"""

from __future__ import annotations

import keyword
import re
import zlib
from dataclasses import dataclass

_TOKEN = re.compile(r"""
 (?P<comment>\#[^\r\n]*)
|(?P<string>[rRbBuUfF]{0,2}(?:'''[\s\S]*?(?:'''|\Z)|\"\"\"[\s\S]*?(?:\"\"\"|\Z)
    |'(?:\\.|[^'\\\r\n])*'?|"(?:\\.|[^"\\\r\n])*"?))
|(?P<number>(?:0[xXoObB][\da-fA-F_]+|\d[\d_]*\.?[\d_]*(?:[eE][+-]?\d+)?
    |\.\d[\d_]*(?:[eE][+-]?\d+)?)[lLjJ]?)
|(?P<name>[^\W\d]\w*)
|(?P<newline>\r\n|\r|\n)
|(?P<continuation>\\\r?\n)
|(?P<op>\*\*=?|//=?|>>=?|<<=?|->|:=|\.\.\.|[-+*/%&|^@<>=!]=|<>|[-+*/%&|^~@<>=.,:;()\[\]{}`])
|(?P<space>[ \t\f]+)
|(?P<other>.)
""", re.VERBOSE)

KEYWORDS = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | {"print", "exec"}
_OPEN, _CLOSE = frozenset("([{"), frozenset(")]}")


_TOKEN_IDS: dict[str, int] = {}
_MEMO_LIMIT = 100_000  # distinct tokens remembered per process (names, operators)


def token_id(text: str) -> int:
    """A stable small integer for a token (``hash`` of str is salted per process)."""
    found = _TOKEN_IDS.get(text)
    if found is None:
        found = zlib.crc32(text.encode("utf-8", "surrogatepass"))
        if len(_TOKEN_IDS) < _MEMO_LIMIT:
            _TOKEN_IDS[text] = found
    return found


NAME_ID, STRING_ID, NUMBER_ID, NEWLINE_ID = (token_id(t) for t in ("<V>", "<S>", "<N>", "<NL>"))


@dataclass(frozen=True)
class TokenStream:
    """Normalized token ids with the 1-based source line of each."""

    ids: tuple[int, ...]
    lines: tuple[int, ...]


def normalize(text: str, bound: frozenset[str] | None = None) -> TokenStream:
    """Tokens of ``text`` with the names it binds turned into one id.

    ``bound`` holds the names the file defines (what a renaming disguise changes); names
    it only uses (imports, builtins, library attributes) keep their identity. None: the
    file did not parse, so every name but the keywords is erased.
    """
    ids: list[int] = []
    lines: list[int] = []
    raw = _significant(text)
    for index, (kind, value, line) in enumerate(raw):
        if kind == "string" and _is_docstring(raw, index):
            continue
        if kind == "newline":
            if ids and ids[-1] != NEWLINE_ID:
                ids.append(NEWLINE_ID)
                lines.append(line)
            continue
        ids.append(_normalized_id(kind, value, bound))
        lines.append(line)
    return TokenStream(tuple(ids), tuple(lines))


def _normalized_id(kind: str, value: str, bound: frozenset[str] | None) -> int:
    if kind == "name":
        erased = bound is None or value in bound
        return NAME_ID if erased and value not in KEYWORDS else token_id(value)
    if kind == "string":
        return STRING_ID
    if kind == "number":
        return NUMBER_ID
    return token_id(value)


def _significant(text: str) -> list[tuple[str, str, int]]:
    """(kind, text, line) of each token, newlines only where a logical line ends."""
    result: list[tuple[str, str, int]] = []
    line, depth = 1, 0
    for match in _TOKEN.finditer(text):
        kind, value = match.lastgroup or "other", match.group()
        if kind == "newline":
            if depth == 0:
                result.append((kind, value, line))
            line += 1
            continue
        if kind in ("comment", "space", "other"):
            continue
        if kind == "continuation":
            line += 1
            continue
        if kind == "op":
            depth = max(0, depth + (value in _OPEN) - (value in _CLOSE))
        result.append((kind, value, line))
        if kind == "string":
            line += value.count("\n")
    return result


def _is_docstring(raw: list[tuple[str, str, int]], index: int) -> bool:
    """A string that is a whole statement (docstrings, commented-out code in strings)."""
    before = raw[index - 1] if index else None
    after = raw[index + 1] if index + 1 < len(raw) else None
    starts = before is None or before[0] == "newline" or before[1] == ":"
    ends = after is None or after[0] == "newline"
    return starts and ends
