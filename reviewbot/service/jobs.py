"""The job store: one SQLite table that says what work exists and where it stands.

huey delivers a task at most once and forgets a task that was running when its process
died, so this table, not the queue, is the source of truth. A job's key is
``owner/repo#PR@SHA:kind``: the same push seen twice (a redelivered webhook, or two
events for the same head) is one job. Deliveries are kept too, so the same
``X-GitHub-Delivery`` never records anything twice.
"""

from __future__ import annotations

import enum
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
STATES = (QUEUED, RUNNING, DONE, FAILED, CANCELLED)
ACTIVE = (QUEUED, RUNNING)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    key TEXT PRIMARY KEY, repo TEXT NOT NULL, pr INTEGER NOT NULL, sha TEXT NOT NULL,
    kind TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    installation_id INTEGER, draft INTEGER NOT NULL DEFAULT 0, check_id INTEGER,
    created_at REAL NOT NULL, updated_at REAL NOT NULL, started_at REAL, finished_at REAL,
    owner TEXT, last_error TEXT NOT NULL DEFAULT '', reported INTEGER NOT NULL DEFAULT 0,
    superseded_by TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS jobs_pr ON jobs (repo, pr, state);
CREATE TABLE IF NOT EXISTS deliveries (
    delivery_id TEXT PRIMARY KEY, job_key TEXT, received_at REAL NOT NULL);
"""


class JobKind(enum.StrEnum):
    """The kinds of work, each consumed by one queue."""

    REVIEW = "review"  # cpu: fetch the head, review it, post
    RUN = "run"  # gpu: run the notebooks, judge the claims, post again

    @property
    def queue(self) -> str:
        """The consumer that does this kind of job: ``cpu`` or ``gpu``."""
        return "gpu" if self is JobKind.RUN else "cpu"


@dataclass(frozen=True)
class JobSpec:
    """What one unit of work is about: a pull request's head commit and a kind of work."""

    repo: str  # owner/name
    pr: int
    sha: str
    kind: JobKind
    installation_id: int | None = None
    draft: bool = False

    def __post_init__(self) -> None:  # a kind read back from the store is its plain value
        object.__setattr__(self, "kind", JobKind(self.kind))

    @property
    def key(self) -> str:
        return f"{self.repo}#{self.pr}@{self.sha}:{self.kind}"


@dataclass(frozen=True)
class Job:
    """A row of the jobs table."""

    spec: JobSpec
    state: str
    attempts: int
    check_id: int | None
    last_error: str
    reported: bool
    superseded_by: str
    created_at: float
    updated_at: float

    @property
    def key(self) -> str:
        return self.spec.key


@dataclass(frozen=True)
class Recorded:
    """What recording a delivery did: a new job, an existing one, or nothing (seen before)."""

    job_key: str
    created: bool
    duplicate_delivery: bool


def this_process() -> str:
    """Who runs a job: host and pid, so a restarted worker knows which of its jobs died."""
    return f"{socket.gethostname()}:{os.getpid()}"


