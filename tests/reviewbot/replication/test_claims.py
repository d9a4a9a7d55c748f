"""papers/<Paper>.toml: validation that names file and key, precedence, ``config show --paper``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from reviewbot.core.errors import ConfigError
from reviewbot.replication.claims import REPO_PAPERS_DIR, StatsSettings, load_paper, papers_dir
from tests.conftest import REPO_ROOT, write_tree

SETTINGS = StatsSettings()


def _load(tmp_path: Path, text: str, settings: StatsSettings = SETTINGS):
    write_tree(tmp_path, {"Paper2020.toml": text})
    return load_paper("Paper2020", tmp_path, settings)


def test_a_typo_names_file_claim_key_and_suggestion(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, '[claims.acc]\nmetric = "acc"\nvalue = 92.3\ntolerence = { rel = 0.01 }\n')
    assert str(caught.value) == (f"{tmp_path / 'Paper2020.toml'}: claims.acc.tolerence: unknown "
                                 "key (did you mean 'tolerance'?)")


def test_a_typo_inside_the_tolerance_and_array_claims(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, '[[claims]]\nid = "acc"\nmetric = "acc"\nvalue = 1.0\n'
                        'tolerance = { abss = 0.1 }\n')
    assert "claims.acc.tolerance.abss: unknown key (did you mean 'abs'?)" in str(caught.value)


def test_wrong_values_are_all_listed(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, '[claims.a]\nmetric = "m"\nvalue = 1\ndirection = "up"\n'
                        '[claims.b]\nkind = "ranking"\nbetter = "x"\nworse = "x"\n'
                        '[claims.c]\nkind = "curve"\nmetric = "loss"\n'
                        'points = { x = [2, 1], y = [1, 2] }\n')
    message = str(caught.value)
    assert "claims.a.direction: Input should be 'higher', 'lower' or 'equal' (got 'up')" in message
    assert "claims.b: a ranking claim needs 'better' and 'worse', two different metrics" in message
    assert "claims.c.points: x must increase strictly" in message


def test_a_claim_without_id_or_value_and_a_duplicate(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, '[[claims]]\nmetric = "m"\nvalue = 1\n[[claims]]\nid = "x"\nmetric = "m"\n'
                        '[[claims]]\nid = "y"\nmetric = "m"\nvalue = 1\n'
                        '[[claims]]\nid = "y"\nmetric = "m"\nvalue = 2\n')
    message = str(caught.value)
    assert "claims.0: needs an 'id'" in message
    assert "claims.x: a scalar claim needs 'value'" in message
    assert "claims: id 'y' is used twice" in message


def test_precedence_claim_paper_metric_kind_global(tmp_path: Path) -> None:
    paper = _load(tmp_path, '[paper]\ndefaults = { unit = "%" }\nfull_budget = { epochs = 9 }\n'
                            '[claims.own]\nmetric = "a"\nvalue = 1.0\ntolerance = { abs = 0.3 }\n'
                            'direction = "equal"\nfull_budget = { epochs = 2 }\n'
                            '[claims.kind]\nmetric = "b"\nmetric_kind = "loss"\nvalue = 1.0\n'
                            '[claims.plain]\nmetric = "c"\nvalue = 1.0\n'
                            '[claims.count]\nkind = "exact"\nmetric = "n"\nvalue = 7\n')
    resolved = {c.id: {k: (v, o) for k, v, o in c.resolved_values()} for c in paper.claims}
    assert resolved["own"]["tolerance"] == ({"abs": 0.3}, "claim")
    assert resolved["own"]["unit"] == ("%", "paper")
    assert resolved["own"]["full_budget"] == ({"epochs": 2}, "claim")
    assert resolved["kind"]["tolerance"] == ({"rel": 0.05}, "metric kind loss")
    assert resolved["kind"]["direction"] == ("lower", "metric kind loss")
    assert resolved["kind"]["full_budget"] == ({"epochs": 9}, "paper")
    assert resolved["plain"]["tolerance"] == ({"rel": 0.02}, "global [stats]")
    assert resolved["count"]["tolerance"] == ({"abs": 0.0}, "built-in (exact)")


def test_a_tolerance_is_replaced_whole_never_merged(tmp_path: Path) -> None:
    paper = _load(tmp_path, '[paper]\ndefaults = { tolerance = { rel = 0.1 } }\n'
                            '[claims.a]\nmetric = "a"\nvalue = 10.0\ntolerance = { abs = 0.5 }\n')
    [claim] = paper.claims
    assert (claim.tol_abs, claim.tol_rel) == (0.5, None)


def test_a_zero_tolerance_is_refused_for_a_scalar(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"claims.a.tolerance: needs abs or rel above 0"):
        _load(tmp_path, '[claims.a]\nmetric = "a"\nvalue = 1.0\ntolerance = { abs = 0 }\n')


def test_no_file_means_no_claims(tmp_path: Path) -> None:
    paper = load_paper("Nobody2020", tmp_path, SETTINGS)
    assert (paper.source, paper.claims) == ("", ())


def test_papers_dir_is_relative_to_the_config_file(tmp_path: Path) -> None:
    config = write_tree(tmp_path / "maint", {"config.toml": ""}) / "config.toml"
    assert papers_dir(SETTINGS, config) == tmp_path / "maint" / "papers"
    assert papers_dir(SETTINGS, None) == REPO_PAPERS_DIR


def test_the_bundled_papers_load() -> None:
    paper = load_paper("KingmaBa2014", REPO_PAPERS_DIR, SETTINGS)
    assert {c.id for c in paper.claims} >= {"adam-beats-adagrad", "adam-final-cost"}


def _show(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reviewbot.cli", "config", "show", *args],
                          capture_output=True, text=True, cwd=cwd, check=False,
                          env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"})


def test_config_show_paper_prints_values_and_origins(tmp_path: Path) -> None:
    write_tree(tmp_path, {"config.toml": "[stats.metric_kinds.loss]\ntolerance = { rel = 0.1 }\n",
                          "papers/Paper2020.toml": '[claims.a]\nmetric = "a"\nvalue = 1.5\n'
                                                   'metric_kind = "loss"\n'})
    result = _show("--config", "config.toml", "--paper", "Paper2020", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = {tuple(line.split("│")[1:3]): line for line in result.stdout.splitlines()
            if "│" in line}
    tolerance = next(line for key, line in rows.items() if key[1].strip() == "tolerance")
    assert "{ rel = 0.1 }" in tolerance and "metric kind loss" in tolerance
    value = next(line for key, line in rows.items() if key[1].strip() == "value")
    assert "1.5" in value and "claim" in value


def test_config_show_paper_without_a_file_is_exit_2(tmp_path: Path) -> None:
    write_tree(tmp_path, {"config.toml": ""})
    result = _show("--config", "config.toml", "--paper", "Nobody2020", cwd=tmp_path)
    assert result.returncode == 2
    assert "no claims file for Nobody2020" in result.stderr


def test_config_show_paper_with_a_typo_is_exit_2(tmp_path: Path) -> None:
    write_tree(tmp_path, {"config.toml": "", "papers/P2020.toml": "[claims.a]\nmetrc = 'm'\n"})
    result = _show("--config", "config.toml", "--paper", "P2020", cwd=tmp_path)
    assert result.returncode == 2
    assert "P2020.toml: claims.a.metrc: unknown key (did you mean 'metric'?)" in result.stderr
    assert "Traceback" not in result.stderr


def test_repository_runs_from_the_repo_root() -> None:
    result = _show("--paper", "KingmaBa2014", cwd=REPO_ROOT)
    assert result.returncode == 0
    assert "adam-beats-adagrad" in result.stdout
