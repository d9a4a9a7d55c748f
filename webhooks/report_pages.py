"""``GET /reviews/{token}``: a review's report page, as the worker stored it.

The page holds text from the submission, so it is served with a Content-Security-Policy
that allows no script at all and no load from anywhere but the page itself (images are
``data:`` URIs), and is never framed, sniffed or sent with a referrer. An unknown or
malformed token is a plain 404: tokens are unguessable, and nothing says which exist.
"""

from __future__ import annotations

from fastapi import FastAPI, Response

from reviewbot.service.page_store import HEADERS, PageStore


def add_report_route(app: FastAPI, store: PageStore) -> None:
    @app.get("/reviews/{token}")
    def report_page(token: str) -> Response:
        page = store.load(token)
        if page is None:
            return Response("no such report\n", status_code=404, media_type="text/plain",
                            headers={"X-Content-Type-Options": "nosniff"})
        return Response(page, media_type="text/html; charset=utf-8", headers=HEADERS)
