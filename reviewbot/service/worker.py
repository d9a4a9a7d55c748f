"""The job functions a consumer runs, and the consumer itself (``reviewbot worker``).

A job is claimed in the job store first (so a job enqueued twice runs once), carried out,
and closed as done, failed or cancelled. GitHub outages and rate limits are retried with
backoff; a submission's own problems and the bot's bugs are not, and the PR is told once,
with the job key, that the bot failed. Posting is idempotent (the GitHub adapter finds its
own earlier review and comment by their markers), so a job retried after a crash between
posting and closing posts nothing twice.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import logging
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reviewbot.config import Config, LoadedConfig
from reviewbot.core.errors import ReviewbotError
from reviewbot.core.models import Review
from reviewbot.github.client import GitHubError, connect
from reviewbot.github.fetch import fetch_head, submission_folders
from reviewbot.pipeline import review_path, select_checks
from reviewbot.report.rule_docs import RuleDocs
from reviewbot.service.jobs import (
    CANCELLED,
    DONE,
    FAILED,
    QUEUED,
    RUNNING,
    Job,
    JobKind,
    JobSpec,
    this_process,
)
from reviewbot.service.page_store import PageStore, page_url, pages_folder
from reviewbot.service.pages import page_for, render_pages
from reviewbot.service.queue import QUEUES, JobQueue
from reviewbot.service.settings import Settings
from reviewbot.service.worker_metrics import WorkerMetrics

log = logging.getLogger("reviewbot.service.worker")

REPLICATION_MODULE = "reviewbot.replication.verdicts"
RUN = JobKind.RUN


class Superseded(Exception):
    """The job was cancelled while it ran: a newer push made it pointless."""


class Worker:
    """Runs the jobs of one process; ``connect`` is ``reviewbot.github.client.connect``."""

    def __init__(self, queue: JobQueue, settings: Settings, config: Config,
                 config_source: str = "built-in defaults") -> None:
        self.queue, self.settings, self.config = queue, settings, config
        self.loaded = LoadedConfig(config, config_source)  # papers/ is found beside it
        self.owner = this_process()  # whose lease a job it claims is
        self.metrics = WorkerMetrics(lambda: {which: queue.pending(which) for which in QUEUES})
        queue.dispatch = self.handle
        queue.on_stale = self.mark_stale

    # ---- one job, start to end -----------------------------------------------------------

    def handle(self, spec: JobSpec) -> None:
        """Claim, run, close. Never raises: huey's own retries are not used."""
        job = self.queue.store.claim(spec, self.owner, self.queue.config.lease_s)
        if job is None:
            log.info("%s: not queued any more, skipped", spec.key)
            return
        log.info("%s: attempt %d", job.key, job.attempts)
        try:
            JOB_KINDS[spec.kind](self, job)
        except Superseded:
            self.metrics.jobs.labels(spec.kind, CANCELLED).inc()
            self.queue.store.finish(job.key, CANCELLED, "superseded by a newer push",
                                    self.owner)
        except Exception as exc:
            self.metrics.jobs.labels(spec.kind, "error").inc()
            self._failed(job, exc)
        else:
            self.metrics.jobs.labels(spec.kind, DONE).inc()
            if self.queue.store.finish(job.key, DONE, owner=self.owner):
                log.info("%s: done", job.key)
            else:
                log.warning("%s: finished, but its lease had lapsed: it ran elsewhere too",
                            job.key)

    def _failed(self, job: Job, exc: Exception) -> None:
        delay = retry_delay(exc)
        if delay is not None and job.attempts <= self.config.queue.retries:
            wait = self.config.queue.retry_delay(job.attempts, delay)
            log.warning("%s: %s; retry in %.1f s", job.key, describe(exc), wait)
            if self.queue.store.finish(job.key, QUEUED, describe(exc), self.owner):
                self.queue.enqueue(job.spec, delay=wait)  # a failure: the reconciliation
            return
        log.error("%s: failed: %s", job.key, describe(exc), exc_info=not _expected(exc))
        if self.queue.store.finish(job.key, FAILED, describe(exc), self.owner):
            self.report(job, failure_message(exc))

    def report(self, job: Job, message: str) -> None:
        """Tell the PR once that this job failed (a failed report is only logged)."""
        current = self.queue.store.get(job.key)
        if current is None or current.reported:
            return
        try:
            repo = self.connect(job.spec.repo, job.spec.installation_id)
            repo.report_failure(job.spec.pr, job.spec.sha, job.key, message, current.check_id)
        except Exception as report_error:
            log.error("%s: could not report the failure: %s", job.key, describe(report_error))
        else:
            self.queue.store.mark_reported(job.key)

    def connect(self, repo: str, installation_id: int | None) -> Any:
        return connect(self.settings, repo, installation_id, self.config.github)

    def still_running(self, job: Job) -> bool:
        """The job is still running here: not cancelled by a newer push, nor taken over."""
        current = self.queue.store.get(job.key)
        return current is not None and current.state == RUNNING and \
            current.owner == self.owner

    def checkpoint(self, job: Job) -> None:
        """Stop here if a newer push cancelled this job while it ran."""
        if not self.still_running(job):
            raise Superseded(job.key)

    def make_page(self, repo: str, root: Path, reviews: list[tuple[str, Review]],
                  executed: Path | None = None) -> str:
        """The report page of these reviews ("" when it cannot be made: the review is
        posted without a link rather than not at all). ``executed/<folder>`` holds the
        notebooks as the runs executed them, shown instead of the committed ones."""
        docs = RuleDocs.for_repository(repo, self.config.github.docs_url)
        try:
            return render_pages([page_for(review, root / folder, self.loaded, docs,
                                          executed / folder if executed else None)
                                 for folder, review in reviews])
        except Exception as exc:
            log.error("report page not made: %s", describe(exc), exc_info=True)
            return ""

    def store_page(self, pr: Any, page: str) -> str:
        """Store ``page`` under the head SHA's token; its URL when a base URL is set."""
        base = self.config.github.report_base_url
        if not page:
            return ""
        store = PageStore(pages_folder(self.settings.data_dir), self.settings.webhook_secret)
        token = store.token(pr.repo, pr.number, pr.head_sha)
        store.save(token, page)
        return page_url(base, token)

    def mark_stale(self, request: dict[str, Any]) -> None:
        """The cpu task that marks a superseded job's check run stale."""
        try:
            repo = self.connect(request["repo"], request["installation_id"])
            repo.mark_stale(request["check_id"], request["newer_sha"])
        except Exception as exc:  # a stale mark is cosmetic: log, never crash the consumer
            log.warning("marking check run %s stale failed: %s", request["check_id"],
                        describe(exc))


