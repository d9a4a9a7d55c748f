"""The errors reviewbot raises on purpose; each carries a message fit for a user."""

from __future__ import annotations


class ReviewbotError(Exception):
    """Base of every error reviewbot reports to a user without a traceback."""

    exit_code = 2


class ConfigError(ReviewbotError):
    """config.toml (or a papers/*.toml) is unreadable or has a wrong key or value."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


class SubmissionError(ReviewbotError):
    """The path given is not a folder that can be reviewed (missing, a file, unreadable)."""


class UsageError(ReviewbotError):
    """The command line asks for something that cannot be done (unknown check, format)."""
