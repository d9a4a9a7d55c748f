"""The report page of a review: gathered from the submission folder and rendered.

``page_for`` gathers what the page shows beside the Review (the claims plot, source lines
around findings, the similarity matches, the notebooks) from the submission folder while it
is still on disk; ``render_html`` in the report room turns it into the page. The worker
stores it (``page_store``) and the web app serves it at ``/reviews/{token}``;
``check --format html`` writes the same page to a file.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from reviewbot.config import LoadedConfig
from reviewbot.core.ipynb import NotebookFormatError, parse_notebook
from reviewbot.core.models import Review
from reviewbot.report.html import (
    ReportPage,
    SimilarPair,
    SimilarRegion,
    cell_key,
    render_html,
)
from reviewbot.report.notebook_html import NotebookRenderError, notebook_html
from reviewbot.report.rule_docs import RuleDocs
from reviewbot.service.page_store import PageStore, page_url, pages_folder

__all__ = ["PageStore", "page_for", "page_url", "pages_folder", "render_pages"]

if TYPE_CHECKING:  # the similarity engine loads only for a page that shows matches
    from reviewbot.checks.similarity import Config as SimilarityConfig
    from reviewbot.similarity.documents import Document
    from reviewbot.similarity.index import SimilarityIndex
    from reviewbot.similarity.search import Match

log = logging.getLogger("reviewbot.service.pages")

MAX_SOURCE_BYTES = 1_000_000  # larger files get no source lines on the page
MAX_NOTEBOOKS = 5
MAX_NOTEBOOK_BYTES = 20_000_000
SIMILAR_CODES = ("SIM001", "SIM002")


# ---- gathering ----------------------------------------------------------------------------


def page_for(review: Review, root: Path, loaded: LoadedConfig,
             docs: RuleDocs | None = None, executed: Path | None = None) -> ReportPage:
    """Everything the page shows, read from ``root`` (the submission folder) now;
    ``executed`` holds notebooks as a run executed them (shown instead of the committed)."""
    return ReportPage(review, plot_png=claims_plot(review),
                      similarity=tuple(similar_pairs(review, root, loaded)),
                      notebooks=tuple(notebooks(root, executed)),
                      sources=sources(review, root), docs=docs or RuleDocs())


def inside(root: Path, relative: str) -> Path | None:
    """``root / relative`` when it is a regular file inside ``root``, never via a symlink."""
    path = root / relative
    try:
        if path.is_symlink() or not path.is_file():
            return None
        path.resolve().relative_to(root.resolve())
    except (OSError, ValueError):
        return None
    return path


def read_text(root: Path, relative: str, limit: int = MAX_SOURCE_BYTES) -> str | None:
    path = inside(root, relative)
    if path is None or path.stat().st_size > limit:
        return None
    return path.read_bytes().decode("utf-8", errors="replace")


def sources(review: Review, root: Path) -> dict[str, str]:
    """The text each finding points into: a module's, or a notebook cell's source
    (keyed ``path#cellN``), for the lines around it."""
    paths = {f.path for f in review.findings if f.path and f.cell is None and f.line}
    texts = {path: read_text(root, path) for path in sorted(paths)}
    found = {path: text for path, text in texts.items() if text is not None}
    cells = {(f.path, f.cell) for f in review.findings if f.path and f.cell is not None}
    for path in sorted({path for path, _ in cells}):
        found.update(_cell_sources(root, path, {cell for p, cell in cells if p == path}))
    return found


def _cell_sources(root: Path, path: str, wanted: set[int]) -> dict[str, str]:
    text = read_text(root, path, MAX_NOTEBOOK_BYTES)
    if text is None:
        return {}
    try:
        book = parse_notebook(path, text)
    except NotebookFormatError:
        return {}
    return {cell_key(path, cell.index): cell.source for cell in book.cells
            if cell.index in wanted}


def notebooks(root: Path, executed: Path | None = None) -> list[tuple[str, str]]:
    """The submission's notebooks, sanitized: as the review's run executed them when it
    did (``executed/<name>``), else with their committed outputs."""
    found = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)[:MAX_NOTEBOOKS]
    shown = []
    for name in found:
        ran = read_text(executed, Path(name).name, MAX_NOTEBOOK_BYTES) if executed else None
        text = ran if ran is not None else read_text(root, name, MAX_NOTEBOOK_BYTES)
        if text is None:
            continue
        label = f"{name} (as executed by the review)" if ran is not None else name
        try:
            shown.append((label, notebook_html(text)))
        except NotebookRenderError as exc:
            shown.append((label, f"<p>{exc}</p>"))
    return shown


def claims_plot(review: Review) -> bytes | None:
    """The claims plot as PNG, drawn from the verdicts (which carry what a panel needs)."""
    if not review.verdicts:
        return None
    from reviewbot.report.plot import plot_png  # matplotlib loads only to draw

    return plot_png(review)


def similar_pairs(review: Review, root: Path, loaded: LoadedConfig) -> list[SimilarPair]:
    """The indexed sources each flagged file matches, with both texts (sorted by score)."""
    flagged = sorted({f.path for f in review.findings if f.code in SIMILAR_CODES and f.path})
    if not flagged:
        return []
    from reviewbot.checks.similarity import index_location
    from reviewbot.similarity.index import IndexFileError, SimilarityIndex

    config = loaded.config.check("similarity")
    pairs: list[SimilarPair] = []
    try:
        with SimilarityIndex.open(index_location(config)) as index:
            for path in flagged:
                pairs += _pairs_of_file(index, root, path, review.submission, config)
    except IndexFileError as exc:
        log.warning("similarity index unusable for the page: %s", exc)
    return sorted(pairs, key=lambda pair: -pair.score)


def _pairs_of_file(index: SimilarityIndex, root: Path, path: str, own_label: str,
                   config: SimilarityConfig) -> list[SimilarPair]:
    """One file searched as the similarity check searched it (its own folder excluded)."""
    from reviewbot.checks.similarity import search_settings
    from reviewbot.similarity.documents import DocumentError, read_document
    from reviewbot.similarity.search import search

    file = inside(root, path)
    if file is None:
        return []
    try:
        document = read_document(file, path)
    except DocumentError:
        return []
    matches = search(index, document, search_settings(config),
                     exclude_labels=frozenset({own_label}))
    return [_pair(document, match, index) for match in matches
            if match.score >= config.threshold or match.reuse]


def _pair(document: Document, match: Match, index: SimilarityIndex) -> SimilarPair:
    regions = tuple(SimilarRegion(r.query_start, r.query_end, r.source_start, r.source_end,
                                  r.tokens, r.kind) for r in match.regions)
    origin = match.source.origin
    return SimilarPair(document.path, document.text, origin.label, origin.path,
                       index.document_text(match.source.id), match.score, regions)


def render_pages(pages: Sequence[ReportPage]) -> str:
    names = ", ".join(page.review.submission for page in pages)
    return render_html(pages, title=f"reviewbot: {names}")
