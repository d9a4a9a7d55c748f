"""Prometheus metrics of the webhook service, in a registry of its own (nothing global).

Job states and durations are read from the job store at scrape time, so they include
what the worker processes did.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from reviewbot.service.jobs import JobStore

JOB_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 4 * 3600.0)


class JobStoreCollector(Collector):
    """``reviewbot_jobs{state}`` and ``reviewbot_job_duration_seconds{kind}`` from the store."""

    def __init__(self, store: JobStore) -> None:
        self.store = store

    def collect(self) -> Iterator[GaugeMetricFamily | HistogramMetricFamily]:
        gauge = GaugeMetricFamily("reviewbot_jobs", "Jobs in the job store by state",
                                  labels=["state"])
        for state, count in sorted(self.store.counts().items()):
            gauge.add_metric([state], count)
        yield gauge
        yield self._durations()

    def _durations(self) -> HistogramMetricFamily:
        family = HistogramMetricFamily("reviewbot_job_duration_seconds",
                                       "Run time of finished jobs", labels=["kind"])
        by_kind: dict[str, list[float]] = {}
        for kind, seconds in self.store.durations():
            by_kind.setdefault(kind, []).append(seconds)
        for kind, values in sorted(by_kind.items()):
            buckets = [(str(edge), sum(v <= edge for v in values)) for edge in JOB_BUCKETS]
            family.add_metric([kind], [*buckets, ("+Inf", len(values))], sum(values))
        return family


class Metrics:
    """The counters the app updates and the text ``/metrics`` serves."""

    def __init__(self, store: JobStore) -> None:
        self.registry = CollectorRegistry()
        self.deliveries = Counter("reviewbot_webhook_deliveries", "Webhook deliveries received",
                                  ["event", "outcome"], registry=self.registry)
        self.enqueued = Counter("reviewbot_jobs_enqueued", "Jobs put on a queue",
                                registry=self.registry)
        self.ack_seconds = Histogram("reviewbot_webhook_seconds", "Time to answer a delivery",
                                     registry=self.registry,
                                     buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0))
        self.registry.register(JobStoreCollector(store))

    def render(self) -> bytes:
        return generate_latest(self.registry)
