"""Whole outputs of the text, Markdown and JSON reports, compared with tests/golden/*.

``pytest --update-goldens`` rewrites the files; review their diff like code.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from reviewbot.core.models import Review
from reviewbot.report.json_report import render_json
from reviewbot.report.markdown import render_markdown
from reviewbot.report.text import render_text
from tests.golden.golden import assert_golden
from tests.golden.reviews import bad_review, clean_review, runs_review

REVIEWS: dict[str, Callable[[], Review]] = {
    "clean": clean_review, "bad": bad_review, "runs": runs_review}


@pytest.mark.parametrize("name", REVIEWS)
def test_text_report(request: pytest.FixtureRequest, name: str) -> None:
    assert_golden(request, f"{name}.report.txt", render_text([REVIEWS[name]()], width=120))


@pytest.mark.parametrize("name", REVIEWS)
def test_markdown_report(request: pytest.FixtureRequest, name: str) -> None:
    assert_golden(request, f"{name}.report.md", render_markdown([REVIEWS[name]()]))


@pytest.mark.parametrize("name", REVIEWS)
def test_json_report(request: pytest.FixtureRequest, name: str) -> None:
    assert_golden(request, f"{name}.report.json", render_json([REVIEWS[name]()]))


def test_the_runs_review_has_every_verdict_kind() -> None:
    """The golden runs fixture is what it claims to be (else its goldens prove little)."""
    verdicts = {item.claim: item.verdict.value for item in runs_review().verdicts}
    assert verdicts == {"acc": "reproduced", "loss": "not_reproduced",
                        "adam-beats-sgd": "reproduced", "f1": "not_checked"}
