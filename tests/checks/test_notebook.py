"""The notebook check on real .ipynb files written with nbformat."""

from __future__ import annotations

import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from reviewbot.checks import notebook
from reviewbot.checks.notebook import Config, run
from reviewbot.core.models import Finding, Severity

NB = "KingmaBa2014.ipynb"


def code(source: str, count: int | None = None, outputs: list | None = None):
    """A code cell; a run cell (count given) gets a stream output unless told otherwise."""
    cell = new_code_cell(source, execution_count=count)
    if outputs is not None:
        cell.outputs = outputs
    elif count is not None:
        cell.outputs = [new_output("stream", name="stdout", text=f"ran {count}\n")]
    return cell


def notebook_text(*cells, language: str = "python") -> str:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": language, "display_name": language,
                                 "language": language}
    nb.cells = list(cells)
    return nbformat.writes(nb)


def raw_line_of(text: str, snippet: str) -> int:
    """The raw .ipynb line holding ``snippet`` as a JSON string (found independently)."""
    encoded = json.dumps(snippet)[1:-1]
    return next(i for i, line in enumerate(text.splitlines(), 1) if encoded in line)


def good_notebook() -> str:
    return notebook_text(
        new_markdown_cell("# Adam on MNIST\nReproduces Figure 1 of Kingma and Ba (2014)."),
        code("%matplotlib inline\nimport experiments", 1),
        code("data = experiments.load_mnist()", 2),
        code("def cost(history):\n    return history[-1]\n", 3),
        code("history = experiments.train(data, optimizer='adam', epochs=45)\ncost(history)", 4),
        new_markdown_cell("The final cost matches the paper."),
    )


@pytest.fixture
def check(make_submission):
    def build(files, **settings) -> list[Finding]:
        return list(run(make_submission(files, name="KingmaBa2014"), Config(**settings)).findings)
    return build


def codes(findings: list[Finding]) -> list[str]:
    return [finding.code for finding in findings]


def only(findings: list[Finding], code: str) -> Finding:
    found = [finding for finding in findings if finding.code == code]
    assert len(found) == 1, codes(findings)
    return found[0]


def test_good_notebook_has_no_findings(check):
    assert check({NB: good_notebook(), "experiments.py": "x = 1\n"}) == []


def test_rules_and_config_are_declared():
    assert [rule.code for rule in notebook.RULES] == [f"NB{n:03d}" for n in range(1, 15)]
    assert all(rule.check == "notebook" and rule.fix for rule in notebook.RULES)
    assert (Config().max_cell_definition_lines, Config().max_cell_function_lines) == (30, 25)


def test_no_notebook(check):
    finding = only(check({"model.py": "x = 1\n", "README.md": "# x\n"}), "NB001")
    assert (finding.severity, finding.path, finding.line) == (Severity.WARNING, None, None)
    assert "where possible" in finding.message


def test_broken_notebook_is_an_error_with_the_reason(check):
    findings = check({"broken.ipynb": "{not json", NB: good_notebook()})
    finding = only(findings, "NB002")
    assert (finding.severity, finding.path, finding.line) == (Severity.ERROR, "broken.ipynb", None)
    assert finding.message.startswith("broken.ipynb cannot be read as a notebook: not valid JSON")
    assert codes(findings) == ["NB002"]


def test_only_a_broken_notebook_still_counts_as_a_notebook(check):
    findings = check({"analysis.ipynb": '{"cells": []}'})
    assert codes(findings) == ["NB002"]
    assert "'nbformat' key" in findings[0].message


def test_notebook_without_code(check):
    text = notebook_text(new_markdown_cell("# Notes"), code("   \n"))
    finding = only(check({NB: text}), "NB003")
    assert (finding.path, finding.severity) == (NB, Severity.WARNING)
    assert finding.message == f"{NB} has no code cells with code"


def test_committed_without_outputs(check):
    text = notebook_text(code("import numpy"), code("x = 1"), code("print(x)"))
    findings = check({NB: text})
    assert codes(findings) == ["NB004"]
    assert (findings[0].path, findings[0].line) == (NB, None)
    assert findings[0].message == (f"{NB} is committed without outputs (3 code cells, none run): "
                                   "run it top to bottom and save")


def test_run_out_of_order_points_at_the_first_offending_cell(check):
    text = notebook_text(new_markdown_cell("# Title"), code("a = 1", 1), code("b = 2", 3),
                         code("c = 3", 2), code("d = 4", 4))
    finding = only(check({NB: text}), "NB005")
    assert (finding.cell, finding.cell_line) == (4, 1)
    assert finding.line == raw_line_of(text, "c = 3")
    assert finding.message == (f"{NB}: cell 4 has execution count 2 after count 3 in cell 3: "
                               "the cells were run out of order")


