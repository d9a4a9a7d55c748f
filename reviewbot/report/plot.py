"""One PNG per submission: a panel per claim, drawn from the verdicts and the runs.

Scalar and exact claims: the paper's value, the tolerance band, each run and the mean with
its interval. Ranking claims: the per-run differences against the margin. Curves: the
paper's curve with its band and every run's curve.
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Sequence
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.figure import Figure  # not pyplot: no global state, no display ever needed

from reviewbot.core.models import ClaimVerdict, Review, RunResult, Verdict
from reviewbot.report import verdict_label
from reviewbot.report.claims_table import interval_name, ranking_difference

COLOURS = {Verdict.REPRODUCED: "tab:green", Verdict.NOT_REPRODUCED: "tab:red",
           Verdict.INCONCLUSIVE: "tab:orange", Verdict.NOT_CHECKED: "tab:gray"}
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def plot_path(folder: Path, submission: str) -> Path:
    return folder / f"{_UNSAFE.sub('_', submission) or 'submission'}-claims.png"


def plot_review(review: Review, folder: Path) -> Path | None:
    """Write the claims plot of ``review``; ``None`` when it has no verdicts to draw."""
    figure = claims_figure(review)
    if figure is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    path = plot_path(folder, review.submission)
    figure.savefig(path, dpi=100)
    return path


def plot_png(review: Review) -> bytes | None:
    """The claims plot as PNG bytes (for the report page); ``None`` without verdicts."""
    figure = claims_figure(review)
    if figure is None:
        return None
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    return buffer.getvalue()


def claims_figure(review: Review) -> Figure | None:
    """A panel per claim; ``None`` when the review has no verdicts."""
    if not review.verdicts:
        return None
    figure = Figure(figsize=(10, 2.4 * len(review.verdicts)))
    axes = figure.subplots(len(review.verdicts), 1, squeeze=False)
    for ax, verdict in zip(axes[:, 0], review.verdicts, strict=True):
        _panel(ax, verdict, review.runs)
    figure.suptitle(f"{review.submission}: claims", fontsize=12)
    figure.tight_layout()
    return figure


def _panel(ax: Axes, verdict: ClaimVerdict, runs: Sequence[RunResult]) -> None:
    ax.set_title(f"{verdict.claim}: {verdict_label(verdict.verdict)}",
                 color=COLOURS[verdict.verdict], fontsize=10, loc="left")
    if verdict.verdict is Verdict.NOT_CHECKED or (verdict.mean is None and
                                                  verdict.kind != "curve"):
        _reason_panel(ax, verdict)
    elif verdict.kind == "curve" and verdict.reference is not None:
        _curve_panel(ax, verdict, runs)
    elif verdict.kind == "ranking":
        _points_panel(ax, verdict, reference=verdict.margin or 0.0,
                      label="margin", xlabel=f"{ranking_difference(verdict)} "
                                            "(right of the margin: the claim holds)")
    else:
        _points_panel(ax, verdict, reference=verdict.paper_value, label="paper",
                      xlabel=f"{verdict.metric} {verdict.unit}".strip())


def _points_panel(ax: Axes, verdict: ClaimVerdict, reference: float | None, label: str,
                  xlabel: str) -> None:
    if reference is not None:
        ax.axvline(reference, color="black", linewidth=1.5, label=f"{label} {reference:.4g}")
        _band(ax, verdict, reference)
    if verdict.observed:
        ax.plot(verdict.observed, [0.0] * len(verdict.observed), "o", alpha=0.6,
                color="tab:blue", label=f"runs (n = {len(verdict.observed)})")
    if verdict.mean is not None:
        low, high = verdict.interval or (verdict.mean, verdict.mean)
        ax.errorbar([verdict.mean], [0.4], xerr=[[verdict.mean - low], [high - verdict.mean]],
                    fmt="D", color=COLOURS[verdict.verdict], capsize=4,
                    label=f"mean {verdict.mean:.4g}" + (
                        f" with {interval_name(verdict)}" if verdict.interval else ""))
    ax.set_ylim(-1, 1.4)
    ax.set_yticks([])
    ax.set_xlabel(xlabel)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7)  # never over data


def _reason_panel(ax: Axes, verdict: ClaimVerdict) -> None:
    """A claim with nothing to draw says why, instead of showing empty axes."""
    reason = textwrap.fill(verdict.explanation or "no measurement", width=90)
    ax.text(0.01, 0.5, reason, transform=ax.transAxes, fontsize=9, va="center", ha="left",
            color="dimgray")
    ax.set_axis_off()


def _band(ax: Axes, verdict: ClaimVerdict, reference: float) -> None:
    delta = verdict.tolerance or 0.0
    if not delta:
        return
    if verdict.direction == "equal":
        ax.axvspan(reference - delta, reference + delta, color="tab:green", alpha=0.15,
                   label=f"band ±{delta:.3g}")
        return
    edge = reference - delta if verdict.direction == "higher" else reference + delta
    ax.axvline(edge, color="tab:green", linestyle="--", linewidth=1,
               label=f"threshold {edge:.4g} ({verdict.direction} is better)")


def _curve_panel(ax: Axes, verdict: ClaimVerdict, runs: Sequence[RunResult]) -> None:
    points = verdict.reference
    if points is None:
        return
    metric = verdict.metric  # a curve claim names one recorded series
    width = list(verdict.band) or [0.0] * len(points.y)
    ax.fill_between(points.x, [y - w for y, w in zip(points.y, width, strict=True)],
                    [y + w for y, w in zip(points.y, width, strict=True)], color="tab:green",
                    alpha=0.15, label="band")
    ax.plot(points.x, points.y, color="black", linewidth=2, label="paper")
    for run in runs:
        series = run.series.get(metric)
        if run.ok and series is not None:
            ax.plot(series.x, series.y, alpha=0.6, label=f"seed {run.seed}")
    ax.set_xlabel(metric)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7)  # never over data
