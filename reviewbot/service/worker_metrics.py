"""Prometheus metrics of a consumer process (``reviewbot worker``), served on its own port.

- ``reviewbot_github_requests_total{method,status}``: every GitHub API call the worker made,
  and ``reviewbot_github_rate_limit_remaining`` / ``_limit``: what GitHub said was left
  after the last one. PyGithub reports each call to its ``github.Requester`` logger at
  DEBUG; a handler reads the status and the rate-limit headers from the record's arguments
  (nothing is formatted, and the records go nowhere else).
- ``reviewbot_runs_total{outcome,backend}`` and ``reviewbot_run_seconds{backend}``: notebook
  runs by how they ended (ok, failed, timeout, oom, cancelled) and where (local, slurm).
- ``reviewbot_queue_depth{queue}``: tasks waiting, read from the queue at scrape time.
- ``reviewbot_worker_jobs_total{kind,outcome}``: jobs this process closed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from reviewbot.core.models import RunResult

GITHUB_LOGGER = "github.Requester"
RUN_BUCKETS = (10.0, 60.0, 300.0, 900.0, 1800.0, 3600.0, 2 * 3600.0, 4 * 3600.0)


def run_outcome(run: RunResult) -> str:
    """ok, timeout, oom, cancelled or failed, from the run's one-line error."""
    error = run.error.lower()
    if run.ok:
        return "ok"
    if "time limit" in error or "ran longer than" in error or "(timeout)" in error:
        return "timeout"
    if "out of memory" in error:
        return "oom"
    return "cancelled" if "cancelled" in error else "failed"


class QueueDepth(Collector):
    def __init__(self, depths: Callable[[], dict[str, int]]) -> None:
        self.depths = depths

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily("reviewbot_queue_depth", "Tasks waiting on each queue",
                                  labels=["queue"])
        try:
            depths = self.depths()
        except Exception:  # the queue is down: no sample rather than a failed scrape
            depths = {}
        for queue, depth in sorted(depths.items()):
            gauge.add_metric([queue], depth)
        yield gauge


class WorkerMetrics:
    """The registry of one consumer process."""

    def __init__(self, depths: Callable[[], dict[str, int]]) -> None:
        self.registry = registry = CollectorRegistry()
        self.github_requests = Counter("reviewbot_github_requests", "GitHub API calls",
                                       ["method", "status"], registry=registry)
        self.rate_remaining = Gauge("reviewbot_github_rate_limit_remaining", "GitHub API calls "
                                    "left in the rate limit window", registry=registry)
        self.rate_limit = Gauge("reviewbot_github_rate_limit", "GitHub API rate limit",
                                registry=registry)
        self.runs = Counter("reviewbot_runs", "Notebook runs", ["outcome", "backend"],
                            registry=registry)
        self.run_seconds = Histogram("reviewbot_run_seconds", "Notebook run time", ["backend"],
                                     buckets=RUN_BUCKETS, registry=registry)
        self.jobs = Counter("reviewbot_worker_jobs", "Jobs this worker closed",
                            ["kind", "outcome"], registry=registry)
        registry.register(QueueDepth(depths))

    def observe_runs(self, runs: Iterable[RunResult], backend: str) -> None:
        for run in runs:
            self.runs.labels(run_outcome(run), backend).inc()
            self.run_seconds.labels(backend).observe(run.seconds)

    def observe_github(self, record: logging.LogRecord) -> None:
        args: Any = record.args
        if not isinstance(args, tuple) or len(args) < 8:
            return
        self.github_requests.labels(str(args[0]), str(args[6])).inc()
        headers = args[7] if isinstance(args[7], dict) else {}
        for header, gauge in (("x-ratelimit-remaining", self.rate_remaining),
                              ("x-ratelimit-limit", self.rate_limit)):
            if str(headers.get(header, "")).isdigit():
                gauge.set(int(headers[header]))

    def listen(self, port: int) -> None:
        """Serve ``/metrics`` on ``port`` and start counting GitHub calls."""
        start_http_server(port, registry=self.registry)
        watch_github_calls(self)


class _GitHubCalls(logging.Handler):
    def __init__(self, metrics: WorkerMetrics) -> None:
        super().__init__(logging.DEBUG)
        self.metrics = metrics

    def emit(self, record: logging.LogRecord) -> None:
        self.metrics.observe_github(record)


def watch_github_calls(metrics: WorkerMetrics) -> None:
    logger = logging.getLogger(GITHUB_LOGGER)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False  # its DEBUG records hold response bodies: they go nowhere else
    logger.addHandler(_GitHubCalls(metrics))
