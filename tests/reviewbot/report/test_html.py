"""The report page as HTML text: what it shows, and that submission content stays inert."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reviewbot.report.html import CSP, render_html
from reviewbot.report.notebook_html import NotebookRenderError, notebook_html
from reviewbot.service.pages import PageStore, page_url
from tests.golden.reviews import HOSTILE
from tests.reviewbot.report.page_samples import bad_page, full_page, planted_notebook


@pytest.fixture(scope="module")
def page() -> str:
    return render_html([full_page()])


def test_the_page_forbids_scripts_and_outside_loads(page: str) -> None:
    assert f'content="{CSP}"' in page and "script-src 'none'" in CSP
    assert "default-src 'none'" in CSP and "img-src data:" in CSP
    assert "<script" not in page.lower()


def test_claims_table_says_the_interval_level_and_the_signed_difference(page: str) -> None:
    assert "92.13 (90% CI 91.71 to 92.56)" in page
    assert "0.135 (90% CI 0.1204 to 0.1496) (cost_sgd - cost_adam)" in page
    assert "not checked: no run recorded f1" in page  # the reason, not an empty panel
    assert re.search(r"<img class='plot' alt='[^']+' src='data:image/png;base64,iVBOR", page)


def test_readme_results_show_paper_next_to_reproduced(page: str) -> None:
    assert ("<tr><td>test accuracy</td><td>CIFAR-10</td><td>92.3%</td><td>92.1%</td>"
            "<td>-0.2%</td><td>README.md:31</td></tr>") in page


def test_findings_are_triaged_with_links_and_source_lines() -> None:
    text = render_html([bad_page()])
    assert text.index("What fails the review") < text.index("Warnings (7, by rule)")
    context = text.split("model.py:20", 1)[1].split("</pre>", 1)[0]
    assert [int(n) for n in re.findall(r"<span class='ln'>\s*(\d+)</span>", context)] == \
        [18, 19, 20, 21, 22]
    assert "<span class='hit'><span class='ln'>   20</span> line 20</span>" in context


def test_submission_text_is_escaped() -> None:
    text = render_html([bad_page()])
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and HOSTILE[:10] in text


def test_similar_code_sorted_by_score_with_regions_linked_both_ways(page: str) -> None:
    assert page.index("74% model.py") < page.index("31% utils.py")
    for region in (0, 1):  # each region links to its partner on the other side, and back
        assert f"id='r0-m0-q{region}' href='#r0-m0-s{region}'" in page
        assert f"id='r0-m0-s{region}' href='#r0-m0-q{region}'" in page
    assert "<span class='c0'><span class='ln'>    3</span>" in page
    assert "<span class='c1'><span class='ln'>   40</span>" in page  # its own colour


def test_a_notebook_keeps_its_outputs_and_loses_every_script() -> None:
    shown = notebook_html(planted_notebook())
    assert ">plot<" in shown and "acc 92.1" in shown
    assert "planted-output" not in shown  # no ids: an output cannot hijack the page's anchors
    assert "<script" not in shown and "onerror" not in shown and "javascript:" not in shown


def test_a_broken_notebook_is_a_clear_message() -> None:
    with pytest.raises(NotebookRenderError, match="notebook not shown"):
        notebook_html("{ not json")


def test_page_tokens_are_unguessable_stable_per_head_and_validated(tmp_path: Path) -> None:
    store = PageStore(tmp_path / "reports", "secret")
    token = store.token("octo/dlc", 7, "a" * 40)
    assert token == store.token("Octo/DLC", 7, "a" * 40) and len(token) == 40
    assert token != store.token("octo/dlc", 7, "b" * 40)
    assert token != PageStore(tmp_path / "other", "another").token("octo/dlc", 7, "a" * 40)
    store.save(token, "<p>page</p>")
    assert store.load(token) == "<p>page</p>"
    assert store.load("../reports/" + token) is None and store.load("x" * 40) is None
    assert page_url("https://rb.example.org/", token) == f"https://rb.example.org/reviews/{token}"
    keyless = PageStore(tmp_path / "keyless")  # no webhook secret: a random key, kept
    assert keyless.token("o/r", 1, "c") == PageStore(tmp_path / "keyless").token("o/r", 1, "c")
