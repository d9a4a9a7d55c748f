"""Gathering a review's report page from the real parts: the claims plot from a stored
claims file, the similarity matches from a real index, source lines read safely."""

from __future__ import annotations

import os
from pathlib import Path

from reviewbot.config import Config, LoadedConfig
from reviewbot.pipeline import review_path, select_checks
from reviewbot.replication.claims import StatsSettings
from reviewbot.service.pages import page_for, render_pages
from reviewbot.similarity.corpus import Source, add_source
from reviewbot.similarity.index import SimilarityIndex
from tests.conftest import write_tree
from tests.golden.reviews import DATA, runs_review

IMPLEMENTATION = '''"""A known GAN implementation."""
import numpy as np


def generator_step(weights, noise, learning_rate):
    hidden = np.tanh(noise @ weights["g1"])
    fake = hidden @ weights["g2"]
    gradient = fake - noise.mean(axis=0)
    weights["g2"] -= learning_rate * hidden.T @ gradient
    return fake


def discriminator_step(weights, real, fake, learning_rate):
    score_real = 1 / (1 + np.exp(-(real @ weights["d"])))
    score_fake = 1 / (1 + np.exp(-(fake @ weights["d"])))
    gradient = real.T @ (score_real - 1) + fake.T @ score_fake
    weights["d"] -= learning_rate * gradient / len(real)
    return score_real.mean(), score_fake.mean()
'''


def test_a_judged_review_gets_its_claims_plot(tmp_path: Path) -> None:
    config = Config().model_copy(update={"stats": StatsSettings(papers_dir=str(DATA / "papers"))})
    page = page_for(runs_review(), tmp_path, LoadedConfig(config, "test"))
    assert page.plot_png is not None and page.plot_png.startswith(b"\x89PNG")
    assert "src='data:image/png;base64," in render_pages([page])


def test_a_copied_file_is_shown_side_by_side_with_its_source(tmp_path: Path) -> None:
    source = write_tree(tmp_path / "known", {"gan.py": IMPLEMENTATION})
    index_file = tmp_path / "index.sqlite"
    with SimilarityIndex.open(index_file, create=True) as index:
        add_source(index, Source(str(source), "github.com/someone/gan"), tmp_path / "cache")
    folder = write_tree(tmp_path / "SmithJonesEtAl2017", {
        "README.md": "# S\n", "models/gan.py": IMPLEMENTATION.replace("A known", "My")})
    similarity = Config().check("similarity").model_copy(update={"index_path": str(index_file)})
    checks = Config().checks.model_copy(update={"similarity": similarity})
    config = Config().model_copy(update={"checks": checks})
    review = review_path(folder, config, select_checks(only=["similarity"]))
    assert any(f.code == "SIM001" for f in review.findings)
    page = page_for(review, folder, LoadedConfig(config, "test"))
    [pair] = page.similarity
    assert (pair.path, pair.source_label, pair.source_path) == (
        "models/gan.py", "github.com/someone/gan", "gan.py")
    assert pair.score > 0.5 and pair.regions and pair.source_text == IMPLEMENTATION
    html = render_pages([page])
    assert "Similar code" in html and "id='r0-m0-q0' href='#r0-m0-s0'" in html


def test_source_lines_never_follow_a_link_out_of_the_folder(tmp_path: Path) -> None:
    secret = write_tree(tmp_path / "outside", {"secret.py": "TOKEN = 'hunter2'\n"})
    folder = write_tree(tmp_path / "SmithJonesEtAl2017", {"README.md": "# S\n",
                                                          "m.py": 'X = "/home/a/b"\n'})
    os.symlink(secret / "secret.py", folder / "linked.py")
    review = review_path(folder, Config(), select_checks(only=["hygiene", "readme"]))
    page = page_for(review, folder, LoadedConfig(Config(), "test"))
    assert "hunter2" not in render_pages([page])
    assert page.sources.get("m.py") == 'X = "/home/a/b"\n'


def test_a_notebook_finding_shows_the_lines_of_its_cell(tmp_path: Path) -> None:
    import nbformat

    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_markdown_cell("# Run"), nbformat.v4.new_code_cell(
        "import numpy as np\nrows = open('/home/alice/data.csv')\nprint(rows)")]
    folder = write_tree(tmp_path / "SmithJonesEtAl2017", {"README.md": "# S\n",
                                                          "run.ipynb": nbformat.writes(book)})
    review = review_path(folder, Config(), select_checks(only=["hygiene"]))
    [finding] = [f for f in review.findings if f.code == "HYG003"]
    assert (finding.cell, finding.cell_line) == (2, 2)
    html = render_pages([page_for(review, folder, LoadedConfig(Config(), "test"))])
    assert ("<span class='hit'><span class='ln'>    2</span> rows = open(&#x27;/home/alice/"
            "data.csv&#x27;)</span>") in html


def test_the_executed_notebook_is_shown_instead_of_the_committed_one(tmp_path: Path) -> None:
    import nbformat

    def book(output: str) -> str:
        cell = nbformat.v4.new_code_cell("print('acc')", execution_count=1)
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=output)]
        notebook = nbformat.v4.new_notebook()
        notebook.cells = [cell]
        return nbformat.writes(notebook)

    folder = write_tree(tmp_path / "SmithJonesEtAl2017", {"nb/run.ipynb": book("committed 1")})
    executed = write_tree(tmp_path / "executed", {"run.ipynb": book("executed 2")})
    loaded = LoadedConfig(Config(), "test")
    review = review_path(folder, Config(), select_checks(only=["readme"]))
    [(label, shown)] = page_for(review, folder, loaded, executed=executed).notebooks
    assert label == "nb/run.ipynb (as executed by the review)" and "executed 2" in shown
    [(label, shown)] = page_for(review, folder, loaded).notebooks
    assert label == "nb/run.ipynb" and "committed 1" in shown
