"""The webhook endpoint, fed GitHub's own example payloads through a real ASGI client."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reviewbot.service.jobs import QUEUED
from reviewbot.service.queue import JobQueue
from reviewbot.service.settings import Settings
from reviewbot.webhooks import create_app
from reviewbot.webhooks.signature import sign
from tests.webhooks.payloads import delivery, examples

SECRET = "It's a Secret to Everybody"
PATH = "/webhooks/github"


@pytest.fixture
def queue(tmp_path: Path) -> JobQueue:
    return JobQueue(Settings(webhook_secret=SECRET, token="t", data_dir=tmp_path / "data"))


@pytest.fixture
def client(queue: JobQueue) -> TestClient:
    return TestClient(create_app(queue.settings, queue, max_body_bytes=200_000))


def post(client: TestClient, event: str, payload: dict | bytes, delivery_id: str | None = None):
    body, headers = delivery(event, payload, SECRET, delivery_id)
    return client.post(PATH, content=body, headers=headers)


@pytest.mark.parametrize("action", ["opened", "synchronize", "reopened", "ready_for_review"])
def test_every_example_of_a_reviewed_action_records_one_queued_job(client, queue, action):
    payloads = examples("pull_request", action)
    assert payloads, f"the package has no pull_request.{action} example"
    for payload in payloads:
        response = post(client, "pull_request", payload)
        assert response.status_code == 202, response.text
        pr = payload["pull_request"]
        key = f"Codertocat/Hello-World#{pr['number']}@{pr['head']['sha']}:review"
        assert response.json()["job"] == key
        assert queue.store.get(key).state == QUEUED
    assert queue.pending("cpu") == 1  # every example is the same head: one job
    assert queue.pending("gpu") == 0  # the webhook never starts a notebook run itself


def test_draft_is_recorded_as_draft(client, queue):
    payload = examples("pull_request", "opened")[0]
    payload["pull_request"]["draft"] = True
    assert post(client, "pull_request", payload).status_code == 202
    [job] = queue.store.all_jobs()
    assert job.spec.draft is True


def test_missing_signature_is_401(client, queue):
    body, headers = delivery("pull_request", examples("pull_request", "opened")[0], SECRET)
    del headers["X-Hub-Signature-256"]
    response = client.post(PATH, content=body, headers=headers)
    assert response.status_code == 401
    assert "X-Hub-Signature-256" in response.json()["error"]
    assert queue.store.all_jobs() == []


def test_wrong_secret_is_401(client, queue):
    body, headers = delivery("pull_request", examples("pull_request", "opened")[0], "not it")
    assert client.post(PATH, content=body, headers=headers).status_code == 401
    assert queue.store.all_jobs() == []


def test_valid_signature_of_another_body_is_401(client, queue):
    genuine = examples("pull_request", "opened")[0]
    forged = json.loads(json.dumps(genuine))
    forged["pull_request"]["head"]["sha"] = "f" * 40
    _, headers = delivery("pull_request", genuine, SECRET)
    response = client.post(PATH, content=json.dumps(forged).encode(), headers=headers)
    assert response.status_code == 401
    assert queue.store.all_jobs() == []


def test_oversize_body_is_413_before_the_signature(client):
    body = b"{" + b" " * 300_000 + b"}"
    headers = {"X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=00"}
    response = client.post(PATH, content=body, headers=headers)
    assert response.status_code == 413
    assert "200000 bytes" in response.json()["error"]


def test_garbage_body_with_a_good_signature_is_400(client):
    response = post(client, "pull_request", b"\xff\xfe not json")
    assert response.status_code == 400
    assert "not JSON" in response.json()["error"]


def test_payload_without_a_head_sha_is_400(client, queue):
    payload = examples("pull_request", "opened")[0]
    del payload["pull_request"]["head"]["sha"]
    response = post(client, "pull_request", payload)
    assert response.status_code == 400
    assert "'sha'" in response.json()["error"]
    assert queue.store.all_jobs() == []


def test_ping_is_200(client):
    for payload in examples("ping"):
        response = post(client, "ping", payload)
        assert response.status_code == 200
        assert response.json()["pong"] == payload["zen"]


@pytest.mark.parametrize(("event", "action"), [("push", None), ("pull_request", "closed"),
                                               ("pull_request", "labeled"),
                                               ("check_run", "completed")])
def test_other_events_are_202_ignored(client, queue, event, action):
    response = post(client, event, examples(event, action)[0])
    assert response.status_code == 202
    assert "ignored" in response.json()
    assert queue.store.all_jobs() == []


def test_disallowed_repository_is_403(queue):
    app = create_app(queue.settings, queue, repositories=["dlc/papers"])
    response = post(TestClient(app), "pull_request", examples("pull_request", "opened")[0])
    assert response.status_code == 403
    assert "Codertocat/Hello-World is not served" in response.json()["error"]
    assert queue.store.all_jobs() == []


def test_allowed_repository_is_case_insensitive(queue):
    app = create_app(queue.settings, queue, repositories=["codertocat/hello-world"])
    response = post(TestClient(app), "pull_request", examples("pull_request", "opened")[0])
    assert response.status_code == 202


def test_duplicate_delivery_enqueues_once(client, queue):
    payload = examples("pull_request", "opened")[0]
    first = post(client, "pull_request", payload, "delivery-1")
    second = post(client, "pull_request", payload, "delivery-1")
    assert first.json()["outcome"] == "enqueued"
    assert second.json()["outcome"] == "duplicate_delivery"
    assert len(queue.store.all_jobs()) == 1
    assert queue.pending("cpu") == 1


def test_same_head_from_two_deliveries_is_one_job(client, queue):
    opened = examples("pull_request", "opened")[1]
    reopened = examples("pull_request", "reopened")[0]
    assert opened["pull_request"]["head"]["sha"] == reopened["pull_request"]["head"]["sha"]
    post(client, "pull_request", opened, "delivery-a")
    response = post(client, "pull_request", reopened, "delivery-b")
    assert response.json()["outcome"] == "duplicate_job"
    assert len(queue.store.all_jobs()) == 1
    assert queue.store.delivery_count() == 2
    assert queue.pending("cpu") == 1


def test_synchronize_cancels_the_older_heads_queued_job(client, queue):
    opened = examples("pull_request", "opened")[1]
    opened["pull_request"]["head"]["sha"] = "a" * 40
    post(client, "pull_request", opened)
    sync = examples("pull_request", "synchronize")[0]
    post(client, "pull_request", sync)
    old = queue.store.get(f"Codertocat/Hello-World#2@{'a' * 40}:review")
    assert old.state == "cancelled"
    assert old.superseded_by == sync["pull_request"]["head"]["sha"]
    assert queue.store.get(f"Codertocat/Hello-World#2@{sync['after']}:review").state == QUEUED


def test_check_run_rerequested_requeues_a_finished_review(client, queue):
    sync = examples("pull_request", "synchronize")[0]
    post(client, "pull_request", sync)
    key = f"Codertocat/Hello-World#2@{sync['after']}:review"
    queue.store.claim(queue.store.get(key).spec)
    queue.store.finish(key, "done")
    rerun = examples("check_run", "rerequested")[0]
    rerun["repository"] = sync["repository"]
    rerun["check_run"]["head_sha"] = sync["after"]  # empty pull_requests: found in the store
    response = post(client, "check_run", rerun)
    assert response.status_code == 202
    assert response.json() == {"job": key, "outcome": "enqueued"}
    assert queue.store.get(key).state == QUEUED


def test_check_run_rerequested_for_an_unknown_commit_is_ignored(client, queue):
    response = post(client, "check_run", examples("check_run", "rerequested")[0])
    assert response.status_code == 202
    assert "no known pull request" in response.json()["ignored"]


def test_healthz_and_metrics(client):
    post(client, "pull_request", examples("pull_request", "opened")[0], "d1")
    post(client, "pull_request", examples("pull_request", "opened")[0], "d1")
    client.post(PATH, content=b"{}", headers={"X-Hub-Signature-256": sign("x", b"{}")})
    assert client.get("/healthz").json()["jobs"]["queued"] == 1
    text = client.get("/metrics").text
    assert ('reviewbot_webhook_deliveries_total{event="pull_request",outcome="enqueued"} 1.0'
            in text)
    assert ('reviewbot_webhook_deliveries_total{event="pull_request",'
            'outcome="duplicate_delivery"} 1.0' in text)
    assert 'reviewbot_webhook_deliveries_total{event="unverified",outcome="bad_signature"} 1.0' \
        in text
    assert "reviewbot_jobs_enqueued_total 1.0" in text
    assert 'reviewbot_jobs{state="queued"} 1.0' in text
    assert "reviewbot_webhook_seconds_bucket" in text
