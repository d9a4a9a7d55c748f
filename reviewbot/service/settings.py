"""Service settings from the environment: secrets and where state lives.

Secrets never come from config.toml (which is committed) and are never handed to the
notebook sandbox; ``SECRET_VARIABLES`` lists what the runner must strip.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from reviewbot.core import environment
from reviewbot.core.environment import (  # noqa: F401  (SECRET_VARIABLES: re-exported)
    DEFAULT_DATA_DIR,
    PREFIX,
    SECRET_VARIABLES,
)
from reviewbot.core.errors import ConfigError

DEFAULT_API_URL = "https://api.github.com"


@dataclass(frozen=True)
class Settings:
    """What the service and its workers read from ``REVIEWBOT_*`` variables."""

    webhook_secret: str = ""
    app_id: str = ""
    private_key_file: Path | None = None
    token: str = ""
    api_url: str = DEFAULT_API_URL
    data_dir: Path = DEFAULT_DATA_DIR

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        settings = cls(
            webhook_secret=env.get(f"{PREFIX}WEBHOOK_SECRET", ""),
            app_id=env.get(f"{PREFIX}GITHUB_APP_ID", ""),
            private_key_file=environment.private_key_file(env),
            token=env.get(f"{PREFIX}GITHUB_TOKEN", ""),
            api_url=env.get(f"{PREFIX}GITHUB_API_URL", DEFAULT_API_URL).rstrip("/"),
            data_dir=environment.data_dir(env),
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        """App id and private key come together; a key file must exist."""
        if bool(self.app_id) != bool(self.private_key_file):
            raise ConfigError("environment", ["REVIEWBOT_GITHUB_APP_ID and "
                                              "REVIEWBOT_GITHUB_PRIVATE_KEY_FILE go together"])
        if self.private_key_file and not self.private_key_file.is_file():
            raise ConfigError("environment", [f"REVIEWBOT_GITHUB_PRIVATE_KEY_FILE: no file at "
                                              f"{self.private_key_file}"])

    def require_service_secrets(self) -> None:
        """The service refuses to start without a webhook secret and a way to authenticate."""
        problems = []
        if not self.webhook_secret:
            problems.append("REVIEWBOT_WEBHOOK_SECRET is not set")
        if not (self.token or self.app_id):
            problems.append("set REVIEWBOT_GITHUB_TOKEN, or REVIEWBOT_GITHUB_APP_ID with "
                            "REVIEWBOT_GITHUB_PRIVATE_KEY_FILE")
        if problems:
            raise ConfigError("environment", problems)
