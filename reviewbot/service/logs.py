"""The service's log lines: plain text, or one JSON object per line when
``REVIEWBOT_LOG_FORMAT=json`` (for Loki, Elasticsearch, CloudWatch and the like)."""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime

FORMAT_VARIABLE = "REVIEWBOT_LOG_FORMAT"
TEXT_FORMAT = "%(asctime)s %(process)d %(name)s %(levelname)s %(message)s"


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "process", "message"}``, plus ``exception`` if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "process": record.process,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup_logging() -> None:
    """Log INFO and up to stderr, as text or as JSON lines ($REVIEWBOT_LOG_FORMAT)."""
    handler = logging.StreamHandler(sys.stderr)
    if os.environ.get(FORMAT_VARIABLE, "text").lower() == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
