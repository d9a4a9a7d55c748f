"""Parameter injection and metric validation on their own (no kernel)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

from reviewbot.core.models import MetricProblemKind
from reviewbot.runners.metrics import read_metrics
from reviewbot.runners.parameters import inject


def _notebook(*sources: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    return nb


def test_assignments_are_replaced_only_at_top_level_and_only_for_literals() -> None:
    nb = _notebook("%matplotlib inline", "seed = compute()\nif True:\n    epochs = 3\n",
                   "epochs = (\n    20\n)\nseed = 0")
    injection = inject(nb, {"seed": 4, "epochs": 2, "unused": 1})
    assert injection.how == "replaced assignments in cell 3 (epochs, seed)"
    assert nb.cells[1].source == "seed = compute()\nif True:\n    epochs = 3\n"
    assert nb.cells[2].source == ("epochs = 2  # set by reviewbot\n"
                                  "seed = 4  # set by reviewbot")


def test_no_matching_assignment_means_no_injection() -> None:
    nb = _notebook("print('hello')")
    assert inject(nb, {"seed": 1}).how == "none"
    assert nb.cells[0].source == "print('hello')"


def test_series_and_scalars_are_validated_one_by_one(tmp_path: Path) -> None:
    data = {"schema": 1, "run_id": "r1",
            "scalars": {"ok": 1.5, "text": "high", "flag": True, "inf": float("inf")},
            "series": {"curve": {"x": [1, 2], "y": [0.5, 0.25], "x_name": "epoch"},
                       "ragged": {"x": [1, 2, 3], "y": [1.0]}}}
    (tmp_path / "metrics.json").write_text(json.dumps(data))
    metrics = read_metrics(tmp_path, ".", "r1", None)
    assert metrics.scalars == {"ok": 1.5}
    assert set(metrics.series) == {"curve"}
    assert [(p.kind, p.metric) for p in metrics.problems] == [
        (MetricProblemKind.VALUE_REFUSED, name) for name in ("text", "flag", "inf", "ragged")]
    assert metrics.messages() == ("metric 'text': 'high' is not a number: refused",
                                "metric 'flag': True is not a number: refused",
                                "metric 'inf': inf is not a finite number: refused",
                                "series 'ragged': 3 x values and 1 y values: refused")


def test_a_stale_papermill_cell_is_removed_before_injecting() -> None:
    nb = _notebook("import os", "seed = 0\nepochs = 20", "seed = 99\nepochs = 1", "print(seed)")
    nb.cells[1].metadata["tags"] = ["parameters"]
    nb.cells[2].metadata["tags"] = ["injected-parameters"]  # left by an earlier papermill run
    injection = inject(nb, {"seed": 4, "epochs": 20})
    sources = [cell.source for cell in nb.cells]
    assert "seed = 99\nepochs = 1" not in sources  # it would have overridden seed and budget
    assert sources[2] == "# Parameters injected by reviewbot\nseed = 4\nepochs = 20\n"
    assert sources[3] == "print(seed)"
    assert injection.how == "tagged cell (a stale injected-parameters cell removed first)"
    assert injection.is_injected(3)
    assert injection.original_cell(4) == 4  # print(seed) is cell 4 of the submitted notebook
    assert injection.original_cell(2) == 2


def test_a_link_on_the_way_to_metrics_json_is_not_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "host"
    elsewhere.mkdir()
    (elsewhere / "metrics.json").write_text('{"scalars": {"stolen": 1.0}}')
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "notebooks").symlink_to(elsewhere)
    metrics = read_metrics(scratch, "notebooks", "r1", None)
    assert metrics.scalars == {}
    assert metrics.messages() == ("metrics.json is a link or lies behind one, and links are "
                                  "not followed: ignored",)
