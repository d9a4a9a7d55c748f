"""Real notebooks for the runner tests, and a helper that runs one through LocalRunner."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import nbformat

from reviewbot.core.models import RunResult
from reviewbot.runners.base import CellProgress, RunRequest
from reviewbot.runners.config import RunnerConfig
from reviewbot.runners.local import LocalRunner

FAST = {"cell_timeout_s": 20.0, "notebook_timeout_s": 60.0}


def write_notebook(folder: Path, cells: Sequence[str | tuple[str, list[str]]],
                   name: str = "replication.ipynb") -> Path:
    """A notebook of code cells (a cell may be (source, tags)), with a markdown title first."""
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("# A replication"))
    for cell in cells:
        source, tags = (cell, []) if isinstance(cell, str) else cell
        code = nbformat.v4.new_code_cell(source)
        if tags:
            code.metadata["tags"] = tags
        nb.cells.append(code)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / name)
    return folder / name


class Ran:
    """A run's result, its progress reports and the executed notebook's text."""

    def __init__(self, result: RunResult, progress: list[CellProgress], artifacts: Path) -> None:
        self.result = result
        self.progress = progress
        executed = artifacts / "replication.ipynb"
        self.executed_text = executed.read_text() if executed.exists() else ""

    def outputs(self) -> str:
        """Every text output of the executed notebook, joined."""
        if not self.executed_text:
            return ""
        cells = json.loads(self.executed_text)["cells"]
        return "\n".join(_joined(out.get("text", "")) + _joined(out.get("data", {}).get(
            "text/plain", "")) for cell in cells for out in cell.get("outputs", []))


def _joined(text: str | list[str]) -> str:
    """nbformat stores multi-line text as a list of lines."""
    return "".join(text) if isinstance(text, list) else str(text)


def run_cells(tmp_path: Path, cells: Sequence[str | tuple[str, list[str]]], *,
              seed: int = 0, sandbox: bool = True, parameters: Mapping[str, object] = (),
              files: Mapping[str, str] = (), **settings: object) -> Ran:
    """Write a submission with one notebook and run it once."""
    submission = tmp_path / "SmithJones2017"
    write_notebook(submission, cells)
    for relative, text in dict(files).items():
        (submission / relative).parent.mkdir(parents=True, exist_ok=True)
        (submission / relative).write_text(text)
    config = RunnerConfig(**{**FAST, **settings})
    runner = LocalRunner(config, sandbox=sandbox, data_dir=tmp_path / "data")
    progress: list[CellProgress] = []
    artifacts = tmp_path / "artifacts"
    request = RunRequest(submission, "replication.ipynb", seed=seed, run_id=f"run-{seed}",
                         parameters=dict(parameters), artifacts_dir=artifacts)
    return Ran(runner.run(request, progress.append), progress, artifacts)
