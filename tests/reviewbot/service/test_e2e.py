"""End to end over real HTTP: GitHub's own ``pull_request.opened`` example, rewritten to
point at the fake GitHub's PR and a bare git repository, signed and POSTed to a running
``reviewbot serve``; its cpu consumer fetches, reviews and posts to the fake GitHub."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fakes.github_server import FakeGitHub
from tests.reviewbot.service.service_helpers import (
    FOLDER,
    NUMBER,
    REPO,
    SECRET,
    free_port,
    make_origin,
    open_pull,
    reviewbot,
    service_env,
    wait_for,
    write_config,
)
from tests.webhooks.payloads import delivery, examples


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        yield server


def opened_payload(head_sha: str) -> dict:
    payload = examples("pull_request", "opened")[1]  # an App delivery (has installation)
    payload["number"] = payload["pull_request"]["number"] = NUMBER
    payload["pull_request"]["head"]["sha"] = head_sha
    payload["repository"]["full_name"] = REPO
    payload["repository"]["name"] = REPO.split("/")[1]
    return payload


def test_signed_opened_delivery_ends_in_a_posted_review(fake, tmp_path: Path):
    origin = make_origin(tmp_path / "git")
    open_pull(fake, origin)
    port, log = free_port(), tmp_path / "serve.log"
    env = service_env(fake, tmp_path / "data")
    serve = reviewbot(["serve", "--port", str(port), "--config", str(write_config(tmp_path))],
                      env, log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _healthy(base), 60, "reviewbot serve to answer", log)
        body, headers = delivery("pull_request", opened_payload(origin.head_sha), SECRET)
        answer = httpx.post(f"{base}/webhooks/github", content=body, headers=headers)
        assert answer.status_code == 202, answer.text
        assert answer.json()["job"] == f"{REPO}#{NUMBER}@{origin.head_sha}:review"
        wait_for(lambda: _completed(fake), 120, "the check run to complete", log)
        metrics = httpx.get(f"{base}/metrics").text
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=60)
    assert serve.returncode == 0, log.read_text()[-2000:]

    [check] = fake.state.repo(REPO).check_runs
    annotations = [a for r in fake.requests_to("PATCH", "/check-runs/")
                   for a in (r.body.get("output") or {}).get("annotations", [])]
    assert check["head_sha"] == origin.head_sha and check["conclusion"] == "failure"
    # model.py:7 is commented inline (below), so it is not also an annotation: said once
    assert not any(a["path"] == f"{FOLDER}/model.py" and a["start_line"] == 7
                   for a in annotations)
    [summary] = fake.state.repo(REPO).issue_comments[NUMBER]
    assert FOLDER in summary["body"]
    [review] = fake.state.pull(REPO, NUMBER).reviews
    assert review["commit_id"] == origin.head_sha
    inline = fake.state.pull(REPO, NUMBER).review_comments
    assert {(c["path"], c["line"]) for c in inline} >= {(f"{FOLDER}/model.py", 7)}
    assert all((c["path"], c["line"]) in _diff_lines(origin.patches) for c in inline)
    assert 'reviewbot_webhook_deliveries_total{event="pull_request",outcome="enqueued"} 1.0' \
        in metrics
    assert "consumer exited" not in log.read_text()


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _completed(fake: FakeGitHub) -> bool:
    runs = fake.state.repo(REPO).check_runs
    return bool(runs) and runs[0]["status"] == "completed"


def _diff_lines(patches: dict[str, str]) -> set[tuple[str, int]]:
    """(path, line) of every added line: the new files' patches are all additions."""
    return {(path, n) for path, patch in patches.items()
            for n in range(1, 1 + sum(line.startswith("+") for line in patch.splitlines()))}
