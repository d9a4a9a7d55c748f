"""What every check shares: its config base, its module shape, and the code units it reads.

A check is a module with ``ID``, ``RULES``, a ``Config`` model and
``run(submission, config) -> list[Finding] | Outcome``. Python is read through
``code_units`` so that modules and notebook code are parsed once and every finding in a
notebook lands on the same (cell, line, raw .ipynb line).
"""

from __future__ import annotations

import ast
import functools
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from reviewbot.checks.upstream import upstream_files
from reviewbot.core.ipynb import Notebook
from reviewbot.core.models import Finding, Outcome, Rule, Severity
from reviewbot.core.submission import Submission


class CheckConfig(BaseModel):
    """The keys every ``[checks.<id>]`` table accepts; checks add their thresholds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(True, description="run this check at all")
    disable: list[str] = Field(default_factory=list, description="rule codes to drop")
    severity: dict[str, Severity] = Field(
        default_factory=dict, description="rule code -> info | warning | error")


class CheckModule(Protocol):
    """The shape of a module in ``checks/`` (see ``REGISTRY``)."""

    ID: str
    RULES: Sequence[Rule]
    Config: type[CheckConfig]

    def run(self, submission: Submission, config: CheckConfig) -> list[Finding] | Outcome: ...


@dataclass(frozen=True)
class CodeUnit:
    """A module, or a notebook's code cells joined, as Python source."""

    path: str
    text: str
    notebook: Notebook | None = None

    @property
    def tree(self) -> ast.Module | None:
        """The parsed module, or None when it is not valid Python 3."""
        return parse_python(self.text)

    def finding(self, rule: Rule, message: str, line: int | None,
                column: int | None = None) -> Finding:
        """A finding at ``line`` of this unit, mapped back to the cell for notebooks."""
        if self.notebook is None or line is None:
            return rule.finding(message, self.path, line, column=column)
        origin = self.notebook.locate(line)
        if origin is None:
            return rule.finding(message, self.path, None)
        return rule.finding(message, self.path, origin.raw_line, column=column,
                            cell=origin.cell, cell_line=origin.cell_line)


def code_units(submission: Submission, *, notebooks: bool = True) -> list[CodeUnit]:
    """Every module of the submission, then (optionally) every notebook's code."""
    units = [CodeUnit(module.path, module.text) for module in submission.modules]
    if notebooks:
        units += [CodeUnit(nb.path, nb.code, nb) for nb in submission.notebooks
                  if nb.kernel_language.lower().startswith("python") and nb.code.strip()]
    return units


def own_code_units(submission: Submission) -> list[CodeUnit]:
    """The code units the candidate wrote: unchanged upstream files (another owner's
    copyright header, never named in the README) are left to the copy check."""
    upstream = upstream_files(submission)
    return [unit for unit in code_units(submission) if unit.path not in upstream]


@functools.lru_cache(maxsize=512)
def parse_python(text: str) -> ast.Module | None:
    """Parse once per distinct source; None for anything that is not Python 3."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences and the like
            return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
