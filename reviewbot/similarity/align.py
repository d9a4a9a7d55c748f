"""Exact alignment of a query with one candidate: the regions a reviewer looks at.

Token fingerprints shared by both files seed tiles that are extended token by token in
both directions (greedy string tiling seeded by the index, so it costs the matches, not
the product of the lengths). Shape matches outside the tiles (reordered or rewritten
statements) are grouped by nearby lines into regions of their own.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from reviewbot.similarity.documents import SHAPE_CHANNEL, Document
from reviewbot.similarity.fingerprints import K
from reviewbot.similarity.index import Posting

_LINE_GAP = 3  # query lines between two shape matches of one region
_SOURCE_GAP = 12  # ... and how far their source lines may drift


@dataclass(frozen=True)
class Region:
    """A matched stretch: lines in the query and in the source, and its size in tokens."""

    query_start: int
    query_end: int
    source_start: int
    source_end: int
    tokens: int
    kind: str  # "exact" (token tiles) or "rewritten" (shape matches)


def align(query: Document, source: Document,
          seeds: list[tuple[Posting, int, int]]) -> tuple[Region, ...]:
    """The matched regions, largest first."""
    covered: set[int] = set()
    regions = _tiles(query, source, seeds, covered)
    regions += _shape_regions(query, seeds, covered)
    regions.sort(key=lambda r: (-r.tokens, r.query_start))
    return tuple(regions)


def _tiles(query: Document, source: Document, seeds: list[tuple[Posting, int, int]],
           covered: set[int]) -> list[Region]:
    q_ids, s_ids = query.stream.ids, source.stream.ids
    pairs = sorted((q_pos, p.pos) for p, q_pos, _ in seeds if p.channel != SHAPE_CHANNEL)
    regions = []
    for q_pos, s_pos in pairs:
        if q_pos in covered or s_pos + K > len(s_ids):
            continue
        start_q, start_s, end_q, end_s = _extend(q_ids, s_ids, q_pos, s_pos)
        if end_q - start_q < K:
            continue
        covered.update(range(start_q, end_q))
        regions.append(Region(query.stream.lines[start_q], query.stream.lines[end_q - 1],
                              source.stream.lines[start_s], source.stream.lines[end_s - 1],
                              end_q - start_q, "exact"))
    return regions


def _extend(q_ids: tuple[int, ...], s_ids: tuple[int, ...], q: int, s: int
            ) -> tuple[int, int, int, int]:
    start_q, start_s = q, s
    while start_q > 0 and start_s > 0 and q_ids[start_q - 1] == s_ids[start_s - 1]:
        start_q, start_s = start_q - 1, start_s - 1
    end_q, end_s = q, s
    while end_q < len(q_ids) and end_s < len(s_ids) and q_ids[end_q] == s_ids[end_s]:
        end_q, end_s = end_q + 1, end_s + 1
    return start_q, start_s, end_q, end_s


def _shape_regions(query: Document, seeds: list[tuple[Posting, int, int]],
                   covered: set[int]) -> list[Region]:
    lines = query.stream.lines
    covered_lines = {lines[pos] for pos in covered}
    pairs = sorted({(q_line, p.line) for p, _, q_line in seeds
                    if p.channel == SHAPE_CHANNEL and q_line not in covered_lines})
    groups: list[list[tuple[int, int]]] = []
    for q_line, s_line in pairs:
        last = groups[-1][-1] if groups else None
        if last and q_line - last[0] <= _LINE_GAP and abs(s_line - last[1]) <= _SOURCE_GAP:
            groups[-1].append((q_line, s_line))
        else:
            groups.append([(q_line, s_line)])
    return [_group_region(group, lines) for group in groups if len(group) >= 2]


def _group_region(group: list[tuple[int, int]], lines: tuple[int, ...]) -> Region:
    q_start, q_end = group[0][0], group[-1][0]
    sources = [s for _, s in group]
    tokens = bisect.bisect_right(lines, q_end) - bisect.bisect_left(lines, q_start)
    return Region(q_start, q_end, min(sources), max(sources), tokens, "rewritten")
