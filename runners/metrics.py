"""Read what a run measured: its metrics.json, or scrapbook-style outputs as a fallback.

Everything here was written by the notebook, so nothing is trusted on sight. The file is
opened inside the scratch copy without following any link (each folder on the way and the
file itself: ``O_NOFOLLOW``), must be a regular file, and is read up to a size cap; too deep
nesting, too many metrics, NaN or infinite values, wrong types and malformed curves are
refused. Every problem is a ``MetricProblem`` (a kind the judge reads, a sentence for the
review); at most ``MAX_LISTED`` are listed per run, the rest counted. Nothing raises.

The scratch copy never holds a committed metrics.json, so a file found after the run was
written by it: one without a ``run_id`` is accepted (and said so); one with another run's id
is refused.
"""

from __future__ import annotations

import errno
import json
import math
import os
import reprlib
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewbot.core.models import MetricProblem, MetricProblemKind, Series

SCRAP_MIME = "application/scrapbook.scrap.json+json"
MAX_METRICS_BYTES = 10_000_000
MAX_NOTEBOOK_BYTES = 200_000_000
MAX_METRICS = 10_000  # scalars and curves together
MAX_POINTS = 1_000_000  # per curve
MAX_NAME_CHARS = 200
MAX_LISTED = 5
NO_RUN_ID_NOTE = ("metrics.json has no run_id: accepted, because the scratch copy holds no "
                  "committed metrics.json, so this run wrote it")
NO_RUN_ID_SCRAPS_NOTE = ("scrapbook outputs without a run_id: accepted, because they are "
                         "outputs of this run's own cells")
_short = reprlib.Repr()
_short.maxstring, _short.maxother, _short.maxlevel = 60, 60, 2


@dataclass
class Metrics:
    scalars: dict[str, float] = field(default_factory=dict)
    series: dict[str, Series] = field(default_factory=dict)
    problems: list[MetricProblem] = field(default_factory=list)  # every one, as data

    def add(self, kind: MetricProblemKind, message: str, metric: str = "") -> None:
        self.problems.append(MetricProblem(kind, message, metric))

    def messages(self) -> tuple[str, ...]:
        """The problems a review lists (RUN002): at most ``MAX_LISTED``, the rest counted."""
        said = [p.message for p in self.problems if p.kind is not MetricProblemKind.NOTE]
        if len(said) <= MAX_LISTED:
            return tuple(said)
        more = len(said) - MAX_LISTED
        return (*said[:MAX_LISTED], f"{more:,} more metric problem{'s' if more > 1 else ''} "
                                    "in this run, not listed")


def read_metrics(scratch: Path, notebook_dir: str, run_id: str,
                 executed: dict | None) -> Metrics:
    """The run's metrics from ``metrics.json`` next to the notebook, else from the executed
    notebook's scrapbook outputs."""
    metrics = Metrics()
    relative = Path(notebook_dir) / "metrics.json"
    try:
        text = read_inside(scratch, relative, MAX_METRICS_BYTES)
    except FileNotFoundError:
        text = None
    except ValueError as exc:
        metrics.add(MetricProblemKind.FILE_REFUSED, f"metrics.json {exc}: ignored")
        return metrics
    except OSError as exc:
        metrics.add(MetricProblemKind.FILE_REFUSED,
                    f"metrics.json cannot be read ({exc.strerror or exc}): ignored")
        return metrics
    if text is not None:
        _from_file(metrics, text, run_id)
        return metrics
    _from_scraps(metrics, executed or {}, run_id)
    if not (metrics.scalars or metrics.series or metrics.problems):
        metrics.add(MetricProblemKind.NONE_RECORDED, "the notebook recorded no metrics (no "
                    "metrics.json written by this run, no scrapbook outputs)")
    return metrics


