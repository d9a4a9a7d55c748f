"""The durable job queue: a job row in the store, then a huey task that carries it out.

Two huey instances, one per resource class: ``cpu`` (fetch, static review, judging,
posting) and ``gpu`` (notebook runs), each consumed by its own ``reviewbot worker``. By
default both are SQLite files in ``REVIEWBOT_DATA_DIR``; ``[queue] url = "redis://..."``
puts them on Redis so GPU hosts can take runs from another machine.

The queue is a cache of the job store. huey forgets a task whose process died mid-run,
and Redis without persistence forgets everything when it restarts, so every consumer
reconciles now and then (``[queue] reconcile_s``): it takes back jobs whose owner's lease
lapsed and enqueues again the jobs the store says are waiting but the queue does not hold.
An enqueue that fails (Redis down) is tried a few times, then left to the reconciliation;
the job is recorded either way. Claiming a job is atomic, so a job enqueued twice runs once.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey
from pydantic import BaseModel, ConfigDict, Field, field_validator

from reviewbot.core.errors import ConfigError
from reviewbot.service.database import is_postgres, open_database, without_password
from reviewbot.service.jobs import Job, JobKind, JobSpec, JobStore, Recorded, Recovered
from reviewbot.service.settings import Settings

log = logging.getLogger("reviewbot.service.queue")

QUEUES = ("cpu", "gpu")
KIND_QUEUE = {kind: kind.queue for kind in JobKind}  # which consumer does which kind of job
STALE_TASK = "mark_stale"
QUEUE_URL_VARIABLE = "REVIEWBOT_QUEUE_URL"  # wins over [queue] url (containers)
STORE_VARIABLE = "REVIEWBOT_JOB_STORE"  # wins over [queue] store: a URL may hold a password
ENQUEUE_TRIES = (0.0, 0.2, 1.0)  # waits before each try of one enqueue

Dispatch = Callable[[JobSpec], None]
StaleHandler = Callable[[Mapping[str, Any]], None]


class QueueSettings(BaseModel):
    """The ``[queue]`` table: where jobs wait and how failures are retried."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field("", description="empty: SQLite files in REVIEWBOT_DATA_DIR; "
                                     "redis://host:port/db to share the queue between machines")
    retries: int = Field(5, ge=0, description="retries of a job after a GitHub outage or rate "
                                              "limit (a submission's own problems are not retried)")
    backoff_s: float = Field(30.0, gt=0, description="seconds before the first retry; doubled "
                                                     "each time (a Retry-After from GitHub wins)")
    max_backoff_s: float = Field(1800.0, gt=0, description="longest wait between two retries")
    cpu_workers: int = Field(2, ge=1, description="threads of the cpu consumer")
    gpu_workers: int = Field(1, ge=1, description="threads of the gpu consumer (one per GPU)")
    store: str = Field("", description="the job store: empty for SQLite in REVIEWBOT_DATA_DIR "
                                       "(one machine); postgresql://user@host/db for a store "
                                       "every host shares ($REVIEWBOT_JOB_STORE wins)")
    lease_s: float = Field(120.0, gt=0, description="seconds a running job stays its worker's "
                                                    "without a heartbeat; then any consumer "
                                                    "takes it back")
    reconcile_s: float = Field(30.0, gt=0, description="seconds between two reconciliations "
                                                       "of the queue with the job store")
    max_crash_pickups: int = Field(3, ge=0, description="times a job is taken back from a "
                                                        "worker that died; then it is failed")
    worker_metrics_port: int = Field(0, ge=0, le=65534, description="Prometheus /metrics of "
                                     "the consumers: cpu on this port, gpu on the next (0 = off)")

    @field_validator("store")
    @classmethod
    def _postgres_only(cls, store: str) -> str:
        if store and not is_postgres(store):
            raise ValueError("must be empty (SQLite) or a postgresql:// URL")
        return store

    @field_validator("url")
    @classmethod
    def _redis_only(cls, url: str) -> str:
        if url and not url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be empty (SQLite) or a redis:// URL")
        return url

    def retry_delay(self, attempts: int, retry_after: float | None = None) -> float:
        """Seconds before retry number ``attempts`` (1-based)."""
        delay = min(self.max_backoff_s, self.backoff_s * 2 ** max(0, attempts - 1))
        return max(delay, retry_after or 0.0)


def make_huey(name: str, settings: Settings, queue_settings: QueueSettings) -> Huey:
    """One queue: a SQLite file under the data dir, or a Redis list named ``name``."""
    url = os.environ.get(QUEUE_URL_VARIABLE) or queue_settings.url
    if url:
        return RedisHuey(name, url=url, results=False)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # No fsync per task (6 ms each here): a process crash loses nothing, and after a power
    # loss the job store (the source of truth) re-enqueues what the queue file lost.
    return SqliteHuey(name, filename=str(settings.data_dir / f"{name}.sqlite3"), results=False,
                      fsync=False)


