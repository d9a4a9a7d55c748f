"""The job store's database: one SQLite file (one machine) or a PostgreSQL server (many).

Both are reached through the same three calls (``connection``, ``transaction``,
``add_columns``), and the store's SQL is written once, in the dialect both accept
(``?`` placeholders are turned into psycopg's ``%s``; ``ON CONFLICT DO NOTHING`` and
``RETURNING`` exist in both). Each thread has its own connection: opening one costs more
than a whole insert.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
SCHEMA_LOCK = 7_215_004  # pg_advisory_xact_lock key: one process creates the tables


class Executor(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any: ...


class Database(Protocol):
    """What the job store needs of a database."""

    where: str  # for messages: the file, or the server without its password

    def connection(self) -> Any: ...  # a context manager yielding an Executor
    def transaction(self) -> Any: ...  # the same, all or nothing, holding the write lock
    def create(self, schema: str, columns: dict[str, list[str]]) -> None: ...


def is_postgres(url: str) -> bool:
    return url.startswith(POSTGRES_SCHEMES)


class SqliteDatabase:
    """One SQLite file in WAL mode (readers never wait for the writer; safe across processes)."""

    def __init__(self, path: Path) -> None:
        self.path, self.where = path, str(path)
        self._local = threading.local()
        path.parent.mkdir(parents=True, exist_ok=True)

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        db = getattr(self._local, "db", None)
        if db is None or getattr(self._local, "pid", None) != os.getpid():
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                 check_same_thread=False)
            db.execute("PRAGMA synchronous=NORMAL")  # WAL: durable across a process crash
            db.row_factory = sqlite3.Row
            self._local.db, self._local.pid = db, os.getpid()
        yield db

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.connection() as db:
            db.execute("BEGIN IMMEDIATE")  # take the write lock now: no lost updates
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def create(self, schema: str, columns: dict[str, list[str]]) -> None:
        with self.connection() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(schema)
            for table, definitions in columns.items():
                have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
                for definition in definitions:  # a file from an older reviewbot
                    if definition.split()[0] not in have:
                        db.execute(f"ALTER TABLE {table} ADD COLUMN {definition}")


class _PostgresExecutor:
    """A psycopg connection that takes the store's ``?`` placeholders."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.connection.execute(sql.replace("?", "%s"), tuple(params))


class PostgresDatabase:
    """A PostgreSQL server shared by every host (psycopg 3, autocommit outside transactions)."""

    def __init__(self, url: str) -> None:
        import psycopg  # only the PostgreSQL store needs it

        self._psycopg = psycopg
        self.url = url
        self.where = without_password(url)
        self._local = threading.local()

    @contextmanager
    def connection(self) -> Iterator[_PostgresExecutor]:
        from psycopg.rows import dict_row

        connection = getattr(self._local, "db", None)
        if connection is None or connection.closed or self._local.pid != os.getpid():
            connection = self._psycopg.connect(self.url, autocommit=True, row_factory=dict_row,
                                               connect_timeout=10)
            self._local.db, self._local.pid = connection, os.getpid()
        try:
            yield _PostgresExecutor(connection)
        except self._psycopg.OperationalError:
            connection.close()  # a server restart: the next call connects again
            raise

    @contextmanager
    def transaction(self) -> Iterator[_PostgresExecutor]:
        with self.connection() as executor, executor.connection.transaction():
            yield executor

    def create(self, schema: str, columns: dict[str, list[str]]) -> None:
        with self.transaction() as db:
            db.execute("SELECT pg_advisory_xact_lock(?)", (SCHEMA_LOCK,))
            for statement in filter(str.strip, schema.split(";")):
                db.execute(statement)
            for table, definitions in columns.items():
                for definition in definitions:
                    db.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {definition}")


def without_password(url: str) -> str:
    scheme, _, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    return f"{scheme}://{credentials.split(':')[0]}{at}{host}" if at else url


def open_database(store: str, data_dir: Path) -> Database:
    """``store`` empty: SQLite in ``data_dir``; a postgresql:// URL: that server."""
    if is_postgres(store):
        return PostgresDatabase(store)
    return SqliteDatabase(data_dir / "jobs.sqlite3")
