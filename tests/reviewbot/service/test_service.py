"""``reviewbot serve`` and ``reviewbot worker`` refuse to start without what they need."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.reviewbot.service.service_helpers import free_port


def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("REVIEWBOT_")}
    return subprocess.run([sys.executable, "-m", "reviewbot.cli", *args], env=clean | env,
                          cwd=cwd, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("env", "missing"), [
    ({"REVIEWBOT_GITHUB_TOKEN": "t"}, "REVIEWBOT_WEBHOOK_SECRET is not set"),
    ({"REVIEWBOT_WEBHOOK_SECRET": "s"}, "set REVIEWBOT_GITHUB_TOKEN, or REVIEWBOT_GITHUB_APP_ID"),
])
def test_serve_refuses_to_start_without_secret_or_github_auth(tmp_path, env, missing):
    done = run_cli(["serve", "--port", "1"], env, tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and missing in done.stderr
    assert "Traceback" not in done.stderr


def test_worker_refuses_to_start_without_github_auth(tmp_path):
    done = run_cli(["worker", "--queue", "gpu"], {}, tmp_path)
    assert done.returncode == 2
    assert "REVIEWBOT_GITHUB_TOKEN" in done.stderr and "Traceback" not in done.stderr


def test_worker_needs_a_known_queue(tmp_path):
    done = run_cli(["worker", "--queue", "tpu"], {"REVIEWBOT_GITHUB_TOKEN": "t"}, tmp_path)
    assert done.returncode == 2
    assert "tpu" in done.stderr


def test_a_bad_queue_url_in_config_is_a_config_error(tmp_path):
    (tmp_path / "config.toml").write_text('[queue]\nurl = "amqp://rabbit"\n')
    done = run_cli(["worker", "--queue", "cpu", "--config", "config.toml"],
                   {"REVIEWBOT_GITHUB_TOKEN": "t"}, tmp_path)
    assert done.returncode == 2
    assert "queue.url" in done.stderr and "redis://" in done.stderr


def test_serve_refuses_an_unknown_role(tmp_path):
    env = {"REVIEWBOT_GITHUB_TOKEN": "t", "REVIEWBOT_WEBHOOK_SECRET": "s"}
    done = run_cli(["serve", "--port", "1", "--roles", "webhook,tpu"], env, tmp_path)
    assert done.returncode == 2
    assert "--roles" in done.stderr and "tpu" in done.stderr and "Traceback" not in done.stderr


def test_a_store_that_is_not_postgresql_is_a_config_error(tmp_path):
    (tmp_path / "config.toml").write_text('[queue]\nstore = "mysql://db/reviewbot"\n')
    done = run_cli(["worker", "--queue", "cpu", "--config", "config.toml"],
                   {"REVIEWBOT_GITHUB_TOKEN": "t"}, tmp_path)
    assert done.returncode == 2
    assert "queue.store" in done.stderr and "postgresql://" in done.stderr


def test_an_unreachable_postgresql_store_is_one_clear_line(tmp_path):
    port = free_port()
    env = {"REVIEWBOT_GITHUB_TOKEN": "t",
           "REVIEWBOT_JOB_STORE": f"postgresql://reviewbot:hunter2@127.0.0.1:{port}/jobs"}
    done = run_cli(["worker", "--queue", "gpu"], env, tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"cannot use the job store at postgresql://reviewbot@127.0.0.1:{port}/jobs" \
        in done.stderr
    assert "hunter2" not in done.stderr
