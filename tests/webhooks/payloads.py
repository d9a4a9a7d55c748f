"""Real webhook payloads from @octokit/webhooks-examples, and signed deliveries of them.

dev/install-test-deps installs the npm package into .ci/node; without it these tests fail
(not skip): the point is to exercise GitHub's own payloads.
"""

from __future__ import annotations

import copy
import json
import uuid
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from reviewbot.webhooks.signature import sign
from tests.conftest import REPO_ROOT

INDEX = (REPO_ROOT / ".ci/node/node_modules/@octokit/webhooks-examples/api.github.com/index.json")
INSTALL_LINE = "npm install --prefix .ci/node @octokit/webhooks-examples"


@cache
def _index(path: Path = INDEX) -> tuple[dict[str, Any], ...]:
    if not path.is_file():
        pytest.fail(f"{path} is missing: run dev/install-test-deps ({INSTALL_LINE})",
                    pytrace=False)
    return tuple(json.loads(path.read_text(encoding="utf-8")))


def examples(event: str, action: str | None = None) -> list[dict[str, Any]]:
    """Every example payload of ``event`` (and ``action``), deep copies safe to edit."""
    entry = next(e for e in _index() if e["name"] == event)
    return [copy.deepcopy(x) for x in entry["examples"]
            if action is None or x.get("action") == action]


def delivery(event: str, payload: dict[str, Any] | bytes, secret: str,
             delivery_id: str | None = None) -> tuple[bytes, dict[str, str]]:
    """(body, headers) as GitHub sends them, signed with ``secret``."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
               "X-Hub-Signature-256": sign(secret, body), "Content-Type": "application/json",
               "User-Agent": "GitHub-Hookshot/test"}
    return body, headers
