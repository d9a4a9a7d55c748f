"""Every rule code reviewbot can report, and the severity the maintainers gave each.

The composition root (``reviewbot.config.rulebook``) fills a ``Rulebook`` from the loader's,
each check's and the runner's ``RULES`` plus config.toml; the Review carries it, so that the
gate (``reviewbot.core.gate``) re-levels findings and renderers list the catalogue (SARIF)
without importing a check or the runner.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from reviewbot.core.models import Rule, Severity

DEFAULT_ORIGIN = "default"


class Level(enum.StrEnum):
    """What config.toml may set a rule code to: a severity, or ``off``."""

    OFF = "off"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def severity(self) -> Severity | None:
        return None if self is Level.OFF else Severity(self.value)


@dataclass(frozen=True)
class Setting:
    """One rule code's effective level and where it was decided."""

    level: Level
    origin: str = DEFAULT_ORIGIN


@dataclass(frozen=True)
class Rulebook:
    """The catalogue (code -> Rule) and the maintainers' settings (code -> Setting)."""

    catalogue: Mapping[str, Rule] = field(default_factory=lambda: MappingProxyType({}))
    settings: Mapping[str, Setting] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def of(cls, rules: Iterable[Rule], settings: Mapping[str, Setting] | None = None
           ) -> Rulebook:
        catalogue: dict[str, Rule] = {}
        for rule in rules:
            catalogue.setdefault(rule.code, rule)
        return cls(MappingProxyType(catalogue), MappingProxyType(dict(settings or {})))

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(self.catalogue.values())

    def setting(self, code: str) -> Setting:
        """The maintainers' setting of ``code``, else its default severity."""
        if code in self.settings:
            return self.settings[code]
        rule = self.catalogue.get(code)
        return Setting(Level(rule.severity.value) if rule else Level.WARNING)

    def effective(self) -> list[tuple[Rule, Setting]]:
        """Every known rule with its effective level and origin, in catalogue order."""
        return [(rule, self.setting(code)) for code, rule in self.catalogue.items()]
