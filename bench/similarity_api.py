"""The entry points the similarity benchmark (bench/similarity.py) calls.

Benchmark glue: it lives under bench/, so the wheel does not ship it; bench/similarity.py
puts this folder on the worker's PYTHONPATH.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from reviewbot.similarity.documents import Document, read_document, read_many
from reviewbot.similarity.index import Origin, SimilarityIndex
from reviewbot.similarity.search import SearchSettings, search

_SETTINGS = SearchSettings(candidates=50, min_score=0.0)


def read_all(paths: list[Path]) -> Iterator[tuple[Path, Document]]:
    """Fingerprint ``paths`` on every core (order kept); unreadable files are left out."""
    for path, document in read_many([(p, str(p)) for p in paths]):
        if isinstance(document, Document):
            yield path, document


def build_index(references: list[Path], index_path: Path) -> SimilarityIndex:
    index = SimilarityIndex.open(index_path, create=True)
    index.add((Origin("bench", str(path)), document) for path, document in read_all(references))
    return index


def pair_scores(references: list[Path], submissions: list[Path], index_path: Path
                ) -> dict[tuple[str, str], float]:
    """Index ``references``, query each submission; {(submission, reference): score}."""
    scores: dict[tuple[str, str], float] = {}
    with build_index(references, index_path) as index:
        for path, document in read_all(submissions):
            for match in search(index, document, _SETTINGS, align_top=0):
                scores[(str(path), match.source.origin.path)] = match.score
    return scores


def query_seconds(index_path: Path, submission: Path) -> float:
    """Wall time of one query (reading the file, fingerprinting, search, alignment)."""
    start = time.perf_counter()
    with SimilarityIndex.open(index_path) as index:
        search(index, read_document(submission))
    return time.perf_counter() - start