def open_store(settings: Settings, queue_settings: QueueSettings) -> JobStore:
    """The job store ``[queue] store`` (or $REVIEWBOT_JOB_STORE) names; a clear error when a
    PostgreSQL server cannot be reached."""
    url = os.environ.get(STORE_VARIABLE) or queue_settings.store
    try:
        return JobStore(open_database(url, settings.data_dir), queue_settings.max_crash_pickups)
    except ImportError:
        raise ConfigError("queue.store", ["a postgresql:// job store needs psycopg: pip "
                                          "install 'reviewbot[postgres]'"]) from None
    except Exception as exc:
        if not is_postgres(url):
            raise
        raise ConfigError("queue.store", [f"cannot use the job store at "
                                          f"{without_password(url)}: "
                                          f"{' '.join(str(exc).split())[:300]}"]) from None


class JobQueue:
    """The store and the two huey queues; what the webhook and the workers share."""

    def __init__(self, settings: Settings, queue_settings: QueueSettings | None = None) -> None:
        self.settings = settings
        self.config = queue_settings or QueueSettings()
        self.store = open_store(settings, self.config)
        self.hueys = {which: make_huey(f"reviewbot-{which}", settings, self.config)
                      for which in QUEUES}
        self.dispatch: Dispatch | None = None  # set by the worker that consumes
        self.on_stale: StaleHandler | None = None
        self._tasks = {kind: self.hueys[which].task(name=kind)(self._execute)
                       for kind, which in KIND_QUEUE.items()}
        self._stale_task = self.hueys["cpu"].task(name=STALE_TASK)(self._mark_stale)

    # ---- the webhook's side: record, then enqueue ----------------------------------------

    def submit(self, spec: JobSpec, delivery_id: str, *, rerun: bool = False) -> Recorded:
        """Record the job of a delivery and enqueue it when it is new (or never was queued).

        A failed enqueue is not an error: the job is recorded, the reconciliation sends it.
        """
        recorded = self.store.record(spec, delivery_id, rerun=rerun)
        if recorded.created or recorded.unqueued:
            return dataclasses.replace(recorded, queued=self.enqueue(spec))
        return recorded

    def enqueue(self, spec: JobSpec, delay: float = 0.0) -> bool:
        """Put the job's task on its queue, trying a few times; False when the queue is down."""
        task = self._tasks[spec.kind]
        for wait in ENQUEUE_TRIES:
            time.sleep(wait)
            try:
                if delay > 0:
                    task.schedule(args=(asdict(spec),), delay=delay)
                else:
                    task(asdict(spec))
            except Exception as exc:  # Redis down or restarting: the store keeps the job
                error = exc
                continue
            self.store.mark_enqueued(spec.key)
            return True
        log.warning("%s: recorded, not queued (%s: %s); the reconciliation will queue it",
                    spec.key, type(error).__name__, error)
        self.store.mark_enqueued(spec.key, False)
        return False

    def supersede(self, repo: str, pr: int, new_sha: str) -> list[Job]:
        """Cancel older heads' jobs; a cpu task marks their check runs stale."""
        cancelled = self.store.supersede(repo, pr, new_sha)
        for job in cancelled:
            if job.check_id is not None:
                self._stale_task({"repo": job.spec.repo, "installation_id":
                                  job.spec.installation_id, "check_id": job.check_id,
                                  "newer_sha": new_sha})
        return cancelled

    # ---- the consumer's side --------------------------------------------------------------

    def recover(self, which: str) -> int:
        """Reconcile queue ``which`` with the store now; how many jobs were enqueued again."""
        return len(self.reconcile(which).queued)

    def reconcile(self, which: str) -> Recovered:
        """Take back lapsed jobs of queue ``which``; enqueue the waiting jobs the queue lost.

        Returns the jobs enqueued again and those given up (too many crashes).
        """
        kinds = [kind for kind, queue in KIND_QUEUE.items() if queue == which]
        recovered = self.store.recover(kinds)
        held = self.queued_keys(which)
        lost = [job for job in recovered.queued if job.key not in held]
        for job in lost:
            self.enqueue(job.spec)
        return Recovered(lost, recovered.given_up)

    def queued_keys(self, which: str) -> set[str]:
        """Keys of the jobs whose tasks wait on queue ``which`` (due now or scheduled)."""
        huey, keys = self.hueys[which], set()
        for task in [*huey.pending(), *huey.scheduled()]:
            spec = task.args[0] if task.args else None
            if isinstance(spec, dict) and spec.get("kind") in KIND_QUEUE:
                keys.add(JobSpec(**spec).key)
        return keys

    def _execute(self, spec: dict[str, Any]) -> None:
        if self.dispatch is None:
            raise RuntimeError("this process enqueues only; run `reviewbot worker` to consume")
        self.dispatch(JobSpec(**spec))

    def _mark_stale(self, request: dict[str, Any]) -> None:
        if self.on_stale is not None:
            self.on_stale(request)

    def pending(self, which: str) -> int:
        """Tasks waiting in huey's queue ``which`` (for tests and the benchmark)."""
        return self.hueys[which].pending_count()
