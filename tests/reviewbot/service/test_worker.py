"""The worker's jobs against real parts: the fake GitHub over HTTP, a bare git repository,
SQLite job store and huey queue files; tasks are taken off the queue and run in-process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reviewbot.config import load_config
from reviewbot.service.jobs import CANCELLED, DONE, FAILED, QUEUED, JobSpec
from reviewbot.service.pages import PageStore, pages_folder
from reviewbot.service.queue import JobQueue
from reviewbot.service.settings import Settings
from reviewbot.service.worker import Worker, folder_notes
from reviewbot.webhooks import create_app
from tests.fakes.github_server import FakeGitHub
from tests.reviewbot.service.service_helpers import (
    FOLDER,
    NUMBER,
    REPO,
    Origin,
    make_origin,
    open_pull,
    write_config,
)
from tests.webhooks.payloads import delivery, examples


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        yield server


@pytest.fixture
def origin(tmp_path: Path) -> Origin:
    return make_origin(tmp_path / "git")


@pytest.fixture
def worker(fake: FakeGitHub, tmp_path: Path) -> Worker:
    settings = Settings(webhook_secret="s", token=fake.token, api_url=fake.base_url,
                        data_dir=tmp_path / "data")
    config = load_config(write_config(tmp_path)).config
    return Worker(JobQueue(settings, config.queue), settings, config)


def spec(sha: str, draft: bool = False) -> JobSpec:
    return JobSpec(REPO, NUMBER, sha, "review", None, draft)


def drain(queue: JobQueue, which: str = "cpu") -> int:
    """Run every task waiting on queue ``which`` in this process (as a consumer would)."""
    huey, count = queue.hueys[which], 0
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
        count += 1
    return count


def test_a_review_job_posts_check_summary_and_inline_review(fake, origin, worker):
    open_pull(fake, origin)
    worker.queue.submit(spec(origin.head_sha), "d1")
    assert drain(worker.queue) == 1
    assert worker.queue.store.get(spec(origin.head_sha).key).state == DONE
    [check] = fake.state.repo(REPO).check_runs
    assert check["head_sha"] == origin.head_sha and check["status"] == "completed"
    assert check["conclusion"] == "failure"  # HYG003's absolute path is not an error, README is
    [summary] = fake.state.repo(REPO).issue_comments[NUMBER]
    assert FOLDER in summary["body"]
    [review] = fake.state.pull(REPO, NUMBER).reviews
    inline = fake.state.pull(REPO, NUMBER).review_comments
    assert any(c["path"] == f"{FOLDER}/model.py" and c["line"] == 7 and "HYG003" in c["body"]
               for c in inline), inline
    assert review["commit_id"] == origin.head_sha


def test_a_job_run_again_posts_nothing_twice(fake, origin, worker):
    open_pull(fake, origin)
    job = spec(origin.head_sha)
    worker.queue.submit(job, "d1")
    drain(worker.queue)
    worker.queue.enqueue(job)  # a duplicate task: the job is done, it is skipped
    worker.queue.store.record(job, "d2", rerun=True)  # a re-requested check: it runs again
    worker.queue.enqueue(job)
    assert drain(worker.queue) == 2
    assert len(fake.state.pull(REPO, NUMBER).reviews) == 1
    assert len(fake.state.repo(REPO).issue_comments[NUMBER]) == 1
    assert len(fake.requests_to("POST", "/pulls/7/reviews")) == 1


def test_a_github_outage_is_retried_later_then_succeeds(fake, origin, worker):
    open_pull(fake, origin)
    job = spec(origin.head_sha)
    worker.queue.submit(job, "d1")
    fake.fail_next(50, status=502)  # more than PyGithub's own retries
    drain(worker.queue)
    row = worker.queue.store.get(job.key)
    assert row.state == QUEUED and row.attempts == 1
    assert "GitHub could not be reached" in row.last_error
    assert worker.queue.hueys["cpu"].scheduled_count() == 1  # waiting out its backoff
    fake._failures.clear()
    worker.queue.enqueue(job)  # what the scheduler does once the backoff is over
    drain(worker.queue)
    assert worker.queue.store.get(job.key).state == DONE
    assert len(fake.state.pull(REPO, NUMBER).reviews) == 1


def test_retries_exhausted_fail_the_job_and_say_so_once(fake, origin, worker):
    open_pull(fake, origin)
    job = spec(origin.head_sha)
    worker.queue.submit(job, "d1")
    for attempt in range(worker.config.queue.retries + 1):
        fake.fail_next(2, status=502)  # the first call and PyGithub's one retry of it
        if attempt:
            worker.queue.enqueue(job)  # what the scheduler does once the backoff is over
        drain(worker.queue)
    row = worker.queue.store.get(job.key)
    assert row.state == FAILED and row.attempts == worker.config.queue.retries + 1
    comments = fake.state.repo(REPO).issue_comments[NUMBER]
    assert len(comments) == 1 and job.key in comments[0]["body"]


def test_a_submission_problem_is_not_retried_and_is_reported_once(fake, origin, worker):
    open_pull(fake, origin, clone_url="file:///nowhere/at/all.git")
    job = spec(origin.head_sha)
    worker.queue.submit(job, "d1")
    drain(worker.queue)
    row = worker.queue.store.get(job.key)
    assert row.state == FAILED and row.attempts == 1
    assert worker.queue.hueys["cpu"].scheduled_count() == 0
    [comment] = fake.state.repo(REPO).issue_comments[NUMBER]
    assert job.key in comment["body"]
    [check] = fake.state.repo(REPO).check_runs
    assert check["conclusion"] == "failure"


def test_a_job_for_an_old_head_reviews_the_new_head_instead(fake, origin, worker):
    open_pull(fake, origin)
    old = spec("0" * 40)
    worker.queue.submit(old, "d1")
    drain(worker.queue)
    assert worker.queue.store.get(old.key).state == CANCELLED
    assert worker.queue.store.get(spec(origin.head_sha).key).state == DONE
    [review] = fake.state.pull(REPO, NUMBER).reviews
    assert review["commit_id"] == origin.head_sha


def test_a_push_cancels_the_older_heads_job_and_marks_its_check_stale(fake, origin, worker):
    open_pull(fake, origin)
    old = spec(origin.head_sha)
    worker.queue.submit(old, "d1")
    # The old head's job got as far as its check run (then waits for a retry, say).
    check_id = worker.connect(REPO, None).start_check(origin.head_sha)
    worker.queue.store.set_check(old.key, check_id)
    new_sha = "9" * 40
    sync = examples("pull_request", "synchronize")[0]
    sync["repository"]["full_name"], sync["number"] = REPO, NUMBER
    sync["pull_request"]["number"], sync["pull_request"]["head"]["sha"] = NUMBER, new_sha
    webhook = TestClient(create_app(worker.settings, worker.queue))
    body, headers = delivery("pull_request", sync, "s")
    assert webhook.post("/webhooks/github", content=body, headers=headers).status_code == 202
    fake.push(REPO, NUMBER, new_sha)
    drain(worker.queue)  # the old job is skipped, the stale mark is posted, the new job runs
    assert worker.queue.store.get(old.key).state == CANCELLED
    run = fake.state.check_run(REPO, check_id)
    assert run["conclusion"] == "cancelled" and new_sha[:12] in run["output"]["title"]
    assert not any(r["commit_id"] == origin.head_sha for r in fake.state.pull(REPO, NUMBER).reviews)


def test_draft_pull_requests_get_no_notebook_run(fake, origin, worker):
    open_pull(fake, origin, draft=True)
    worker.queue.submit(spec(origin.head_sha, draft=True), "d1")
    drain(worker.queue)
    assert worker.queue.pending("gpu") == 0
    assert [job.spec.kind for job in worker.queue.store.all_jobs()] == ["review"]


def test_folder_notes_name_stray_files_and_two_folders():
    class Split:
        folders = ("AbEtAl2015", "CdEtAl2016")
        stray = ("setup.py",)

    notes = folder_notes(Split())
    assert "2 submission folders (AbEtAl2015, CdEtAl2016)" in notes[0]
    assert "setup.py" in notes[1]


def test_a_ready_pull_request_gets_a_notebook_run_on_the_gpu_queue(fake, origin, worker):
    open_pull(fake, origin)
    worker.queue.submit(spec(origin.head_sha), "d1")
    drain(worker.queue)
    run_key = f"{REPO}#{NUMBER}@{origin.head_sha}:run"
    assert worker.queue.store.get(run_key).state == QUEUED
    assert worker.queue.pending("gpu") == 1
    static_summary = fake.state.repo(REPO).issue_comments[NUMBER][0]["body"]
    assert drain(worker.queue, "gpu") == 1
    job = worker.queue.store.get(run_key)
    assert job.state == DONE, job.last_error  # bubblewrap is installed by .ci/run
    [summary] = fake.state.repo(REPO).issue_comments[NUMBER]
    assert summary["body"] != static_summary  # edited in place with the runs
    assert "RUN001" in summary["body"]  # model.load() opens a file that is not there
    assert len(fake.state.pull(REPO, NUMBER).reviews) == 1
    store = PageStore(pages_folder(worker.settings.data_dir), worker.settings.webhook_secret)
    page = store.load(store.token(REPO, NUMBER, origin.head_sha))
    assert page is not None and "RUN001" in page  # the page of this head, with the runs
    assert "(as executed by the review)" in page  # the notebook as the run left it


def test_a_review_stores_its_report_page_and_links_it(fake, origin, tmp_path):
    settings = Settings(webhook_secret="s", token=fake.token, api_url=fake.base_url,
                        data_dir=tmp_path / "data")
    config = load_config(write_config(tmp_path)).config
    github = config.github.model_copy(update={"report_base_url": "https://rb.example.org/"})
    config = config.model_copy(update={"github": github})
    worker = Worker(JobQueue(settings, config.queue), settings, config)
    open_pull(fake, origin)
    worker.queue.submit(spec(origin.head_sha), "d1")
    drain(worker.queue)
    [summary] = fake.state.repo(REPO).issue_comments[NUMBER]
    link = summary["body"].rsplit("[Full report](", 1)[1].split(")", 1)[0]
    assert link.startswith("https://rb.example.org/reviews/") and len(link) > 60
    sent = [r.body for r in fake.requests_to("PATCH", "/check-runs/")]
    assert sent[-1]["details_url"] == link  # the check run links the same page
    web = TestClient(create_app(settings, worker.queue))
    page = web.get(link.removeprefix("https://rb.example.org"))
    assert page.status_code == 200 and FOLDER in page.text
    assert "script-src 'none'" in page.headers["content-security-policy"]
    assert "FAILED" in page.text and "HYG003" in page.text
    token = link.rsplit("/", 1)[1]
    assert web.get(f"/reviews/{token[:-1]}x").status_code == 404
    assert web.get("/reviews/..%2Fconfig").status_code == 404
