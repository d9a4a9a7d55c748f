"""Query a document against the index: candidates by inverted lookups, scored by regions.

The query's fingerprints are looked up in the index; each counts by its rarity among the
documents that are not the submission's own (1 / document frequency). Fingerprints found in
more than ``max_doc_share`` of the documents or in a maintainers' template are base code
(MOSS's ``-m``). The best candidates by shared rare fingerprints are then scored by their
aligned regions (``evidence``): token runs and statement groups, each related to the query
(how much of it they cover) and to the source (how much of it was taken). Only the top
matches are aligned token by token for display.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reviewbot.similarity.align import Region, align
from reviewbot.similarity.documents import SHAPE_CHANNEL, Document, fingerprint
from reviewbot.similarity.evidence import Run, Seeds, covered_mass, statement_runs, token_runs
from reviewbot.similarity.index import Families, Posting, SimilarityIndex, StoredDocument


@dataclass(frozen=True)
class SearchSettings:
    max_doc_share: float = 0.1  # hashes in more documents than this share are boilerplate
    min_doc_cap: int = 10  # ... but never fewer than this many documents
    candidates: int = 10  # candidates aligned and reported at most
    min_score: float = 0.05  # weaker candidates are not reported
    align_min_score: float = 0.1  # weaker ones are listed without their regions (it costs)
    shape_share: float = 0.3  # the statement channel's share of the score
    scored: int = 12  # candidates scored by regions (the rest by shared fingerprints only)
    min_token_run: int = 3  # fingerprints in a token region (about 25 tokens) at least
    min_statement_run: int = 2  # statements in a statement region at least
    token_gap: int = 40  # tokens between two fingerprints of one region at most
    line_gap: int = 3  # query lines between two statements of one region at most
    drift: int = 12  # ... and how far their source lines may drift
    idiom_prints: int = 10  # one token region shorter than this (about 60 tokens) ...
    idiom_statements: int = 8  # ... with one group of fewer statements: an idiom
    family_share: float = 0.0  # share of a family's files holding a hash: its template


@dataclass(frozen=True)
class Match:
    """One indexed source that the query resembles."""

    source: StoredDocument
    score: float  # evidence of the aligned regions, related to both files
    token_score: float
    shape_score: float
    submission_coverage: float  # share of the query's tokens inside matched regions
    source_coverage: float  # share of the source's rare structure found in the query
    regions: tuple[Region, ...] = ()
    reuse: bool = False  # same author: the candidate's own earlier work


@dataclass
class _Query:
    """The query's fingerprints as arrays, and what each is worth in this corpus."""

    hashes: np.ndarray
    channel: np.ndarray
    place: np.ndarray  # token position or line
    weight: np.ndarray
    rarity: dict[int, float]
    totals: tuple[float, float]  # the query's whole mass per channel


def search(index: SimilarityIndex, query: Document, settings: SearchSettings = SearchSettings(),
           *, exclude_labels: frozenset[str] = frozenset(), authors: frozenset[str] = frozenset(),
           exclude: Callable[[StoredDocument], bool] | None = None,
           align_top: int | None = None) -> list[Match]:
    """The sources ``query`` copies from, best first.

    Documents with a label in ``exclude_labels`` or for which ``exclude`` is true (the
    submission's own files) are neither results nor counted in the rarity weights.
    """
    documents = index.documents()
    own = {d for d, stored in documents.items() if stored.origin.label in exclude_labels
           or (exclude is not None and exclude(stored))}
    if len(own) == len(documents) or not query.fingerprints:
        return []
    prepared, postings = _prepare(index, query, documents, own, settings)
    scored = _score_candidates(index, prepared, postings, documents, settings)
    top = align_top if align_top is not None else settings.candidates
    matches = [_match(index, query, documents[doc], scores, postings, authors,
                      i < top and scores[0] >= settings.align_min_score)
               for i, (doc, scores) in enumerate(scored[:settings.candidates])]
    return _identical_first(query, matches)


def _identical_first(query: Document, matches: list[Match]) -> list[Match]:
    """A byte-identical file is a whole copy: 100% on both sides, whatever the weights."""
    digest = hashlib.sha256(query.text.encode("utf-8", "surrogatepass")).hexdigest()
    whole = [dataclasses.replace(m, score=1.0, submission_coverage=1.0, source_coverage=1.0)
             if m.source.digest == digest else m for m in matches]
    return sorted(whole, key=lambda m: -m.score)


