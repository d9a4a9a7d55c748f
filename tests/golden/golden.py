"""Whole-output comparisons against files in tests/golden/.

``assert_golden(request, "bad.comment.md", text)`` compares ``text`` with the file; with
``pytest --update-goldens`` (or ``REVIEWBOT_UPDATE_GOLDENS=1``) it writes the file instead,
so a deliberate change of wording is one command and a reviewed diff.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent


def updating(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens", default=False)
                or os.environ.get("REVIEWBOT_UPDATE_GOLDENS"))


def assert_golden(request: pytest.FixtureRequest, name: str, text: str) -> None:
    path = GOLDEN / name
    if updating(request):
        path.write_text(text, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"{path} is missing: run pytest --update-goldens and review the file")
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True),
                                            f"{name} (golden)", f"{name} (now)", n=2))
        pytest.fail(f"{name} differs from the golden file (pytest --update-goldens "
                    f"rewrites it):\n{diff[:6000]}")
