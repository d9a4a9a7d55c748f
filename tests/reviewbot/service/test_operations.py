"""What operators see of a worker process: JSON log lines and its Prometheus metrics."""

from __future__ import annotations

import json
import re
import signal
from pathlib import Path

import httpx

from reviewbot.service.jobs import DONE, JobSpec, JobStore
from reviewbot.service.queue import JobQueue
from reviewbot.service.settings import Settings
from tests.fakes.github_server import RATE_LIMIT, FakeGitHub
from tests.reviewbot.service.service_helpers import (
    NUMBER,
    REPO,
    SERVICE_CONFIG,
    free_port,
    make_origin,
    open_pull,
    reviewbot,
    service_env,
    wait_for,
)


def sample(metrics: str, name: str) -> float:
    """The value of the sample line that starts with ``name`` (labels included)."""
    match = re.search(rf"^{re.escape(name)} (\S+)$", metrics, re.MULTILINE)
    assert match, f"no {name} in\n{metrics}"
    return float(match.group(1))


def test_a_worker_logs_json_lines_and_counts_github_calls_and_jobs(tmp_path: Path):
    port = free_port()
    config = tmp_path / "config.toml"
    config.write_text(SERVICE_CONFIG.replace("[queue]\n", f"[queue]\nworker_metrics_port = "
                                                          f"{port}\n"))
    with FakeGitHub() as fake:
        origin = make_origin(tmp_path / "git")
        open_pull(fake, origin)
        data_dir, log = tmp_path / "data", tmp_path / "worker.log"
        spec = JobSpec(REPO, NUMBER, origin.head_sha, "review")
        JobQueue(Settings(token=fake.token, api_url=fake.base_url, data_dir=data_dir)).submit(
            spec, "d1")
        env = service_env(fake, data_dir) | {"REVIEWBOT_LOG_FORMAT": "json"}
        worker = reviewbot(["worker", "--queue", "cpu", "--config", str(config)], env, log)
        store = JobStore(data_dir / "jobs.sqlite3")
        try:
            wait_for(lambda: store.get(spec.key).state == DONE, 120, "the review", log)
            metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)
        calls = len(fake.requests)

    counted = re.findall(r'^reviewbot_github_requests_total\{method="(\w+)",status="(\d+)"\} '
                         r"(\S+)$", metrics, re.MULTILINE)
    assert sum(float(n) for _, _, n in counted) == calls  # every call the fake answered
    assert {method for method, _, _ in counted} >= {"GET", "POST", "PATCH"}
    assert sample(metrics, "reviewbot_github_rate_limit_remaining") == RATE_LIMIT - calls
    assert sample(metrics, "reviewbot_github_rate_limit") == RATE_LIMIT
    assert sample(metrics, 'reviewbot_worker_jobs_total{kind="review",outcome="done"}') == 1
    assert sample(metrics, 'reviewbot_queue_depth{queue="cpu"}') == 0
    entries = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert {"time", "level", "logger", "process", "message"} <= set(entries[0])
    assert any(e["message"] == f"{spec.key}: done" and e["level"] == "info" for e in entries)
    assert not any("Authorization" in e["message"] for e in entries)
