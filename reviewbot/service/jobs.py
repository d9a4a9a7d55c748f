"""The job store: the table that says what work exists and where it stands.

huey delivers a task at most once and forgets a task that was running when its process
died, so this table, not the queue, is the source of truth. A job's key is
``owner/repo#PR@SHA:kind``: the same push seen twice (a redelivered webhook, or two
events for the same head) is one job. Deliveries are kept too, so the same
``X-GitHub-Delivery`` never records anything twice.

The table lives in one SQLite file (one machine, the default) or on a PostgreSQL server
that every host shares (``[queue] store``). A running job's owner holds a lease that its
consumer renews (a heartbeat); any consumer on any host takes back a job whose lease
lapsed (its worker died, its container was recreated under a new hostname, its host is
gone), and a job that keeps taking its workers down is failed after
``[queue] max_crash_pickups`` pickups instead of being tried forever.
"""

from __future__ import annotations

import enum
import os
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewbot.service.database import Database, SqliteDatabase

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
STATES = (QUEUED, RUNNING, DONE, FAILED, CANCELLED)
ACTIVE = (QUEUED, RUNNING)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    key TEXT PRIMARY KEY, repo TEXT NOT NULL, pr BIGINT NOT NULL, sha TEXT NOT NULL,
    kind TEXT NOT NULL, state TEXT NOT NULL, attempts BIGINT NOT NULL DEFAULT 0,
    installation_id BIGINT, draft BIGINT NOT NULL DEFAULT 0, check_id BIGINT,
    created_at DOUBLE PRECISION NOT NULL, updated_at DOUBLE PRECISION NOT NULL,
    started_at DOUBLE PRECISION, finished_at DOUBLE PRECISION,
    owner TEXT, last_error TEXT NOT NULL DEFAULT '', reported BIGINT NOT NULL DEFAULT 0,
    superseded_by TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS jobs_pr ON jobs (repo, pr, state);
CREATE TABLE IF NOT EXISTS deliveries (
    delivery_id TEXT PRIMARY KEY, job_key TEXT, received_at DOUBLE PRECISION NOT NULL);
"""
# Added since the first release: a file made by an older reviewbot gets them on open.
_NEW_COLUMNS = {"jobs": ["lease_until DOUBLE PRECISION", "enqueued_at DOUBLE PRECISION",
                         "crashes BIGINT NOT NULL DEFAULT 0"]}
DEFAULT_LEASE_S = 120.0
WORKER_NAME_VARIABLE = "REVIEWBOT_WORKER_NAME"


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
    owner: str = ""
    crashes: int = 0
    enqueued: bool = False  # its task reached the queue (False: the reconciliation sends it)

    @property
    def key(self) -> str:
        return self.spec.key


@dataclass(frozen=True)
class Recorded:
    """What recording a delivery did: a new job, an existing one, or nothing (seen before).

    ``unqueued``: the delivery was seen before but its job never reached the queue (the
    queue was down): the redelivery queues it. ``queued``: its task is on the queue now.
    """

    job_key: str
    created: bool
    duplicate_delivery: bool
    unqueued: bool = False
    queued: bool = False


@dataclass(frozen=True)
class Recovered:
    """What a reconciliation found: jobs waiting in the store, jobs given up."""

    queued: list[Job]
    given_up: list[Job]


def worker_name() -> str:
    """This host's name in job owners: $REVIEWBOT_WORKER_NAME, else the hostname."""
    return os.environ.get(WORKER_NAME_VARIABLE) or socket.gethostname()


def this_process() -> str:
    """Who runs a job: worker name and pid (for people; recovery goes by the lease)."""
    return f"{worker_name()}:{os.getpid()}"


def crash_reason(pickups: int) -> str:
    return (f"its worker stopped without finishing it {pickups} times (crashed, killed or its "
            "host lost); given up so that it cannot take more workers down. Re-run the check "
            "to try again.")