# ---- the kinds of job ---------------------------------------------------------------------


def review_pull_request(worker: Worker, job: Job) -> None:
    """Fetch the PR head, review the submission folders it touches, post the review."""
    repo = worker.connect(job.spec.repo, job.spec.installation_id)
    pr = repo.pull_request(job.spec.pr)
    if pr.head_sha != job.spec.sha:
        _follow_new_head(worker, job, pr.head_sha, pr.draft)
    check_id = job.check_id or repo.start_check(job.spec.sha)
    worker.queue.store.set_check(job.key, check_id)
    split, reviews, page = _review_head(worker, repo, pr, check_id)
    _stop_if_cancelled(worker, job, repo, check_id)
    repo.publish(pr, reviews, worker.config.github, check_id, folder_notes(split),
                 report_url=worker.store_page(pr, page))
    if not pr.draft and split.folders and replication_available():
        _follow_up(worker, dataclasses.replace(job.spec, kind=RUN, draft=False))


def _follow_up(worker: Worker, spec: JobSpec) -> None:
    """Record the notebook run of a posted review; trouble here never fails the review.

    A run that is recorded but not queued (Redis down) is queued by the reconciliation.
    """
    try:
        worker.queue.submit(spec, "")
    except Exception as exc:
        log.error("%s: the review is posted, but its notebook run could not be recorded: %s",
                  spec.key, describe(exc))


def _review_head(worker: Worker, repo: Any, pr: Any,
                 check_id: int) -> tuple[Any, list[tuple[str, Review]], str]:
    """(folder split, [(folder, Review)], report page) of the PR head, fetched into a
    scratch folder (the page reads the files while they are there)."""
    split = submission_folders(pr.changed_paths, worker.config.review.submission_pattern)
    with tempfile.TemporaryDirectory(prefix="reviewbot-head-") as scratch:
        root = fetch_head(pr.head_clone_url, pr.head_sha, Path(scratch) / "head",
                          repo.clone_token())
        repo.update_check(check_id, f"Reviewing {', '.join(split.folders) or 'nothing'}")
        selected = select_checks()
        reviews = [(folder, review_path(root / folder, worker.config, selected))
                   for folder in split.folders if (root / folder).is_dir()]
        page = worker.make_page(pr.repo, root, reviews)
    return split, reviews, page


