"""The comments check (to be written)."""

from __future__ import annotations

from reviewbot.checks.base import CheckConfig
from reviewbot.models import Finding, Rule
from reviewbot.submission import Submission

ID = "comments"
RULES: tuple[Rule, ...] = ()


class Config(CheckConfig):
    """Settings of the comments check."""


def run(submission: Submission, config: Config) -> list[Finding]:
    return []
