"""Whole outputs of what is posted on a pull request, compared with tests/golden/*: the
sticky summary comment, the check run's title/summary/text and the review (body and
inline comments). ``pytest --update-goldens`` rewrites the files."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest

from reviewbot.core.models import Review
from reviewbot.github.content import (
    check_output,
    plan_review,
    summary_body,
)
from reviewbot.github.pull import PullRequestInfo
from reviewbot.github.settings import GitHubSettings
from reviewbot.report.markdown import where
from reviewbot.report.rule_docs import RuleDocs
from tests.golden.golden import assert_golden
from tests.golden.reviews import (
    E,
    W,
    bad_review,
    clean_review,
    corpus_shaped_review,
    f,
    runs_review,
)

REVIEWS: dict[str, Callable[[], Review]] = {
    "clean": clean_review, "bad": bad_review, "runs": runs_review}
SETTINGS = GitHubSettings(report_base_url="https://reviewbot.example.org")
PAGE = "https://reviewbot.example.org/reviews/0123456789abcdef0123456789abcdef01234567"


def pull(review: Review, lines: frozenset[tuple[str, int]] = frozenset()) -> PullRequestInfo:
    return PullRequestInfo("octo/dlc", 7, "c0ffee" * 6 + "abcd", "feature", "", "main",
                           False, "candidate", (), lines)


def diff_lines(review: Review) -> frozenset[tuple[str, int]]:
    """Two of the review's findings sit on lines of the diff (one inline, one annotated)."""
    placed = [f for f in review.findings if f.path and f.line][:2]
    return frozenset((f"{review.submission}/{f.path}", f.line) for f in placed)


def posted(name: str) -> tuple[Review, PullRequestInfo, GitHubSettings]:
    review = REVIEWS[name]()
    return review, pull(review, diff_lines(review)), SETTINGS.model_copy(
        update={"max_inline_comments": 1})


@pytest.mark.parametrize("name", REVIEWS)
def test_summary_comment(request: pytest.FixtureRequest, name: str) -> None:
    review, pr, settings = posted(name)
    body = summary_body(pr, [(review.submission, review)], settings, report_url=PAGE)
    assert_golden(request, f"{name}.comment.md", body)


@pytest.mark.parametrize("name", REVIEWS)
def test_check_run_output(request: pytest.FixtureRequest, name: str) -> None:
    review, _, _ = posted(name)
    output = check_output([(review.submission, review)], (),
                          RuleDocs.for_repository("octo/dlc"), PAGE)
    assert_golden(request, f"{name}.check.json",
                  json.dumps(output, indent=2, ensure_ascii=False) + "\n")


@pytest.mark.parametrize("name", REVIEWS)
def test_review(request: pytest.FixtureRequest, name: str) -> None:
    review, pr, settings = posted(name)
    plan = plan_review(pr, [(review.submission, review)], settings)
    comments = [f"--- inline {c.path}:{c.line}\n{c.body}" for c in plan.comments]
    text = "\n\n".join([f"event: {plan.event}", plan.body, *comments]) + "\n"
    assert_golden(request, f"{name}.review.md", text)


def test_a_check_with_warnings_is_not_shown_as_passed_clean() -> None:
    assert check_output([("x", clean_review())])["title"].startswith("✅ PASSED: 0 errors")
    assert check_output([("x", bad_review())])["title"].startswith("❌ FAILED")
    with_warning = Review("A", "/a", (), (f("load", "LOAD003", W, "not UTF-8", "x.py"),),
                          clean_review().fail_on, "0.1.0")
    assert check_output([("A", with_warning)])["title"].startswith("⚠️ PASSED with warnings")


# ---- a large submission ------------------------------------------------------------------


def test_a_large_submissions_comment_fits_and_keeps_every_error(
        request: pytest.FixtureRequest) -> None:
    review = corpus_shaped_review()
    pr = pull(review)
    body = summary_body(pr, [(review.submission, review)], SETTINGS, report_url=PAGE)
    assert_golden(request, "large.comment.md", body)
    assert len(body) <= 10_000
    for finding in review.failing:  # every error, with its place, before any warning
        assert f"{where(finding) or 'the submission as a whole'}: " in body, finding
    first_screen = "\n".join(body.splitlines()[:12])
    assert "FAILED: 2 errors, 54 warnings, 260 info" in first_screen
    assert body.index("README004") < body.index("**Warnings**")
    assert "**Info:** 260 findings" in body and f"[the full report]({PAGE})" in body
    assert body.count("| `LINTC`") == 0  # info is a count, not 260 rows
    assert "Run `reviewbot check Project_Large_Submission` to reproduce" in body


def test_every_error_survives_even_when_errors_alone_are_large() -> None:
    many = tuple(f("load", "LOAD001", E, "x" * 300 + f" link {n}", f"data/link_{n}")
                 for n in range(120))
    review = Review("Many2020", "/m", (), many, E, "0.1.0")
    body = summary_body(pull(review), [("Many2020", review)], SETTINGS)
    assert len(body) <= 10_000
    assert all(f"`data/link_{n}`" in body for n in range(120))


def test_rule_codes_link_to_their_readme_section() -> None:
    review, pr, settings = posted("bad")
    body = summary_body(pr, [(review.submission, review)], settings)
    link = "https://github.com/octo/dlc/blob/HEAD/README.md#readme-the-readme-check-"
    assert f"[`README001`]({link}" in body
    custom = settings.model_copy(update={"docs_url": "https://docs.example.org/rules"})
    body = summary_body(pr, [(review.submission, review)], custom)
    assert re.search(r"\[`MOD001`\]\(https://docs\.example\.org/rules#modularity-", body)


def test_fix_texts_keep_their_code_spans() -> None:
    review, pr, settings = posted("bad")
    body = summary_body(pr, [(review.submission, review)], settings)
    assert "run `reviewbot check .` again" in body and "\\`reviewbot" not in body
