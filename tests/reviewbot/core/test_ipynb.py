"""Notebook code as Python, with every line mapped back to its cell and raw .ipynb line."""

from __future__ import annotations

import json

import nbformat
import pytest
from nbformat import v3
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from reviewbot.core.ipynb import NotebookFormatError, parse_notebook, python_lines


def _raw_line_text(text: str, line: int) -> str:
    return text.splitlines()[line - 1].strip()


def test_line_map_points_at_cell_and_raw_json_line() -> None:
    cells = [new_markdown_cell("# Title"), new_code_cell("import os\nx = 1"),
             new_code_cell("def f():\n    return 2")]
    text = nbformat.writes(new_notebook(cells=cells))
    notebook = parse_notebook("nb.ipynb", text)
    assert notebook.code.splitlines()[3:5] == ["def f():", "    return 2"]
    origin = notebook.locate(5)
    assert (origin.cell, origin.cell_line) == (3, 2)
    assert _raw_line_text(text, origin.raw_line) == '"    return 2"'
    assert notebook.locate(3) is None  # the blank line joining two cells


def test_magics_become_comments_keeping_line_numbers() -> None:
    assert python_lines("%matplotlib inline\nfiles = !ls\n  !pip install x\ny = 2") == [
        "# %matplotlib inline", "# files = !ls", "  # !pip install x", "y = 2"]
    assert python_lines("%%bash\necho hi") == ["# %%bash", "# echo hi"]
    assert python_lines("%%time\nz = 3") == ["# %%time", "z = 3"]


def test_source_given_as_one_string_maps_to_its_raw_line() -> None:
    document = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "id": "a1", "metadata": {}, "execution_count": None,
         "outputs": [], "source": "a = 1\nb = 2"}]}
    text = json.dumps(document, indent=1)
    notebook = parse_notebook("nb.ipynb", text)
    origin = notebook.locate(2)
    assert (origin.cell, origin.cell_line) == (1, 2)
    assert '"a = 1\\nb = 2"' in _raw_line_text(text, origin.raw_line)


def test_v3_notebook_is_upgraded_with_its_lines() -> None:
    worksheet = v3.new_worksheet(cells=[v3.new_text_cell("markdown", source="hi"),
                                        v3.new_code_cell(input="a = 1\nb = 2")])
    text = v3.writes_json(v3.new_notebook(worksheets=[worksheet]))
    notebook = parse_notebook("old.ipynb", text)
    assert notebook.nbformat_version == 3
    assert [c.cell_type for c in notebook.cells] == ["markdown", "code"]
    origin = notebook.locate(2)
    assert (origin.cell, origin.cell_line) == (2, 2)
    assert _raw_line_text(text, origin.raw_line) == '"b = 2"'


@pytest.mark.parametrize(("text", "reason"), [
    ("{not json", "not valid JSON (line 1"),
    ("[1, 2]", "not a Jupyter notebook"),
    ('{"nbformat": 4, "nbformat_minor": 5, "cells": [{"cell_type": "code"}], "metadata": {}}',
     "missing an expected key: metadata"),
    ('{"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": [{"cell_type": "code", '
     '"metadata": {}, "source": "x", "outputs": [], "execution_count": "one"}]}',
     "invalid nbformat"),
])
def test_malformed_notebooks_say_why(text: str, reason: str) -> None:
    with pytest.raises(NotebookFormatError, match=reason.replace("(", r"\(")):
        parse_notebook("bad.ipynb", text)


def test_execution_counts_and_outputs_are_kept() -> None:
    cell = new_code_cell("print(1)", execution_count=4,
                         outputs=[nbformat.v4.new_output("stream", text="1\n")])
    notebook = parse_notebook("nb.ipynb", nbformat.writes(new_notebook(cells=[cell])))
    (code_cell,) = notebook.code_cells
    assert code_cell.execution_count == 4
    assert code_cell.outputs[0]["text"] == "1\n"


def test_a_colab_cell_magic_after_comment_lines() -> None:
    source = "# Download the dataset\n# %%bash\n\n%%bash\nif [ -d ./data ]\nthen echo ok\nfi\n"
    lines = python_lines(source)
    assert len(lines) == 7 and lines[3] == "# %%bash" and lines[4] == "# if [ -d ./data ]"
    assert all(line.startswith("#") or not line for line in lines)
    compile("\n".join(lines), "cell", "exec")


def test_a_notebook_failing_only_strict_validation_still_reads() -> None:
    cell = new_code_cell("print(1)", execution_count=1)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    notebook = new_notebook(cells=[cell])
    notebook.cells[0].outputs[0]["metadata"] = {"tags": None}
    parsed = parse_notebook("colab.ipynb", json.dumps(notebook))
    assert parsed.schema_problem.startswith("invalid nbformat: Additional properties")
    assert parsed.code_cells[0].execution_count == 1
