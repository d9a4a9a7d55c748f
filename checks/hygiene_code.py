"""Is there code to review at all? No code, or code saved without a ``.py`` suffix.

A replication without code (only a README) has nothing to run, and a module saved as
``Resnet18(SGD)`` or ``model.txt`` is neither imported nor reviewed: both are errors.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from reviewbot.core.models import Finding, Rule, Severity
from reviewbot.core.submission import Submission

ID = "hygiene"

NO_CODE = Rule(ID, "HYG014", Severity.ERROR, "no code in the submission",
               "Add the code of the replication: Python modules (.py) and the notebook that "
               "runs them.")
NOT_PY = Rule(ID, "HYG015", Severity.ERROR, "code file without a .py suffix",
              "Rename the file to end in .py (or .ipynb for a notebook) so it can be imported, "
              "run and reviewed.")
RULES = (NO_CODE, NOT_PY)

_CODE_LINE = re.compile(r"^(import \w|from [\w.]+ import |def \w+\(|class \w+[(:]|"
                        r"for \w+ in |if __name__ == )", re.MULTILINE)
_MIN_CODE_LINES = 3
_TEXT_SUFFIXES = {"", ".txt"}


def code_presence(submission: Submission) -> Iterator[Finding]:
    """HYG015 per code file without .py; HYG014 when there is no code at all."""
    misnamed = [item.path for item in submission.texts if _looks_like_code(item.path, item.text)]
    for path in misnamed:
        lines = len(submission.text(path) or "")
        yield NOT_PY.finding(f"{path} holds Python code ({lines} characters) but has no .py "
                             "suffix: it is not imported, run or reviewed", path)
    has_notebook_code = any(cell.source.strip() for notebook in submission.notebooks
                            for cell in notebook.code_cells)
    if not submission.modules and not has_notebook_code and not misnamed \
            and not submission.broken_notebooks:
        yield NO_CODE.finding("the submission holds no code: no Python module and no notebook "
                              "with code cells")


def _looks_like_code(path: str, text: str) -> bool:
    name = PurePosixPath(path)
    if name.suffix.lower() not in _TEXT_SUFFIXES or name.name.lower().startswith(
            ("readme", "requirements", "license", "licence", "copying", "notice")):
        return False
    return len(_CODE_LINE.findall(text[:20_000])) >= _MIN_CODE_LINES
