"""Sources a submission's README declares: "based on https://github.com/...", "adapted from"."""

from __future__ import annotations

import re
from collections.abc import Iterator

from reviewbot.core.submission import Submission

_DECLARED = re.compile(
    r"\b(?:based|built|adapted|derived|forked|ported|taken|copied|modified)\s+(?:on|from)\s+"
    r"(?:the\s+)?(?:\[[^\]]*\]\()?<?(?P<url>https?://[^\s)>\]]+)", re.IGNORECASE)


def declared_sources(submission: Submission) -> Iterator[tuple[str, str]]:
    """(URL, README path) for each source a README names as what the code is based on."""
    seen: set[str] = set()
    for item in submission.texts:
        if not item.path.rsplit("/", 1)[-1].lower().startswith("readme"):
            continue
        for match in _DECLARED.finditer(item.text):
            url = match.group("url").rstrip(".,;:")
            if url not in seen:
                seen.add(url)
                yield url, item.path
