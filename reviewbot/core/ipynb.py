"""Notebooks as Python: code cells joined into one source with a map back to each cell.

GitHub's review comments on an ``.ipynb`` address lines of the raw JSON file, so each line
of code also keeps the raw line its text sits on. The JSON is walked once with the stdlib
scanner to record where every ``source`` string starts.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from json.decoder import scanstring

import nbformat

# Cell magics whose body is still Python; any other %%magic makes the cell foreign code.
_PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug"}
_LINE_MAGIC = re.compile(r"^\s*(%|!|[A-Za-z_][\w.]*\s*=\s*[!%])")


@dataclass(frozen=True)
class CodeLine:
    """Where a line of the joined notebook code came from."""

    cell: int  # 1-based index among all cells, markdown included
    cell_line: int  # 1-based line inside the cell's source
    raw_line: int  # 1-based line of the raw .ipynb file


@dataclass(frozen=True)
class Cell:
    """One cell as the candidate wrote it."""

    index: int  # 1-based
    cell_type: str
    source: str
    execution_count: int | None
    outputs: tuple[dict, ...]
    raw_lines: tuple[int, ...]  # raw .ipynb line of each source line

    def raw_line(self, cell_line: int) -> int:
        if not self.raw_lines:
            return 1
        return self.raw_lines[min(cell_line, len(self.raw_lines)) - 1]


@dataclass(frozen=True)
class Notebook:
    """A parsed notebook: its cells, and its code cells as one Python source."""

    path: str
    nbformat_version: int
    cells: tuple[Cell, ...]
    code: str
    line_map: tuple[CodeLine | None, ...]  # one entry per line of ``code``; None for joins
    kernel_language: str
    schema_problem: str = ""  # why strict nbformat validation refused it, when it still reads

    @property
    def code_cells(self) -> tuple[Cell, ...]:
        return tuple(cell for cell in self.cells if cell.cell_type == "code")

    def locate(self, code_line: int) -> CodeLine | None:
        """The cell position of a 1-based line of ``code`` (None for a joining line)."""
        if 1 <= code_line <= len(self.line_map):
            return self.line_map[code_line - 1]
        return None


class NotebookFormatError(ValueError):
    """The file is not a notebook nbformat can read; the message says why."""


def parse_notebook(path: str, text: str) -> Notebook:
    """Parse ``text`` (a .ipynb file) into a Notebook, upgrading v3 to v4."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookFormatError(f"not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    if not isinstance(raw, dict) or "nbformat" not in raw:
        raise NotebookFormatError("JSON without the 'nbformat' key: not a Jupyter notebook")
    original_version = raw.get("nbformat")
    node, schema_problem = _read_nbformat(text)
    raw_lines = _source_raw_lines(text, original_version)
    cells = tuple(_make_cell(i, cell, raw_lines.get(i - 1, ())) for i, cell in
                  enumerate(node.cells, start=1))
    code, line_map = _join_code(cells)
    language = node.metadata.get("kernelspec", {}).get("language", "python")
    return Notebook(path, int(original_version), cells, code, line_map, str(language),
                    schema_problem)


def _read_nbformat(text: str) -> tuple[nbformat.NotebookNode, str]:
    """The notebook and, when it reads but fails strict validation, why (else "")."""
    try:
        node = nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat raises many types for a malformed file
        raise NotebookFormatError(f"nbformat cannot read it ({_first_line(exc)})") from exc
    try:
        nbformat.validate(node)
    except nbformat.ValidationError as exc:
        # Jupyter and Colab open such files (an extra metadata key, tags: null): only a
        # structure the review cannot walk makes the notebook unreadable.
        if not _walkable(node):
            raise NotebookFormatError(f"invalid nbformat: {_first_line(exc)}") from exc
        return node, f"invalid nbformat: {_first_line(exc)}"
    return node, ""


def _walkable(node: nbformat.NotebookNode) -> bool:
    cells = node.get("cells")
    if not isinstance(cells, list):
        return False
    return all(isinstance(cell, dict) and isinstance(cell.get("cell_type"), str)
               and isinstance(cell.get("source"), str) and _walkable_code(cell)
               for cell in cells)


def _walkable_code(cell: dict) -> bool:
    if cell.get("cell_type") != "code":
        return True
    count = cell.get("execution_count")
    return (count is None or (isinstance(count, int) and not isinstance(count, bool))) \
        and isinstance(cell.get("outputs", []), list) \
        and all(isinstance(output, dict) for output in cell.get("outputs", []))