def _follow_new_head(worker: Worker, job: Job, head_sha: str, draft: bool) -> None:
    """The PR moved on (a push we have not heard of yet): review the new head instead."""
    worker.queue.submit(dataclasses.replace(job.spec, sha=head_sha, draft=draft), "")
    worker.queue.supersede(job.spec.repo, job.spec.pr, head_sha)
    raise Superseded(job.key)


def _stop_if_cancelled(worker: Worker, job: Job, repo: Any, check_id: int) -> None:
    try:
        worker.checkpoint(job)
    except Superseded:
        current = worker.queue.store.get(job.key)
        repo.mark_stale(check_id, current.superseded_by if current else "")
        raise


def run_notebooks(worker: Worker, job: Job) -> None:
    """The gpu job: run the notebooks of the PR head, judge the claims, post again.

    The review of this head was posted already (one per SHA); this edits the sticky summary
    and the check run with the runs and verdicts.
    """
    from reviewbot.replication import (
        session as run_command,  # runners and scipy load only on the gpu side
    )

    repo = worker.connect(job.spec.repo, job.spec.installation_id)
    pr = repo.pull_request(job.spec.pr)
    if pr.head_sha != job.spec.sha:
        raise Superseded(job.key)
    check_id = repo.start_check(job.spec.sha)
    key = worker.settings.private_key_file
    runner = run_command.make_runner(worker.config, no_sandbox=False,
                                     data_dir=worker.settings.data_dir,
                                     masked_files=(key,) if key else ())
    _follow_cancellation(worker, job, runner)
    plan = run_command.plan_runs(run_command.runner_settings(worker.config), None, True)
    split = submission_folders(pr.changed_paths, worker.config.review.submission_pattern)
    with tempfile.TemporaryDirectory(prefix="reviewbot-run-") as scratch:
        root = fetch_head(pr.head_clone_url, pr.head_sha, Path(scratch) / "head",
                          repo.clone_token())
        repo.update_check(check_id, f"Running the notebooks of {', '.join(split.folders)}")
        executed = Path(scratch) / "executed"  # each folder's last executed notebooks
        reviews = [(folder, _replicated(worker, root / folder, runner, dataclasses.replace(
                    plan, artifacts_dir=executed / folder)))
                   for folder in split.folders if (root / folder).is_dir()]
        page = worker.make_page(pr.repo, root, reviews, executed)  # claims plot drawn here
    for _, review in reviews:
        worker.metrics.observe_runs(review.runs, worker.config.runner.backend)
    worker.checkpoint(job)
    repo.publish(pr, reviews, worker.config.github, check_id, folder_notes(split),
                 report_url=worker.store_page(pr, page))


def _follow_cancellation(worker: Worker, job: Job, runner: Any) -> None:
    """A batch runner (Slurm) polls this while its tasks run: a newer push cancels them.

    Its jobs are named after the pull request, so the run of a newer head also cancels
    what a worker that died left on the cluster for this pull request.
    """
    if hasattr(runner, "cancelled"):
        runner.cancelled = lambda: not worker.still_running(job)
        runner.job_name = f"reviewbot-{job.spec.repo.replace('/', '-')}-pr{job.spec.pr}"
        runner.replace_named_jobs = True


def _replicated(worker: Worker, folder: Path, runner: Any, plan: Any) -> Review:
    from reviewbot.replication import session as run_command

    static = review_path(folder, worker.config, select_checks())
    paper = run_command.paper_claims(worker.loaded, folder.name)
    return run_command.replicate(static, runner, plan, paper, worker.config.stats)


JOB_KINDS: dict[JobKind, Callable[[Worker, Job], None]] = {  # tests: one for every JobKind
    JobKind.REVIEW: review_pull_request,
    JobKind.RUN: run_notebooks,
}


# ---- helpers ------------------------------------------------------------------------------


def folder_notes(split: Any) -> tuple[str, ...]:
    """What the review says about a PR that touches more than one submission folder."""
    notes = []
    if len(split.folders) > 1:
        notes.append(f"This pull request changes {len(split.folders)} submission folders "
                     f"({', '.join(split.folders)}); each is reviewed on its own. "
                     "One paper per pull request is easier to review.")
    if split.stray:
        shown = ", ".join(split.stray[:10]) + (" ..." if len(split.stray) > 10 else "")
        notes.append(f"Files outside any submission folder are changed: {shown}.")
    if not split.folders:
        notes.append("This pull request changes no submission folder: nothing was reviewed.")
    return tuple(notes)


