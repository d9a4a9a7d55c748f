"""One source of truth across machines: the job store on SQLite and on a real PostgreSQL,
leases any host can take back, and a queue (a real redis-server) that is only a cache of the
store: restarted, down during deliveries, or shared with a GPU worker on another host."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from reviewbot.config import load_config
from reviewbot.service.database import PostgresDatabase
from reviewbot.service.jobs import CANCELLED, DONE, FAILED, QUEUED, RUNNING, JobSpec, JobStore
from reviewbot.service.queue import JobQueue
from reviewbot.service.settings import Settings
from reviewbot.service.worker import Worker, reconcile
from reviewbot.webhooks import create_app
from tests.fakes.github_server import FakeGitHub
from tests.reviewbot.service.service_helpers import (
    NUMBER,
    REPO,
    SECRET,
    SERVICE_CONFIG,
    free_port,
    make_origin,
    open_pull,
    reviewbot,
    service_env,
    wait_for,
)
from tests.reviewbot.service.test_e2e import opened_payload
from tests.reviewbot.service.test_queue import StallFirstReview
from tests.webhooks.payloads import delivery

SHA_A, SHA_B = "a" * 40, "b" * 40


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path: Path) -> JobStore:
    if request.param == "sqlite":
        return JobStore(tmp_path / "jobs.sqlite3", max_crash_pickups=2)
    url = request.getfixturevalue("postgres_url")
    return JobStore(PostgresDatabase(url), max_crash_pickups=2)


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        yield server


def config_file(folder: Path, queue: str = "", runner: str = "") -> Path:
    """The tests' service config with fast leases and reconciliation, and more."""
    path = folder / "config.toml"
    path.write_text(SERVICE_CONFIG.replace("[queue]\n", f"[queue]\n{queue}\nlease_s = 2.0\n"
                                           "reconcile_s = 0.5\n") + runner)
    return path


# ---- the store, the same on both databases ---------------------------------------------------


def test_the_store_records_claims_and_closes_alike_on_sqlite_and_postgresql(store):
    spec = JobSpec(REPO, NUMBER, SHA_A, "review", installation_id=2 ** 40)
    assert store.record(spec, "d1").created
    again = store.record(spec, "d1")
    assert again.duplicate_delivery and again.unqueued  # never reached a queue
    assert store.record(spec, "d2").created is False

    job = store.claim(spec, "host-a:10", lease_s=60)
    assert job.state == RUNNING and job.owner == "host-a:10" and job.attempts == 1
    assert store.claim(spec, "host-b:11") is None  # claimed once
    assert store.finish(spec.key, DONE, owner="host-b:11") is False  # not its job
    assert store.finish(spec.key, DONE, owner="host-a:10") is True
    assert store.get(spec.key).spec.installation_id == 2 ** 40

    newer = JobSpec(REPO, NUMBER, SHA_B, "review")
    store.record(JobSpec(REPO, NUMBER, SHA_A, "run"), "d3")
    store.record(newer, "d4")
    [cancelled] = store.supersede(REPO, NUMBER, SHA_B)
    assert cancelled.spec.kind == "run" and store.get(cancelled.key).state == CANCELLED
    assert store.counts() == {QUEUED: 1, RUNNING: 0, DONE: 1, FAILED: 0, CANCELLED: 1}
    assert store.delivery_count() == 4


def test_a_lapsed_lease_is_taken_back_and_a_job_that_keeps_crashing_is_failed(store):
    spec = JobSpec(REPO, NUMBER, SHA_A, "run")
    store.record(spec, "d1")
    alive = JobSpec(REPO, NUMBER + 1, SHA_A, "run")
    store.record(alive, "d2")
    store.claim(alive, "healthy-host:5", lease_s=60)

    for pickup in (1, 2):
        store.claim(spec, f"gone-container-{pickup}:1", lease_s=0.05)
        time.sleep(0.1)  # the owner died: nobody renews its lease
        recovered = store.recover(["run"])
        assert [job.key for job in recovered.queued] == [spec.key]
        assert store.get(spec.key).crashes == pickup
    store.claim(spec, "gone-container-3:1", lease_s=0.05)
    time.sleep(0.1)
    recovered = store.recover(["run"])
    assert recovered.queued == []
    [given_up] = recovered.given_up
    job = store.get(spec.key)
    assert job.state == FAILED and given_up.key == spec.key
    assert "stopped without finishing it 3 times" in job.last_error
    assert store.get(alive.key).state == RUNNING  # its lease holds: nobody takes it


def test_a_heartbeat_keeps_a_long_job_its_owners(store):
    spec = JobSpec(REPO, NUMBER, SHA_A, "run")
    store.record(spec, "d1")
    store.claim(spec, "gpu-host:7", lease_s=0.3)
    for _ in range(4):
        time.sleep(0.15)
        assert store.heartbeat("gpu-host:7", lease_s=0.3) == 1
        assert store.recover(["run"]).queued == []
    assert store.get(spec.key).state == RUNNING


# ---- the queue is a cache of the store ------------------------------------------------------