class JobStore:
    """The jobs and deliveries tables, in SQLite (a path) or any ``Database``."""

    def __init__(self, database: Path | Database, max_crash_pickups: int = 3) -> None:
        self.db: Database = (SqliteDatabase(database) if isinstance(database, Path)
                             else database)
        self.max_crash_pickups = max_crash_pickups
        self.db.create(_SCHEMA, _NEW_COLUMNS)

    @property
    def where(self) -> str:
        return self.db.where

    # ---- recording (the webhook) ---------------------------------------------------------

    def record(self, spec: JobSpec, delivery_id: str, *, rerun: bool = False) -> Recorded:
        """Record a delivery and its job; a delivery seen before records nothing.

        ``rerun`` (a re-requested check run) puts a finished job back in the queue.
        """
        now = time.time()
        with self.db.transaction() as db:
            if delivery_id and not _new_delivery(db, delivery_id, spec.key, now):
                row = db.execute("SELECT * FROM jobs WHERE key = (SELECT job_key FROM "
                                 "deliveries WHERE delivery_id = ?)", (delivery_id,)).fetchone()
                unqueued = row is not None and row["state"] == QUEUED and \
                    row["enqueued_at"] is None
                return Recorded(row["key"] if row else spec.key, created=False,
                                duplicate_delivery=True, unqueued=unqueued)
            created = _insert_job(db, spec, now) or (rerun and _requeue_finished(db, spec.key,
                                                                                   now))
        return Recorded(spec.key, created=created, duplicate_delivery=False)

    def supersede(self, repo: str, pr: int, new_sha: str) -> list[Job]:
        """Cancel the active jobs of older heads of a PR; return them (to mark stale)."""
        with self.db.transaction() as db:
            rows = db.execute("UPDATE jobs SET state = ?, superseded_by = ?, updated_at = ? "
                              "WHERE repo = ? AND pr = ? AND sha != ? AND state IN (?, ?) "
                              "RETURNING *", (CANCELLED, new_sha, time.time(), repo, pr,
                                              new_sha, *ACTIVE)).fetchall()
        return [_job(row) for row in rows]

    def mark_enqueued(self, key: str, enqueued: bool = True) -> None:
        """Note that the job's task reached the queue (or, False, that sending it failed)."""
        with self.db.connection() as db:
            db.execute("UPDATE jobs SET enqueued_at = ? WHERE key = ?",
                       (time.time() if enqueued else None, key))

    # ---- the worker's side ---------------------------------------------------------------

    def claim(self, spec: JobSpec, owner: str | None = None,
              lease_s: float = DEFAULT_LEASE_S) -> Job | None:
        """Mark a queued job running under a lease of ``lease_s`` seconds.

        The row is created if the store never saw the job. None when the job is not
        queued: done, cancelled, or already claimed.
        """
        now = time.time()
        with self.db.transaction() as db:
            _insert_job(db, spec, now)
            row = db.execute(
                "UPDATE jobs SET state = ?, attempts = attempts + 1, started_at = ?, "
                "updated_at = ?, owner = ?, lease_until = ? WHERE key = ? AND state = ? "
                "RETURNING *", (RUNNING, now, now, owner or this_process(), now + lease_s,
                                spec.key, QUEUED)).fetchall()  # all: SQLite then commits
        return _job(row[0]) if row else None

    def heartbeat(self, owner: str, lease_s: float = DEFAULT_LEASE_S) -> int:
        """Renew the leases of every job ``owner`` runs; how many it holds."""
        with self.db.connection() as db:
            cursor = db.execute("UPDATE jobs SET lease_until = ? WHERE owner = ? AND state = ?",
                                (time.time() + lease_s, owner, RUNNING))
            return cursor.rowcount

    def finish(self, key: str, state: str, error: str = "", owner: str | None = None) -> bool:
        """Close a running job (done, failed, or back to queued for a retry).

        With ``owner``, only while that owner still holds it (a worker whose lease lapsed
        and whose job was taken over closes nothing). False when nothing was closed.
        """
        now = time.time()
        sql = ("UPDATE jobs SET state = ?, last_error = ?, updated_at = ?, finished_at = ?, "
               "enqueued_at = NULL, lease_until = NULL WHERE key = ? AND state = ?")
        params: list[Any] = [state, error[:2000], now, None if state == QUEUED else now, key,
                             RUNNING]
        if owner is not None:
            sql, params = sql + " AND owner = ?", [*params, owner]
        with self.db.connection() as db:
            return db.execute(sql, params).rowcount == 1

    def release(self, owner: str) -> int:
        """Put back in the queue the jobs of a worker that is shutting down (not a crash)."""
        with self.db.connection() as db:
            return db.execute("UPDATE jobs SET state = ?, updated_at = ?, enqueued_at = NULL, "
                              "lease_until = NULL WHERE owner = ? AND state = ?",
                              (QUEUED, time.time(), owner, RUNNING)).rowcount

    def set_check(self, key: str, check_id: int) -> None:
        with self.db.connection() as db:
            db.execute("UPDATE jobs SET check_id = ? WHERE key = ?", (check_id, key))

    def mark_reported(self, key: str) -> bool:
        """Note that the failure of ``key`` was told on the PR; False when it already was."""
        with self.db.connection() as db:
            cursor = db.execute("UPDATE jobs SET reported = 1 WHERE key = ? AND reported = 0",
                                (key,))
            return cursor.rowcount == 1

    def get(self, key: str) -> Job | None:
        with self.db.connection() as db:
            row = db.execute("SELECT * FROM jobs WHERE key = ?", (key,)).fetchone()
        return _job(row) if row else None

    def recover(self, kinds: Sequence[str]) -> Recovered:
        """Take back ``kinds`` jobs whose owner's lease lapsed; every job waiting of ``kinds``.

        A job taken back more than ``max_crash_pickups`` times is failed instead.
        """
        now, given_up = time.time(), []
        marks = ",".join("?" * len(kinds))
        with self.db.transaction() as db:
            rows = db.execute(f"SELECT * FROM jobs WHERE state = ? AND kind IN ({marks})",
                              (RUNNING, *kinds)).fetchall()
            for row in rows:
                if not _lease_lapsed(row, now):
                    continue
                if row["crashes"] >= self.max_crash_pickups:
                    given_up.append(_fail_crashed(db, row, now))
                else:
                    db.execute("UPDATE jobs SET state = ?, crashes = crashes + 1, updated_at = ?, "
                               "enqueued_at = NULL, lease_until = NULL WHERE key = ? AND "
                               "state = ?", (QUEUED, now, row["key"], RUNNING))
            rows = db.execute(f"SELECT * FROM jobs WHERE state = ? AND kind IN ({marks}) "
                              "ORDER BY created_at", (QUEUED, *kinds)).fetchall()
        return Recovered([_job(row) for row in rows], [job for job in given_up if job])

    # ---- what /metrics and the tests read ------------------------------------------------

    def counts(self) -> dict[str, int]:
        with self.db.connection() as db:
            rows = db.execute("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state").fetchall()
        return {state: 0 for state in STATES} | {row["state"]: row["n"] for row in rows}

    def durations(self) -> list[tuple[str, float]]:
        """(kind, seconds) of every finished job, for the durations histogram."""
        with self.db.connection() as db:
            rows = db.execute("SELECT kind, finished_at - started_at AS seconds FROM jobs "
                              "WHERE finished_at IS NOT NULL AND started_at IS NOT NULL")
            return [(row["kind"], max(0.0, row["seconds"])) for row in rows.fetchall()]

    def all_jobs(self) -> list[Job]:
        with self.db.connection() as db:
            rows = db.execute("SELECT * FROM jobs ORDER BY created_at").fetchall()
        return [_job(row) for row in rows]

    def delivery_count(self) -> int:
        with self.db.connection() as db:
            return db.execute("SELECT COUNT(*) AS n FROM deliveries").fetchone()["n"]

    def job_for_commit(self, repo: str, sha: str) -> Job | None:
        """The latest job recorded for a commit (a check run event names no PR of a fork)."""
        with self.db.connection() as db:
            row = db.execute("SELECT * FROM jobs WHERE repo = ? AND sha = ? ORDER BY "
                             "created_at DESC LIMIT 1", (repo, sha)).fetchone()
        return _job(row) if row else None