class JobStore:
    """The jobs and deliveries tables in one SQLite file (WAL, safe across processes)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection (opening one costs more than a whole insert)."""
        db = getattr(self._local, "db", None)
        if db is None or getattr(self._local, "pid", None) != os.getpid():
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                 check_same_thread=False)
            db.execute("PRAGMA synchronous=NORMAL")  # WAL: durable across a process crash
            db.row_factory = sqlite3.Row
            self._local.db, self._local.pid = db, os.getpid()
        yield db

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")  # take the write lock now: no lost updates
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # ---- recording (the webhook) ---------------------------------------------------------

    def record(self, spec: JobSpec, delivery_id: str, *, rerun: bool = False) -> Recorded:
        """Record a delivery and its job; a delivery seen before records nothing.

        ``rerun`` (a re-requested check run) puts a finished job back in the queue.
        """
        now = time.time()
        with self._transaction() as db:
            if delivery_id and _seen(db, delivery_id):
                return Recorded(spec.key, created=False, duplicate_delivery=True)
            created = _insert_job(db, spec, now) or (rerun and _requeue_finished(db, spec.key,
                                                                                   now))
            if delivery_id:
                db.execute("INSERT INTO deliveries VALUES (?, ?, ?)", (delivery_id, spec.key, now))
        return Recorded(spec.key, created=created, duplicate_delivery=False)

    def supersede(self, repo: str, pr: int, new_sha: str) -> list[Job]:
        """Cancel the active jobs of older heads of a PR; return them (to mark stale)."""
        with self._transaction() as db:
            rows = db.execute("SELECT * FROM jobs WHERE repo = ? AND pr = ? AND sha != ? AND "
                              "state IN (?, ?)", (repo, pr, new_sha, *ACTIVE)).fetchall()
            db.execute("UPDATE jobs SET state = ?, superseded_by = ?, updated_at = ? WHERE "
                       "repo = ? AND pr = ? AND sha != ? AND state IN (?, ?)",
                       (CANCELLED, new_sha, time.time(), repo, pr, new_sha, *ACTIVE))
        return [_job(row) for row in rows]

    # ---- the worker's side ---------------------------------------------------------------

    def claim(self, spec: JobSpec) -> Job | None:
        """Mark a queued job running (creating its row if this host never saw it).

        None when the job is not queued: done, cancelled, or already claimed.
        """
        now = time.time()
        with self._transaction() as db:
            _insert_job(db, spec, now)
            cursor = db.execute(
                "UPDATE jobs SET state = ?, attempts = attempts + 1, started_at = ?, "
                "updated_at = ?, owner = ? WHERE key = ? AND state = ?",
                (RUNNING, now, now, this_process(), spec.key, QUEUED))
            if cursor.rowcount == 0:
                return None
            return _job(db.execute("SELECT * FROM jobs WHERE key = ?", (spec.key,)).fetchone())

    def finish(self, key: str, state: str, error: str = "") -> None:
        """Close a running job (done, failed, or back to queued for a retry)."""
        now = time.time()
        with self._connect() as db:
            db.execute("UPDATE jobs SET state = ?, last_error = ?, updated_at = ?, "
                       "finished_at = ? WHERE key = ? AND state = ?",
                       (state, error[:2000], now, None if state == QUEUED else now, key, RUNNING))

    def set_check(self, key: str, check_id: int) -> None:
        with self._connect() as db:
            db.execute("UPDATE jobs SET check_id = ? WHERE key = ?", (check_id, key))

    def mark_reported(self, key: str) -> bool:
        """Note that the failure of ``key`` was told on the PR; False when it already was."""
        with self._connect() as db:
            cursor = db.execute("UPDATE jobs SET reported = 1 WHERE key = ? AND reported = 0",
                                (key,))
            return cursor.rowcount == 1

    def get(self, key: str) -> Job | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM jobs WHERE key = ?", (key,)).fetchone()
        return _job(row) if row else None

    def recover(self, kinds: Sequence[str]) -> list[Job]:
        """Requeue ``kinds`` jobs whose worker on this host died; return every queued job."""
        host = socket.gethostname()
        with self._transaction() as db:
            for row in db.execute("SELECT key, owner FROM jobs WHERE state = ?", (RUNNING,)):
                if _owner_is_gone(row["owner"], host) and row["key"].rsplit(":", 1)[1] in kinds:
                    db.execute("UPDATE jobs SET state = ?, updated_at = ? WHERE key = ?",
                               (QUEUED, time.time(), row["key"]))
            rows = db.execute(f"SELECT * FROM jobs WHERE state = ? AND kind IN "
                              f"({','.join('?' * len(kinds))}) ORDER BY created_at",
                              (QUEUED, *kinds)).fetchall()
        return [_job(row) for row in rows]

    # ---- what /metrics and the tests read ------------------------------------------------

    def counts(self) -> dict[str, int]:
        with self._connect() as db:
            rows = db.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall()
        return {state: 0 for state in STATES} | {row[0]: row[1] for row in rows}

    def durations(self) -> list[tuple[str, float]]:
        """(kind, seconds) of every finished job, for the durations histogram."""
        with self._connect() as db:
            rows = db.execute("SELECT kind, finished_at - started_at FROM jobs WHERE "
                              "finished_at IS NOT NULL AND started_at IS NOT NULL").fetchall()
        return [(row[0], max(0.0, row[1])) for row in rows]

    def all_jobs(self) -> list[Job]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM jobs ORDER BY created_at").fetchall()
        return [_job(row) for row in rows]

    def delivery_count(self) -> int:
        with self._connect() as db:
            return db.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0]

    def job_for_commit(self, repo: str, sha: str) -> Job | None:
        """The latest job recorded for a commit (a check run event names no PR of a fork)."""
        with self._connect() as db:
            row = db.execute("SELECT * FROM jobs WHERE repo = ? AND sha = ? ORDER BY "
                             "created_at DESC LIMIT 1", (repo, sha)).fetchone()
        return _job(row) if row else None


def _seen(db: sqlite3.Connection, delivery_id: str) -> bool:
    row = db.execute("SELECT 1 FROM deliveries WHERE delivery_id = ?", (delivery_id,))
    return row.fetchone() is not None


def _insert_job(db: sqlite3.Connection, spec: JobSpec, now: float) -> bool:
    cursor = db.execute(
        "INSERT OR IGNORE INTO jobs (key, repo, pr, sha, kind, state, installation_id, draft, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (spec.key, spec.repo, spec.pr, spec.sha, spec.kind, QUEUED, spec.installation_id,
         int(spec.draft), now, now))
    return cursor.rowcount == 1


def _requeue_finished(db: sqlite3.Connection, key: str, now: float) -> bool:
    cursor = db.execute("UPDATE jobs SET state = ?, reported = 0, updated_at = ? WHERE key = ? "
                        "AND state IN (?, ?)", (QUEUED, now, key, DONE, FAILED))
    return cursor.rowcount == 1


def _owner_is_gone(owner: str | None, host: str) -> bool:
    """True when ``owner`` (host:pid) was a process of this host that no longer runs."""
    if not owner:
        return True
    owner_host, _, pid = owner.rpartition(":")
    if owner_host != host or not pid.isdigit():
        return False  # another machine's job: that machine recovers it
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return int(pid) == os.getpid()  # our own pid from an earlier life (pid reuse) counts too


def _job(row: sqlite3.Row) -> Job:
    spec = JobSpec(row["repo"], row["pr"], row["sha"], row["kind"], row["installation_id"],
                   bool(row["draft"]))
    return Job(spec, row["state"], row["attempts"], row["check_id"], row["last_error"],
               bool(row["reported"]), row["superseded_by"], row["created_at"], row["updated_at"])
