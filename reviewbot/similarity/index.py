"""The persistent fingerprint index: one small SQLite file, documents and packed postings.

A posting is (hash, document, position) packed as 12 bytes; postings live in blobs, one row
per bucket of hashes (the 48-bit hash's low 16 bits, so a posting stores the other 32),
sorted by hash. A query reads the few buckets
its hashes fall in; document frequencies are counted from the same postings, so the
submission's own documents can be left out of them. No row per posting, no secondary index:
an index of 10,000 files stays a few tens of megabytes and builds in one sort.
"""

from __future__ import annotations

import posixpath
import sqlite3
import sys
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reviewbot.core.errors import ReviewbotError
from reviewbot.similarity.documents import Document, Packed, fingerprint, pack

FORMAT = "reviewbot-similarity"
# shape hashes are tuple hashes: they depend on the interpreter's hash function
# (4: 48-bit hashes, 12-byte postings in buckets, numpy k-gram hashes; 5: texts in their own
# table, so that reading the documents' metadata does not scan the texts' pages)
FORMAT_VERSION = f"5/py{sys.version_info.major}.{sys.version_info.minor}/{sys.hash_info.algorithm}"
BUCKET_BITS = 16
_MASK = (1 << BUCKET_BITS) - 1
POSTING = np.dtype([("hash", "<i8"), ("doc", "<i4"), ("pos", "<i4")])  # in memory
STORED = np.dtype([("high", "<u4"), ("doc", "<u4"), ("pos", "<u4")])  # in a bucket's blob

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY, label TEXT NOT NULL, path TEXT NOT NULL, repo TEXT NOT NULL,
    revision TEXT NOT NULL, author TEXT NOT NULL, template INTEGER NOT NULL,
    tokens INTEGER NOT NULL, shape_weight INTEGER NOT NULL, token_prints INTEGER NOT NULL,
    digest TEXT NOT NULL, UNIQUE (label, path));
