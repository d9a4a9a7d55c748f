"""Winnowing (Schleimer, Wilkerson and Aiken 2003) over k-grams of normalized tokens.

Every run of at least ``K + W - 1`` matching tokens shares a fingerprint, whatever the
file around it. The k-gram hashes are polynomial hashes over the tokens' stable ids,
computed with numpy in one pass (wrapping 64-bit arithmetic), then mixed so that their
low bits (the index's buckets) are uniform; they do not depend on the interpreter.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

K = 15  # tokens per k-gram: shorter matches are coincidence once names are erased
W = 8  # window: one fingerprint per window (regions shorter than K + W - 1 are not evidence)
_BASE = np.uint64(0x100000001B3)
_MIX = np.uint64(0x9E3779B97F4A7C15)


def kgram_hashes(ids: tuple[int, ...] | list[int], k: int = K) -> np.ndarray:
    """Signed 64-bit hashes of every k-gram of ``ids`` (empty when shorter than k)."""
    tokens = np.asarray(ids, dtype=np.uint64)
    count = len(tokens) - k + 1
    if count <= 0:
        return np.zeros(0, dtype=np.int64)
    with np.errstate(over="ignore"):
        hashes = np.zeros(count, dtype=np.uint64)
        for offset in range(k):
            hashes = hashes * _BASE + tokens[offset:offset + count]
        hashes = hashes * _MIX
        hashes ^= hashes >> np.uint64(29)
    return hashes.view(np.int64)


def winnow(ids: tuple[int, ...] | list[int], k: int = K, window: int = W
           ) -> list[tuple[int, int]]:
    """(hash, token position) of the fingerprints chosen: the rightmost minimum of each window."""
    hashes = kgram_hashes(ids, k)
    if len(hashes) == 0:
        return []
    if len(hashes) <= window:
        best = int(np.argmin(hashes))
        return [(int(hashes[best]), best)]
    windows = sliding_window_view(hashes, window)
    rightmost = window - 1 - np.argmin(windows[:, ::-1], axis=1)
    positions = np.unique(rightmost + np.arange(len(windows)))
    return list(zip(hashes[positions].tolist(), positions.tolist(), strict=True))
