"""config.toml: defaults, validation errors that name file and key, and value origins."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from reviewbot.checks import REGISTRY
from reviewbot.config import Config, effective_values, load_config
from reviewbot.core.errors import ConfigError
from reviewbot.core.models import Severity
from tests.conftest import REPO_ROOT


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_repository_config_toml_spells_out_the_defaults() -> None:
    loaded = load_config(REPO_ROOT / "config.toml")
    assert loaded.config == Config()
    data = tomllib.loads((REPO_ROOT / "config.toml").read_text())
    assert set(data["checks"]) == set(REGISTRY)


def test_values_from_the_file_override_defaults_and_say_so(tmp_path: Path) -> None:
    path = _write(tmp_path, '[review]\nfail_on = "warning"\n[checks.lint]\nenabled = false\n')
    loaded = load_config(path)
    assert loaded.config.review.fail_on is Severity.WARNING
    origins = {key: origin for key, _, origin in effective_values(loaded)}
    assert origins["review.fail_on"] == str(path)
    assert origins["checks.lint.enabled"] == str(path)
    assert origins["review.max_files"] == "default"


def test_typo_names_file_key_and_suggestion(tmp_path: Path) -> None:
    path = _write(tmp_path, "[checks.readme]\nenabeld = false\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (f"{path}: checks.readme.enabeld: unknown key "
                                 "(did you mean 'enabled'?)")


def test_unknown_table_and_wrong_type_are_all_listed(tmp_path: Path) -> None:
    path = _write(tmp_path, '[reviw]\nfail_on = 1\n[review]\nmax_files = "many"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "reviw: unknown key (did you mean 'review'?)" in message
    assert "review.max_files: Input should be a valid integer" in message


def test_unknown_rule_code_in_disable(tmp_path: Path) -> None:
    path = _write(tmp_path, '[checks.readme]\ndisable = ["README999"]\n')
    with pytest.raises(ConfigError, match=r"checks.readme: unknown rule code 'README999'"):
        load_config(path)


def test_invalid_toml_gives_the_position(tmp_path: Path) -> None:
    path = _write(tmp_path, "[review\nfail_on = 'error'\n")
    with pytest.raises(ConfigError, match=r"not valid TOML: .*line 1"):
        load_config(path)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "nope.toml")


def test_environment_variable_names_the_config(tmp_path: Path, monkeypatch) -> None:
    path = _write(tmp_path, '[review]\nfail_on = "info"\n')
    monkeypatch.setenv("REVIEWBOT_CONFIG", str(path))
    assert load_config().config.review.fail_on is Severity.INFO
