"""docker-compose.yml: valid for Debian's docker-compose, and as narrow as the sandbox allows."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.conftest import REPO_ROOT

INSTALL = "run dev/install-test-deps (it installs docker-compose)"
SECRETS = {"REVIEWBOT_WEBHOOK_SECRET": "s", "REVIEWBOT_GITHUB_APP_ID": "1"}


def compose(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    if shutil.which("docker-compose") is None:
        pytest.fail(f"no docker-compose: {INSTALL}", pytrace=False)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("REVIEWBOT_")}
    return subprocess.run(["docker-compose", "-f", str(REPO_ROOT / "docker-compose.yml"),
                           *args], env=clean | env, capture_output=True, text=True, timeout=60,
                          cwd=REPO_ROOT)


def test_the_compose_file_is_valid_with_the_service_redis_and_a_gpu_worker():
    done = compose("config", env=SECRETS)
    assert done.returncode == 0, done.stderr
    services = compose("config", "--services", env=SECRETS).stdout.split()
    assert sorted(services) == ["gpu-worker", "redis", "reviewbot"]
    text = done.stdout
    assert "- webhook,cpu" in text  # the service never takes GPU work
    assert "REVIEWBOT_QUEUE_URL: redis://redis:6379/0" in text
    assert text.count("seccomp=unconfined") == 2 and text.count("cap_drop:\n    - ALL") == 2
    assert "privileged" not in text and "cap_add" not in text
    assert "driver: nvidia" in text


def test_the_compose_file_refuses_to_start_without_the_webhook_secret():
    done = compose("config", env={"REVIEWBOT_GITHUB_APP_ID": "1"})
    assert done.returncode != 0
    assert "REVIEWBOT_WEBHOOK_SECRET" in done.stderr and "set it in .env" in done.stderr
