"""Benchmark: webhook acknowledgement latency and delivery durability under load.

Run by hand from the repository root (not a test)::

    .venv/bin/python bench/webhook_load.py [--rate 200] [--seconds 30] [--duplicates 0.1]

It starts ``reviewbot serve`` as a subprocess on a free loopback port, with the SQLite
queue in a temporary data folder, a dummy token and a GitHub API URL nobody listens on
(the consumers take the jobs and fail fast; the webhook side is what is measured). Then it
sends ``rate`` signed ``pull_request.opened`` deliveries per second for ``seconds``
seconds, open loop (each at its scheduled time, over a pool of keep-alive connections),
of which a share are exact redeliveries of an earlier one (same delivery id and body).

It prints p50/p90/p99/max acknowledgement latency, deliveries lost (a unique delivery with
no job row in the job store: must be 0) and jobs duplicated (a job enqueued more than once:
must be 0). Target: p99 <= 50 ms at 200/s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from reviewbot.webhooks.signature import sign

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / ".ci/node/node_modules/@octokit/webhooks-examples/api.github.com/index.json"
SECRET = "bench-secret"
CONNECTIONS = 32


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    enqueued_keys: Counter[str] = field(default_factory=Counter)
    unique_keys: set[str] = field(default_factory=set)
    late: int = 0  # sends that started more than 10 ms after their scheduled time


def payload_template() -> dict:
    """A real ``pull_request.opened`` payload when the npm examples are installed."""
    if EXAMPLES.is_file():
        events = json.loads(EXAMPLES.read_text(encoding="utf-8"))
        pull = next(e for e in events if e["name"] == "pull_request")
        return next(x for x in pull["examples"] if x["action"] == "opened")
    return {"action": "opened", "number": 1, "repository": {"full_name": "bench/dlc"},
            "pull_request": {"number": 1, "draft": False, "head": {"sha": "0" * 40}}}


def delivery(template: dict, number: int) -> tuple[str, bytes, str]:
    """(delivery id, body, job key) of the delivery for PR ``number``."""
    payload = dict(template, number=number)
    payload["pull_request"] = dict(template["pull_request"], number=number,
                                   head=dict(template["pull_request"]["head"],
                                             sha=f"{number:040x}"))
    body = json.dumps(payload).encode()
    repo = payload["repository"]["full_name"]
    return f"bench-{number}", body, f"{repo}#{number}@{number:040x}:review"


def request_bytes(port: int, delivery_id: str, body: bytes) -> bytes:
    head = (f"POST /webhooks/github HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"X-GitHub-Event: pull_request\r\nX-GitHub-Delivery: {delivery_id}\r\n"
            f"X-Hub-Signature-256: {sign(SECRET, body)}\r\n\r\n")
    return head.encode() + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = next(int(line.split(":", 1)[1]) for line in lines
                  if line.lower().startswith("content-length:"))
    return status, await reader.readexactly(length)


async def sender(port: int, jobs: asyncio.Queue, results: Results) -> None:
    """One keep-alive connection taking deliveries off ``jobs`` until it gets None."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    while (item := await jobs.get()) is not None:
        scheduled, delivery_id, body, key = item
        started = time.perf_counter()
        results.late += started - scheduled > 0.010
        writer.write(request_bytes(port, delivery_id, body))
        await writer.drain()
        status, answer = await read_response(reader)
        results.latencies.append(time.perf_counter() - scheduled)  # open loop: from schedule
        results.statuses[status] += 1
        outcome = json.loads(answer).get("outcome", "?")
        results.outcomes[outcome] += 1
        if outcome == "enqueued":
            results.enqueued_keys[key] += 1
    writer.close()


async def load(port: int, rate: float, seconds: float, duplicates: float) -> Results:
    results, jobs = Results(), asyncio.Queue()
    senders = [asyncio.create_task(sender(port, jobs, results)) for _ in range(CONNECTIONS)]
    template, sent, rng = payload_template(), [], random.Random(7)
    start, total = time.perf_counter() + 0.5, int(rate * seconds)
    for index in range(total):
        scheduled = start + index / rate
        await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
        if sent and rng.random() < duplicates:
            item = rng.choice(sent)  # a redelivery: same id, same body
        else:
            item = delivery(template, index + 1)
            sent.append(item)
            results.unique_keys.add(item[2])
        jobs.put_nowait((scheduled, *item))
    for _ in senders:
        jobs.put_nowait(None)
    await asyncio.gather(*senders)
    return results


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_service(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, REVIEWBOT_WEBHOOK_SECRET=SECRET, REVIEWBOT_GITHUB_TOKEN="dummy",
               REVIEWBOT_GITHUB_API_URL="http://127.0.0.1:9", REVIEWBOT_DATA_DIR=str(data_dir))
    log = (data_dir / "serve.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "reviewbot.cli", "serve", "--port",
                                str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"reviewbot serve did not come up; see {data_dir / 'serve.log'}")


def stored_keys(data_dir: Path) -> set[str]:
    with sqlite3.connect(data_dir / "jobs.sqlite3") as db:
        return {row[0] for row in db.execute("SELECT key FROM jobs")}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(results: Results, keys: set[str], rate: float, seconds: float) -> bool:
    ms = [value * 1000 for value in results.latencies]
    lost = len(results.unique_keys - keys)
    duplicated = sum(count - 1 for count in results.enqueued_keys.values() if count > 1)
    duplicated += len(results.unique_keys) - len(results.enqueued_keys) - lost  # never enqueued
    print(f"deliveries: {len(ms)} in {seconds:.0f} s at {rate:.0f}/s "
          f"({len(results.unique_keys)} unique, {len(ms) - len(results.unique_keys)} redelivered)")
    print(f"statuses: {dict(results.statuses)}; outcomes: {dict(results.outcomes)}")
    print(f"ack latency ms: p50 {percentile(ms, 0.5):.1f}  p90 {percentile(ms, 0.9):.1f}  "
          f"p99 {percentile(ms, 0.99):.1f}  max {max(ms):.1f}")
    print(f"sends started >10 ms late (client saturated): {results.late}")
    print(f"deliveries lost: {lost}  jobs duplicated: {duplicated}")
    print(f"load average: {os.getloadavg()[0]:.2f} (1 min) on {os.cpu_count()} cores")
    return lost == 0 and duplicated == 0 and percentile(ms, 0.99) <= 50


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200.0, help="deliveries per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to send")
    parser.add_argument("--duplicates", type=float, default=0.1, help="share of redeliveries")
    parser.add_argument("--warmup", type=float, default=5.0,
                        help="seconds to wait after the service answers, before sending")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="reviewbot-bench-") as scratch:
        data_dir, port = Path(scratch), free_port()
        service = start_service(data_dir, port)
        time.sleep(args.warmup)  # let the consumer processes finish importing
        try:
            results = asyncio.run(load(port, args.rate, args.seconds, args.duplicates))
            keys = stored_keys(data_dir)
        finally:
            service.terminate()
            service.wait(timeout=30)
    return 0 if report(results, keys, args.rate, args.seconds) else 1


if __name__ == "__main__":
    sys.exit(main())
