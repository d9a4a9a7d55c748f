"""config.toml → validated models, with errors that name the file, the key and the problem.

The defaults live in the models; the repository's config.toml spells them out for
maintainers. A value's origin (default or the file) is kept for ``reviewbot config show``.
This module composes every room's config model (checks, replication, runners, github,
service's queue) and the catalogue of every rule code: it is the composition root of
configuration, allowed to import each room (tests/test_imports.py says so).

Which file: ``--config`` > ``$REVIEWBOT_CONFIG`` > the nearest ``config.toml`` (or
``pyproject.toml`` with ``[tool.reviewbot]``) upward from the submission folder, then from
the working folder > the built-in defaults. Relative paths in a file resolve against its
folder.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from reviewbot.checks import REGISTRY
from reviewbot.checks.base import CheckConfig
from reviewbot.core.errors import ConfigError
from reviewbot.core.models import Rule, Severity
from reviewbot.core.rules import Level, Rulebook, Setting
from reviewbot.core.submission import RULES as LOAD_RULES
from reviewbot.core.validation import describe
from reviewbot.github.settings import GitHubSettings
from reviewbot.replication.claims import StatsSettings
from reviewbot.replication.verdicts import NOT_REPRODUCED, RUN_RULES
from reviewbot.runners.config import RunnerConfig
from reviewbot.service.queue import QueueSettings

CONFIG_ENV = "REVIEWBOT_CONFIG"
CONFIG_NAME = "config.toml"
PYPROJECT_NAME = "pyproject.toml"
DEFAULTS_SOURCE = "built-in defaults"


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
    rules: dict[str, Level] = Field(
        default_factory=dict, description='rule code -> "off" | "info" | "warning" | "error" '
        "(wins over a check's disable/severity)")

    def check(self, check_id: str) -> CheckConfig:
        return getattr(self.checks, check_id)


@dataclass(frozen=True)
class LoadedConfig:
    """A config and where it came from ("built-in defaults" or a file path)."""

    config: Config
    source: str


    @property
    def rules(self) -> Rulebook:
        """Every rule code with its effective level and where that level was set."""
        return rulebook(self.config, self.source)


def load_config(path: Path | None = None, starts: Sequence[Path] = (),
                skip: Iterable[Path] = ()) -> LoadedConfig:
    """Load ``path``, else ``$REVIEWBOT_CONFIG``, else the nearest config file upward from
    each of ``starts`` then the working folder (none inside a ``skip`` folder: a
    submission's own config.toml is its experiment's, not the maintainers'), else the
    built-in defaults."""
    if path is None and os.environ.get(CONFIG_ENV):
        path = Path(os.environ[CONFIG_ENV])
    if path is None:
        path = discover_config([*starts, Path.cwd()], skip)
    if path is None:
        return LoadedConfig(Config(), DEFAULTS_SOURCE)
    data = _read_toml(path)
    if path.name == PYPROJECT_NAME:
        data = data.get("tool", {}).get("reviewbot", {})
    config = resolve_paths(parse_config(data, str(path)), path.resolve().parent)
    return LoadedConfig(config, str(path))


def discover_config(starts: Iterable[Path], skip: Iterable[Path] = ()) -> Path | None:
    """The nearest ``config.toml`` (or ``pyproject.toml`` with ``[tool.reviewbot]``)."""
    skipped = {folder.resolve() for folder in skip}
    for start in starts:
        folder = start.resolve()
        folder = folder if folder.is_dir() else folder.parent
        for candidate in (folder, *folder.parents):
            if candidate in skipped:
                continue
            found = _config_in(candidate)
            if found is not None:
                return found
    return None


def _config_in(folder: Path) -> Path | None:
    if (folder / CONFIG_NAME).is_file():
        return folder / CONFIG_NAME
    pyproject = folder / PYPROJECT_NAME
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            return None  # someone else's broken pyproject is not our config
        if isinstance(data.get("tool"), dict) and "reviewbot" in data["tool"]:
            return pyproject
    return None


def resolve_paths(config: Config, folder: Path) -> Config:
    """Relative local paths of the similarity settings, against the config file's folder
    (``[stats] papers_dir`` is resolved the same way where claims are loaded)."""
    similarity = config.check("similarity")
    changes: dict[str, Any] = {name: _resolved(getattr(similarity, name), folder)
                               for name in ("index_path", "cache_dir") if getattr(similarity, name)}
    if similarity.corpus:  # only what the file set: a default keeps its "default" origin
        changes["corpus"] = [entry.model_copy(update={"path": _resolved(entry.path, folder)})
                             for entry in similarity.corpus]
    if not changes:
        return config
    similarity = similarity.model_copy(update=changes)
    checks = config.checks.model_copy(update={"similarity": similarity})
    return config.model_copy(update={"checks": checks})


def _resolved(path: str, folder: Path) -> str:
    if "://" in path or path.startswith("git@"):
        return path  # a git URL
    expanded = Path(path).expanduser()
    return str(expanded if expanded.is_absolute() else folder / expanded)


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


def all_rules() -> tuple[Rule, ...]:
    """Every rule reviewbot can report: loading the folder's, each check's, the runner's."""
    return (*LOAD_RULES, *(rule for module in REGISTRY.values() for rule in module.RULES),
            *RUN_RULES)


def rulebook(config: Config, source: str = CONFIG_NAME) -> Rulebook:
    """Every rule code with the maintainers' level and its origin: per-check ``severity``,
    then ``disable``, then the deprecated ``fail_on_not_reproduced``, then ``[rules]``
    (the last one said wins)."""
    settings: dict[str, Setting] = {}
    for check_id in REGISTRY:
        check = config.check(check_id)
        for code, severity in check.severity.items():
            settings[code] = Setting(Level(severity.value),
                                     f"{source} [checks.{check_id}] severity")
        for code in check.disable:
            settings[code] = Setting(Level.OFF, f"{source} [checks.{check_id}] disable")
    if "fail_on_not_reproduced" in config.stats.model_fields_set:
        level = Level.ERROR if config.stats.fail_on_not_reproduced else Level.WARNING
        settings[NOT_REPRODUCED.code] = Setting(level, f"{source} [stats] fail_on_not_reproduced "
                                                f'(deprecated: use [rules] RUN003 = "{level}")')
    for code, level in config.rules.items():
        settings[code] = Setting(level, f"{source} [rules] {code}")
    return Rulebook.of(all_rules(), settings)


def _unknown_rule_codes(config: Config) -> Iterator[str]:
    known = [rule.code for rule in all_rules()]
    for code in config.rules:
        if code not in known:
            closest = difflib.get_close_matches(code, known, n=1, cutoff=0.0)
            hint = f"; the closest known code is {closest[0]!r}" if closest else ""
            yield f"rules: unknown rule code {code!r}{hint} (README lists every code)"
    for check_id, module in REGISTRY.items():
        settings = config.check(check_id)
        codes = {rule.code for rule in module.RULES}
        for code in [*settings.disable, *settings.severity]:
            if code not in codes:
                yield (f"checks.{check_id}: unknown rule code {code!r} "
                       f"(this check's codes: {', '.join(sorted(codes))})")


def effective_values(loaded: LoadedConfig) -> list[tuple[str, Any, str]]:
    """(dotted key, value, origin) for every setting, for ``reviewbot config show``; under
    ``rules.`` every rule code with its effective severity and what decided it."""
    rules = [(f"rules.{rule.code}", setting.level, setting.origin)
             for rule, setting in loaded.rules.effective()]
    return [*_walk(loaded.config, "", loaded.source), *rules]


def _walk(model: BaseModel, prefix: str, source: str) -> Iterator[tuple[str, Any, str]]:
    for name in type(model).model_fields:
        value = getattr(model, name)
        key = f"{prefix}{name}"
        if key == "rules":
            continue  # listed code by code, with the other levels that decide a code
        if isinstance(value, BaseModel):
            yield from _walk(value, f"{key}.", source)
            continue
        origin = source if name in model.model_fields_set else "default"
        yield key, value, origin
