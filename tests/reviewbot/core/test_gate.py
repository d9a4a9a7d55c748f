"""The gate: one place re-levels every finding, one place decides pass/fail and GitHub's word."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewbot.config import Config, effective_values, load_config, rulebook
from reviewbot.core import gate
from reviewbot.core.errors import ConfigError
from reviewbot.core.models import CheckResult, Finding, Review, Severity, Status
from reviewbot.core.rules import Level
from reviewbot.pipeline import review_path
from tests.conftest import write_tree


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _review(*findings: Finding, fail_on: Severity = Severity.ERROR) -> Review:
    result = CheckResult("readme", Status.PASSED, tuple(findings))
    return Review("SmithEtAl2017", "/x/SmithEtAl2017", (result,), (), fail_on, "0")


def test_rules_table_relevels_a_load_code_and_switches_off_a_readme_code(tmp_path: Path) -> None:
    path = _config(tmp_path, '[review]\nmax_file_bytes = 10\n'
                             '[rules]\nLOAD002 = "error"\nREADME001 = "off"\n')
    loaded = load_config(path)
    folder = write_tree(tmp_path / "SmithEtAl2017", {"big.py": "x = 1\n" * 10})
    done = review_path(folder, loaded.config, ["readme"], config_source=loaded.source)
    codes = {finding.code: finding.severity for finding in done.findings}
    assert codes["LOAD002"] is Severity.ERROR  # a warning by default
    assert "README001" not in codes  # no README at all: README001 would be an error
    assert not done.passed
    readme = next(result for result in done.results if result.check == "readme")
    assert readme.status is Status.PASSED  # its only error was switched off


def test_rules_wins_over_per_check_settings_and_says_where_each_level_came_from(
        tmp_path: Path) -> None:
    path = _config(tmp_path, '[checks.readme]\nseverity = { README002 = "info" }\n'
                             'disable = ["README003"]\n[rules]\nREADME002 = "error"\n')
    book = load_config(path).rules
    assert book.setting("README002").level is Level.ERROR
    assert book.setting("README002").origin == f"{path} [rules] README002"
    assert book.setting("README003").level is Level.OFF
    assert book.setting("README003").origin == f"{path} [checks.readme] disable"
    assert book.setting("LOAD001").origin == "default"


def test_unknown_rule_code_names_the_closest_known_one(tmp_path: Path) -> None:
    path = _config(tmp_path, '[rules]\nLOAD02 = "error"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (f"{path}: rules: unknown rule code 'LOAD02'; the closest known "
                                 "code is 'LOAD002' (README lists every code)")


def test_a_level_that_is_not_one_of_the_four_is_refused(tmp_path: Path) -> None:
    path = _config(tmp_path, '[rules]\nLOAD002 = "fatal"\n')
    with pytest.raises(ConfigError, match=r"rules.LOAD002: Input should be 'off', 'info', "
                                          r"'warning' or 'error'"):
        load_config(path)


def test_fail_on_not_reproduced_still_works_as_run003_with_a_deprecation_note(
        tmp_path: Path) -> None:
    path = _config(tmp_path, "[stats]\nfail_on_not_reproduced = false\n")
    setting = load_config(path).rules.setting("RUN003")
    assert setting.level is Level.WARNING
    assert "deprecated: use [rules] RUN003 = \"warning\"" in setting.origin
    both = _config(tmp_path, '[stats]\nfail_on_not_reproduced = false\n[rules]\nRUN003 = "off"\n')
    assert load_config(both).rules.setting("RUN003").level is Level.OFF


def test_config_show_values_list_every_rule_code_with_level_and_origin(tmp_path: Path) -> None:
    path = _config(tmp_path, '[rules]\nRUN004 = "off"\n')
    rows = {key: (value, origin) for key, value, origin in effective_values(load_config(path))}
    assert rows["rules.RUN004"] == (Level.OFF, f"{path} [rules] RUN004")
    assert rows["rules.LOAD002"] == (Level.WARNING, "default")
    codes = {key for key in rows if key.startswith("rules.")}
    assert len(codes) == len(rulebook(Config()).catalogue) > 40


def test_apply_rules_leaves_codes_without_a_setting_alone() -> None:
    finding = Finding("readme", "README002", Severity.WARNING, "short")
    assert gate.apply_rules([finding], rulebook(Config())) == (finding,)


def test_gated_redoes_the_check_status_after_relevelling() -> None:
    error = Finding("readme", "README001", Severity.ERROR, "no README")
    failed = _review(error)
    book = rulebook(Config(rules={"README001": Level.WARNING}))
    done = gate.gated(failed, book)
    assert done.results[0].status is Status.PASSED
    assert done.findings[0].severity is Severity.WARNING
    assert done.passed and done.rules is book


def test_one_outcome_drives_pass_fail_and_the_check_run_conclusion() -> None:
    clean = _review()
    warned = _review(Finding("readme", "README002", Severity.WARNING, "short"))
    failed = _review(Finding("readme", "README001", Severity.ERROR, "none"))
    words = ("failure", "neutral", "success")
    assert gate.conclusion([clean], *words) == "success"
    assert gate.conclusion([clean, warned], *words) == "neutral"
    assert gate.conclusion([warned, failed], *words) == "failure"
    assert [gate.passed(r) for r in (clean, warned, failed)] == [True, True, False]
    assert gate.requests_changes([warned], Severity.WARNING)
    assert not gate.requests_changes([warned], Severity.ERROR)


def test_an_errored_check_fails_whatever_the_findings() -> None:
    crashed = Review("S", "/S", (CheckResult("lint", Status.ERRORED, error="boom"),), (),
                     Severity.ERROR, "0")
    assert not gate.passed(crashed)
    assert gate.conclusion([crashed], "failure", "neutral", "success") == "failure"
