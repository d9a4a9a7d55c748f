"""Read what a run measured: its metrics.json, or scrapbook-style outputs as a fallback.

Nothing is trusted on sight: a file from another run (wrong run id), NaN or infinite
values, wrong types and malformed curves are refused, each with a sentence in ``problems``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewbot.core.models import Series

SCRAP_MIME = "application/scrapbook.scrap.json+json"
MAX_METRICS_BYTES = 10_000_000


@dataclass
class Metrics:
    scalars: dict[str, float] = field(default_factory=dict)
    series: dict[str, Series] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def read_metrics(folder: Path, run_id: str, executed: dict | None) -> Metrics:
    """The run's metrics from ``folder/metrics.json``, else from the executed notebook."""
    path = folder / "metrics.json"
    if path.is_file():
        return _from_file(path, run_id)
    metrics = _from_scraps(executed or {})
    if not (metrics.scalars or metrics.series or metrics.problems):
        metrics.problems.append("the notebook recorded no metrics (no metrics.json written by "
                                "this run, no scrapbook outputs)")
    return metrics


def _from_file(path: Path, run_id: str) -> Metrics:
    metrics = Metrics()
    if path.stat().st_size > MAX_METRICS_BYTES:
        metrics.problems.append(f"metrics.json is larger than {MAX_METRICS_BYTES:,} bytes: "
                                "ignored")
        return metrics
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        metrics.problems.append(f"metrics.json is not valid JSON ({exc}): ignored")
        return metrics
    problem = _envelope_problem(data, run_id)
    if problem:
        metrics.problems.append(problem)
        return metrics
    _add_scalars(metrics, data.get("scalars", {}))
    _add_series(metrics, data.get("series", {}))
    return metrics


def _envelope_problem(data: Any, run_id: str) -> str:
    if not isinstance(data, dict):
        return "metrics.json is not a JSON object: ignored"
    if data.get("schema") != 1:
        return f"metrics.json has schema {data.get('schema')!r}, expected 1: ignored"
    if data.get("run_id") != run_id:
        return (f"metrics.json was not written by this run (run_id {data.get('run_id')!r}, "
                f"expected {run_id!r}): a stale or committed file, ignored")
    return ""


def _add_scalars(metrics: Metrics, scalars: Any) -> None:
    if not isinstance(scalars, dict):
        metrics.problems.append("metrics.json 'scalars' is not an object: ignored")
        return
    for name, value in scalars.items():
        number, problem = _number(value)
        if problem:
            metrics.problems.append(f"metric {name!r}: {problem}: refused")
        else:
            metrics.scalars[str(name)] = number


def _add_series(metrics: Metrics, series: Any) -> None:
    if not isinstance(series, dict):
        metrics.problems.append("metrics.json 'series' is not an object: ignored")
        return
    for name, curve in series.items():
        parsed, problem = _curve(curve)
        if problem:
            metrics.problems.append(f"series {name!r}: {problem}: refused")
        else:
            metrics.series[str(name)] = parsed


def _number(value: Any) -> tuple[float, str]:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0, f"{value!r} is not a number"
    if not math.isfinite(value):
        return 0.0, f"{value} is not a finite number"
    return float(value), ""


def _curve(curve: Any) -> tuple[Series, str]:
    empty = Series(x=(), y=())
    if not isinstance(curve, dict) or not isinstance(curve.get("x"), list) \
            or not isinstance(curve.get("y"), list):
        return empty, "not an object with lists 'x' and 'y'"
    if len(curve["x"]) != len(curve["y"]) or not curve["x"]:
        return empty, f"{len(curve['x'])} x values and {len(curve['y'])} y values"
    numbers = [_number(value) for value in [*curve["x"], *curve["y"]]]
    bad = next((problem for _, problem in numbers if problem), "")
    if bad:
        return empty, bad
    half = len(curve["x"])
    values = [number for number, _ in numbers]
    x_name = curve.get("x_name", "step")
    return Series(x=tuple(values[:half]), y=tuple(values[half:]),
                  x_name=str(x_name)), ""


def _from_scraps(executed: dict) -> Metrics:
    """scrapbook's ``glue`` outputs: display data with a name and a JSON value."""
    metrics = Metrics()
    for cell in executed.get("cells", []):
        for out in cell.get("outputs", []):
            scrap = out.get("data", {}).get(SCRAP_MIME) if isinstance(out, dict) else None
            if isinstance(scrap, dict) and "name" in scrap:
                _add_scrap(metrics, str(scrap["name"]), scrap.get("data"))
    return metrics


def _add_scrap(metrics: Metrics, name: str, value: Any) -> None:
    if isinstance(value, dict):
        _add_series(metrics, {name: value})
    else:
        _add_scalars(metrics, {name: value})
