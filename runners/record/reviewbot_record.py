"""Record what a notebook measured, for reviewbot (standard library only).

    from reviewbot_record import record, record_series
    record("test_accuracy", 0.912)
    record_series("train_loss", epochs, losses, x_name="epoch")

Each call updates ``metrics.json`` in the working directory, tagged with the run id the
review runner sets (``REVIEWBOT_RUN_ID``); outside a review run the file is still written,
so the notebook behaves the same everywhere.
"""

import json
import os

SCHEMA = 1
FILENAME = "metrics.json"


def _load():
    run_id = os.environ.get("REVIEWBOT_RUN_ID", "")
    try:
        with open(FILENAME, encoding="utf-8") as handle:
            metrics = json.load(handle)
    except (OSError, ValueError):
        metrics = {}
    if not isinstance(metrics, dict) or metrics.get("run_id") != run_id:
        metrics = {}  # a file from another run is replaced, never merged
    metrics.update(schema=SCHEMA, run_id=run_id)
    seed = os.environ.get("REVIEWBOT_SEED")
    metrics.setdefault("meta", {"seed": int(seed) if seed else None})
    for part in ("scalars", "series"):
        metrics.setdefault(part, {})
    return metrics


def _save(metrics):
    with open(FILENAME, "w", encoding="utf-8") as handle:
        json.dump(metrics, handle, indent=1)


def record(name, value):
    """Record one number (a float, an int or a numpy scalar) under ``name``."""
    metrics = _load()
    metrics["scalars"][str(name)] = float(value)
    _save(metrics)


def record_series(name, x, y, x_name="step"):
    """Record a curve: ``y[i]`` measured at ``x[i]`` (e.g. loss per epoch)."""
    xs, ys = [float(v) for v in x], [float(v) for v in y]
    if len(xs) != len(ys):
        raise ValueError(f"record_series({name!r}): {len(xs)} x values but {len(ys)} y values")
    metrics = _load()
    metrics["series"][str(name)] = {"x": xs, "y": ys, "x_name": str(x_name)}
    _save(metrics)
