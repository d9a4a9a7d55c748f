"""Job kinds are one enum: each has a queue and a job function; the store gives them back."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewbot.service.jobs import JobKind, JobSpec, JobStore
from reviewbot.service.queue import KIND_QUEUE
from reviewbot.service.worker import JOB_KINDS


def test_every_job_kind_has_a_queue_and_a_function() -> None:
    assert set(JOB_KINDS) == set(JobKind)
    assert KIND_QUEUE == {JobKind.REVIEW: "cpu", JobKind.RUN: "gpu"}


def test_a_kind_read_back_from_the_store_is_the_enum(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.sqlite")
    store.record(JobSpec("octo/dlc", 7, "a" * 40, JobKind.RUN), "delivery-1")
    [job] = store.all_jobs()
    assert job.spec.kind is JobKind.RUN
    assert job.key == f"octo/dlc#7@{'a' * 40}:run"


def test_an_unknown_kind_is_refused_where_the_spec_is_made() -> None:
    with pytest.raises(ValueError, match="'tpu' is not a valid JobKind"):
        JobSpec("octo/dlc", 7, "a" * 40, "tpu")  # type: ignore[arg-type]