def signed_post(client: TestClient, payload: dict, delivery_id: str) -> dict:
    body, headers = delivery("pull_request", payload, SECRET)
    answer = client.post("/webhooks/github", content=body,
                         headers=headers | {"X-GitHub-Delivery": delivery_id})
    assert answer.status_code == 202, answer.text
    return answer.json()


def test_deliveries_while_redis_is_down_are_kept_and_their_redelivery_queues_them(
        redis_server, tmp_path):
    settings = Settings(webhook_secret=SECRET, token="t", api_url="http://127.0.0.1:9",
                        data_dir=tmp_path / "data")
    config = load_config(config_file(tmp_path, f'url = "{redis_server.url}"')).config
    queue = JobQueue(settings, config.queue)
    client = TestClient(create_app(settings, queue))
    payload = opened_payload(SHA_A)

    redis_server.stop()
    first = signed_post(client, payload, "delivery-1")
    assert first["outcome"] == "recorded"  # kept in the store; the queue was down
    assert queue.store.get(first["job"]).state == QUEUED
    redis_server.start()  # empty, as a restarted Redis without persistence
    again = signed_post(client, payload, "delivery-1")  # GitHub's "Redeliver"
    assert again["outcome"] == "requeued"
    assert queue.pending("cpu") == 1
    assert signed_post(client, payload, "delivery-1")["outcome"] == "duplicate_delivery"
    assert queue.pending("cpu") == 1
    metrics = client.get("/metrics").text
    assert 'outcome="recorded"} 1.0' in metrics and 'outcome="requeued"} 1.0' in metrics


def test_a_follow_up_run_that_cannot_be_queued_never_fails_the_posted_review(
        redis_server, fake, tmp_path):
    origin = make_origin(tmp_path / "git")
    open_pull(fake, origin)
    settings = Settings(token=fake.token, api_url=fake.base_url, data_dir=tmp_path / "data")
    config = load_config(config_file(tmp_path, f'url = "{redis_server.url}"')).config
    worker = Worker(JobQueue(settings, config.queue), settings, config)
    spec = JobSpec(REPO, NUMBER, origin.head_sha, "review")
    worker.queue.store.record(spec, "d1")

    redis_server.stop()
    worker.handle(spec)  # posts the review, then cannot queue the notebook run

    assert worker.queue.store.get(spec.key).state == DONE
    [check] = fake.state.repo(REPO).check_runs
    assert check["status"] == "completed" and check["conclusion"] == "failure"
    comments = fake.state.repo(REPO).issue_comments[NUMBER]
    assert len(comments) == 1 and "reviewbot failed" not in comments[0]["body"]
    run = worker.queue.store.get(f"{REPO}#{NUMBER}@{origin.head_sha}:run")
    assert run.state == QUEUED and not run.enqueued
    redis_server.start()
    assert reconcile(worker, "gpu") == 1
    assert worker.queue.pending("gpu") == 1
    assert reconcile(worker, "gpu") == 0  # queued now: nothing sent twice


# ---- real processes -------------------------------------------------------------------------


def test_a_container_recreated_under_a_new_hostname_finishes_the_killed_job(tmp_path):
    fake = FakeGitHub()
    stall = StallFirstReview(fake)
    with fake:
        origin = make_origin(tmp_path / "git")
        open_pull(fake, origin)
        volume, log = tmp_path / "volume", tmp_path / "worker.log"
        config = config_file(tmp_path)
        store = JobStore(volume / "jobs.sqlite3")
        spec = JobSpec(REPO, NUMBER, origin.head_sha, "review")
        JobQueue(Settings(token=fake.token, api_url=fake.base_url, data_dir=volume)).submit(
            spec, "d1")
        env = service_env(fake, volume)

        old = reviewbot(["worker", "--queue", "cpu", "--config", str(config)],
                        env | {"REVIEWBOT_WORKER_NAME": "container-1a2b"}, log)
        wait_for(stall.posted.is_set, 120, "the review to be posted", log)
        old.send_signal(signal.SIGKILL)
        old.wait(timeout=10)
        stall.release.set()
        assert store.get(spec.key).state == RUNNING
        assert store.get(spec.key).owner.startswith("container-1a2b:")

        new = reviewbot(["worker", "--queue", "cpu", "--config", str(config)],
                        env | {"REVIEWBOT_WORKER_NAME": "container-9f8e"}, log)
        try:
            wait_for(lambda: store.get(spec.key).state == DONE, 120, "the job to finish", log)
        finally:
            new.send_signal(signal.SIGTERM)
            new.wait(timeout=30)
    job = store.get(spec.key)
    assert job.attempts == 2 and job.crashes == 1 and job.owner.startswith("container-9f8e:")
    assert len(fake.state.pull(REPO, NUMBER).reviews) == 1
    assert len(fake.state.repo(REPO).issue_comments[NUMBER]) == 1
    [check] = fake.state.repo(REPO).check_runs
    assert check["status"] == "completed"


def _health(base: str) -> dict | None:
    try:
        return httpx.get(f"{base}/healthz", timeout=5).json()
    except httpx.HTTPError:
        return None