def test_a_repeated_count_is_out_of_order(check):
    text = notebook_text(code("a = 1", 1), code("b = 2", 1))
    assert only(check({NB: text}), "NB005").cell == 2


def test_interrupted_run(check):
    text = notebook_text(code("a = 1", 1), new_markdown_cell("## Training"), code("b = 2", 2),
                         code("train()"), code("plot()"))
    findings = check({NB: text})
    assert codes(findings) == ["NB006"]
    finding = findings[0]
    assert (finding.cell, finding.cell_line, finding.line) == (4, 1, raw_line_of(text, "train()"))
    assert finding.message == (f"{NB}: 2 of 4 code cells were not run; the first, cell 4, was "
                               "never run: the run stopped before it")


def test_skipped_cell(check):
    text = notebook_text(code("a = 1", 1), code("b = 2"), code("c = 3", 2))
    finding = only(check({NB: text}), "NB006")
    assert finding.cell == 2
    assert "1 of 3 code cells were not run" in finding.message
    assert "skipped: a later cell was run" in finding.message


def test_gaps_in_execution_counts(check):
    text = notebook_text(code("a = 1", 1), code("b = 2", 2), code("c = 3", 5))
    finding = only(check({NB: text}), "NB007")
    assert (finding.severity, finding.cell, finding.cell_line) == (Severity.WARNING, 3, 1)
    assert finding.message == (f"{NB}: cell 3 has execution count 5, expected 3 (after 2): the "
                               "saved notebook is not one clean run")


def test_counts_not_starting_at_one(check):
    text = notebook_text(code("a = 1", 7), code("b = 2", 8))
    finding = only(check({NB: text}), "NB007")
    assert finding.cell == 1
    assert "execution count 7, expected 1 (the first cell run)" in finding.message


def test_outputs_without_counts_are_not_reported(check):
    stripped = [new_output("stream", name="stdout", text="0.27\n")]
    text = notebook_text(code("print(0.27)", None, stripped), code("x = 1"))
    assert check({NB: text}) == []


def test_error_output(check):
    error = new_output("error", ename="NameError", evalue="name 'model' is not defined",
                       traceback=[])
    text = notebook_text(code("import numpy", 1), code("model.fit()", 2, [error]))
    finding = only(check({NB: text}), "NB012")
    assert (finding.cell, finding.line) == (2, raw_line_of(text, "model.fit()"))
    assert "NameError: name 'model' is not defined" in finding.message


def function_source(name: str, body_lines: int, indent: str = "") -> str:
    body = "".join(f"{indent}    x{i} = {i}\n" for i in range(body_lines - 2))
    return f"{indent}def {name}(x):\n{body}{indent}    return x\n"


def test_long_function_in_a_cell(check):
    source = "%matplotlib inline\nimport numpy as np\n" + function_source("build_model", 27)
    text = notebook_text(code("a = 1", 1), code(source, 2))
    finding = only(check({NB: text}), "NB009")
    assert (finding.severity, finding.cell, finding.cell_line) == (Severity.WARNING, 2, 3)
    assert finding.line == raw_line_of(text, "def build_model(x):")
    assert finding.message == (f"{NB}: function build_model in cell 2 is 27 lines > 25; move it "
                               "into a module and import it")


def test_long_method_and_decorator(check):
    method = function_source("forward", 26, indent="    ")
    source = f"@register\nclass Model:\n    '''A model.'''\n\n    @staticmethod\n{method}"
    text = notebook_text(code(source, 1))
    finding = only(check({NB: text}), "NB009")
    assert (finding.cell_line, finding.line) == (5, raw_line_of(text, "    @staticmethod"))
    assert "function forward in cell 1 is 27 lines > 25" in finding.message


def test_many_definitions_in_one_cell(check):
    source = function_source("a", 16) + "\n\n" + function_source("b", 16)
    text = notebook_text(code("import numpy", 1), code(source, 2))
    finding = only(check({NB: text}), "NB008")
    assert (finding.severity, finding.cell, finding.cell_line) == (Severity.INFO, 2, 1)
    assert finding.message == (f"{NB}: cell 2 defines 32 lines of functions and classes > 30 "
                               "(a, b); move them into a module and import them")


def test_definition_thresholds_are_configurable(check):
    source = function_source("a", 16) + "\n\n" + function_source("b", 16)
    text = notebook_text(code(source, 1))
    assert check({NB: text}, max_cell_definition_lines=32) == []
    assert codes(check({NB: text}, max_cell_function_lines=15)) == ["NB009", "NB009"]


def test_python2_cell_does_not_crash(check):
    source = "print 'hello'\n" + function_source("a", 40)
    assert check({NB: notebook_text(code(source, 1))}) == []


