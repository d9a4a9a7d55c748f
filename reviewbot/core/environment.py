"""The ``REVIEWBOT_*`` environment variables every room agrees on, read in one place.

Composition roots (cli, service) read the environment; rooms below get the values passed
in. Secrets never come from config.toml and are never handed to the notebook sandbox:
``SECRET_VARIABLES`` lists what the runner must strip.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

PREFIX = "REVIEWBOT_"
DATA_DIR_VARIABLE = f"{PREFIX}DATA_DIR"
DEFAULT_DATA_DIR = Path(".reviewbot-data")
PRIVATE_KEY_VARIABLE = f"{PREFIX}GITHUB_PRIVATE_KEY_FILE"
SECRET_VARIABLES = (f"{PREFIX}WEBHOOK_SECRET", f"{PREFIX}GITHUB_TOKEN", PRIVATE_KEY_VARIABLE,
                    f"{PREFIX}GITHUB_APP_ID")


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where state lives (index, queue, job store, corpus cache): ``$REVIEWBOT_DATA_DIR``,
    else ``.reviewbot-data`` in the working folder."""
    env = os.environ if environ is None else environ
    return Path(env.get(DATA_DIR_VARIABLE) or DEFAULT_DATA_DIR)


def private_key_file(environ: Mapping[str, str] | None = None) -> Path | None:
    """The GitHub App's private key file named by the environment, if any."""
    env = os.environ if environ is None else environ
    value = env.get(PRIVATE_KEY_VARIABLE, "")
    return Path(value) if value else None