def _first_line(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


def _make_cell(index: int, cell: nbformat.NotebookNode, raw_lines: tuple[int, ...]) -> Cell:
    outputs = tuple(dict(output) for output in cell.get("outputs", ()))
    count = cell.get("execution_count") if cell.cell_type == "code" else None
    return Cell(index, cell.cell_type, cell.source, count, outputs, raw_lines)


def _join_code(cells: tuple[Cell, ...]) -> tuple[str, tuple[CodeLine | None, ...]]:
    lines: list[str] = []
    line_map: list[CodeLine | None] = []
    for cell in cells:
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        if lines:
            lines.append("")
            line_map.append(None)
        for number, text in enumerate(python_lines(cell.source), start=1):
            lines.append(text)
            line_map.append(CodeLine(cell.index, number, cell.raw_line(number)))
    return "\n".join(lines) + ("\n" if lines else ""), tuple(line_map)


def python_lines(source: str) -> list[str]:
    """The cell's lines with IPython magics and shell escapes turned into comments.

    Line numbers are preserved, so a finding on line k of the result is line k of the cell.
    """
    lines = source.splitlines() or [""]
    # A cell magic must open the cell, but Colab also runs one after comment lines.
    start = next((i for i, line in enumerate(lines)
                  if line.strip() and not line.lstrip().startswith("#")), 0)
    first = lines[start].strip()
    if first.startswith("%%"):
        magic = first[2:].split(maxsplit=1)[0] if first[2:] else ""
        if magic not in _PYTHON_CELL_MAGICS:
            return [_commented(line) for line in lines]
        rest = (_strip_line_magic(line) for line in lines[start + 1:])
        return [*lines[:start], _commented(lines[start]), *rest]
    return [_strip_line_magic(line) for line in lines]


def _strip_line_magic(line: str) -> str:
    return _commented(line) if _LINE_MAGIC.match(line) else line


def _commented(line: str) -> str:
    indent = len(line) - len(line.lstrip())
    return f"{line[:indent]}# {line[indent:]}" if line.strip() else line


def _source_raw_lines(text: str, version: object) -> dict[int, tuple[int, ...]]:
    """For each cell index (0-based), the raw file line of each of its source lines."""
    starts = _line_starts(text)
    per_cell: dict[int, list[tuple[str, int]]] = {}
    for cell_index, value, offset in _source_strings(text, version):
        per_cell.setdefault(cell_index, []).append((value, offset))
    return {i: _expand_lines(parts, starts) for i, parts in per_cell.items()}


def _expand_lines(parts: list[tuple[str, int]], starts: list[int]) -> tuple[int, ...]:
    # A source given as one string (not a list) puts all its lines on one raw line.
    result: list[int] = []
    for value, offset in parts:
        raw = bisect.bisect_right(starts, offset)
        result.extend([raw] * max(1, value.count("\n") + (not value.endswith("\n"))))
    return tuple(result)


def _line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in re.finditer("\n", text)]


def _source_strings(text: str, version: object) -> Iterator[tuple[int, str, int]]:
    """Yield (cell index, string, offset) for each string of each cell's source."""
    wanted = ("cells", "source") if version != 3 else ("worksheets", "cells", "input")
    for path, value, offset in _walk(text):
        cell_index = _match_source_path(path, wanted)
        if cell_index is not None:
            yield cell_index, value, offset


def _match_source_path(path: tuple, wanted: tuple[str, ...]) -> int | None:
    # v4: ("cells", i, "source"[, j]); v3: ("worksheets", 0, "cells", i, "input"[, j])
    names = tuple(p for p in path if isinstance(p, str))
    if names != wanted:
        return None
    indexes = [p for p in path if isinstance(p, int)]
    if wanted[0] == "worksheets":
        return indexes[1] if indexes and indexes[0] == 0 and len(indexes) >= 2 else None
    return indexes[0] if indexes else None


def _walk(text: str) -> Iterator[tuple[tuple, str, int]]:
    """Yield (JSON path, value, offset) for every string value in a JSON document."""
    scan = json.JSONDecoder().scan_once
    stack: list[tuple] = [((), _skip(text, 0))]
    while stack:
        path, pos = stack.pop()
        char = text[pos]
        if char == '"':
            value, _ = scanstring(text, pos + 1)
            yield path, value, pos
        elif char in "[{":
            stack.extend(reversed(list(_children(text, pos, path, scan))))


def _children(text: str, pos: int, path: tuple, scan) -> Iterator[tuple[tuple, int]]:
    """The (path, offset) of each direct child of the container starting at ``pos``."""
    is_object = text[pos] == "{"
    pos = _skip(text, pos + 1)
    index = 0
    while text[pos] not in "]}":
        key: str | int = index
        if is_object:
            key, pos = scanstring(text, pos + 1)
            pos = _skip(text, _skip(text, pos) + 1)  # past the colon
        yield (*path, key), pos
        pos = _skip(text, _value_end(text, pos, scan))
        if text[pos] == ",":
            pos = _skip(text, pos + 1)
        index += 1


def _value_end(text: str, pos: int, scan) -> int:
    _, end = scan(text, pos)
    return end


def _skip(text: str, pos: int) -> int:
    while text[pos] in " \t\r\n":
        pos += 1
    return pos