def test_foreign_cell_magic_is_not_parsed(check):
    source = "%%bash\n" + "echo hi\n" * 40
    assert check({NB: notebook_text(code(source, 1))}) == []


def test_checkpoints_folder(check):
    findings = check({
        NB: good_notebook(),
        ".ipynb_checkpoints/KingmaBa2014-checkpoint.ipynb": notebook_text(code("x = 1")),
        "extra/.ipynb_checkpoints/a-checkpoint.ipynb": "{broken",
        "extra/.ipynb_checkpoints/b-checkpoint.py": "x = 1\n",
    })
    # the checkpoint copies are reported as folders, never reviewed as notebooks
    assert codes(findings) == ["NB010", "NB010"]
    assert [(f.path, f.severity) for f in findings] == [
        (".ipynb_checkpoints", Severity.WARNING), ("extra/.ipynb_checkpoints", Severity.WARNING)]
    assert findings[0].message.startswith(".ipynb_checkpoints/ is committed (1 file)")
    assert findings[1].message.startswith("extra/.ipynb_checkpoints/ is committed (2 files)")


def test_only_checkpoint_notebooks_means_no_notebook(check):
    findings = check({".ipynb_checkpoints/x-checkpoint.ipynb": good_notebook()})
    assert codes(findings) == ["NB010", "NB001"]


def test_non_python_kernel(check):
    long_r = "f <- function(x) {\n" + "  x <- x + 1\n" * 40 + "}\n"
    text = notebook_text(code(long_r, 1), language="R")
    finding = only(check({"analysis.ipynb": text}), "NB011")
    assert (finding.severity, finding.path) == (Severity.INFO, "analysis.ipynb")
    assert "uses a 'R' kernel, not Python" in finding.message


def test_execution_rules_apply_to_any_kernel(check):
    text = notebook_text(code("x <- 1", 2), code("y <- 2", 1), language="R")
    assert codes(check({"analysis.ipynb": text})) == ["NB011", "NB005"]


def test_several_notebooks_each_reviewed(check):
    unrun = notebook_text(code("x = 1"))
    findings = check({NB: good_notebook(), "extra/ablation.ipynb": unrun})
    assert [(f.code, f.path) for f in findings] == [("NB004", "extra/ablation.ipynb")]


def test_nbformat_v3_notebook(check):
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": ""}, "worksheets": [{
        "cells": [
            {"cell_type": "code", "input": ["a = 1"], "language": "python", "outputs": [],
             "prompt_number": 2, "metadata": {}},
            {"cell_type": "code", "input": ["b = 2"], "language": "python", "outputs": [],
             "prompt_number": 1, "metadata": {}}],
        "metadata": {}}]}
    text = json.dumps(v3, indent=1)
    finding = only(check({"old.ipynb": text}), "NB005")
    assert (finding.cell, finding.line) == (2, raw_line_of(text, "b = 2"))


# --- is the notebook a replication run? (modelled on course submissions) ------------------

def test_a_notebook_mostly_never_run_with_a_stub_cell_is_an_error(check):
    cells = [code("import torch", 1), code("x = torch.zeros(3)", 2),
             code("# Write your code here\n", None)]
    cells += [code(f"def step_{i}(x):\n    return x + {i}\n") for i in range(6)]
    text = notebook_text(*cells)
    finding = only(check({NB: text}), "NB013")
    assert finding.severity is Severity.ERROR
    assert (finding.cell, finding.line) == (3, raw_line_of(text, "# Write your code here\n"))
    assert finding.message == (f"{NB}: 7 of 9 code cells never ran and 1 stub cell(s) holding "
                               "only a placeholder (first: cell 3); it does not show a "
                               "replication run")


def test_a_notebook_beside_modules_is_not_judged_by_its_run_share(check):
    cells = [code("import model", 1)] + [code(f"model.step({i})") for i in range(5)]
    findings = check({NB: notebook_text(*cells), "model.py": "def step(i):\n    return i\n"})
    assert "NB013" not in codes(findings)
    assert "NB006" in codes(findings)


def test_colab_outputs_without_counts_count_as_run(check):
    printed = [new_output("stream", name="stdout", text="acc 0.8\n")]
    text = notebook_text(code("import torch", 1), code("print(acc)", None, printed),
                         code("print(acc)", 3))
    assert "NB006" not in codes(check({NB: text}))


def test_a_strict_schema_problem_is_a_warning_not_unreadable(check):
    cell = code("print(1)", 1)
    cell.outputs[0]["metadata"] = {"tags": None}  # what a real notebook saved; Jupyter opens it
    text = notebook_text(cell)
    findings = check({NB: text})
    assert "NB002" not in codes(findings)
    finding = only(findings, "NB014")
    assert finding.severity is Severity.WARNING
    assert "invalid nbformat" in finding.message and "it still reads" in finding.message
