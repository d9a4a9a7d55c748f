"""Query a document against the index: candidates by inverted lookups, then alignment.

Each query hash is weighted by how rare it is in the corpus (1 / document frequency);
hashes found in more than ``max_doc_share`` of the documents (framework boilerplate) or in
a maintainers' template are base code and count for nothing, like MOSS's ``-m``. A
candidate's score is the weighted share of the query's fingerprints it holds, per channel;
only the best candidates are aligned token by token to find the matching regions.
"""

from __future__ import annotations

from dataclasses import dataclass

from reviewbot.similarity.align import Region, align
from reviewbot.similarity.documents import SHAPE_CHANNEL, Document, fingerprint
from reviewbot.similarity.index import Posting, SimilarityIndex, StoredDocument


@dataclass(frozen=True)
class SearchSettings:
    max_doc_share: float = 0.1  # hashes in more documents than this share are boilerplate
    min_doc_cap: int = 10  # ... but never fewer than this many documents
    candidates: int = 10  # candidates aligned and reported at most
    min_score: float = 0.05  # weaker candidates are not reported
    shape_share: float = 0.3  # the shape channel's share of the combined score (tuned)


@dataclass(frozen=True)
class Match:
    """One indexed source that the query resembles."""

    source: StoredDocument
    score: float  # combined, frequency-weighted share of the query found in the source
    token_score: float
    shape_score: float
    submission_coverage: float  # share of the query's tokens inside matched regions
    source_coverage: float  # share of the source's fingerprints found in the query
    regions: tuple[Region, ...] = ()
    reuse: bool = False  # same author: the candidate's own earlier work


@dataclass
class _Weights:
    """The query's total weight per channel and, per document, what it matched.

    ``matched[doc]`` is [token share, shape share, raw token weight, raw shape weight].
    """

    total: list[float]
    matched: dict[int, list[float]]
    used: dict[int, tuple[int, int, int]]  # hash counted -> (channel, query pos, query line)


def search(index: SimilarityIndex, query: Document, settings: SearchSettings = SearchSettings(),
           *, exclude_labels: frozenset[str] = frozenset(), authors: frozenset[str] = frozenset(),
           align_top: int | None = None) -> list[Match]:
    """The sources ``query`` copies from, best first."""
    documents = index.documents()
    if not documents:
        return []
    weights = _collect(index, query, documents, settings)
    scored = _rank(query, weights, documents, settings, exclude_labels)
    top = align_top if align_top is not None else settings.candidates
    return [_match(index, query, documents[doc], scores, weights, authors, i < top)
            for i, (doc, scores) in enumerate(scored[:settings.candidates])]


def _collect(index: SimilarityIndex, query: Document, documents: dict[int, StoredDocument],
             settings: SearchSettings) -> _Weights:
    by_hash = _query_hashes(query)
    freq = index.doc_freq(by_hash)
    cap = max(settings.min_doc_cap, settings.max_doc_share * len(documents))
    hits = index.doc_hits([h for h, n in freq.items() if n <= cap])
    base = _template_hashes(index, hits)
    weights = _Weights([0.0, 0.0], {}, {})
    shares: dict[int, tuple[int, float, int]] = {}
    for h, (channel, weight, pos, line) in by_hash.items():
        n = freq.get(h, 0)
        if n > cap or h in base:
            continue  # base code
        shares[h] = (channel, weight / max(1, n), weight)
        weights.total[channel] += shares[h][1]
        weights.used[h] = (channel, pos, line)
    _add_hits(weights.matched, hits, shares)
    return weights


def _query_hashes(query: Document) -> dict[int, tuple[int, int, int, int]]:
    by_hash: dict[int, tuple[int, int, int, int]] = {}
    for print_ in query.fingerprints:
        if print_.hash not in by_hash:
            by_hash[print_.hash] = (print_.channel, print_.weight, print_.pos, print_.line)
    return by_hash


def _template_hashes(index: SimilarityIndex, hits: list[tuple[int, int]]) -> set[int]:
    templates = index.template_ids()
    return {h for h, doc in hits if doc in templates} if templates else set()


def _add_hits(matched: dict[int, list[float]], hits: list[tuple[int, int]],
              shares: dict[int, tuple[int, float, int]]) -> None:
    """The hot loop of a query: plain lists and dict lookups, no objects per hit."""
    for h, doc in hits:
        share = shares.get(h)
        if share is None:
            continue
        row = matched.get(doc)
        if row is None:
            row = matched[doc] = [0.0, 0.0, 0.0, 0.0]
        row[share[0]] += share[1]
        row[share[0] + 2] += share[2]


def _rank(query: Document, weights: _Weights, documents: dict[int, StoredDocument],
          settings: SearchSettings, exclude: frozenset[str]) -> list[tuple[int, tuple]]:
    scored = []
    for doc, matched in weights.matched.items():
        if documents[doc].origin.label in exclude:
            continue
        token = matched[0] / weights.total[0] if weights.total[0] else 0.0
        shape = matched[1] / weights.total[1] if weights.total[1] else 0.0
        score = _combine(token, shape, query.parsed, settings.shape_share)
        if score >= settings.min_score:
            scored.append((doc, (score, token, shape)))
    scored.sort(key=lambda item: (-item[1][0], item[0]))
    return scored


def _combine(token: float, shape: float, parsed: bool, shape_share: float) -> float:
    if not parsed:
        return token
    return min(1.0, shape_share * shape + (1 - shape_share) * token)


def _match(index: SimilarityIndex, query: Document, source: StoredDocument, scores: tuple,
           weights: _Weights, authors: frozenset[str], aligned: bool) -> Match:
    score, token, shape = scores
    raw = weights.matched[source.id][2:]
    source_total = source.shape_weight if query.parsed else source.token_prints
    source_coverage = min(1.0, (raw[SHAPE_CHANNEL] if query.parsed else raw[0])
                          / source_total) if source_total else 0.0
    regions: tuple[Region, ...] = ()
    coverage = 0.0
    if aligned:
        other = fingerprint(source.origin.path, index.document_text(source.id))
        regions = align(query, other, _seeds(index, source.id, weights))
        covered = sum(r.tokens for r in regions)
        coverage = min(1.0, covered / query.tokens) if query.tokens else 0.0
    reuse = bool(source.origin.author) and source.origin.author in authors
    return Match(source, score, token, shape, coverage, source_coverage, regions, reuse)


def _seeds(index: SimilarityIndex, doc: int, weights: _Weights) -> list[tuple[Posting, int, int]]:
    """(source posting, query pos, query line) of the counted hashes in one candidate."""
    seeds = []
    for h, channel, line, pos in index.doc_postings(doc):
        used = weights.used.get(h)
        if used is not None:
            seeds.append((Posting(doc, channel, line, pos), used[1], used[2]))
    return seeds
