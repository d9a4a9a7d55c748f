"""The webhook route never blocks the event loop, even while the job store is locked.

A worker (another connection) holds the store's write lock; a pull_request delivery then
waits for it. Meanwhile a ping and /healthz on the same event loop are answered at once:
the waiting delivery sits in the threadpool, not on the loop. Once the lock is released
the delivery is recorded.
"""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from fastapi.testclient import TestClient

from reviewbot.service.jobs import QUEUED
from reviewbot.service.queue import JobQueue
from reviewbot.service.settings import Settings
from reviewbot.webhooks import create_app
from tests.webhooks.payloads import delivery, examples

SECRET = "It's a Secret to Everybody"
PATH = "/webhooks/github"


class SignallingQueue(JobQueue):
    """The real queue; it only says when a delivery has reached the job store."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.entered = threading.Event()

    def submit(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.entered.set()
        return super().submit(*args, **kwargs)


def test_a_delivery_waiting_for_the_store_lock_leaves_the_loop_free(tmp_path: Path) -> None:
    queue = SignallingQueue(Settings(webhook_secret=SECRET, token="t", data_dir=tmp_path))
    payload = examples("pull_request", "opened")[0]
    holder = sqlite3.connect(queue.store.db.path, isolation_level=None)
    with TestClient(create_app(queue.settings, queue)) as client, ThreadPoolExecutor(1) as pool:
        holder.execute("BEGIN IMMEDIATE")  # a worker's transaction, still open
        body, headers = delivery("pull_request", payload, SECRET)
        waiting = pool.submit(client.post, PATH, content=body, headers=headers)
        assert queue.entered.wait(60), "the delivery never reached the job store"
        ping_body, ping_headers = delivery("ping", examples("ping")[0], SECRET)
        pong = client.post(PATH, content=ping_body, headers=ping_headers)
        health = client.get("/healthz")
        assert pong.status_code == 200 and "pong" in pong.json()
        assert health.status_code == 200 and health.json()["ok"] is True
        assert not waiting.done()  # still waiting for the lock, off the loop
        holder.execute("COMMIT")
        answer = waiting.result(timeout=60)
    assert answer.status_code == 202, answer.text
    assert queue.store.get(answer.json()["job"]).state == QUEUED
