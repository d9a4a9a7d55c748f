"""The durable queue: a real redis-server for the Redis queue, and a real worker process
killed mid-job (SIGKILL) for the SQLite default."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from reviewbot.config import load_config
from reviewbot.service.jobs import DONE, QUEUED, RUNNING, JobSpec, JobStore
from reviewbot.service.queue import JobQueue, QueueSettings
from reviewbot.service.settings import Settings
from reviewbot.service.worker import Worker
from tests.fakes.github_server import FakeGitHub
from tests.reviewbot.service.service_helpers import (
    NUMBER,
    REPO,
    free_port,
    make_origin,
    open_pull,
    reviewbot,
    service_env,
    wait_for,
    write_config,
)

REDIS_INSTALL = "run dev/install-test-deps (it installs redis-server)"


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """$REVIEWBOT_TEST_REDIS_URL (set by .ci/run), else a redis-server started here."""
    if os.environ.get("REVIEWBOT_TEST_REDIS_URL"):
        yield os.environ["REVIEWBOT_TEST_REDIS_URL"]
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail(f"no redis-server and no REVIEWBOT_TEST_REDIS_URL: {REDIS_INSTALL}",
                    pytrace=False)
    port = free_port()
    server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no"], stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        wait_for(lambda: _pings(url), 10, "redis-server to answer")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def _pings(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url).ping())
    except redis.ConnectionError:
        return False


def redis_queue(url: str, data_dir: Path, token: str = "t", api: str = "") -> JobQueue:
    settings = Settings(token=token, api_url=api or "http://127.0.0.1:9", data_dir=data_dir)
    return JobQueue(settings, QueueSettings(url=url, backoff_s=0.2))


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        yield server


def test_redis_queue_carries_jobs_to_a_worker_on_another_host(redis_url, tmp_path, fake):
    webhook_host = redis_queue(redis_url, tmp_path / "web")
    for huey in webhook_host.hueys.values():
        huey.flush()
    origin = make_origin(tmp_path / "git")
    open_pull(fake, origin)
    spec = JobSpec(REPO, NUMBER, origin.head_sha, "review")
    webhook_host.submit(spec, "d1")
    webhook_host.submit(spec, "d2")  # same head: one job, one task
    assert webhook_host.pending("cpu") == 1 and webhook_host.pending("gpu") == 0
    keys = redis.Redis.from_url(redis_url).keys("huey.redis.reviewbot*cpu")
    assert keys, "the task is stored in Redis"

    # Another machine: its own data dir (job store), the same Redis.
    config = load_config(write_config(tmp_path)).config
    cpu_host = redis_queue(redis_url, tmp_path / "cpu-host", fake.token, fake.base_url)
    Worker(cpu_host, cpu_host.settings, config)
    task = cpu_host.hueys["cpu"].dequeue()
    cpu_host.hueys["cpu"].execute(task)
    assert cpu_host.store.get(spec.key).state == DONE
    assert len(fake.state.pull(REPO, NUMBER).reviews) == 1
    assert webhook_host.pending("cpu") == 0


def test_redis_queue_schedules_a_retry_after_an_outage(redis_url, tmp_path, fake):
    origin = make_origin(tmp_path / "git")
    open_pull(fake, origin)
    config = load_config(write_config(tmp_path)).config
    queue = redis_queue(redis_url, tmp_path / "data", fake.token, fake.base_url)
    for huey in queue.hueys.values():
        huey.flush()
    Worker(queue, queue.settings, config)
    spec = JobSpec(REPO, NUMBER, origin.head_sha, "review")
    queue.submit(spec, "d1")
    fake.fail_next(50, status=502)
    queue.hueys["cpu"].execute(queue.hueys["cpu"].dequeue())
    assert queue.store.get(spec.key).state == QUEUED
    retry = queue.hueys["cpu"].dequeue()  # the retry, due after its backoff
    assert retry.eta is not None
    queue.hueys["cpu"].execute(retry)  # not due yet: it goes to Redis's schedule
    assert queue.hueys["cpu"].scheduled_count() == 1
    assert queue.store.get(spec.key).state == QUEUED


# ---- SQLite across a restart --------------------------------------------------------------


class StallFirstReview:
    """Lets the first review POST through to the fake, then holds its answer: the worker
    has posted the review but never hears back, so it dies before closing the job."""

    def __init__(self, fake: FakeGitHub) -> None:
        self.posted, self.release = threading.Event(), threading.Event()
        fake.app.middleware("http")(self)

    async def __call__(self, request, call_next):
        response = await call_next(request)
        stall = (request.method == "POST" and request.url.path.endswith("/reviews")
                 and not self.posted.is_set())
        if stall:
            self.posted.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        return response


def test_a_worker_killed_mid_job_posts_the_review_exactly_once(tmp_path):
    fake = FakeGitHub()  # the stall is added before the server starts
    stall = StallFirstReview(fake)
    with fake:
        origin = make_origin(tmp_path / "git")
        open_pull(fake, origin)
        data_dir, log = tmp_path / "data", tmp_path / "worker.log"
        env = service_env(fake, data_dir)
        config = write_config(tmp_path)
        queue = JobQueue(Settings(token=fake.token, api_url=fake.base_url, data_dir=data_dir))
        spec = JobSpec(REPO, NUMBER, origin.head_sha, "review")
        queue.submit(spec, "d1")

        first = reviewbot(["worker", "--queue", "cpu", "--config", str(config)], env, log)
        wait_for(stall.posted.is_set, 120, "the review to be posted", log)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        stall.release.set()
        store = JobStore(data_dir / "jobs.sqlite3")
        assert store.get(spec.key).state == RUNNING  # died holding it
        assert len(fake.state.pull(REPO, NUMBER).reviews) == 1

        second = reviewbot(["worker", "--queue", "cpu", "--config", str(config)], env, log)
        try:
            wait_for(lambda: store.get(spec.key).state == DONE, 120, "the job to finish", log)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=30)
        job = store.get(spec.key)
        assert job.attempts == 2
        assert len(fake.state.pull(REPO, NUMBER).reviews) == 1
        assert len(fake.requests_to("POST", f"/pulls/{NUMBER}/reviews")) == 1
        assert len(fake.state.repo(REPO).issue_comments[NUMBER]) == 1
        [check] = fake.state.repo(REPO).check_runs
        assert check["status"] == "completed"
        assert "1 job(s) re-enqueued" in log.read_text()