def _new_delivery(db: Any, delivery_id: str, key: str, now: float) -> bool:
    cursor = db.execute("INSERT INTO deliveries (delivery_id, job_key, received_at) VALUES "
                        "(?, ?, ?) ON CONFLICT DO NOTHING", (delivery_id, key, now))
    return cursor.rowcount == 1


def _insert_job(db: Any, spec: JobSpec, now: float) -> bool:
    cursor = db.execute(
        "INSERT INTO jobs (key, repo, pr, sha, kind, state, installation_id, draft, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (spec.key, spec.repo, spec.pr, spec.sha, spec.kind, QUEUED, spec.installation_id,
         int(spec.draft), now, now))
    return cursor.rowcount == 1


def _requeue_finished(db: Any, key: str, now: float) -> bool:
    cursor = db.execute("UPDATE jobs SET state = ?, reported = 0, crashes = 0, updated_at = ?, "
                        "enqueued_at = NULL WHERE key = ? AND state IN (?, ?)",
                        (QUEUED, now, key, DONE, FAILED))
    return cursor.rowcount == 1


def _lease_lapsed(row: Any, now: float) -> bool:
    """The owner stopped renewing its lease, or is a dead process of this very host."""
    lease_until = row["lease_until"]
    return lease_until is None or lease_until < now or _owner_is_gone(row["owner"])


def _fail_crashed(db: Any, row: Any, now: float) -> Job | None:
    failed = db.execute("UPDATE jobs SET state = ?, last_error = ?, updated_at = ?, "
                        "finished_at = ?, lease_until = NULL WHERE key = ? AND state = ? "
                        "RETURNING *", (FAILED, crash_reason(row["crashes"] + 1), now, now,
                                        row["key"], RUNNING)).fetchall()
    return _job(failed[0]) if failed else None


def _owner_is_gone(owner: str | None) -> bool:
    """True when ``owner`` (name:pid) was a process of this host that no longer runs.

    Only a shortcut for a restart on the same host: anything else waits for its lease.
    """
    owner_host, _, pid = (owner or "").rpartition(":")
    if owner_host != worker_name() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False  # alive (our own pid too: this process renews its leases)


def _job(row: Any) -> Job:
    spec = JobSpec(row["repo"], row["pr"], row["sha"], row["kind"], row["installation_id"],
                   bool(row["draft"]))
    return Job(spec, row["state"], row["attempts"], row["check_id"], row["last_error"],
               bool(row["reported"]), row["superseded_by"], row["created_at"],
               row["updated_at"], row["owner"] or "", row["crashes"],
               row["enqueued_at"] is not None)