def read_inside(root: Path, relative: Path, max_bytes: int) -> bytes:
    """The bytes of ``root/relative``, following no link on the way; a regular file only.

    Raises FileNotFoundError when it is absent, ValueError (said as a sentence) when it is
    not a plain file inside ``root`` or is larger than ``max_bytes``, OSError otherwise.
    """
    if relative.is_absolute() or ".." in relative.parts:
        raise ValueError("is not inside the run's folder")
    folder = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        for part in relative.parts[:-1]:
            inner = _open_step(folder, part, os.O_RDONLY | os.O_DIRECTORY)
            os.close(folder)
            folder = inner
        handle = _open_step(folder, relative.name, os.O_RDONLY | os.O_NONBLOCK)
    finally:
        os.close(folder)
    with os.fdopen(handle, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise ValueError("is not a regular file")
        data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValueError(f"is larger than {max_bytes:,} bytes")
    return data


def _open_step(folder: int, name: str, flags: int) -> int:
    """Open ``name`` in ``folder``; a link there is refused."""
    try:
        return os.open(name, flags | os.O_NOFOLLOW, dir_fd=folder)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):  # a link, or a link or file on the way
            raise ValueError("is a link or lies behind one, and links are not followed") from None
        raise


def read_notebook_json(path: Path) -> dict | None:
    """The executed notebook the runner wrote, or None when it is missing or unreadable."""
    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read(MAX_NOTEBOOK_BYTES))
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _from_file(metrics: Metrics, text: bytes, run_id: str) -> None:
    try:
        data = json.loads(text)
    except RecursionError:
        metrics.add(MetricProblemKind.FILE_REFUSED, "metrics.json is nested too deeply: ignored")
        return
    except (ValueError, UnicodeDecodeError) as exc:
        metrics.add(MetricProblemKind.FILE_REFUSED,
                    f"metrics.json is not valid JSON ({str(exc)[:200]}): ignored")
        return
    problem = _envelope_problem(data, run_id)
    if problem:
        metrics.add(MetricProblemKind.FILE_REFUSED, problem)
        return
    if data.get("run_id") is None:
        metrics.add(MetricProblemKind.NOTE, NO_RUN_ID_NOTE)
    scalars, series = data.get("scalars", {}), data.get("series", {})
    count = (len(scalars) if isinstance(scalars, dict) else 0) + \
        (len(series) if isinstance(series, dict) else 0)
    if count > MAX_METRICS:
        metrics.add(MetricProblemKind.FILE_REFUSED, f"metrics.json holds {count:,} metrics, "
                    f"more than the {MAX_METRICS:,} a run may record: ignored")
        return
    _add_scalars(metrics, scalars)
    _add_series(metrics, series)


def _envelope_problem(data: Any, run_id: str) -> str:
    if not isinstance(data, dict):
        return "metrics.json is not a JSON object: ignored"
    if data.get("schema", 1) != 1:
        return f"metrics.json has schema {_short.repr(data.get('schema'))}, expected 1: ignored"
    if data.get("run_id") is not None and data.get("run_id") != run_id:
        return (f"metrics.json was not written by this run (run_id "
                f"{_short.repr(data.get('run_id'))}, expected {run_id!r}): a stale or "
                "committed file, ignored")
    return ""


def _add_scalars(metrics: Metrics, scalars: Any) -> None:
    if not isinstance(scalars, dict):
        metrics.add(MetricProblemKind.FILE_REFUSED, "metrics.json 'scalars' is not an object: "
                    "ignored")
        return
    for name, value in scalars.items():
        number, problem = _number(value)
        problem = _name_problem(name) or problem
        if problem:
            metrics.add(MetricProblemKind.VALUE_REFUSED,
                        f"metric {_short.repr(name)}: {problem}: refused", str(name)[:200])
        else:
            metrics.scalars[str(name)] = number