def _prepare(index: SimilarityIndex, query: Document, documents: dict[int, StoredDocument],
             own: set[int], settings: SearchSettings) -> tuple[_Query, np.ndarray]:
    prints = query.fingerprints
    hashes = np.fromiter((p.hash for p in prints), dtype=np.int64, count=len(prints))
    postings = _not_repeated(index.postings(hashes))
    if own:
        postings = postings[~np.isin(postings["doc"], np.fromiter(own, dtype=np.int32))]
    rarity, base = _rarity(postings, len(documents) - len(own), index.template_ids(), settings)
    for h in _repeated(hashes):  # the query's own filler is base code too
        rarity.pop(h, None)
        base.add(h)
    postings = postings[np.isin(postings["hash"], np.fromiter(rarity, dtype=np.int64))]
    channel = np.fromiter((p.channel for p in prints), dtype=np.int8, count=len(prints))
    place = np.fromiter((p.line if p.channel == SHAPE_CHANNEL else p.pos for p in prints),
                        dtype=np.int64, count=len(prints))
    weight = np.fromiter((p.weight for p in prints), dtype=np.float64, count=len(prints))
    worth = np.array([0.0 if h in base else rarity.get(h, 1.0) for h in hashes.tolist()])
    shape = channel == SHAPE_CHANNEL
    totals = (float(worth[~shape].sum()), float((worth * weight)[shape].sum()))
    return _Query(hashes, channel, place, weight, rarity, totals), postings


MAX_REPEATS = 16  # a fingerprint repeated more often in one file is that file's own filler


def _repeated(hashes: np.ndarray) -> set[int]:
    """Hashes the query repeats more than MAX_REPEATS times (generated tables, filler)."""
    values, counts = np.unique(hashes, return_counts=True)
    return set(values[counts > MAX_REPEATS].tolist())


def _not_repeated(postings: np.ndarray) -> np.ndarray:
    """Postings without the hashes a document repeats more than MAX_REPEATS times: pairs of
    repeated places would multiply (seeds are every query place x every source place)."""
    if not len(postings):
        return postings
    order = np.lexsort((postings["doc"], postings["hash"]))
    ordered = postings[order]
    starts = _group_starts(ordered["hash"], ordered["doc"])
    counts = np.diff(np.append(starts, len(ordered)))
    keep = np.empty(len(postings), dtype=bool)
    keep[order] = np.repeat(counts <= MAX_REPEATS, counts)
    return postings[keep]


def _group_starts(*columns: np.ndarray) -> np.ndarray:
    """Where each run of equal rows begins in columns already sorted together."""
    change = np.zeros(len(columns[0]), dtype=bool)
    if len(change):
        change[0] = True
        for column in columns:
            change[1:] |= column[1:] != column[:-1]
    return np.flatnonzero(change)


