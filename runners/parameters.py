"""Inject a run's parameters (seed, budget) into a notebook, papermill's way.

A cell tagged ``parameters`` gets a cell tagged ``injected-parameters`` right after it. A
notebook without one has top-level ``name = <literal>`` assignments replaced in its first
code cells, for the names the run overrides; the review says which way it went.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass

import nbformat

SEARCHED_CODE_CELLS = 5


@dataclass(frozen=True)
class Injection:
    """How the overrides got in: ``how`` for the review, ``inserted_at`` (0-based) if a cell."""

    how: str
    inserted_at: int | None = None
    # 1-based number in the submitted notebook of each executed cell (None: ours); only set
    # when stale injected cells were removed, which shifts the numbers differently
    origins: tuple[int | None, ...] | None = None

    def is_injected(self, executed: int | None) -> bool:
        """Whether the executed cell numbered ``executed`` (1-based) is the injected one."""
        return self.inserted_at is not None and executed == self.inserted_at + 1

    def original_cell(self, executed: int | None) -> int | None:
        """The 1-based cell number in the submitted notebook of an executed cell number."""
        if executed is not None and self.origins is not None and 1 <= executed <= len(
                self.origins):
            return self.origins[executed - 1]
        if executed is None or self.inserted_at is None or executed <= self.inserted_at:
            return executed
        return executed - 1


def inject(nb: nbformat.NotebookNode, overrides: Mapping[str, object]) -> Injection:
    """Put ``overrides`` into ``nb`` (in place) and say how."""
    if not overrides:
        return Injection("none")
    origins: list[int | None] = _remove_stale_injections(nb)
    removed = origins != list(range(1, len(origins) + 1))
    tagged = next((index for index, cell in enumerate(nb.cells)
                   if "parameters" in _tags(cell)), None)
    if tagged is not None:
        nb.cells.insert(tagged + 1, _override_cell(overrides))
        origins.insert(tagged + 1, None)
        note = " (a stale injected-parameters cell removed first)" if removed else ""
        return Injection(f"tagged cell{note}", inserted_at=tagged + 1,
                         origins=tuple(origins) if removed else None)
    return _replace_assignments(nb, overrides)


def _tags(cell: nbformat.NotebookNode) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def _remove_stale_injections(nb: nbformat.NotebookNode) -> list[int | None]:
    """Drop cells a previous papermill run injected: they would override the new values.

    papermill does the same before injecting. Returns the submitted (1-based) number of each
    cell kept, because the review names cells of the notebook as submitted.
    """
    kept = [(number, cell) for number, cell in enumerate(nb.cells, start=1)
            if "injected-parameters" not in _tags(cell)]
    nb.cells = [cell for _, cell in kept]
    return [number for number, _ in kept]


def _override_cell(overrides: Mapping[str, object]) -> nbformat.NotebookNode:
    lines = ["# Parameters injected by reviewbot"]
    lines += [f"{name} = {value!r}" for name, value in overrides.items()]
    cell = nbformat.v4.new_code_cell("\n".join(lines) + "\n")
    cell.metadata["tags"] = ["injected-parameters"]
    return cell


def _replace_assignments(nb: nbformat.NotebookNode, overrides: Mapping[str, object]) -> Injection:
    code_cells = [(number, cell) for number, cell in enumerate(nb.cells, start=1)
                  if cell.cell_type == "code"][:SEARCHED_CODE_CELLS]
    done: list[str] = []
    numbers: list[str] = []
    for number, cell in code_cells:
        replaced = _replace_in_cell(cell, overrides, done)
        if replaced:
            done += replaced
            numbers.append(str(number))
    if not done:
        return Injection("none")
    where = f"cell {numbers[0]}" if len(numbers) == 1 else f"cells {', '.join(numbers)}"
    return Injection(f"replaced assignments in {where} ({', '.join(done)})")


def _replace_in_cell(cell: nbformat.NotebookNode, overrides: Mapping[str, object],
                     done: list[str]) -> list[str]:
    """Replace ``name = <literal>`` lines at the cell's top level; the names replaced."""
    try:
        tree = ast.parse(cell.source)
    except SyntaxError:  # IPython magics or broken code: left alone
        return []
    lines = cell.source.splitlines()
    replaced = []
    for node in tree.body:
        name = _literal_assignment(node)
        if name in overrides and name not in done and name not in replaced:
            lines[node.lineno - 1: node.end_lineno] = [
                f"{name} = {overrides[name]!r}  # set by reviewbot"]
            replaced.append(name)
            break_needed = node.end_lineno != node.lineno
            if break_needed:  # line numbers after a multi-line statement moved: re-parse
                cell.source = "\n".join(lines)
                return replaced + _replace_in_cell(cell, overrides, [*done, *replaced])
    if replaced:
        cell.source = "\n".join(lines)
    return replaced


def _literal_assignment(node: ast.stmt) -> str:
    if not (isinstance(node, ast.Assign) and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)):
        return ""
    try:
        ast.literal_eval(node.value)
    except ValueError:
        return ""
    return node.targets[0].id
