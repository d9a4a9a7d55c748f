"""A file as the similarity engine sees it: normalized tokens, fingerprints, a line map.

Modules and notebooks (code cells joined, magics commented out) both become a
``Document``; a notebook keeps its cell map so that a match lands on ``cell N:line``.
Python 2 files, which ``ast`` cannot parse, still get token fingerprints.
"""

from __future__ import annotations

import ast
import hashlib
import multiprocessing
import os
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

import numpy as np

from reviewbot.core.ipynb import Notebook, NotebookFormatError, parse_notebook
from reviewbot.similarity.fingerprints import winnow
from reviewbot.similarity.shapes import bound_names, shape_features
from reviewbot.similarity.tokens import TokenStream, normalize

_CHUNK = 16  # files per task handed to a worker process
MAX_BYTES = 2_000_000  # larger files are generated code or data, not an implementation
TOKEN_CHANNEL, SHAPE_CHANNEL = 0, 1
HASH_MASK = (1 << 48) - 1  # 48-bit fingerprints: the index stores 32 bits, its buckets 16
_EMPTY_STREAM = TokenStream((), ())


class DocumentError(ValueError):
    """A file that cannot be fingerprinted; the message says why, for the user."""


class Fingerprint(NamedTuple):  # a tuple: millions are made and pickled
    hash: int
    channel: int  # TOKEN_CHANNEL (winnowed k-gram) or SHAPE_CHANNEL (AST subtree)
    line: int  # 1-based line of the joined code
    pos: int  # token index (token channel) or feature order (shape channel)
    weight: int


class Packed(NamedTuple):
    """What the index stores of a document, computed in the process that fingerprinted it
    (the building process then only writes: on 2 cores its own work slowed the workers)."""

    digest: str  # sha256 of the text
    text: bytes  # the text, zlib-compressed
    hashes: np.ndarray  # int64, one per fingerprint
    places: np.ndarray  # int64: token position, or the line of a shape fingerprint
    shape_weight: int
    token_prints: int


def pack(document: Document) -> Packed:
    data = document.text.encode("utf-8", "surrogatepass")
    table = np.array(document.fingerprints, dtype=np.int64).reshape(-1, len(Fingerprint._fields))
    shape = table[:, 1] == SHAPE_CHANNEL
    return Packed(hashlib.sha256(data).hexdigest(), zlib.compress(data, 6), table[:, 0].copy(),
                  np.where(shape, table[:, 2], table[:, 3]), int(table[shape, 4].sum()),
                  int((~shape).sum()))


@dataclass(frozen=True)
class Document:
    """One fingerprinted file."""

    path: str
    text: str  # Python source (for a notebook: its code cells joined)
    tokens: int
    fingerprints: tuple[Fingerprint, ...]
    stream: TokenStream = _EMPTY_STREAM  # normalized tokens with their lines
    notebook: Notebook | None = None
    parsed: bool = True  # False: not Python 3, only token fingerprints
    # set by read_many(..., packed=True) for the index; arrays: left out of comparisons
    packed: Packed | None = field(default=None, compare=False, repr=False)

    def where(self, line: int) -> str:
        """``path:line``, or ``path cell N:L`` for a notebook."""
        if self.notebook is not None:
            origin = self.notebook.locate(line)
            if origin is not None:
                return f"{self.path} cell {origin.cell}:{origin.cell_line}"
        return f"{self.path}:{line}"

    def span(self, start: int, end: int) -> str:
        """``path:10-20``, or ``path cell 3:1-12`` (``path cell 3:4-cell 5:2`` across cells)."""
        first, last = self.where(start), self.where(end)
        if self.notebook is None or " cell " not in first or " cell " not in last:
            return f"{first}-{end}" if end != start else first
        first_cell, last_cell = first.rsplit(" cell ", 1)[1], last.rsplit(" cell ", 1)[1]
        if first_cell.split(":")[0] == last_cell.split(":")[0]:
            return f"{first}-{last_cell.split(':')[1]}"
        return f"{first}-cell {last_cell}"


def read_document(path: Path, label: str | None = None) -> Document:
    """Read and fingerprint ``path`` (.py or .ipynb); DocumentError when it cannot be."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return document_from_bytes(label or str(path), data)


def read_guarded(item: tuple[Path, str]) -> tuple[Path, Document | str]:
    """``read_document``, with any failure turned into a message: one file never stops a run."""
    path, label = item
    try:
        return path, read_document(path, label)
    except DocumentError as exc:
        return path, str(exc)
    except Exception as exc:  # a bug on one odd file must not kill a whole build
        return path, f"{label}: not fingerprinted ({type(exc).__name__}: {exc})"


def read_packed(item: tuple[Path, str]) -> tuple[Path, Document | str]:
    """``read_guarded``, with what the index stores already computed."""
    path, document = read_guarded(item)
    if isinstance(document, Document):
        document = replace(document, packed=pack(document))
    return path, document


def read_many(items: list[tuple[Path, str]], packed: bool = False
              ) -> Iterator[tuple[Path, Document | str]]:
    """``read_guarded`` (``read_packed`` for the index) over (path, label) pairs on every
    core, order kept."""
    read = read_packed if packed else read_guarded
    workers = min(os.cpu_count() or 1, 8)
    if workers == 1 or len(items) < 2 * _CHUNK:
        yield from map(read, items)
        return
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield from pool.imap(read, items, chunksize=_CHUNK)


def document_from_bytes(name: str, data: bytes) -> Document:
    if len(data) > MAX_BYTES:
        raise DocumentError(f"{name}: {len(data) // 1_000_000} MB is over the "
                            f"{MAX_BYTES // 1_000_000} MB limit for source files")
    if b"\0" in data[:8192]:
        raise DocumentError(f"{name}: binary file, not source code")
    text = data.decode("utf-8", errors="replace")
    if name.endswith(".ipynb"):
        return notebook_document(name, text)
    return fingerprint(name, text)


def notebook_document(name: str, text: str) -> Document:
    try:
        notebook = parse_notebook(name, text)
    except NotebookFormatError as exc:
        raise DocumentError(f"{name}: {exc}") from None
    document = fingerprint(name, notebook.code)
    return Document(document.path, document.text, document.tokens, document.fingerprints,
                    document.stream, notebook, document.parsed)


def fingerprint(name: str, text: str) -> Document:
    """Both channels of fingerprints for a Python source."""
    tree = _parse(text)
    bound = bound_names(tree) if tree is not None else None
    stream = normalize(text, bound)
    prints = [Fingerprint(h & HASH_MASK, TOKEN_CHANNEL, stream.lines[pos], pos, 1)
              for h, pos in winnow(stream.ids)]
    if tree is not None:
        prints += _shape_prints(tree, bound or frozenset())
    return Document(name, text, len(stream.ids), tuple(prints), stream, None,
                    tree is not None)


def _shape_prints(tree: ast.Module, bound: frozenset[str]) -> list[Fingerprint]:
    try:
        features = shape_features(tree, bound)
    except RecursionError:  # backstop: a file too deep for the walk keeps its tokens
        return []
    return [Fingerprint(f.hash & HASH_MASK, SHAPE_CHANNEL, f.line, order, f.weight)
            for order, f in enumerate(features)]


def _parse(text: str) -> ast.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
