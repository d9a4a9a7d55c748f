"""Winnowing (Schleimer, Wilkerson and Aiken 2003) over k-grams of normalized tokens.

Every run of at least ``K + W - 1`` matching tokens shares a fingerprint, whatever the
file around it; hashes of tuples of ints are stable across processes (str hashes are not).
"""

from __future__ import annotations

K = 15  # tokens per k-gram: shorter matches are coincidence once names are erased
W = 6  # window: one fingerprint per window


def kgram_hashes(ids: tuple[int, ...], k: int = K) -> list[int]:
    return [hash(ids[i:i + k]) for i in range(len(ids) - k + 1)]


def winnow(ids: tuple[int, ...], k: int = K, window: int = W) -> list[tuple[int, int]]:
    """(hash, token position) of the fingerprints chosen: the minimum of each window."""
    hashes = kgram_hashes(ids, k)
    if len(hashes) <= window:
        return [(min(hashes), hashes.index(min(hashes)))] if hashes else []
    chosen: list[tuple[int, int]] = []
    last = best = -1
    for end in range(window - 1, len(hashes)):
        if best <= end - window:  # the minimum left the window: find the rightmost one again
            best = _rightmost_min(hashes, end - window + 1, end)
        elif hashes[end] <= hashes[best]:  # a new minimum, or a tie further right
            best = end
        if best != last:
            chosen.append((hashes[best], best))
            last = best
    return chosen


def _rightmost_min(hashes: list[int], start: int, end: int) -> int:
    span = hashes[start:end + 1]
    return end - span[::-1].index(min(span))
