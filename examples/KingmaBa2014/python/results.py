"""Summaries of the training curves: convergence speed and a printable table.

A "run" maps a label (e.g. "adam") to (step size, training cost per epoch).
"""

import math

Runs = dict[str, tuple[float, list[float]]]


def epochs_to_reach(curve: list[float], target: float) -> int | None:
    """First 1-based epoch whose cost is at or below `target`; None if never."""
    for epoch, value in enumerate(curve, start=1):
        if value <= target:
            return epoch
    return None


def slowest_final_cost(runs: Runs, labels: tuple[str, ...]) -> float:
    """The highest final cost among the runs named in `labels`.

    Every one of those runs reaches it, so counting how soon each gets there
    turns "converges faster" into a number of epochs.
    """
    finals = [runs[label][1][-1] for label in labels if math.isfinite(runs[label][1][-1])]
    return max(finals)


def results_table(
    runs: Runs, reference: tuple[str, ...], checkpoints: tuple[int, ...] = (1, 5, 10)
) -> str:
    """Format the runs as a fixed-width text table, one row per run.

    The last column counts the epochs each run needs to reach the slowest
    final cost among the `reference` runs ("never" if it does not).
    """
    target = slowest_final_cost(runs, reference)
    epochs = len(next(iter(runs.values()))[1])
    shown = [epoch for epoch in checkpoints if epoch < epochs] + [epochs]
    header = ["optimizer", "step size", *[f"cost@{epoch}" for epoch in shown]]
    header.append(f"epochs to {target:.4f}")
    lines = [" | ".join(f"{cell:>12}" for cell in header)]
    for label, (rate, curve) in runs.items():
        reached = epochs_to_reach(curve, target)
        cells = [label, f"{rate:g}", *[f"{curve[epoch - 1]:.4f}" for epoch in shown]]
        cells.append("never" if reached is None else str(reached))
        lines.append(" | ".join(f"{cell:>12}" for cell in cells))
    return "\n".join(lines)
