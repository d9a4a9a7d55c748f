"""Secrets never reach the sandbox: the names come from core, the key file from the caller."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewbot.core.environment import SECRET_VARIABLES
from reviewbot.runners.sandbox import child_environment, masked_key_arguments

KEY = "-----BEGIN RSA PRIVATE KEY-----\nnot really\n"


def test_a_key_the_caller_names_reads_empty_where_the_sandbox_could_see_it(
        tmp_path: Path) -> None:
    bound = tmp_path / "venv"
    key = bound / "keys" / "app.pem"
    key.parent.mkdir(parents=True)
    key.write_text(KEY)
    assert masked_key_arguments([bound], [key]) == ["--ro-bind", "/dev/null", str(key)]
    # a key outside every folder bound into the sandbox is invisible there already
    assert masked_key_arguments([tmp_path / "elsewhere"], [key]) == []


def test_every_secret_variable_of_the_environment_is_refused() -> None:
    for name in SECRET_VARIABLES:
        with pytest.raises(ValueError, match=f"refusing to pass {name} into a notebook run"):
            child_environment({name: "x"})
