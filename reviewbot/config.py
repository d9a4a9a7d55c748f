"""config.toml → validated models, with errors that name the file, the key and the problem.

The defaults live in the models; the repository's config.toml spells them out for
maintainers. A value's origin (default or the file) is kept for ``reviewbot config show``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from reviewbot.checks import REGISTRY
from reviewbot.checks.base import CheckConfig
from reviewbot.core.errors import ConfigError
from reviewbot.core.models import Severity
from reviewbot.core.validation import describe
from reviewbot.github.settings import GitHubSettings
from reviewbot.replication.claims import StatsSettings
from reviewbot.runners.config import RunnerConfig
from reviewbot.service.queue import QueueSettings

CONFIG_ENV = "REVIEWBOT_CONFIG"


class ReviewSettings(BaseModel):
    """The ``[review]`` table: what fails a review and how much of a folder is read."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fail_on: Severity = Field(Severity.ERROR, description="lowest severity that fails a review")
    max_file_bytes: int = Field(5_000_000, gt=0, description="files larger are listed, not read")
    max_files: int = Field(5_000, gt=0, description="files read per submission at most")
    submission_pattern: str = Field(
        "", description="glob naming the submission folders of a checkout (e.g. 'Project_*'); "
                        "empty = DLC's naming, Author1Author2EtAlYEAR")


ChecksConfig = create_model(  # one field per registered check, each its own table
    "ChecksConfig",
    __config__=ConfigDict(extra="forbid", frozen=True),
    **{check_id: (module.Config, Field(default_factory=module.Config))
       for check_id, module in REGISTRY.items()},
)


class Config(BaseModel):
    """The whole of config.toml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    review: ReviewSettings = Field(default_factory=ReviewSettings)
    checks: ChecksConfig = Field(default_factory=ChecksConfig)  # type: ignore[valid-type]
    stats: StatsSettings = Field(default_factory=StatsSettings)
    queue: QueueSettings = Field(default_factory=QueueSettings)
    github: GitHubSettings = Field(default_factory=GitHubSettings)
    runner: RunnerConfig = Field(default_factory=RunnerConfig)

    def check(self, check_id: str) -> CheckConfig:
        return getattr(self.checks, check_id)


@dataclass(frozen=True)
class LoadedConfig:
    """A config and where it came from ("built-in defaults" or a file path)."""

    config: Config
    source: str


def load_config(path: Path | None = None) -> LoadedConfig:
    """Load ``path``, else ``$REVIEWBOT_CONFIG``, else the built-in defaults."""
    if path is None and os.environ.get(CONFIG_ENV):
        path = Path(os.environ[CONFIG_ENV])
    if path is None:
        return LoadedConfig(Config(), "built-in defaults")
    return LoadedConfig(parse_config(_read_toml(path), str(path)), str(path))


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(str(path), ["no such file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), [f"cannot be read ({exc})"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), [f"not valid TOML: {exc}"]) from None


def parse_config(data: dict[str, Any], source: str) -> Config:
    """Validate a parsed TOML document; every problem is listed, not just the first."""
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        problems = [describe(error, _known_keys) for error in exc.errors()]
        raise ConfigError(source, problems) from None
    problems = list(_unknown_rule_codes(config))
    if problems:
        raise ConfigError(source, problems)
    return config


def _known_keys(parent: tuple) -> list[str]:
    model: Any = Config
    for part in parent:
        field = model.model_fields.get(str(part)) if isinstance(model, type) else None
        if field is None or not isinstance(field.annotation, type):
            return []
        model = field.annotation
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return []
    return list(model.model_fields)


def _unknown_rule_codes(config: Config) -> Iterator[str]:
    for check_id, module in REGISTRY.items():
        settings = config.check(check_id)
        codes = {rule.code for rule in module.RULES}
        for code in [*settings.disable, *settings.severity]:
            if code not in codes:
                yield (f"checks.{check_id}: unknown rule code {code!r} "
                       f"(this check's codes: {', '.join(sorted(codes))})")


def effective_values(loaded: LoadedConfig) -> list[tuple[str, Any, str]]:
    """(dotted key, value, origin) for every setting, for ``reviewbot config show``."""
    return list(_walk(loaded.config, "", loaded.source))


def _walk(model: BaseModel, prefix: str, source: str) -> Iterator[tuple[str, Any, str]]:
    for name in type(model).model_fields:
        value = getattr(model, name)
        key = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            yield from _walk(value, f"{key}.", source)
            continue
        origin = source if name in model.model_fields_set else "default"
        yield key, value, origin
