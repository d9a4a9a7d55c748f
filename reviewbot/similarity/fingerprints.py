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
    last = -1
    for start in range(len(hashes) - window + 1):
        span = hashes[start:start + window]
        smallest = min(span)
        pos = start + window - 1 - span[::-1].index(smallest)  # rightmost minimum
        if pos != last:
            chosen.append((smallest, pos))
            last = pos
    return chosen
