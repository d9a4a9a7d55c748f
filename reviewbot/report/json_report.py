"""The JSON report, versioned as ``reviewbot.review/1`` (reviewbot/schemas/review-v1.json).

Fields are only ever added within a version; renaming or removing one makes version 2.
Statistics a check reports are passed through as JSON values (non-finite floats as null).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

from reviewbot import __version__
from reviewbot.core.models import CheckResult, Finding, Review
from reviewbot.core.runs_json import run_dict
from reviewbot.report import Counts, verdict
from reviewbot.report.claims_table import verdict_dict

SCHEMA_ID = "reviewbot.review/1"
SCHEMA_FILE = "review-v1.json"


def render_json(reviews: Sequence[Review]) -> str:
    return json.dumps(document(reviews), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def load_schema() -> dict[str, Any]:
    """The JSON schema the output follows, as shipped inside the package."""
    text = resources.files("reviewbot").joinpath("schemas", SCHEMA_FILE).read_text("utf-8")
    return json.loads(text)


def document(reviews: Sequence[Review]) -> dict[str, Any]:
    return {
        "schema": SCHEMA_ID,
        "tool": {"name": "reviewbot", "version": __version__},
        "passed": all(review.passed for review in reviews),
        "reviews": [review_dict(review) for review in reviews],
    }


def review_dict(review: Review) -> dict[str, Any]:
    counts = Counts.of(review.findings)
    return {
        "submission": review.submission,
        "root": review.root,
        "passed": review.passed,
        "fail_on": review.fail_on.value,
        "config": review.config_source,
        "verdict": verdict(review),
        "summary": {
            "errors": counts.errors,
            "warnings": counts.warnings,
            "info": counts.infos,
            "failing": len(review.failing),
            "errored_checks": list(review.errored_checks),
        },
        "checks": [check_dict(result) for result in review.results],
        "findings": [finding_dict(finding) for finding in review.load_findings],
        "notes": list(review.notes),
        "runs": [jsonable(run_dict(run)) for run in review.runs],
        "verdicts": [jsonable(verdict_dict(item)) for item in review.verdicts],
        "readme_results": [jsonable(dataclasses.asdict(row)) for row in review.readme_results],
    }


def check_dict(result: CheckResult) -> dict[str, Any]:
    return {
        "id": result.check,
        "status": result.status.value,
        "error": result.error,
        "seconds": round(result.seconds, 4),
        "stats": jsonable(result.stats),
        "findings": [finding_dict(finding) for finding in result.findings],
    }


def finding_dict(finding: Finding) -> dict[str, Any]:
    return {
        "check": finding.check,
        "code": finding.code,
        "severity": finding.severity.value,
        "message": finding.message,
        "path": finding.path,
        "line": finding.line,
        "column": finding.column,
        "cell": finding.cell,
        "cell_line": finding.cell_line,
        "fix": finding.fix,
    }


def jsonable(value: object) -> Any:
    """``value`` as plain JSON: mappings and sequences walked, anything else as its text."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (set, frozenset)):
        return [jsonable(item) for item in sorted(value, key=str)]  # a stable order
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    return str(getattr(value, "value", value))  # enums by their value
