"""The entry points the similarity benchmark (bench/similarity.py) calls.

Benchmark glue: it lives under bench/, so the wheel does not ship it; bench/similarity.py
puts this folder on the worker's PYTHONPATH.

The generator flattens its originals into one folder; ``sources`` gives each back the path
it had in its package (``site:boto3/resources/base.py``), as a real corpus keeps it, so that
sibling files form their families in the index.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from reviewbot.similarity.documents import Document, read_document, read_many
from reviewbot.similarity.index import Origin, SimilarityIndex
from reviewbot.similarity.search import SearchSettings, search

_SETTINGS = SearchSettings(candidates=50, min_score=0.0)


def read_all(paths: list[Path], packed: bool = False) -> Iterator[tuple[Path, Document]]:
    """Fingerprint ``paths`` on every core (order kept); unreadable files are left out."""
    for path, document in read_many([(p, str(p)) for p in paths], packed):
        if isinstance(document, Document):
            yield path, document


def origin_of(path: Path, sources: dict[str, str] | None) -> Origin:
    """``label:relative/path`` from ``sources`` when given, else the file's own path."""
    source = (sources or {}).get(str(path))
    if not source or ":" not in source:
        return Origin("bench", str(path))
    label, relative = source.split(":", 1)
    return Origin(label, relative)


def build_index(references: list[Path], index_path: Path,
                sources: dict[str, str] | None = None) -> SimilarityIndex:
    index = SimilarityIndex.open(index_path, create=True)
    index.add((origin_of(path, sources), document) for path, document in read_all(references, True))
    return index


def pair_scores(references: list[Path], submissions: list[Path], index_path: Path,
                sources: dict[str, str] | None = None) -> dict[tuple[str, str], float]:
    """Index ``references``, query each submission; {(submission, reference): score}."""
    back = {(o.label, o.path): str(p) for p in references
            for o in [origin_of(p, sources)]}
    scores: dict[tuple[str, str], float] = {}
    with build_index(references, index_path, sources) as index:
        for path, document in read_all(submissions):
            for match in search(index, document, _SETTINGS, align_top=0):
                origin = match.source.origin
                scores[(str(path), back[(origin.label, origin.path)])] = match.score
    return scores


def query_seconds(index_path: Path, submission: Path) -> float:
    """Wall time of one query (reading the file, fingerprinting, search, alignment)."""
    start = time.perf_counter()
    with SimilarityIndex.open(index_path) as index:
        search(index, read_document(submission))
    return time.perf_counter() - start
