"""The comments check: is the code commented, are public names documented, do notebooks explain?

Line kinds (blank, comment, code, docstring) come from one pass over the text guided by the
parse tree, which knows where strings and docstrings are. ``tokenize`` would be exact too,
but it is about ten times slower on a large submission. ``source_lines`` is cached by text,
so the modularity check reuses the same analysis for function lengths and duplicates.
"""

from __future__ import annotations

import ast
import bisect
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from pydantic import Field

from reviewbot.checks.base import CheckConfig, CodeUnit, own_code_units, parse_python
from reviewbot.core.ipynb import Notebook
from reviewbot.core.models import Finding, Outcome, Rule, Severity
from reviewbot.core.submission import Submission

ID = "comments"

FEW_COMMENTS = Rule(
    ID, "COM001", Severity.WARNING, "few comments for the amount of code",
    "Comment the code: say why each step is done, what shapes and units values have and "
    "which part of the paper it follows.")
MISSING_DOCSTRINGS = Rule(
    ID, "COM002", Severity.WARNING, "public modules, classes or functions without docstrings",
    "Give each public module, class and function a docstring saying what it does, what its "
    "arguments are and what it returns.")
NO_MARKDOWN = Rule(
    ID, "COM003", Severity.WARNING, "notebook without markdown cells",
    "Add markdown cells that explain each step and relate the results to the paper.")
RULES: tuple[Rule, ...] = (FEW_COMMENTS, MISSING_DOCSTRINGS, NO_MARKDOWN)

# Kinds of physical lines, stored one byte per line.
BLANK, COMMENT, CODE, DOCSTRING = range(4)
_NEWLINE = re.compile(r"\r\n|\r|\n")  # the newlines Python counts, unlike str.splitlines
_SHOWN_MISSING = 5  # undocumented names listed in a message before "and N more"


class Config(CheckConfig):
    """Settings of the comments check."""

    min_comment_density: float = Field(
        0.05, ge=0, le=1,
        description="comment and docstring lines per line of code below which a file is flagged")
    min_lines: int = Field(30, ge=1, description="files with fewer lines of code are not judged")
    min_docstring_coverage: float = Field(
        0.5, ge=0, le=1,
        description="share of public modules, classes and functions that need a docstring")


# ---------------------------------------------------------------- line analysis (shared)


@dataclass(frozen=True)
class SourceLines:
    """What each physical line of a Python source is, and its code with comments removed."""

    kinds: bytes  # kinds[n - 1] is the kind of line n
    inline_comments: int  # code lines that also carry a trailing comment
    long_docstring_lines: int  # lines of docstrings that span several lines
    code_numbers: tuple[int, ...]  # line number of each code line, ascending
    code_texts: tuple[str, ...]  # each code line without comment, whitespace collapsed

    @property
    def comment_lines(self) -> int:
        return self.kinds.count(COMMENT) + self.inline_comments

    @property
    def code_lines(self) -> int:
        return len(self.code_numbers)

    @property
    def docstring_lines(self) -> int:
        return self.kinds.count(DOCSTRING)

    def code_between(self, first: int, last: int) -> tuple[str, ...]:
        """The normalized code lines numbered ``first`` to ``last`` (inclusive)."""
        start = bisect.bisect_left(self.code_numbers, first)
        stop = bisect.bisect_right(self.code_numbers, last)
        return self.code_texts[start:stop]


@functools.lru_cache(maxsize=512)
def source_lines(text: str) -> SourceLines | None:
    """The line analysis of ``text``; None when it is not Python 3."""
    tree = parse_python(text)
    if tree is None:
        return None
    lines = _NEWLINE.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    string_lines, docstrings = _string_spans(tree)
    docstring_lines = {line for first, last in docstrings for line in range(first, last + 1)}
    long_lines = sum(last - first + 1 for first, last in docstrings if last > first)
    return _classify(lines, string_lines, docstring_lines, long_lines)


def _classify(lines: list[str], string_lines: set[int], docstring_lines: set[int],
              long_docstring_lines: int) -> SourceLines:
    kinds = bytearray(len(lines))
    numbers: list[int] = []
    texts: list[str] = []
    inline = 0
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if number in docstring_lines:
            kinds[number - 1] = DOCSTRING if stripped else BLANK
        elif not stripped:
            continue  # BLANK is zero already
        elif stripped[0] == "#" and number not in string_lines:
            kinds[number - 1] = COMMENT
        else:
            code, commented = _split_comment(stripped, number in string_lines)
            kinds[number - 1] = CODE
            inline += commented
            numbers.append(number)
            texts.append(" ".join(code.split()))
    return SourceLines(bytes(kinds), inline, long_docstring_lines, tuple(numbers),
                       tuple(texts))


