"""Help and error text as printed: nothing eaten, no internal prefixes, every exit code said."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import REPO_ROOT, write_tree
from tests.reviewbot.replication.test_verdict_cli import RUNS, maintainers, runs_file
from tests.reviewbot.test_cli import reviewbot

EXIT_LINES = ("0  every submission passed",
              "1  a finding at or above [review] fail_on, or a check errored",
              "2  a usage or configuration error (one line on stderr says which)",
              "3  an internal error in reviewbot: please report it (--debug shows the traceback)")


def _flat(text: str) -> str:
    """Help text with its line wrapping undone."""
    return re.sub(r"\s+", " ", text)


def test_check_help_keeps_bracketed_words() -> None:
    result = reviewbot("check", "--help")
    assert result.returncode == 0
    text = _flat(result.stdout)
    assert "(seeds from [runner])" in text
    assert "(default: the adaptive plan of [stats.sequential], runs added" in text
    assert "(seeds from )" not in text and "plan of ," not in text


def test_flags_show_no_type_and_options_show_what_they_take() -> None:
    result = reviewbot("check", "--help")
    assert "<bool>" not in result.stdout
    assert re.search(r"^\s+--run\s+Also execute", result.stdout, re.MULTILINE)
    assert re.search(r"^\s+--only CHECK\s+Run only this check", result.stdout, re.MULTILINE)
    assert "-f, --format text|json|markdown|sarif" in result.stdout


def test_help_ends_with_every_exit_status() -> None:
    for command in (["--help"], ["check", "--help"], ["verdict", "--help"]):
        lines = [line.strip() for line in reviewbot(*command).stdout.splitlines()]
        assert "Exit status:" in lines, command
        for expected in EXIT_LINES:
            assert expected in lines, (command, expected)


def test_readme_documents_exit_status_3() -> None:
    text = _flat((REPO_ROOT / "README.md").read_text(encoding="utf-8"))
    assert "`3` for an internal error in reviewbot itself" in text


def test_an_unknown_format_names_the_choices_without_pydantic_words(tmp_path: Path) -> None:
    result = reviewbot("check", tmp_path, "--format", "md")
    assert result.returncode == 2
    assert ("Invalid value for '--format' / '-f': 'md' is not one of 'text', 'json', "
            "'markdown', 'sarif'") in result.stderr
    assert "Value error" not in result.stderr


def test_config_show_format_error_is_as_plain() -> None:
    result = reviewbot("config", "show", "--format", "yaml")
    assert result.returncode == 2
    assert "'yaml' is not one of 'table', 'toml'" in result.stderr
    assert "Value error" not in result.stderr


def test_verdict_for_a_paper_without_claims_is_a_usage_error(tmp_path: Path) -> None:
    config = maintainers(tmp_path, "abs = 0.05")
    result = reviewbot("verdict", runs_file(tmp_path, RUNS), "--config", config,
                       "--paper", "Nope")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(
        f"reviewbot: error: no claims file for Nope: {config.parent / 'papers' / 'Nope.toml'} "
        "does not exist")


def test_verdict_with_no_papers_folder_at_all_is_a_usage_error(tmp_path: Path) -> None:
    """As installed from a wheel and run where no config or papers/ is found."""
    bare = write_tree(tmp_path / "bare", {"config.toml": "[stats]\npapers_dir = 'papers'\n"})
    result = reviewbot("verdict", runs_file(tmp_path, RUNS), cwd=bare)
    assert result.returncode == 2
    assert "no claims file for Paper2020" in result.stderr
    assert "no claims registered" not in result.stdout
