"""A candidate's evidence: contiguous aligned regions of rare structure, related to both sides.

Token regions are runs of shared k-gram fingerprints on one diagonal (the same offset
between the two files): a renamed or reformatted copy keeps its runs whole. Statement
regions are shared AST shapes close together in both files: reordered and rewritten code
keeps them. A fingerprint counts by its rarity in the corpus (1 / document frequency); one
that the candidate shares with a sibling file of its own family (same folder) is that
family's template and counts for nothing. Regions shorter than ``min_run`` fingerprints
(an idiom, a decorator) are not evidence, so a small file needs more than one idiom.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Seeds:
    """The shared fingerprints of a query and one candidate, one row per pair of places.

    ``q`` and ``s``: token positions (token channel) or lines (statement channel) in the
    query and the source; ``mass``: what the fingerprint is worth (rarity x size).
    """

    q: np.ndarray
    s: np.ndarray
    mass: np.ndarray


@dataclass(frozen=True)
class Run:
    """One aligned region: where it is in both files and its evidence."""

    q_start: int
    q_end: int
    s_start: int
    s_end: int
    mass: float
    prints: int


def token_runs(seeds: Seeds, max_gap: int, min_run: int) -> list[Run]:
    """Runs of fingerprints on one diagonal with gaps of at most ``max_gap`` tokens."""
    if not len(seeds.q):
        return []
    diagonal = seeds.s - seeds.q
    order = np.lexsort((seeds.q, diagonal))
    q, s, mass, diagonal = seeds.q[order], seeds.s[order], seeds.mass[order], diagonal[order]
    breaks = np.flatnonzero((np.diff(diagonal) != 0) | (np.diff(q) > max_gap)) + 1
    return [_run(q[a:b], s[a:b], mass[a:b]) for a, b in _spans(breaks, len(q))
            if b - a >= min_run]


def statement_runs(seeds: Seeds, line_gap: int, drift: int, min_run: int) -> list[Run]:
    """Groups of shared statement shapes close together in the query and in the source.

    A statement joins the group when it is at most ``line_gap`` query lines after the
    group's last one and its source line lies within ``drift`` lines of the group's span
    (statements moved inside a function stay in the group).
    """
    if not len(seeds.q):
        return []
    order = np.lexsort((seeds.s, seeds.q))
    groups: list[list[int]] = []
    spans: list[list[int]] = []  # [last q, min s, max s] per group
    for i, q, s in zip(order.tolist(), seeds.q[order].tolist(), seeds.s[order].tolist(),
                       strict=True):
        home = _group_for(spans, q, s, line_gap, drift)
        if home is None:
            groups.append([i])
            spans.append([q, s, s])
            continue
        groups[home].append(i)
        span = spans[home]
        span[0], span[1], span[2] = q, min(span[1], s), max(span[2], s)
    runs = [_run(seeds.q[g], seeds.s[g], seeds.mass[g]) for g in groups]
    return [run for run, g in zip(runs, groups, strict=True)
            if len(set(seeds.q[g].tolist())) >= min_run]


def _group_for(spans: list[list[int]], q: int, s: int, line_gap: int, drift: int
               ) -> int | None:
    """The most recent open group that a statement at (q, s) continues, if any."""
    for home in range(len(spans) - 1, -1, -1):
        last, low, high = spans[home]
        if q - last > line_gap:
            return None
        if low - drift <= s <= high + drift:
            return home
    return None


def _spans(breaks: np.ndarray, length: int) -> list[tuple[int, int]]:
    edges = [0, *breaks.tolist(), length]
    return list(itertools.pairwise(edges))


def _run(q: np.ndarray, s: np.ndarray, mass: np.ndarray) -> Run:
    return Run(int(q.min()), int(q.max()), int(s.min()), int(s.max()), float(mass.sum()),
               len(q))


def covered_mass(runs: list[Run], span: int) -> float:
    """The runs' evidence with each query place counted once (strongest run first)."""
    taken = np.zeros(span + 1, dtype=bool)
    total = 0.0
    for run in sorted(runs, key=lambda r: -r.mass):
        window = taken[run.q_start:run.q_end + 1]
        fresh = 1.0 - window.mean() if len(window) else 0.0
        total += run.mass * fresh
        taken[run.q_start:run.q_end + 1] = True
    return total
