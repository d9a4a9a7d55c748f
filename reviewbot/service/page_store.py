"""Where report pages are kept, and the token that finds one again.

A page is a file named by its token under ``<data dir>/reports``. The token is an HMAC of
repository, PR number and head SHA under the service's key (the webhook secret, else a
random key kept beside the pages): unguessable without the key, and the same for every job
of one head, so the static review and the later notebook runs update one page. The web app
serves a page with ``HEADERS``: the page's own Content-Security-Policy plus what only a
header can say (no framing).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

from reviewbot.report.html import CSP_HEADER

TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
HEADERS = {"Content-Security-Policy": CSP_HEADER, "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
           "Cache-Control": "private, max-age=60"}


class PageStore:
    """Report pages as files under ``folder``, named by their token."""

    def __init__(self, folder: Path, key: str = "") -> None:
        self.folder = folder
        self._key = key.encode() if key else self._stored_key()

    def _stored_key(self) -> bytes:
        """Without a webhook secret: a random key kept beside the pages."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / ".key"
        if not path.exists():
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_hex(32))
        return path.read_text().strip().encode()

    def token(self, repo: str, number: int, sha: str) -> str:
        """Unguessable without the key, the same for every job of one head SHA."""
        message = f"{repo.lower()}#{number}@{sha}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:40]

    def save(self, token: str, page: str) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{token}.html"
        temporary = path.with_suffix(".tmp")
        temporary.write_text(page, encoding="utf-8")
        temporary.replace(path)  # a reader never sees half a page
        return path

    def load(self, token: str) -> str | None:
        if not TOKEN.match(token):
            return None
        path = self.folder / f"{token}.html"
        return path.read_text(encoding="utf-8") if path.is_file() else None


def pages_folder(data_dir: Path) -> Path:
    return data_dir / "reports"


def page_url(base: str, token: str) -> str:
    """``<base>/reviews/<token>``; "" when no base URL is configured."""
    return f"{base.rstrip('/')}/reviews/{token}" if base else ""
