"""The persistent fingerprint index: one SQLite file, documents and an inverted index.

``fingerprints`` maps a hash to the documents and places it occurs in (indexed on the
hash); ``doc_freq`` counts the documents holding each hash, so that a query can skip
boilerplate without reading its postings. Inserts are batched in one transaction per add.
"""

from __future__ import annotations

import hashlib
import sqlite3
import sys
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from reviewbot.core.errors import ReviewbotError
from reviewbot.similarity.documents import SHAPE_CHANNEL, Document

FORMAT = "reviewbot-similarity"
# tuple hashes depend on the interpreter's hash function: an index is tied to it
# (2: shape hashes keep string literals)
FORMAT_VERSION = f"2/py{sys.version_info.major}.{sys.version_info.minor}/{sys.hash_info.algorithm}"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY, label TEXT NOT NULL, path TEXT NOT NULL, repo TEXT NOT NULL,
    revision TEXT NOT NULL, author TEXT NOT NULL, template INTEGER NOT NULL,
    tokens INTEGER NOT NULL, shape_weight INTEGER NOT NULL, token_prints INTEGER NOT NULL,
    digest TEXT NOT NULL, text BLOB NOT NULL, UNIQUE (label, path));
CREATE TABLE IF NOT EXISTS fingerprints (
    hash INTEGER NOT NULL, doc INTEGER NOT NULL, channel INTEGER NOT NULL,
    line INTEGER NOT NULL, pos INTEGER NOT NULL, weight INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS doc_freq (hash INTEGER PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
"""
# created after a bulk load (one sort) rather than updated row by row during it
_INDEXES = """
CREATE INDEX IF NOT EXISTS fingerprints_hash ON fingerprints (hash, doc);  -- covers doc_hits
CREATE INDEX IF NOT EXISTS fingerprints_doc ON fingerprints (doc);
"""
_DROP_INDEXES = "DROP INDEX IF EXISTS fingerprints_hash; DROP INDEX IF EXISTS fingerprints_doc;"
_COUNT_FREQ = ("INSERT INTO doc_freq SELECT hash, COUNT(DISTINCT doc) FROM fingerprints "
               "GROUP BY hash")
_LOOKUP_BATCH = 500  # hashes per IN (...) query, under SQLite's variable limit


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


@dataclass(frozen=True)
class StoredDocument:
    id: int
    origin: Origin
    tokens: int
    shape_weight: int
    token_prints: int

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


class SimilarityIndex:
    """An open index file."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self.db = connection
        self._documents: dict[int, StoredDocument] | None = None
        self._bulk = False

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
        self.db.execute("PRAGMA cache_size=-65536")  # 64 MB of pages: big builds stay in memory
        if not tables and create:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.executescript(_SCHEMA + _INDEXES)
            self.db.executemany("INSERT INTO meta VALUES (?, ?)",
                                [("format", FORMAT), ("version", FORMAT_VERSION)])
            return
        meta = dict(self.db.execute("SELECT key, value FROM meta")) if "meta" in tables else {}
        if meta.get("format") != FORMAT:
            raise corrupted(self.path, "no reviewbot metadata")
        if meta.get("version") != FORMAT_VERSION:
            raise IndexFileError(f"index {self.path} was built by another version "
                              f"({meta.get('version')}, this is {FORMAT_VERSION}): rebuild it "
                              "with `reviewbot index build`")

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
            self._bulk = self._select("SELECT 1 FROM fingerprints LIMIT 1") == []
            if self._bulk:  # first load: no per-row index or doc_freq upkeep
                self._run_script(_DROP_INDEXES + "DELETE FROM doc_freq;")
            for origin, document in items:
                changed += self._add_one(origin, document)
            if self._bulk:
                self._finish_bulk()
            self.db.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise corrupted(self.path, str(exc)) from None
        self._documents = None
        return changed

    def _finish_bulk(self) -> None:
        self._run_script(_INDEXES)
        self.db.execute(_COUNT_FREQ)
        self._bulk = False

    def _run_script(self, script: str) -> None:
        for statement in filter(str.strip, script.split(";")):  # executescript would commit
            self.db.execute(statement)

    def _add_one(self, origin: Origin, document: Document) -> int:
        digest = hashlib.sha256(document.text.encode("utf-8", "surrogatepass")).hexdigest()
        row = self.db.execute("SELECT id, digest FROM documents WHERE label = ? AND path = ?",
                              (origin.label, origin.path)).fetchone()
        if row is not None and row[1] == digest:
            return 0
        if row is not None:
            self._remove(row[0])
        doc_id = self._insert_document(origin, document, digest)
        self.db.executemany("INSERT INTO fingerprints VALUES (?, ?, ?, ?, ?, ?)",
                            [(p.hash, doc_id, p.channel, p.line, p.pos, p.weight)
                             for p in document.fingerprints])
        if self._bulk:
            return 1
        self.db.executemany(
            "INSERT INTO doc_freq VALUES (?, 1) ON CONFLICT(hash) DO UPDATE SET n = n + 1",
            [(h,) for h in {p.hash for p in document.fingerprints}])
        return 1

    def _insert_document(self, origin: Origin, document: Document, digest: str) -> int:
        shape_weight = sum(p.weight for p in document.fingerprints if p.channel == SHAPE_CHANNEL)
        token_prints = sum(1 for p in document.fingerprints if p.channel != SHAPE_CHANNEL)
        text = zlib.compress(document.text.encode("utf-8", "surrogatepass"), 6)
        cursor = self.db.execute(
            "INSERT INTO documents (label, path, repo, revision, author, template, tokens, "
            "shape_weight, token_prints, digest, text) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (origin.label, origin.path, origin.repo, origin.revision, origin.author,
             int(origin.template), document.tokens, shape_weight, token_prints, digest, text))
        return int(cursor.lastrowid or 0)

    def _remove(self, doc_id: int) -> None:
        hashes = {row[0] for row in self.db.execute(
            "SELECT hash FROM fingerprints WHERE doc = ?", (doc_id,))}
        self.db.executemany("UPDATE doc_freq SET n = n - 1 WHERE hash = ?", [(h,) for h in hashes])
        self.db.execute("DELETE FROM doc_freq WHERE n <= 0")
        self.db.execute("DELETE FROM fingerprints WHERE doc = ?", (doc_id,))
        self.db.execute("DELETE FROM documents WHERE id = ?", (doc_id,))

    # ------------------------------------------------------------------ reading

    def documents(self) -> dict[int, StoredDocument]:
        if self._documents is None:
            self._documents = {row[0]: _stored(row) for row in self._select(
                "SELECT id, label, path, repo, revision, author, template, tokens, "
                "shape_weight, token_prints FROM documents")}
        return self._documents

    def document_count(self) -> int:
        return int(self._select("SELECT COUNT(*) FROM documents")[0][0])

    def document_text(self, doc_id: int) -> str:
        rows = self._select("SELECT text FROM documents WHERE id = ?", (doc_id,))
        return zlib.decompress(rows[0][0]).decode("utf-8", "surrogatepass") if rows else ""

    def doc_freq(self, hashes: Iterable[int]) -> dict[int, int]:
        result: dict[int, int] = {}
        for batch in _batches(list(hashes)):
            marks = ",".join("?" * len(batch))
            result.update(self._select(f"SELECT hash, n FROM doc_freq WHERE hash IN ({marks})",
                                       batch))
        return result

    def postings(self, hashes: Iterable[int]) -> dict[int, list[Posting]]:
        result: dict[int, list[Posting]] = {}
        for batch in _batches(list(hashes)):
            marks = ",".join("?" * len(batch))
            for h, doc, channel, line, pos in self._select(
                    f"SELECT hash, doc, channel, line, pos FROM fingerprints "
                    f"WHERE hash IN ({marks})", batch):
                result.setdefault(h, []).append(Posting(doc, channel, line, pos))
        return result

    def doc_hits(self, hashes: Iterable[int]) -> list[tuple[int, int]]:
        """Distinct (hash, document) pairs for ``hashes``: what ranking needs, from the index."""
        rows: list[tuple[int, int]] = []
        for batch in _batches(list(hashes)):
            marks = ",".join("?" * len(batch))
            rows += self._select(f"SELECT DISTINCT hash, doc FROM fingerprints "
                                 f"WHERE hash IN ({marks})", batch)
        return rows

    def template_ids(self) -> frozenset[int]:
        return frozenset(d for d, stored in self.documents().items() if stored.origin.template)

    def doc_postings(self, doc_id: int) -> list[tuple[int, int, int, int]]:
        """(hash, channel, line, pos) of every fingerprint of one document."""
        return self._select("SELECT hash, channel, line, pos FROM fingerprints WHERE doc = ?",
                            (doc_id,))

    def stats(self) -> dict[str, object]:
        rows = self._select("SELECT label, COUNT(*), SUM(tokens), SUM(template) FROM documents "
                            "GROUP BY label ORDER BY label")
        prints = self._select("SELECT COUNT(*) FROM fingerprints")[0][0]
        hashes = self._select("SELECT COUNT(*) FROM doc_freq")[0][0]
        return {"path": str(self.path), "documents": sum(r[1] for r in rows),
                "fingerprints": prints, "distinct_hashes": hashes,
                "bytes": self.path.stat().st_size if self.path.exists() else 0,
                "labels": [{"label": r[0], "documents": r[1], "tokens": r[2] or 0,
                            "templates": r[3] or 0} for r in rows]}

    def _select(self, sql: str, params: Iterable[object] = ()) -> list[tuple]:
        try:
            return self.db.execute(sql, tuple(params)).fetchall()
        except sqlite3.DatabaseError as exc:
            raise corrupted(self.path, str(exc)) from None


def _stored(row: tuple) -> StoredDocument:
    origin = Origin(row[1], row[2], row[3], row[4], row[5], bool(row[6]))
    return StoredDocument(row[0], origin, row[7], row[8], row[9])


def _batches(items: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(items), _LOOKUP_BATCH):
        yield items[start:start + _LOOKUP_BATCH]