def _post(base: str, payload: dict, delivery_id: str) -> dict:
    body, headers = delivery("pull_request", payload, SECRET)
    answer = httpx.post(f"{base}/webhooks/github", content=body,
                        headers=headers | {"X-GitHub-Delivery": delivery_id}, timeout=30)
    assert answer.status_code == 202, answer.text
    return answer.json()


def test_redis_restarting_while_serving_loses_nothing(redis_server, fake, tmp_path):
    origins = {number: make_origin(tmp_path / f"git{number}") for number in (7, 8)}
    for number, origin in origins.items():
        open_pull(fake, origin, number)
    port, log = free_port(), tmp_path / "serve.log"
    config = config_file(tmp_path, f'url = "{redis_server.url}"')
    serve = reviewbot(["serve", "--port", str(port), "--config", str(config), "--roles",
                       "webhook,cpu"], service_env(fake, tmp_path / "data"), log)
    base = f"http://127.0.0.1:{port}"
    store = JobStore(tmp_path / "data" / "jobs.sqlite3")
    try:
        wait_for(lambda: _health(base), 60, "reviewbot serve to answer", log)
        redis_server.stop()
        outage = _post(base, _payload(origins[7].head_sha, 7), "during-outage")
        assert outage["outcome"] == "recorded"
        redis_server.start()  # empty: a restart without persistence
        later = _post(base, _payload(origins[8].head_sha, 8), "after-restart")
        assert later["outcome"] == "enqueued"
        for answer in (outage, later):
            wait_for(lambda key=answer["job"]: store.get(key).state == DONE, 120,
                     f"{answer['job']} to finish", log)
        health = _health(base)
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=60)
    for number in (7, 8):
        assert len(fake.state.pull(REPO, number).reviews) == 1
        assert len(fake.state.repo(REPO).issue_comments[number]) == 1
    runs = [job for job in store.all_jobs() if job.spec.kind == "run"]
    assert len(runs) == 2 and {job.state for job in runs} == {QUEUED}, \
        "--roles webhook,cpu never takes GPU work"
    assert health["jobs"][DONE] == 2 and health["jobs"][RUNNING] == 0


def _payload(head_sha: str, number: int) -> dict:
    payload = opened_payload(head_sha)
    payload["number"] = payload["pull_request"]["number"] = number
    return payload


RUN_FAST = """
[runner]
runs = 1
cell_timeout_s = 60.0
notebook_timeout_s = 120.0
[stats.sequential]
enabled = false
"""


def test_a_gpu_worker_on_another_host_shares_the_postgresql_store(
        redis_server, postgres_url, fake, tmp_path):
    origin = make_origin(tmp_path / "git")
    open_pull(fake, origin)
    metrics_port = free_port()  # the gpu consumer serves on the next port
    config = config_file(tmp_path, f'url = "{redis_server.url}"\nworker_metrics_port = '
                                   f'{metrics_port - 1}', RUN_FAST)
    shared = {"REVIEWBOT_JOB_STORE": postgres_url}
    service = service_env(fake, tmp_path / "service-data") | shared | {
        "REVIEWBOT_WORKER_NAME": "service-host"}
    gpu_host = service_env(fake, tmp_path / "gpu-data") | shared | {
        "REVIEWBOT_WORKER_NAME": "gpu-host"}
    port, log, gpu_log = free_port(), tmp_path / "serve.log", tmp_path / "gpu.log"
    base = f"http://127.0.0.1:{port}"
    store = JobStore(PostgresDatabase(postgres_url))
    run_key = f"{REPO}#{NUMBER}@{origin.head_sha}:run"
    serve_args = ["serve", "--port", str(port), "--config", str(config), "--roles",
                  "webhook,cpu"]
    serve = reviewbot(serve_args, service, log)
    gpu = reviewbot(["worker", "--queue", "gpu", "--config", str(config)], gpu_host, gpu_log)
    try:
        wait_for(lambda: _health(base), 60, "reviewbot serve to answer", log)
        _post(base, opened_payload(origin.head_sha), "d1")
        wait_for(lambda: (job := store.get(run_key)) and job.state == DONE, 240,
                 "the notebook run on the gpu host", gpu_log)
        gpu_metrics = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=60)
        serve = reviewbot(serve_args, service, log)  # the service restarts
        wait_for(lambda: _health(base), 60, "reviewbot serve to answer again", log)
        time.sleep(2.0)  # several reconciliations
        health = _health(base)
    finally:
        for process in (serve, gpu):
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
    run = store.get(run_key)
    assert run.attempts == 1 and run.owner.startswith("gpu-host:")
    assert health["jobs"] == {QUEUED: 0, RUNNING: 0, DONE: 2, FAILED: 0, CANCELLED: 0}
    assert gpu_log.read_text().count(f"{run_key}: attempt") == 1
    [summary] = fake.state.repo(REPO).issue_comments[NUMBER]
    assert "| replication |" in summary["body"]  # the gpu host's runs were posted
    # run.ipynb reads /home/alice/data.csv, which the sandbox does not have: a failed run
    assert 'reviewbot_runs_total{backend="local",outcome="failed"} 1.0' in gpu_metrics
    assert 'reviewbot_run_seconds_count{backend="local"} 1.0' in gpu_metrics