def _split_comment(stripped: str, inside_string: bool) -> tuple[str, bool]:
    """The line's code and whether a ``#`` comment trails it."""
    if inside_string or "#" not in stripped:
        return stripped, False
    position = _comment_start(stripped)
    if position is None:
        return stripped, False
    return stripped[:position].rstrip(), True


def _comment_start(line: str) -> int | None:
    """Where a ``#`` outside string literals starts on a one-line piece of code."""
    quote = ""
    escaped = False
    for position, char in enumerate(line):
        if escaped:
            escaped = False
        elif quote:
            escaped = char == "\\"
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#":
            return position
    return None


def _string_spans(tree: ast.Module) -> tuple[set[int], list[tuple[int, int]]]:
    """Lines inside multi-line strings (after their first), and (first, last) of docstrings."""
    inside: set[int] = set()
    docstrings: list[tuple[int, int]] = []
    for node in _multiline_nodes(tree):
        if isinstance(node, ast.Constant | ast.JoinedStr):
            end = node.end_lineno or node.lineno
            if end > node.lineno:
                inside.update(range(node.lineno + 1, end + 1))
        elif isinstance(node, _DOCUMENTABLE):
            span = _docstring_span(node)
            # a docstring on its def's line leaves that line code
            if span and (isinstance(node, ast.Module) or span[0] > node.lineno):
                docstrings.append(span)
    return inside, docstrings


_DOCUMENTABLE = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def _multiline_nodes(tree: ast.Module) -> Iterator[ast.AST]:
    """The nodes that span several lines, and their children: a node on one line cannot
    hold a multi-line string, so most of the tree is never visited."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        yield node
        if getattr(node, "end_lineno", 0) == getattr(node, "lineno", -1):
            continue
        stack.extend(ast.iter_child_nodes(node))


def _docstring_span(node: ast.AST) -> tuple[int, int] | None:
    body = getattr(node, "body", None)
    if not body or not isinstance(body[0], ast.Expr):
        return None
    value = body[0].value
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return value.lineno, value.end_lineno or value.lineno
    return None


# ---------------------------------------------------------------- the check


@dataclass(frozen=True)
class Documentable:
    """A public module, class or function and whether it has a docstring."""

    name: str
    line: int
    documented: bool


@dataclass(frozen=True)
class FileStats:
    """The figures behind one file's findings."""

    code_lines: int
    documentation_lines: int  # comments, docstrings and (notebooks) markdown
    public_definitions: int
    documented: int

    def as_dict(self) -> dict[str, object]:
        coverage = self.documented / self.public_definitions if self.public_definitions else None
        return {"code_lines": self.code_lines, "documentation_lines": self.documentation_lines,
                "comment_density": _ratio(self.documentation_lines, self.code_lines),
                "public_definitions": self.public_definitions, "documented": self.documented,
                "docstring_coverage": None if coverage is None else round(coverage, 4)}


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def run(submission: Submission, config: Config) -> Outcome:
    """Comment density and docstring coverage per file; markdown in notebooks."""
    findings: list[Finding] = []
    files: dict[str, FileStats] = {}
    for unit in own_code_units(submission):
        analysis = source_lines(unit.text)
        if analysis is None or unit.tree is None:
            continue  # not Python 3: the hygiene check reports it
        files[unit.path], unit_findings = _review_unit(unit, unit.tree, analysis, config)
        findings += unit_findings
    code = sum(stats.code_lines for stats in files.values())
    documentation = sum(stats.documentation_lines for stats in files.values())
    density = _ratio(documentation, code)
    return Outcome(tuple(findings), {
        "summary": (f"comment density {density:.0%} over {code} lines of code"
                    if density is not None else "no code"),
        "comment_density": density, "code_lines": code,
        "documentation_lines": documentation,
        "files": {path: stats.as_dict() for path, stats in files.items()}})


def _review_unit(unit: CodeUnit, tree: ast.Module, analysis: SourceLines,
                 config: Config) -> tuple[FileStats, list[Finding]]:
    documentation = _documentation_lines(unit, analysis)
    items = documentables(tree, unit.notebook is None, unit.path)
    stats = FileStats(analysis.code_lines, documentation, len(items),
                      sum(item.documented for item in items))
    found = [_density_finding(unit, documentation, analysis.code_lines, config),
             _coverage_finding(unit, items, config), _markdown_finding(unit)]
    return stats, [finding for finding in found if finding is not None]


def _documentation_lines(unit: CodeUnit, analysis: SourceLines) -> int:
    """Comment and docstring lines; in a notebook, markdown lines too, magics excluded."""
    lines = analysis.comment_lines + analysis.docstring_lines
    if unit.notebook is not None:
        lines += _markdown_lines(unit.notebook) - _magic_lines(unit.notebook)
    return max(lines, 0)


