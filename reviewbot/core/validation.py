"""pydantic validation errors as the one-line messages a maintainer can act on.

Shared by config.toml and papers/*.toml so that both say a typo the same way:
``checks.lint.jbos: unknown key (did you mean 'jobs'?)``.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from typing import Any

KnownKeys = Callable[[tuple], Sequence[str]]  # parent location -> the keys allowed there


def describe(error: Any, known_keys: KnownKeys, prefix: tuple[str, ...] = ()) -> str:
    """``dotted.key: what is wrong`` for one entry of ``ValidationError.errors()``."""
    loc = (*prefix, *error["loc"])
    where = ".".join(str(part) for part in loc) or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"{where}: unknown key{_suggestion(str(loc[-1]), known_keys(loc[:-1]))}"
    message = error["msg"].removeprefix("Value error, ")
    got = "" if error["type"] == "value_error" else f" (got {error.get('input')!r})"
    return f"{where}: {message}{got}"


def _suggestion(key: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""
