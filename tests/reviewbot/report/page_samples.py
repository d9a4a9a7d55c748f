"""A report page with everything on it, for the HTML tests (unit and browser)."""

from __future__ import annotations

import nbformat

from reviewbot.report.html import ReportPage, SimilarPair, SimilarRegion
from reviewbot.report.notebook_html import notebook_html
from reviewbot.report.plot import plot_png
from reviewbot.report.rule_docs import RuleDocs
from tests.golden.reviews import bad_review, runs_review

PLANTED = ("<div id='planted-output'>plot</div>"
           "<script>document.title = 'PWNED'; document.body.dataset.pwned = 'script';"
           "</script><img src='x' onerror=\"document.body.dataset.pwned = 'onerror'\">"
           "<a href=\"javascript:document.body.dataset.pwned='link'\">click</a>")


def planted_notebook() -> str:
    """A notebook whose output holds a script, an event handler and a javascript: link."""
    book = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("show()", execution_count=1)
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": PLANTED}),
                    nbformat.v4.new_output("stream", name="stdout", text="acc 92.1\n")]
    book.cells = [nbformat.v4.new_markdown_cell("# Training <b>run</b>"), cell]
    return nbformat.writes(book)


MODEL = "\n".join(f"def step_{n}(x):\n    return x + {n}\n" for n in range(30))
SOURCE = "\n".join(f"def step_{n}(y):\n    return y + {n}\n" for n in range(40))


def similar_pairs() -> tuple[SimilarPair, ...]:
    weak = SimilarPair("utils.py", "import os\n" * 20, "corpus", "other/utils.py",
                       "import os\n" * 20, 0.31, (SimilarRegion(2, 5, 3, 6, 40, "tokens"),))
    strong = SimilarPair("model.py", MODEL, "github.com/someone/impl", "impl/model.py", SOURCE,
                         0.74, (SimilarRegion(3, 12, 21, 30, 120, "tokens"),
                                SimilarRegion(40, 58, 61, 79, 200, "shape")))
    return (weak, strong)


def full_page() -> ReportPage:
    """Claims with a plot, README rows, findings with source lines, matches, a notebook."""
    review = runs_review()
    return ReportPage(review, plot_png=plot_png(review), similarity=similar_pairs(),
                      notebooks=(("paper.ipynb", notebook_html(planted_notebook())),),
                      sources={"README.md": "# Golden\n\nRequirements missing\n"},
                      docs=RuleDocs("https://docs.example.org/rules"))


def bad_page() -> ReportPage:
    sources = {"model.py": "\n".join(f"line {n}" for n in range(1, 80))}
    return ReportPage(bad_review(), sources=sources)