CREATE TABLE IF NOT EXISTS texts (id INTEGER PRIMARY KEY, text BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS buckets (bucket INTEGER PRIMARY KEY, postings BLOB NOT NULL);
"""
Families = tuple[list[str], np.ndarray, np.ndarray]  # names, number by doc id, size by number
_FOLDERS = """
SELECT id, DENSE_RANK() OVER (ORDER BY label, rtrim(path, replace(path, '/', ''))) - 1
FROM documents ORDER BY id"""  # rtrim: the path up to its last '/', what dirname reads
_FLUSH_POSTINGS = 3_000_000  # postings held in memory before they are merged into buckets
_LOOKUP_BATCH = 500  # buckets per IN (...) query, under SQLite's variable limit


class IndexFileError(ReviewbotError):
    """The index file is missing, not a reviewbot index, or damaged."""


@dataclass(frozen=True)
class Origin:
    """Where an indexed document comes from."""

    label: str
    path: str
    repo: str = ""
    revision: str = ""
    author: str = ""
    template: bool = False  # maintainers' starter code: its fingerprints are base code

    @property
    def family(self) -> str:
        """Sibling files (same label, same folder) share templates: one family."""
        return f"{self.label}\0{posixpath.dirname(self.path)}"


@dataclass(frozen=True)
class StoredDocument:
    id: int
    origin: Origin
    tokens: int
    shape_weight: int
    token_prints: int
    digest: str = ""

    def text(self, index: SimilarityIndex) -> str:
        return index.document_text(self.id)


@dataclass(frozen=True)
class Posting:
    doc: int
    channel: int
    line: int
    pos: int


def corrupted(path: Path, why: str) -> IndexFileError:
    return IndexFileError(f"index {path} is not a reviewbot index or is corrupted ({why}): "
                          "rebuild it with `reviewbot index build`")


def postings_of(packed: Packed, doc_id: int) -> np.ndarray:
    """The document's postings; a shape posting's position is its line (regions use lines)."""
    records = np.empty(len(packed.hashes), dtype=POSTING)
    records["hash"], records["pos"], records["doc"] = packed.hashes, packed.places, doc_id
    return records


class SimilarityIndex:
    """An open index file."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self.db = connection
        self._documents: dict[int, StoredDocument] | None = None
        self._families: Families | None = None
        self._pending: list[np.ndarray] = []
        self._pending_count = 0
        self._removed: set[int] = set()

    @classmethod
    def open(cls, path: Path, *, create: bool = False) -> SimilarityIndex:
        """Open ``path``; with ``create`` a missing file becomes an empty index."""
        if not path.exists() and not create:
            raise IndexFileError(f"no index at {path}: build one with `reviewbot index build` "
                                 "or `reviewbot index add PATH --label NAME`")
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = sqlite3.connect(str(path), isolation_level=None)
            index = cls(path, db)
            index._prepare(create)
        except sqlite3.DatabaseError as exc:
            raise corrupted(path, str(exc)) from None
        return index

    def _prepare(self, create: bool) -> None:
        tables = {row[0] for row in self.db.execute("SELECT name FROM sqlite_master")}
        self.db.execute("PRAGMA synchronous=NORMAL")  # WAL: safe, only the last commit at risk
        self.db.execute("PRAGMA cache_size=-32768")
        if not tables and create:
            self.db.execute("PRAGMA page_size=16384")  # big blobs: fewer overflow pages
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.executescript(_SCHEMA)
            self.db.executemany("INSERT INTO meta VALUES (?, ?)",
                                [("format", FORMAT), ("version", FORMAT_VERSION)])
            return
        meta = dict(self.db.execute("SELECT key, value FROM meta")) if "meta" in tables else {}
        if meta.get("format") != FORMAT:
            raise corrupted(self.path, "no reviewbot metadata")
        if meta.get("version") != FORMAT_VERSION:
            raise IndexFileError(f"index {self.path} was built by another version "
                                 f"({meta.get('version')}, this is {FORMAT_VERSION}): rebuild "
                                 "it with `reviewbot index build`")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> SimilarityIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ writing

    def add(self, items: Iterable[tuple[Origin, Document]]) -> int:
        """Add or replace documents in one transaction; returns how many were new or changed."""
        changed = 0
        try:
            self.db.execute("BEGIN")
            for origin, document in items:
                changed += self._add_one(origin, document)
            self._write_postings()
            self.db.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise corrupted(self.path, str(exc)) from None
        finally:
            self._pending, self._removed, self._pending_count = [], set(), 0
        self._documents, self._families = None, None
        return changed

    def _add_one(self, origin: Origin, document: Document) -> int:
        packed = document.packed or pack(document)
        digest = packed.digest
        row = self.db.execute("SELECT id, digest FROM documents WHERE label = ? AND path = ?",
                              (origin.label, origin.path)).fetchone()
        if row is not None and row[1] == digest:
            return 0
        if row is not None:
            self._remove(row[0])
        doc_id = self._insert_document(origin, document, packed)
        self._pending.append(postings_of(packed, doc_id))
        self._pending_count += len(packed.hashes)
        if self._pending_count > _FLUSH_POSTINGS:  # bounded memory on big builds
            self._write_postings()
        return 1

    def _insert_document(self, origin: Origin, document: Document, packed: Packed) -> int:
        cursor = self.db.execute(
            "INSERT INTO documents (label, path, repo, revision, author, template, tokens, "
            "shape_weight, token_prints, digest) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (origin.label, origin.path, origin.repo, origin.revision, origin.author,
             int(origin.template), document.tokens, packed.shape_weight, packed.token_prints,
             packed.digest))
        doc_id = int(cursor.lastrowid or 0)
        self.db.execute("INSERT INTO texts VALUES (?, ?)", (doc_id, packed.text))
        return doc_id

    def _remove(self, doc_id: int) -> None:
        """Forget a document; its postings go when their buckets are next written."""
        old = fingerprint("old", self.document_text(doc_id))
        self._pending.append(postings_of(pack(old), -1))  # touches its buckets, adds nothing
        self._removed.add(doc_id)
        self.db.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
        self.db.execute("DELETE FROM texts WHERE id = ?", (doc_id,))

    def _write_postings(self) -> None:
        """Merge the pending postings into their buckets: one sort, one write per bucket."""
        if not self._pending:
            return
        self._pending_count = 0
        new = np.concatenate(self._pending)
        new = new[new["doc"] >= 0]
        touched = np.unique(np.concatenate([p["hash"] & _MASK for p in self._pending]))
        old = self._stored_buckets(touched.tolist())
        if self._removed and len(old):
            old = old[~np.isin(old["doc"], np.fromiter(self._removed, dtype=np.int32))]
        merged = np.concatenate([old, new]) if len(old) else new
        order = np.lexsort((merged["pos"], merged["doc"], merged["hash"], merged["hash"] & _MASK))
        merged = merged[order]
        self.db.executemany("INSERT OR REPLACE INTO buckets VALUES (?, ?)",
                            _bucket_rows(merged, touched))
        self._pending, self._removed = [], set()

    def _stored_buckets(self, buckets: list[int]) -> np.ndarray:
        parts = [_unpack(bucket, blob) for bucket, blob in self._bucket_blobs(buckets)]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=POSTING)

    def _bucket_blobs(self, buckets: list[int]) -> Iterator[tuple[int, bytes]]:
        for batch in _batches(buckets):
            marks = ",".join("?" * len(batch))
            yield from self._select(
                f"SELECT bucket, postings FROM buckets WHERE bucket IN ({marks})", batch)

    # ------------------------------------------------------------------ reading

    def documents(self) -> dict[int, StoredDocument]:
        if self._documents is None:
            self._documents = {row[0]: _stored(row) for row in self._select(
                "SELECT id, label, path, repo, revision, author, template, tokens, "
                "shape_weight, token_prints, digest FROM documents")}
        return self._documents

    def families(self) -> Families:
        """(family names, family number by document id, size by family number as floats):
        folders numbered by SQLite, so only one document per folder is looked at here."""
        if self._families is None:
            documents = self.documents()
            rows = np.array(self._select(_FOLDERS), dtype=np.int64).reshape(-1, 2)
            ids, folders = rows[:, 0], rows[:, 1]
            first = np.unique(folders, return_index=True)[1]  # by folder: its first row
            numbers: dict[str, int] = {}
            by_folder = np.zeros(len(first), dtype=np.int64)
            for folder in np.argsort(first).tolist():  # numbered in id order, as documents()
                name = documents[int(ids[first[folder]])].origin.family
                by_folder[folder] = numbers.setdefault(name, len(numbers))
            family_of = np.zeros(int(ids.max(initial=0)) + 1, dtype=np.int64)
            family_of[ids] = by_folder[folders]
            sizes = np.bincount(family_of[ids], minlength=len(numbers)).astype(np.float64)
            self._families = (list(numbers), family_of, sizes)
        return self._families

    def document_count(self) -> int:
        return int(self._select("SELECT COUNT(*) FROM documents")[0][0])

    def document_text(self, doc_id: int) -> str:
        rows = self._select("SELECT text FROM texts WHERE id = ?", (doc_id,))
        return zlib.decompress(rows[0][0]).decode("utf-8", "surrogatepass") if rows else ""

    def postings(self, hashes: Iterable[int]) -> np.ndarray:
        """Every posting of ``hashes`` (hash, doc, pos), sorted by hash."""
        wanted = np.unique(np.fromiter(hashes, dtype=np.int64))
        if not len(wanted):
            return np.zeros(0, dtype=POSTING)
        found = self._stored_buckets(np.unique(wanted & _MASK).tolist())
        return found[np.isin(found["hash"], wanted)]

    def template_ids(self) -> frozenset[int]:
        return frozenset(d for d, stored in self.documents().items() if stored.origin.template)

    def stats(self) -> dict[str, object]:
        rows = self._select("SELECT label, COUNT(*), SUM(tokens), SUM(template) FROM documents "
                            "GROUP BY label ORDER BY label")
        sizes = self._select("SELECT COALESCE(SUM(LENGTH(postings)), 0) FROM buckets")[0][0]
        return {"path": str(self.path), "documents": sum(r[1] for r in rows),
                "fingerprints": int(sizes) // STORED.itemsize,
                "bytes": self.path.stat().st_size if self.path.exists() else 0,
                "labels": [{"label": r[0], "documents": r[1], "tokens": r[2] or 0,
                            "templates": r[3] or 0} for r in rows]}

    def _select(self, sql: str, params: Iterable[object] = ()) -> list[tuple]:
        try:
            return self.db.execute(sql, tuple(params)).fetchall()
        except sqlite3.DatabaseError as exc:
            raise corrupted(self.path, str(exc)) from None


