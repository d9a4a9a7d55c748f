"""Which config a review uses, and the maintainers' [rules], as a user sees them in a shell."""

from __future__ import annotations

import json
from pathlib import Path

from reviewbot.config import load_config
from tests.conftest import write_tree
from tests.reviewbot.test_cli import reviewbot

NAME = "SmithJonesEtAl2017"
RULES = ('[review]\nmax_file_bytes = 1000\n'
         '[rules]\nLOAD002 = "error"\nREADME004 = "off"\n')


def checkout(tmp_path: Path, config: str = RULES) -> Path:
    """A DLC checkout: the maintainers' config.toml at its root, one submission in it."""
    return write_tree(tmp_path / "dlc", {
        "config.toml": config,
        f"{NAME}/README.md": "# A replication\n",  # names no paper: README004
        f"{NAME}/weights.txt": "w" * 3000,  # over max_file_bytes: LOAD002
    })


def finding_lines(stdout: str) -> list[str]:
    return [line.strip() for line in stdout.splitlines() if line.startswith("  ") and
            line.strip().split(" ")[0] in ("error", "warning", "info")]


def test_rules_relevel_a_load_code_and_switch_off_a_readme_code(tmp_path: Path) -> None:
    root = checkout(tmp_path)
    result = reviewbot("check", NAME, "--only", "readme", cwd=root)
    lines = finding_lines(result.stdout)
    assert "error LOAD002 weights.txt is 0.0 MB, over the 0.0 MB limit; it was not read" in \
        lines, result.stdout
    assert not [line for line in lines if "README004" in line]
    assert result.returncode == 1  # LOAD002 now fails the review


def test_without_the_rules_the_same_folder_gets_the_default_levels(tmp_path: Path) -> None:
    root = checkout(tmp_path, config="[review]\nmax_file_bytes = 1000\n")
    lines = finding_lines(reviewbot("check", NAME, "--only", "readme", cwd=root).stdout)
    assert any(line.startswith("warning LOAD002 weights.txt") for line in lines)
    assert any(line.startswith("error README004") for line in lines)


def test_the_checkout_config_is_found_from_its_root_and_from_elsewhere(tmp_path: Path) -> None:
    root = checkout(tmp_path)
    elsewhere = write_tree(tmp_path / "elsewhere", {"notes.txt": "not a config\n"})
    runs = [reviewbot("check", NAME, "--only", "readme", cwd=root),
            reviewbot("check", ".", "--only", "readme", cwd=root),
            reviewbot("check", root / NAME, "--only", "readme", cwd=elsewhere)]
    for result in runs:
        assert f"note: config: {root / 'config.toml'}" in result.stdout, result.stdout
        assert any(line.startswith("error LOAD002") for line in finding_lines(result.stdout))


def test_json_report_names_the_config_it_used(tmp_path: Path) -> None:
    root = checkout(tmp_path)
    result = reviewbot("check", NAME, "--only", "readme", "--format", "json", cwd=root)
    [review] = json.loads(result.stdout)["reviews"]
    assert review["config"] == str(root / "config.toml")


def test_a_submission_folders_own_config_toml_is_not_the_maintainers(tmp_path: Path) -> None:
    root = checkout(tmp_path)
    (root / NAME / "config.toml").write_text("[experiment]\nlearning_rate = 0.1\n")
    result = reviewbot("check", ".", "--only", "readme", cwd=root / NAME)
    assert result.returncode == 1, result.stderr  # reviewed, not a config error (2)
    assert f"note: config: {root / 'config.toml'}" in result.stdout


def test_explicit_config_beats_the_discovered_one(tmp_path: Path) -> None:
    root = checkout(tmp_path)
    other = write_tree(tmp_path / "other", {"mine.toml": "[review]\nmax_file_bytes = 1000\n"})
    result = reviewbot("check", NAME, "--only", "readme", "--config", other / "mine.toml",
                       cwd=root)
    assert f"note: config: {other / 'mine.toml'}" in result.stdout
    assert any(line.startswith("warning LOAD002") for line in finding_lines(result.stdout))


def test_pyproject_with_a_tool_reviewbot_table_is_a_config(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "dlc", {
        "pyproject.toml": '[project]\nname = "dlc"\n[tool.reviewbot.rules]\nREADME004 = "info"\n',
        f"{NAME}/README.md": "# A replication\n"})
    result = reviewbot("check", NAME, "--only", "readme", cwd=root)
    assert f"note: config: {root / 'pyproject.toml'}" in result.stdout
    assert any(line.startswith("info README004") for line in finding_lines(result.stdout))


def test_relative_paths_in_a_config_resolve_against_its_folder(tmp_path: Path) -> None:
    config = write_tree(tmp_path / "maint", {"config.toml": (
        '[checks.similarity]\nindex_path = "data/index.sqlite"\ncache_dir = "cache"\n'
        'corpus = [{ path = "refs/adam", label = "adam" },'
        ' { path = "https://example.org/x.git", label = "x" }]\n')}) / "config.toml"
    similarity = load_config(config).config.check("similarity")
    assert similarity.index_path == str(tmp_path / "maint" / "data" / "index.sqlite")
    assert similarity.cache_dir == str(tmp_path / "maint" / "cache")
    assert [entry.path for entry in similarity.corpus] == [
        str(tmp_path / "maint" / "refs" / "adam"), "https://example.org/x.git"]


def test_config_show_lists_every_rule_code_with_its_level_and_origin(tmp_path: Path) -> None:
    root = checkout(tmp_path)
    result = reviewbot("config", "show", "--format", "toml", cwd=root)
    lines, source = result.stdout.splitlines(), root / "config.toml"
    assert f'LOAD002 = "error"  # {source} [rules] LOAD002' in lines
    assert '# LOAD001 = "error"  # default' in lines
    assert f'README004 = "off"  # {source} [rules] README004' in lines