def retry_delay(exc: BaseException) -> float | None:
    """Seconds GitHub asked us to wait (0: use the backoff) when ``exc`` is worth a retry.

    GitHub 5xx, rate limits (primary or secondary) and network trouble are; anything else
    (a submission's own problem, a bot bug) is not.
    """
    if isinstance(exc, GitHubError):
        if not exc.retryable:
            return None
        cause = exc.__cause__
        if getattr(cause, "status", None) is None:
            return 0.0  # network trouble: the backoff decides
        exc = cause  # PyGithub's exception carries the headers
    status = getattr(exc, "status", None)
    headers = getattr(exc, "headers", None) or {}
    limited = "RateLimit" in type(exc).__name__ or (
        status in (403, 429) and ("retry-after" in _lower(headers) or
                                  _lower(headers).get("x-ratelimit-remaining") == "0"))
    if not (limited or (isinstance(status, int) and status >= 500)):
        return None
    retry_after = str(_lower(headers).get("retry-after", "0"))
    return float(retry_after) if retry_after.replace(".", "", 1).isdigit() else 0.0


def _lower(headers: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in dict(headers).items()}


def _expected(exc: Exception) -> bool:
    return isinstance(exc, ReviewbotError) or retry_delay(exc) is not None


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:500]


def failure_message(exc: Exception) -> str:
    """The one line the PR gets when a job fails for the bot's own reasons."""
    if isinstance(exc, ReviewbotError):
        return f"reviewbot could not review this pull request: {' '.join(str(exc).split())}"
    return (f"reviewbot failed on its own ({type(exc).__name__}); the maintainers have the "
            "log. Re-run the check once it is fixed.")


def replication_available() -> bool:
    """Notebook runs exist in this installation (the replication module and its runner)."""
    return importlib.util.find_spec(REPLICATION_MODULE) is not None


# ---- the consumer ---------------------------------------------------------------------------


class Upkeep:
    """A consumer's background duties: renew its jobs' leases, reconcile the queue."""

    def __init__(self, worker: Worker, which: str) -> None:
        self.worker, self.which = worker, which
        config = worker.queue.config
        self.tick = min(config.lease_s / 3, config.reconcile_s)
        self.stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="upkeep", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        config, last = self.worker.queue.config, time.monotonic()
        while not self.stopping.wait(self.tick):
            _logged(lambda: self.worker.queue.store.heartbeat(self.worker.owner, config.lease_s),
                    "renewing the leases")
            if time.monotonic() - last >= config.reconcile_s:
                last = time.monotonic()
                _logged(lambda: reconcile(self.worker, self.which), "reconciling the queue")


def _logged(action: Callable[[], object], what: str) -> None:
    try:
        action()
    except Exception as exc:  # the store or Redis is away: the next tick tries again
        log.warning("%s failed: %s", what, describe(exc))


def reconcile(worker: Worker, which: str) -> int:
    """Enqueue the jobs the queue lost; fail and report those that keep killing workers."""
    recovered = worker.queue.reconcile(which)
    for job in recovered.given_up:
        log.error("%s: %s", job.key, job.last_error)
        worker.report(job, f"reviewbot gave up on this job: {job.last_error}")
    if recovered.queued:
        log.info("%s consumer: %d job(s) re-enqueued from the job store", which,
                 len(recovered.queued))
    return len(recovered.queued)


def consume(worker: Worker, which: str, workers: int | None = None) -> None:
    """Run queue ``which``'s consumer until SIGINT/SIGTERM (huey handles both).

    On the way out, the jobs this process still holds go back to the queue at once (a
    shutdown is not a crash); a process killed outright leaves them to lapse.
    """
    queue = worker.queue
    count = workers or (queue.config.cpu_workers if which == "cpu" else queue.config.gpu_workers)
    log.info("%s consumer: job store %s", which, queue.store.where)
    reconcile(worker, which)
    consumer = queue.hueys[which].create_consumer(workers=count, worker_type="thread",
                                                  periodic=False, check_worker_health=False)
    if queue.config.worker_metrics_port:
        worker.metrics.listen(queue.config.worker_metrics_port + QUEUES.index(which))
    upkeep = Upkeep(worker, which)
    upkeep.start()
    try:
        consumer.run()
    finally:
        upkeep.stop()
        released = queue.store.release(worker.owner)
        log.info("%s consumer stopped; %d running job(s) put back in the queue", which,
                 released)
