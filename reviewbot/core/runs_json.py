"""One run as plain JSON: the same dictionary in the runs file and in the JSON report.

It lives in core because both the replication room (``runs_io``, which also reads it back)
and the JSON renderer write it, and renderers import nothing but core.
"""

from __future__ import annotations

import math
from typing import Any

from reviewbot.core.models import RunResult


def run_dict(run: RunResult) -> dict[str, Any]:
    """One run as plain JSON (non-finite numbers as null: the run refused them anyway)."""
    return {
        "notebook": run.notebook, "seed": run.seed, "ok": run.ok,
        "seconds": round(run.seconds, 3), "run_id": run.run_id,
        "scalars": {k: _number(v) for k, v in run.scalars.items()},
        "series": {k: {"x": [_number(v) for v in s.x], "y": [_number(v) for v in s.y],
                       "x_name": s.x_name} for k, s in run.series.items()},
        "error": run.error, "error_cell": run.error_cell, "output_tail": run.output_tail,
        "device": run.device, "environment": dict(run.environment),
        "parameters": {k: _plain(v) for k, v in run.parameters.items()},
        "problems": list(run.problems),
        "metric_problems": [{"kind": p.kind.value, "message": p.message, "metric": p.metric}
                            for p in run.metric_problems],
    }


def _number(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _plain(value: object) -> Any:
    return value if isinstance(value, (bool, int, float, str)) or value is None else str(value)
