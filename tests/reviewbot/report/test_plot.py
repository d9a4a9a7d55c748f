"""The claims plot says what it draws: the interval level, the signed difference of a
ranking, and why a claim that was not checked has no data."""

from __future__ import annotations

from reviewbot.report.plot import claims_figure, plot_png
from tests.golden.reviews import runs_review


def panels() -> dict[str, object]:
    review = runs_review()
    figure = claims_figure(review)
    assert figure is not None
    return {ax.get_title(loc="left"): ax for ax in figure.axes}


def test_the_interval_level_is_in_the_legend() -> None:
    ax = panels()["acc: reproduced"]
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert "mean 92.13 with 90% CI" in labels


def test_a_ranking_names_the_difference_it_plots() -> None:
    ax = panels()["adam-beats-sgd: reproduced"]
    assert ax.get_xlabel() == "cost_sgd - cost_adam (right of the margin: the claim holds)"
    [points] = [line for line in ax.get_lines() if line.get_marker() == "o"]
    assert sorted(round(x, 3) for x in points.get_xdata()) == [0.125, 0.14, 0.14]  # sgd - adam


def test_a_claim_not_checked_says_why_instead_of_empty_axes() -> None:
    ax = panels()["f1: not checked"]
    assert not ax.axison and not ax.get_lines()
    assert "no run recorded f1" in " ".join(text.get_text() for text in ax.texts)


def test_the_plot_is_a_png() -> None:
    review = runs_review()
    png = plot_png(review)
    assert png is not None and png.startswith(b"\x89PNG")