def _markdown_lines(notebook: Notebook) -> int:
    return sum(1 for cell in notebook.cells if cell.cell_type == "markdown"
               for line in cell.source.splitlines() if line.strip())


def _magic_lines(notebook: Notebook) -> int:
    """Lines of code cells that the notebook loader turned into comments (magics, shell)."""
    originals = {cell.index: cell.source.splitlines() or [""] for cell in notebook.code_cells}
    count = 0
    for converted, origin in zip(notebook.code.split("\n"), notebook.line_map, strict=False):
        if origin is None or not converted.lstrip().startswith("#"):
            continue
        source = originals.get(origin.cell, [])
        original = source[origin.cell_line - 1] if origin.cell_line <= len(source) else ""
        count += not original.lstrip().startswith("#")
    return count


def _density_finding(unit: CodeUnit, documentation: int, code: int,
                     config: Config) -> Finding | None:
    if code < config.min_lines or documentation >= config.min_comment_density * code:
        return None
    what = "comments, docstrings and markdown" if unit.notebook else "comments and docstrings"
    lines = "1 line" if documentation == 1 else f"{documentation} lines"
    message = (f"{unit.path}: {lines} of {what} for {code} lines of code "
               f"({documentation / code:.1%}, expected at least {config.min_comment_density:.0%})")
    return unit.finding(FEW_COMMENTS, message, None)


def _coverage_finding(unit: CodeUnit, items: list[Documentable],
                      config: Config) -> Finding | None:
    missing = [item for item in items if not item.documented]
    if not items or len(items) - len(missing) >= config.min_docstring_coverage * len(items):
        return None
    documented = len(items) - len(missing)
    message = (f"{unit.path}: {documented} of {len(items)} public modules, classes and functions "
               f"have a docstring ({documented / len(items):.0%}, expected at least "
               f"{config.min_docstring_coverage:.0%}); missing: {_listing(unit, missing)}")
    return unit.finding(MISSING_DOCSTRINGS, message, missing[0].line)


def _listing(unit: CodeUnit, missing: list[Documentable]) -> str:
    shown = ", ".join(f"{item.name} ({_place(unit, item.line)})"
                      for item in missing[:_SHOWN_MISSING])
    more = len(missing) - _SHOWN_MISSING
    return f"{shown} and {more} more" if more > 0 else shown


def _place(unit: CodeUnit, line: int) -> str:
    origin = unit.notebook.locate(line) if unit.notebook else None
    return f"cell {origin.cell}, line {origin.cell_line}" if origin else f"line {line}"


def _markdown_finding(unit: CodeUnit) -> Finding | None:
    notebook = unit.notebook
    if notebook is None or any(cell.cell_type == "markdown" and cell.source.strip()
                               for cell in notebook.cells):
        return None
    code_cells = sum(1 for cell in notebook.code_cells if cell.source.strip())
    message = (f"{unit.path} has {code_cells} code cells and no markdown cell: nothing tells "
               "the reader what each step does")
    return unit.finding(NO_MARKDOWN, message, None)


# ---------------------------------------------------------------- docstring coverage

_ACCESSOR_DECORATORS = {"setter", "deleter", "overload"}


def documentables(tree: ast.Module, is_module: bool, path: str) -> list[Documentable]:
    """The public module (for .py files), classes, methods and functions, in line order.

    Nested functions are not public; ``__init__.py`` needs no docstring of its own, and
    property setters and ``@overload`` stubs share their main definition's docstring.
    """
    items: list[Documentable] = []
    if is_module and tree.body and not path.endswith("__init__.py"):
        items.append(Documentable(_module_name(path), 1, ast.get_docstring(tree) is not None))
    items += _public_definitions(tree.body, "")
    return items


def _module_name(path: str) -> str:
    return f"module {path.rsplit('/', 1)[-1].removesuffix('.py')}"


def _public_definitions(body: list[ast.stmt], prefix: str) -> list[Documentable]:
    items: list[Documentable] = []
    for node in body:
        if not isinstance(node, _DOCUMENTABLE) or node.name.startswith("_"):
            continue
        if isinstance(node, ast.ClassDef) or not _is_accessor(node):
            documented = ast.get_docstring(node) is not None
            items.append(Documentable(prefix + node.name, node.lineno, documented))
        if isinstance(node, ast.ClassDef):
            items += _public_definitions(node.body, f"{prefix}{node.name}.")
    return items


def _is_accessor(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    names = (decorator.attr if isinstance(decorator, ast.Attribute) else
             getattr(decorator, "id", "") for decorator in node.decorator_list)
    return any(name in _ACCESSOR_DECORATORS for name in names)

