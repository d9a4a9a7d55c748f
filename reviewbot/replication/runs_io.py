"""Run results as JSON, and back: what ``check --run --save-runs`` writes and ``verdict`` reads.

One run is the same dictionary in both documents:

- ``reviewbot.runs/1`` (``--save-runs FILE``):
  ``{"schema": "reviewbot.runs/1", "submissions": [{"submission": NAME, "runs": [RUN...]}]}``
- ``reviewbot.review/1`` (``check --run --format json``): each review carries ``"runs"``.

``reviewbot verdict`` accepts either, so a saved JSON report can be re-judged as well.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reviewbot.core.errors import UsageError
from reviewbot.core.models import MetricProblem, MetricProblemKind, RunResult, Series, freeze
from reviewbot.core.runs_json import run_dict

RUNS_SCHEMA = "reviewbot.runs/1"
REVIEW_SCHEMA = "reviewbot.review/1"


def runs_document(runs_by_submission: Mapping[str, Sequence[RunResult]],
                  plans: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """``plans`` (submission → the looks plan the runs followed) lets ``verdict`` re-judge
    the sequence look by look, exactly as the run did."""
    plans = plans or {}
    return {"schema": RUNS_SCHEMA, "submissions": [
        {"submission": name, "runs": [run_dict(run) for run in runs],
         **({"plan": dict(plans[name])} if name in plans else {})}
        for name, runs in runs_by_submission.items()]}


def write_runs(path: Path, runs_by_submission: Mapping[str, Sequence[RunResult]],
               plans: Mapping[str, Mapping[str, Any]] | None = None) -> None:
    text = json.dumps(runs_document(runs_by_submission, plans), indent=2, allow_nan=False)
    try:
        path.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write the runs to {path}: {exc.strerror or exc}") from None


# ---- reading ------------------------------------------------------------------------------


class _SeriesIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    x: list[float | None]
    y: list[float | None]
    x_name: str = "step"


class _ProblemIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    kind: MetricProblemKind
    message: str = ""
    metric: str = ""


class _RunIn(BaseModel):
    model_config = ConfigDict(extra="ignore")  # newer writers may add fields

    notebook: str
    seed: int
    ok: bool
    seconds: float = 0.0
    run_id: str = ""
    scalars: dict[str, float | None] = Field(default_factory=dict)
    series: dict[str, _SeriesIn] = Field(default_factory=dict)
    error: str = ""
    error_cell: int | None = None
    output_tail: str = ""
    device: str = ""
    environment: dict[str, str] = Field(default_factory=dict)
    parameters: dict[str, Any] = Field(default_factory=dict)
    problems: list[str] = Field(default_factory=list)
    metric_problems: list[_ProblemIn] = Field(default_factory=list)

    def result(self) -> RunResult:
        nan = float("nan")
        series = {k: Series(tuple(nan if v is None else v for v in s.x),
                            tuple(nan if v is None else v for v in s.y), s.x_name)
                  for k, s in self.series.items()}
        return RunResult(
            self.notebook, self.seed, self.ok, self.seconds, self.run_id,
            freeze({k: nan if v is None else v for k, v in self.scalars.items()}),
            freeze(series), self.error, self.error_cell, self.output_tail, self.device,
            freeze(self.environment), freeze(self.parameters), tuple(self.problems),
            tuple(MetricProblem(p.kind, p.message, p.metric) for p in self.metric_problems))


@dataclass(frozen=True)
class StoredRuns:
    """One submission's runs read back from a file."""

    submission: str
    root: str
    runs: tuple[RunResult, ...]
    plan: Mapping[str, Any] | None = None  # the looks the runs followed, when recorded


def read_runs(path: Path) -> list[StoredRuns]:
    """The runs of every submission in a runs file or a JSON report; errors name file and key."""
    data = _load_json(path)
    entries = _entries(data, path)
    stored = []
    for index, entry in enumerate(entries):
        runs = []
        for number, raw in enumerate(entry.get("runs") or []):
            runs.append(_parse_run(raw, f"{path}: {_where(data)}[{index}].runs[{number}]"))
        stored.append(StoredRuns(str(entry.get("submission", "")), str(entry.get("root", "")),
                                 tuple(runs), _stored_plan(entry)))
    return stored


def _stored_plan(entry: dict[str, Any]) -> Mapping[str, Any] | None:
    """A runs file's ``plan``, or the one a JSON report keeps in its replication check."""
    plan = entry.get("plan")
    for check in entry.get("checks") or []:
        if isinstance(check, dict) and check.get("id") == "replication":
            plan = plan or (check.get("stats") or {}).get("plan")
    return plan if isinstance(plan, dict) else None


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot be read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None


def _entries(data: Any, path: Path) -> list[dict[str, Any]]:
    schema = data.get("schema") if isinstance(data, dict) else None
    key = {RUNS_SCHEMA: "submissions", REVIEW_SCHEMA: "reviews"}.get(str(schema))
    if key is None:
        raise UsageError(f"{path}: not a runs file ({RUNS_SCHEMA}, from check --run --save-runs) "
                         f"nor a JSON report ({REVIEW_SCHEMA}); its schema is {schema!r}")
    entries = data.get(key)
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise UsageError(f"{path}: {key}: expected a list of objects")
    return entries


def _where(data: dict[str, Any]) -> str:
    return "submissions" if data.get("schema") == RUNS_SCHEMA else "reviews"


def _parse_run(raw: Any, where: str) -> RunResult:
    try:
        return _RunIn.model_validate(raw).result()
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        raise UsageError(f"{where}.{key}: {first['msg']}") from None