def _add_series(metrics: Metrics, series: Any) -> None:
    if not isinstance(series, dict):
        metrics.add(MetricProblemKind.FILE_REFUSED, "metrics.json 'series' is not an object: "
                    "ignored")
        return
    for name, curve in series.items():
        parsed, problem = _curve(curve)
        problem = _name_problem(name) or problem
        if problem:
            metrics.add(MetricProblemKind.VALUE_REFUSED,
                        f"series {_short.repr(name)}: {problem}: refused", str(name)[:200])
        else:
            metrics.series[str(name)] = parsed


def _name_problem(name: str) -> str:
    return f"a name longer than {MAX_NAME_CHARS} characters" if len(name) > MAX_NAME_CHARS \
        else ""


def _number(value: Any) -> tuple[float, str]:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0, f"{_short.repr(value)} is not a number"
    try:
        number = float(value)
    except OverflowError:
        return 0.0, "the integer is too large for a number"
    if not math.isfinite(number):
        return 0.0, f"{number} is not a finite number"
    return number, ""


def _curve(curve: Any) -> tuple[Series, str]:
    empty = Series(x=(), y=())
    if not isinstance(curve, dict) or not isinstance(curve.get("x"), list) \
            or not isinstance(curve.get("y"), list):
        return empty, "not an object with lists 'x' and 'y'"
    if len(curve["x"]) != len(curve["y"]) or not curve["x"]:
        return empty, f"{len(curve['x'])} x values and {len(curve['y'])} y values"
    if len(curve["x"]) > MAX_POINTS:
        return empty, f"more than {MAX_POINTS:,} points"
    numbers = [_number(value) for value in [*curve["x"], *curve["y"]]]
    bad = next((problem for _, problem in numbers if problem), "")
    if bad:
        return empty, bad
    half = len(curve["x"])
    values = [number for number, _ in numbers]
    x_name = curve.get("x_name", "step")
    return Series(x=tuple(values[:half]), y=tuple(values[half:]),
                  x_name=str(x_name)[:MAX_NAME_CHARS]), ""


def _from_scraps(metrics: Metrics, executed: dict, run_id: str) -> None:
    """scrapbook's ``glue`` outputs: display data with a name and a JSON value; one that
    carries another run's ``run_id`` is refused, one without is this run's."""
    scraps = [scrap for scrap in _scraps(executed)]
    if len(scraps) > MAX_METRICS:
        metrics.add(MetricProblemKind.FILE_REFUSED, f"the notebook glued {len(scraps):,} "
                    f"scraps, more than the {MAX_METRICS:,} a run may record: ignored")
        return
    without_id = False
    for scrap in scraps:
        scrap_run = scrap.get("run_id")
        if scrap_run is not None and scrap_run != run_id:
            metrics.add(MetricProblemKind.VALUE_REFUSED, f"scrap {_short.repr(scrap['name'])} "
                        f"was not recorded by this run (run_id {_short.repr(scrap_run)}, "
                        f"expected {run_id!r}): refused", str(scrap["name"])[:200])
            continue
        without_id = without_id or scrap_run is None
        _add_scrap(metrics, str(scrap["name"]), scrap.get("data"))
    if without_id and scraps:
        metrics.add(MetricProblemKind.NOTE, NO_RUN_ID_SCRAPS_NOTE)


def _scraps(executed: dict) -> list[dict]:
    found = []
    cells = executed.get("cells", [])
    for cell in cells if isinstance(cells, list) else []:
        outputs = cell.get("outputs", []) if isinstance(cell, dict) else []
        for out in outputs if isinstance(outputs, list) else []:
            data = out.get("data", {}) if isinstance(out, dict) else {}
            scrap = data.get(SCRAP_MIME) if isinstance(data, dict) else None
            if isinstance(scrap, dict) and "name" in scrap:
                found.append(scrap)
    return found


def _add_scrap(metrics: Metrics, name: str, value: Any) -> None:
    if isinstance(value, dict):
        _add_series(metrics, {name: value})
    else:
        _add_scalars(metrics, {name: value})
