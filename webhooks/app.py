"""The webhook service: verify, turn the event into a job, record it, answer at once.

``POST /webhooks/github`` checks the size, then the signature over the raw body, and only
then parses JSON (the body is read on the event loop; everything that touches the job
store runs in the threadpool). It never calls GitHub: the job goes to the queue and the
answer (202) is back well inside GitHub's 10-second limit. Repositories outside
``[github] repositories`` are refused with 403, so a misconfigured installation shows up as
failed deliveries.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from reviewbot.service.jobs import Recorded
from reviewbot.service.page_store import PageStore, pages_folder
from reviewbot.service.queue import JobQueue
from reviewbot.service.settings import Settings
from reviewbot.webhooks.events import Ignored, PayloadError, Work, interpret, repository_of
from reviewbot.webhooks.metrics import Metrics
from reviewbot.webhooks.report_pages import add_report_route
from reviewbot.webhooks.signature import is_valid

GITHUB_MAX_BODY = 25 * 1024 * 1024  # GitHub does not deliver larger payloads
PATH = "/webhooks/github"


class Rejected(Exception):
    """A delivery answered with an error status; ``outcome`` labels the metric."""

    def __init__(self, status: int, message: str, outcome: str) -> None:
        super().__init__(message)
        self.status, self.message, self.outcome = status, message, outcome


def create_app(settings: Settings, queue: JobQueue, *, repositories: Sequence[str] = (),
               max_body_bytes: int = GITHUB_MAX_BODY) -> FastAPI:
    """The FastAPI app; ``repositories`` empty means every repository is served."""
    app = FastAPI(title="reviewbot webhooks", docs_url=None, redoc_url=None, openapi_url=None)
    metrics = Metrics(queue.store)
    allowed = {name.lower() for name in repositories}

    @app.post(PATH)
    async def github_webhook(request: Request) -> Response:
        started = time.perf_counter()
        event = "unverified"
        try:
            body = await _read_body(request, max_body_bytes)
            if not is_valid(settings.webhook_secret, body,
                            request.headers.get("x-hub-signature-256")):
                raise Rejected(401, "missing or wrong X-Hub-Signature-256", "bad_signature")
            event = request.headers.get("x-github-event", "")
            # the job store's SQLite transactions may wait for its lock: in the threadpool,
            # never on the event loop, so other deliveries and /healthz are still answered
            status, answer, outcome = await run_in_threadpool(
                _handle, event, body, request.headers, queue, allowed)
        except Rejected as exc:
            status, answer, outcome = exc.status, {"error": exc.message}, exc.outcome
        metrics.deliveries.labels(event or "none", outcome).inc()
        if outcome == "enqueued":
            metrics.enqueued.inc()
        metrics.ack_seconds.observe(time.perf_counter() - started)
        return JSONResponse(answer, status_code=status)

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"ok": True, "jobs": queue.store.counts()}

    @app.get("/metrics")
    def metrics_page() -> Response:
        return Response(metrics.render(), media_type="text/plain; version=0.0.4")

    add_report_route(app, PageStore(pages_folder(settings.data_dir), settings.webhook_secret))
    return app


async def _read_body(request: Request, limit: int) -> bytes:
    """The raw body, refused (413) past ``limit`` without reading the rest."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise Rejected(413, f"body over {limit} bytes", "too_large")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Rejected(413, f"body over {limit} bytes", "too_large")
        chunks.append(chunk)
    return b"".join(chunks)


def _handle(event: str, body: bytes, headers: Any, queue: JobQueue,
            allowed: set[str]) -> tuple[int, dict[str, Any], str]:
    """A verified delivery -> (status, JSON answer, metric outcome)."""
    if not event:
        raise Rejected(400, "missing X-GitHub-Event", "bad_payload")
    payload = _parse(body)
    repo = repository_of(payload)
    if allowed and repo and repo.lower() not in allowed:
        raise Rejected(403, f"repository {repo} is not served by this reviewbot", "refused_repo")
    if event == "ping":
        return 200, {"pong": str(payload.get("zen", ""))}, "ping"
    try:
        work = interpret(event, payload, queue.store.job_for_commit)
    except (PayloadError, TypeError, ValueError) as exc:
        raise Rejected(400, f"{event}: {exc}", "bad_payload") from None
    if isinstance(work, Ignored):
        return 202, {"ignored": work.reason}, "ignored"
    return _record(work, headers.get("x-github-delivery", ""), queue)


def _parse(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Rejected(400, f"body is not JSON: {exc}", "bad_payload") from None
    if not isinstance(payload, dict):
        raise Rejected(400, "body is not a JSON object", "bad_payload")
    return payload


def _record(work: Work, delivery_id: str, queue: JobQueue) -> tuple[int, dict[str, Any], str]:
    recorded = queue.submit(work.spec, delivery_id, rerun=work.rerun)
    if work.supersede and recorded.created:  # a redelivered old push must not cancel a new one
        queue.supersede(work.spec.repo, work.spec.pr, work.spec.sha)
    outcome = delivery_outcome(recorded)
    return 202, {"job": recorded.job_key, "outcome": outcome}, outcome


def delivery_outcome(recorded: Recorded) -> str:
    """The metric label and answer of a recorded delivery.

    ``recorded``: a new job whose enqueue failed (the queue was down); the store keeps it and
    the consumers' reconciliation queues it. ``requeued``: a redelivery of such a delivery.
    """
    if recorded.duplicate_delivery:
        return "requeued" if recorded.queued else "duplicate_delivery"
    if recorded.created:
        return "enqueued" if recorded.queued else "recorded"
    return "duplicate_job"