def _unique_pairs(postings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (hash, doc) pairs, sorted by hash then doc, as two arrays: numeric sorts
    (a structured array's sort compares field by field, far slower)."""
    order = np.lexsort((postings["doc"], postings["hash"]))
    hashes, docs = postings["hash"][order], postings["doc"][order]
    starts = _group_starts(hashes, docs)
    return hashes[starts], docs[starts]


def _rarity(postings: np.ndarray, corpus: int, templates: frozenset[int],
            settings: SearchSettings) -> tuple[dict[int, float], set[int]]:
    """1 / document frequency of each shared hash, and the hashes that are base code."""
    pair_hashes, pair_docs = _unique_pairs(postings)
    starts = _group_starts(pair_hashes)
    hashes, freq = pair_hashes[starts], np.diff(np.append(starts, len(pair_hashes)))
    cap = max(settings.min_doc_cap, settings.max_doc_share * corpus)
    keep = freq <= cap
    if templates:
        in_template = pair_hashes[np.isin(pair_docs, np.fromiter(templates, np.int32))]
        keep &= ~np.isin(hashes, in_template)
    rarity = dict(zip(hashes[keep].tolist(), (1.0 / freq[keep]).tolist(), strict=True))
    return rarity, set(hashes[~keep].tolist())


def _score_candidates(index: SimilarityIndex, query: _Query, postings: np.ndarray,
                      documents: dict[int, StoredDocument], settings: SearchSettings
                      ) -> list[tuple[int, tuple[float, ...]]]:
    """(document, scores) best first: the ``scored`` best by shared rare fingerprints,
    then ranked by the evidence of their aligned regions."""
    seeds = _expand(query, postings)
    skeleton = _skeleton(postings, index.families(), settings.family_share)
    shortlist = _shortlist(query, seeds, settings)
    scored = []
    for doc in shortlist:
        rows = seeds["doc"] == doc
        family = documents[doc].origin.family
        scores = _evidence(query, seeds[rows], skeleton.get(family, set()), documents[doc],
                           settings)
        if scores[0] >= settings.min_score:
            scored.append((doc, scores))
    scored.sort(key=lambda item: (-item[1][0], item[0]))
    return scored


_SEED = np.dtype([("hash", "<i8"), ("doc", "<i4"), ("s", "<i8"), ("q", "<i8"),
                  ("shape", "?"), ("mass", "<f8")])


def _expand(query: _Query, postings: np.ndarray) -> np.ndarray:
    """One seed per (posting, query place) of the same hash, with what it is worth."""
    order = np.argsort(query.hashes, kind="stable")
    sorted_hashes = query.hashes[order]
    left = np.searchsorted(sorted_hashes, postings["hash"], "left")
    right = np.searchsorted(sorted_hashes, postings["hash"], "right")
    counts = right - left
    rows = np.repeat(np.arange(len(postings)), counts)
    within = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
    picked = order[np.repeat(left, counts) + within]
    seeds = np.empty(len(rows), dtype=_SEED)
    seeds["hash"] = postings["hash"][rows]
    seeds["doc"] = postings["doc"][rows]
    seeds["s"] = postings["pos"][rows]
    seeds["q"] = query.place[picked]
    seeds["shape"] = query.channel[picked] == SHAPE_CHANNEL
    rarity = np.array([query.rarity[h] for h in seeds["hash"].tolist()])
    repeats = (right - left)[rows]  # structure the query repeats counts once
    seeds["mass"] = rarity * np.where(seeds["shape"], query.weight[picked], 1.0) / repeats
    return _unique_rows(seeds)  # a hash twice on one line is one seed


def _unique_rows(seeds: np.ndarray) -> np.ndarray:
    """``np.unique(seeds)`` (sorted by every field in order) by a numeric lexsort."""
    fields = seeds.dtype.names or ()
    ordered = seeds[np.lexsort([seeds[name] for name in reversed(fields)])]
    return ordered[_group_starts(*(ordered[name] for name in fields))]


def _skeleton(postings: np.ndarray, families: Families, share: float) -> dict[str, set[int]]:
    """Per family of sibling files, the hashes that ``share`` of its files (two at least)
    hold: its template."""
    names, family_of, sizes = families
    hashes, docs = _unique_pairs(postings)
    families = family_of[docs]
    order = np.lexsort((hashes, families))
    families, hashes = families[order], hashes[order]
    starts = _group_starts(families, hashes)
    counts = np.diff(np.append(starts, len(hashes)))
    families, hashes = families[starts], hashes[starts]
    held = counts >= np.maximum(2, share * sizes[families])
    skeleton: dict[str, set[int]] = {}
    for family, h in zip(families[held].tolist(), hashes[held].tolist(), strict=True):
        skeleton.setdefault(names[family], set()).add(h)
    return skeleton


def _shortlist(query: _Query, seeds: np.ndarray, settings: SearchSettings) -> list[int]:
    """The candidates worth aligning: most shared rare fingerprints, per channel share."""
    order = np.lexsort((seeds["shape"], seeds["doc"], seeds["hash"]))  # stable: first kept
    ordered = seeds[order]
    unique = ordered[_group_starts(ordered["hash"], ordered["doc"], ordered["shape"])]
    shares = np.where(unique["shape"], settings.shape_share / max(query.totals[1], 1e-9),
                      (1 - settings.shape_share) / max(query.totals[0], 1e-9)) * unique["mass"]
    docs, inverse = np.unique(unique["doc"], return_inverse=True)
    totals = np.bincount(inverse, weights=shares, minlength=len(docs))
    best = np.argsort(-totals, kind="stable")[:settings.scored]
    return docs[best].tolist()


def _evidence(query: _Query, seeds: np.ndarray, skeleton: set[int], source: StoredDocument,
              settings: SearchSettings) -> tuple[float, ...]:
    """(score, token score, statement score, query side, source side) of one candidate."""
    if skeleton:
        seeds = seeds[~np.isin(seeds["hash"], np.fromiter(skeleton, dtype=np.int64))]
    tokens, shapes = seeds[~seeds["shape"]], _one_place_each(seeds[seeds["shape"]])
    token_regions = token_runs(Seeds(tokens["q"], tokens["s"], tokens["mass"]),
                               settings.token_gap, settings.min_token_run)
    shape_regions = statement_runs(Seeds(shapes["q"], shapes["s"], shapes["mass"]),
                                   settings.line_gap, settings.drift, settings.min_statement_run)
    if _one_idiom(token_regions, shape_regions, settings):
        token_regions, shape_regions = [], []
    token_mass = covered_mass(token_regions, int(tokens["q"].max(initial=0)))
    shape_mass = covered_mass(shape_regions, int(shapes["q"].max(initial=0)))
    return SCORE(token_mass, shape_mass, query.totals, source, settings)


def _one_idiom(token_regions: list[Run], shape_regions: list[Run],
               settings: SearchSettings) -> bool:
    """At most one short token region and one short statement group: a shared idiom (a
    decorator, a guard), not a copy, however small the files."""
    if len(token_regions) > 1 or len(shape_regions) > 1:
        return False
    token_prints = sum(r.prints for r in token_regions)
    statements = sum(r.prints for r in shape_regions)
    return token_prints < settings.idiom_prints and statements < settings.idiom_statements


def _one_place_each(seeds: np.ndarray) -> np.ndarray:
    """A statement that repeats in the source pairs with one of its places: the one
    nearest the usual offset between the files."""
    if len(seeds) < 2:
        return seeds
    offset = np.median(seeds["s"] - seeds["q"])
    distance = np.abs(seeds["s"] - seeds["q"] - offset)
    order = np.lexsort((distance, seeds["q"], seeds["hash"]))
    ordered = seeds[order]
    first = np.ones(len(ordered), dtype=bool)
    same_hash = ordered["hash"][1:] == ordered["hash"][:-1]
    first[1:] = ~(same_hash & (ordered["q"][1:] == ordered["q"][:-1]))
    return ordered[first]


def region_score(token_mass: float, shape_mass: float, totals: tuple[float, float],
                 source: StoredDocument, settings: SearchSettings) -> tuple[float, ...]:
    share = settings.shape_share if totals[1] else 0.0  # not Python 3: tokens only
    token_q = token_mass / totals[0] if totals[0] else 0.0
    shape_q = shape_mass / totals[1] if totals[1] else 0.0
    token_s = token_mass / source.token_prints if source.token_prints else 0.0
    shape_s = shape_mass / source.shape_weight if source.shape_weight else 0.0
    query_side = min(1.0, (1 - share) * token_q + share * shape_q)
    source_side = min(1.0, (1 - share) * token_s + share * shape_s)
    score = (query_side + source_side) / 2  # a copy inside a bigger file, or of a bigger file
    return score, token_q, shape_q, query_side, source_side, token_mass, shape_mass


SCORE = region_score


def _match(index: SimilarityIndex, query: Document, source: StoredDocument,
           scores: tuple[float, ...], seeds_all: np.ndarray, authors: frozenset[str],
           aligned: bool) -> Match:
    score, token, shape, _query_side, source_side = scores[:5]
    regions: tuple[Region, ...] = ()
    coverage = 0.0
    if aligned:
        other = fingerprint(source.origin.path, index.document_text(source.id))
        regions = align(query, other, _align_seeds(query, seeds_all, source.id))
        covered = sum(r.tokens for r in regions)
        coverage = min(1.0, covered / query.tokens) if query.tokens else 0.0
    reuse = bool(source.origin.author) and source.origin.author in authors
    return Match(source, score, token, shape, coverage, min(1.0, source_side), regions, reuse)


def _align_seeds(query: Document, postings: np.ndarray, doc: int
                 ) -> list[tuple[Posting, int, int]]:
    """(source posting, query pos, query line) of the candidate's shared fingerprints."""
    mine = postings[postings["doc"] == doc]
    places: dict[int, tuple[int, int, int]] = {}
    for print_ in query.fingerprints:
        places.setdefault(print_.hash, (print_.channel, print_.pos, print_.line))
    seeds = []
    for h, _doc, pos in mine.tolist():
        channel, q_pos, q_line = places[h]
        line = pos if channel == SHAPE_CHANNEL else 0
        seeds.append((Posting(doc, channel, line, pos), q_pos, q_line))
    return seeds


def is_own(stored: StoredDocument, name: str) -> bool:
    """The submission's own files, indexed earlier: under its name as label or folder."""
    origin = stored.origin
    return origin.label == name or name in Path(origin.path).parts or \
        name in Path(origin.repo).parts
