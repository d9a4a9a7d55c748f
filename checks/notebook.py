"""The notebook check: is there a notebook, and was it saved from one clean run?

The DLC guidelines ask for the code to run in a Jupyter notebook where possible. A
notebook is judged as committed: its saved execution counts and outputs tell whether it
was run top to bottom, and its cells whether logic that belongs in modules sits in it.
Copies under ``.ipynb_checkpoints/`` are reported as a folder and otherwise ignored.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from itertools import pairwise

from pydantic import Field

from reviewbot.checks.base import CheckConfig, parse_python
from reviewbot.core.ipynb import Cell, Notebook, python_lines
from reviewbot.core.models import Finding, Outcome, Rule, Severity
from reviewbot.core.submission import Submission

ID = "notebook"

NO_NOTEBOOK = Rule(ID, "NB001", Severity.WARNING, "no Jupyter notebook in the submission",
                   "Add a notebook that imports your modules and reproduces the paper's "
                   "results, run top to bottom with its outputs saved.")
BROKEN = Rule(ID, "NB002", Severity.ERROR, "notebook that cannot be read",
              "Open the notebook in Jupyter, fix or recreate it, and save it again (nbformat 4).")
EMPTY = Rule(ID, "NB003", Severity.WARNING, "notebook without code",
             "Put the code that reproduces the paper's results in the notebook's code cells.")
NO_OUTPUTS = Rule(ID, "NB004", Severity.WARNING, "notebook committed without outputs",
                  "Run the notebook top to bottom (Restart & Run All) and save it with its "
                  "outputs, so reviewers see the results without running it.")
OUT_OF_ORDER = Rule(ID, "NB005", Severity.WARNING, "cells were run out of order",
                    "Restart the kernel, run all cells top to bottom, and save the notebook.")
PARTLY_RUN = Rule(ID, "NB006", Severity.WARNING, "notebook was run only partly",
                  "Restart the kernel, run all cells top to bottom (fix the cell that stops "
                  "it), and save the notebook.")
COUNT_GAPS = Rule(ID, "NB007", Severity.WARNING, "execution counts skip numbers",
                  "Restart the kernel and run all cells once, top to bottom, so the saved "
                  "notebook is one clean run (counts 1, 2, 3...).")
DEFINITIONS_IN_CELL = Rule(ID, "NB008", Severity.INFO, "cell defines a lot of logic",
                           "Move these functions and classes into a module (e.g. model.py) "
                           "and import them in the notebook.")
LONG_FUNCTION_IN_CELL = Rule(ID, "NB009", Severity.WARNING, "long function defined in a cell",
                             "Move the function into a module (e.g. model.py), split it into "
                             "smaller functions, and import it in the notebook.")
CHECKPOINTS = Rule(ID, "NB010", Severity.WARNING, ".ipynb_checkpoints folder committed",
                   "Delete the .ipynb_checkpoints folder and add '.ipynb_checkpoints/' to "
                   ".gitignore.")
NOT_PYTHON = Rule(ID, "NB011", Severity.INFO, "notebook kernel is not Python",
                  "Use a Python kernel where possible; the review reads only Python code.")
ERROR_OUTPUT = Rule(ID, "NB012", Severity.WARNING, "saved output shows an error",
                    "Fix the error, then run the notebook top to bottom and save it.")
NOT_A_RUN = Rule(ID, "NB013", Severity.ERROR, "notebook mostly never run, or with stub cells",
                 "Write the missing code in place of the placeholder cells, run the notebook top "
                 "to bottom and save it with its outputs: it is the replication's evidence.")
SCHEMA = Rule(ID, "NB014", Severity.WARNING, "notebook does not follow the nbformat schema",
              "Jupyter still opens it; re-save it from Jupyter (or run `jupyter nbconvert "
              "--to notebook --inplace` on it) to write a valid file.")
RULES: tuple[Rule, ...] = (NO_NOTEBOOK, BROKEN, EMPTY, NO_OUTPUTS, OUT_OF_ORDER, PARTLY_RUN,
                           COUNT_GAPS, DEFINITIONS_IN_CELL, LONG_FUNCTION_IN_CELL, CHECKPOINTS,
                           NOT_PYTHON, ERROR_OUTPUT, NOT_A_RUN, SCHEMA)

CHECKPOINT_DIR = ".ipynb_checkpoints"


class Config(CheckConfig):
    """Settings of the notebook check."""

    max_cell_definition_lines: int = Field(
        30, ge=1, description="lines of functions and classes one code cell may define")
    max_cell_function_lines: int = Field(
        25, ge=1, description="lines one function defined in a cell may have")


def run(submission: Submission, config: Config) -> Outcome:
    notebooks = [nb for nb in submission.notebooks if not _in_checkpoints(nb.path)]
    broken = [(p, why) for p, why in submission.broken_notebooks if not _in_checkpoints(p)]
    findings = _checkpoint_findings(submission)
    if not notebooks and not broken:
        findings.append(NO_NOTEBOOK.finding(
            "no Jupyter notebook (.ipynb) in the submission; the DLC guidelines ask for one "
            "where possible"))
    findings += [BROKEN.finding(f"{path} cannot be read as a notebook: {why}", path)
                 for path, why in broken]
    for notebook in notebooks:
        findings += _notebook_findings(notebook, config)
        findings += _replication_findings(notebook, has_modules=bool(submission.modules))
    cells = sum(len(notebook.code_cells) for notebook in notebooks)
    summary = f"{len(notebooks) + len(broken)} notebook(s), {cells} code cells"
    return Outcome(tuple(findings), {"summary": summary, "notebooks": len(notebooks),
                                     "code_cells": cells})


def _in_checkpoints(path: str) -> bool:
    return CHECKPOINT_DIR in path.split("/")


def _checkpoint_findings(submission: Submission) -> list[Finding]:
    """One finding per committed checkpoints folder, with how many files it holds."""
    folders: dict[str, int] = {}
    for entry in submission.files:
        parts = entry.path.split("/")
        if CHECKPOINT_DIR in parts[:-1]:
            folder = "/".join(parts[:parts.index(CHECKPOINT_DIR) + 1])
            folders[folder] = folders.get(folder, 0) + 1
    return [CHECKPOINTS.finding(f"{folder}/ is committed ({count} file{'s' * (count != 1)}); "
                                "it holds Jupyter's autosaves, not part of the submission", folder)
            for folder, count in folders.items()]


def _notebook_findings(notebook: Notebook, config: Config) -> list[Finding]:
    findings: list[Finding] = []
    is_python = notebook.kernel_language.lower().startswith("python")
    if not is_python:
        findings.append(NOT_PYTHON.finding(
            f"{notebook.path} uses a {notebook.kernel_language!r} kernel, not Python; the review "
            "reads only Python code", notebook.path))
    cells = [cell for cell in notebook.code_cells if cell.source.strip()]
    if not cells:
        findings.append(EMPTY.finding(f"{notebook.path} has no code cells with code",
                                      notebook.path))
        return findings
    findings += _execution_findings(notebook, cells)
    findings += _error_output_findings(notebook, cells)
    if is_python:
        for cell in cells:
            findings += _definition_findings(notebook.path, cell, config)
    return findings


# --- was it run top to bottom? ------------------------------------------------------------

def _at_cell(rule: Rule, message: str, path: str, cell: Cell) -> Finding:
    return rule.finding(message, path, cell.raw_line(1), cell=cell.index, cell_line=1)


def _execution_findings(notebook: Notebook, cells: list[Cell]) -> list[Finding]:
    run_cells = [cell for cell in cells if cell.execution_count is not None]
    with_output = sum(bool(cell.outputs) for cell in cells)
    if not run_cells and not with_output:
        return [NO_OUTPUTS.finding(
            f"{notebook.path} is committed without outputs ({len(cells)} code cells, none "
            "run): run it top to bottom and save", notebook.path)]
    if not run_cells and with_output == 1 and len(cells) >= _MIN_CELLS:
        return [NO_OUTPUTS.finding(
            f"{notebook.path} is committed almost without outputs (1 of {len(cells)} code "
            "cells shows one): run it top to bottom and save", notebook.path)]
    findings = _order_findings(notebook.path, run_cells)
    findings += _partial_run_findings(notebook.path, cells)
    if not findings:
        findings += _gap_findings(notebook.path, run_cells)
    return findings


def _order_findings(path: str, run_cells: list[Cell]) -> list[Finding]:
    """The first cell whose count is not above every count before it."""
    for previous, cell in pairwise(run_cells):
        if cell.execution_count <= previous.execution_count:  # type: ignore[operator]
            message = (f"{path}: cell {cell.index} has execution count {cell.execution_count} "
                       f"after count {previous.execution_count} in cell {previous.index}: the "
                       "cells were run out of order")
            return [_at_cell(OUT_OF_ORDER, message, path, cell)]
    return []


def _ran(cell: Cell) -> bool:
    # Colab saves some run cells with their outputs but a null execution count.
    return cell.execution_count is not None or bool(cell.outputs)


def _partial_run_findings(path: str, cells: list[Cell]) -> list[Finding]:
    """The first code cell never run although a cell after or before it was."""
    if all(cell.execution_count is None for cell in cells):
        return []  # saved without counts (Colab): a cell without output may well have run
    ran = [_ran(cell) for cell in cells]
    if all(ran) or not any(ran):
        return []
    first_skipped = ran.index(False)
    cell = cells[first_skipped]
    later_ran = any(ran[first_skipped + 1:])
    how = "skipped: a later cell was run" if later_ran else "never run: the run stopped before it"
    not_run = ran.count(False)
    message = (f"{path}: {not_run} of {len(cells)} code cells were not run; the first, cell "
               f"{cell.index}, was {how}")
    return [_at_cell(PARTLY_RUN, message, path, cell)]


def _gap_findings(path: str, run_cells: list[Cell]) -> list[Finding]:
    """One clean run numbers its cells 1, 2, 3...; report the first jump."""
    expected = 1
    for cell in run_cells:
        if cell.execution_count != expected:
            where = "the first cell run" if expected == 1 else f"after {expected - 1}"
            message = (f"{path}: cell {cell.index} has execution count {cell.execution_count}, "
                       f"expected {expected} ({where}): the saved notebook is not one clean run")
            return [_at_cell(COUNT_GAPS, message, path, cell)]
        expected += 1
    return []


def _error_output_findings(notebook: Notebook, cells: list[Cell]) -> list[Finding]:
    for cell in cells:
        for output in cell.outputs:
            if output.get("output_type") == "error":
                error = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".strip()
                message = (f"{notebook.path}: cell {cell.index} was saved with an error "
                           f"output ({error[:120]})")
                return [_at_cell(ERROR_OUTPUT, message, notebook.path, cell)]
    return []


# --- is it a replication at all? ------------------------------------------------------

_STUB_LINE = re.compile(r"^\s*(#.*|pass|\.\.\.|raise NotImplementedError(\(\))?)?\s*$")
_PLACEHOLDER = re.compile(r"your code here|write your code|@?todo\b|fill (this|me|in)|"
                          r"implement (this|me)", re.IGNORECASE)
_MOSTLY = 0.5  # below this share of code cells run, the notebook was not really run
_MIN_CELLS = 4  # a notebook this small says little by its run share


def _replication_findings(notebook: Notebook, *, has_modules: bool) -> list[Finding]:
    """Stub cells, or (when the notebook is all the code) most cells never run."""
    findings = []
    if notebook.schema_problem:
        findings.append(SCHEMA.finding(
            f"{notebook.path} does not follow the nbformat schema ({notebook.schema_problem}); "
            "it still reads", notebook.path))
    cells = [cell for cell in notebook.code_cells if cell.source.strip()]
    stubs = [cell for cell in cells if _is_stub(cell)]
    ran = sum(_ran(cell) for cell in cells)
    counted = any(cell.execution_count is not None for cell in cells)
    mostly_unrun = (counted and len(cells) >= _MIN_CELLS and ran / len(cells) < _MOSTLY
                    and not has_modules)
    if not stubs and not mostly_unrun:
        return findings
    parts = [f"{len(cells) - ran} of {len(cells)} code cells never ran"] if mostly_unrun else []
    if stubs:
        parts.append(f"{len(stubs)} stub cell(s) holding only a placeholder (first: cell "
                     f"{stubs[0].index})")
    first = stubs[0] if stubs else next(cell for cell in cells if not _ran(cell))
    message = f"{notebook.path}: {' and '.join(parts)}; it does not show a replication run"
    return [*findings, _at_cell(NOT_A_RUN, message, notebook.path, first)]


def _is_stub(cell: Cell) -> bool:
    lines = cell.source.splitlines()
    return all(_STUB_LINE.match(line) for line in lines) and bool(_PLACEHOLDER.search(
        cell.source))


# --- logic that belongs in modules --------------------------------------------------------

def _definition_findings(path: str, cell: Cell, config: Config) -> list[Finding]:
    tree = parse_python("\n".join(python_lines(cell.source)))
    if tree is None:
        return []  # not Python 3: the hygiene check reports it
    definitions = [node for node in tree.body if _is_definition(node)]
    if not definitions:
        return []
    long_functions = [fn for fn in _functions(definitions)
                      if _span(fn) > config.max_cell_function_lines]
    if long_functions:
        return [_long_function(path, cell, fn, config) for fn in long_functions]
    total = sum(_span(node) for node in definitions)
    if total <= config.max_cell_definition_lines:
        return []
    names = ", ".join(node.name for node in definitions[:4]) + ", ..." * (len(definitions) > 4)
    message = (f"{path}: cell {cell.index} defines {total} lines of functions and classes "
               f"> {config.max_cell_definition_lines} ({names}); move them into a module and "
               "import them")
    return [_at_line(DEFINITIONS_IN_CELL, message, path, cell, _first_line(definitions[0]))]


def _long_function(path: str, cell: Cell, function: ast.AST, config: Config) -> Finding:
    name = getattr(function, "name", "?")
    message = (f"{path}: function {name} in cell {cell.index} is {_span(function)} lines "
               f"> {config.max_cell_function_lines}; move it into a module and import it")
    return _at_line(LONG_FUNCTION_IN_CELL, message, path, cell, _first_line(function))


def _at_line(rule: Rule, message: str, path: str, cell: Cell, cell_line: int) -> Finding:
    return rule.finding(message, path, cell.raw_line(cell_line), cell=cell.index,
                        cell_line=cell_line)


def _is_definition(node: ast.AST) -> bool:
    return isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)


def _functions(definitions: list[ast.stmt]) -> Iterable[ast.AST]:
    """Top-level functions and the methods of top-level classes (nested ones count inside)."""
    for node in definitions:
        if isinstance(node, ast.ClassDef):
            yield from (item for item in node.body
                        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef))
        else:
            yield node


def _first_line(node: ast.AST) -> int:
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)])  # type: ignore[attr-defined]


def _span(node: ast.AST) -> int:
    end = getattr(node, "end_lineno", None) or node.lineno  # type: ignore[attr-defined]
    return end - _first_line(node) + 1