def _bucket_rows(merged: np.ndarray, touched: np.ndarray) -> Iterator[tuple[int, bytes]]:
    """(bucket, blob) for every touched bucket; an emptied bucket gets an empty blob."""
    keys = merged["hash"] & _MASK
    bounds = np.searchsorted(keys, touched, side="left"), np.searchsorted(keys, touched, "right")
    for bucket, start, end in zip(touched.tolist(), *(b.tolist() for b in bounds), strict=True):
        yield bucket, _pack(merged[start:end])


def _pack(postings: np.ndarray) -> bytes:
    stored = np.empty(len(postings), dtype=STORED)
    stored["high"] = postings["hash"] >> BUCKET_BITS
    stored["doc"], stored["pos"] = postings["doc"], postings["pos"]
    return stored.tobytes()


def _unpack(bucket: int, blob: bytes) -> np.ndarray:
    stored = np.frombuffer(blob, dtype=STORED)
    postings = np.empty(len(stored), dtype=POSTING)
    postings["hash"] = (stored["high"].astype(np.int64) << BUCKET_BITS) | bucket
    postings["doc"], postings["pos"] = stored["doc"], stored["pos"]
    return postings


def _stored(row: tuple) -> StoredDocument:
    origin = Origin(row[1], row[2], row[3], row[4], row[5], bool(row[6]))
    return StoredDocument(row[0], origin, row[7], row[8], row[9], row[10])


def _batches(items: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(items), _LOOKUP_BATCH):
        yield items[start:start + _LOOKUP_BATCH]
