"""Write the measured numbers to metrics.json, the file the DLC review bot reads.

Schema 1: {"schema": 1, "run_id": ..., "scalars": {...}, "series": {...}, "meta": {...}}.
"""

import json
import os
from pathlib import Path

from results import Runs

SCHEMA_VERSION = 1
# The review bot's runner sets this nonce so it can tell a fresh file from a stale one.
RUN_ID_VARIABLE = "REVIEWBOT_RUN_ID"


def build_metrics(runs: Runs, seed: int, run_id: str | None) -> dict:
    """Turn the runs into the metrics.json document (plain JSON types only)."""
    scalars: dict[str, float] = {}
    series: dict[str, dict] = {}
    for label, (rate, curve) in runs.items():
        scalars[f"final_train_cost_{label}"] = float(curve[-1])
        scalars[f"step_size_{label}"] = float(rate)
        series[f"train_cost_{label}"] = {
            "x": list(range(1, len(curve) + 1)),
            "y": [float(value) for value in curve],
            "x_name": "epoch",
        }
    return {
        "schema": SCHEMA_VERSION,
        "run_id": run_id,
        "scalars": scalars,
        "series": series,
        "meta": {"seed": seed},
    }


def write_metrics(runs: Runs, seed: int, path: str = "metrics.json") -> Path:
    """Write metrics.json (in the working directory by default) and return its path."""
    document = build_metrics(runs, seed, os.environ.get(RUN_ID_VARIABLE))
    target = Path(path)
    target.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return target
