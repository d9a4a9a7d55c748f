"""The command line as a user meets it: a real process, its stdout, stderr and exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import jsonschema
import nbformat
import pytest

from reviewbot.config import load_config, parse_config
from reviewbot.report.json_report import load_schema
from tests.conftest import write_tree

NAME = "SmithJonesEtAl2017"
README = "# Smith, Jones et al. 2017\n\nReproduces the paper's results.\n"


def reviewbot(*args: object, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m reviewbot.cli ARGS`` as a user would, never through a terminal."""
    env = {key: value for key, value in os.environ.items()
           if key not in {"REVIEWBOT_CONFIG", "FORCE_COLOR", "COLUMNS"}}
    result = subprocess.run([sys.executable, "-m", "reviewbot.cli", *map(str, args)], cwd=cwd,
                            capture_output=True, text=True, timeout=300, env=env, check=False)
    assert "Traceback" not in result.stdout + result.stderr
    return result


def review_json(*args: object) -> tuple[int, dict]:
    """Run ``check ARGS --format json``; the exit code and the validated report."""
    result = reviewbot("check", *args, "--format", "json")
    data = json.loads(result.stdout)
    jsonschema.Draft202012Validator(load_schema()).validate(data)
    return result.returncode, data


def all_findings(data: dict, index: int = 0) -> list[dict]:
    review = data["reviews"][index]
    return review["findings"] + [f for check in review["checks"] for f in check["findings"]]


def codes_at(data: dict) -> set[tuple[str, str | None]]:
    return {(finding["code"], finding["path"]) for finding in all_findings(data)}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """An empty DLC-named submission folder."""
    path = tmp_path / NAME
    path.mkdir()
    return path


# ---- usage ------------------------------------------------------------------------------


def test_help_lists_the_commands() -> None:
    result = reviewbot("--help")
    assert result.returncode == 0
    assert "check" in result.stdout and "config" in result.stdout


def test_check_help_lists_its_options() -> None:
    result = reviewbot("check", "--help")
    assert result.returncode == 0
    for option in ("--format", "--output", "--config", "--only", "--skip"):
        assert option in result.stdout


def test_version_prints_name_and_version() -> None:
    from reviewbot import __version__

    result = reviewbot("--version")
    assert (result.returncode, result.stdout) == (0, f"reviewbot {__version__}\n")


def test_missing_path_is_one_line_and_exit_2(tmp_path: Path) -> None:
    missing = tmp_path / "NoSuchEtAl2020"
    result = reviewbot("check", missing)
    assert result.returncode == 2
    assert result.stderr == f"reviewbot: error: {missing}: no such file or folder\n"
    assert result.stdout == ""


def test_a_file_instead_of_a_folder_is_exit_2(tmp_path: Path) -> None:
    file = write_tree(tmp_path, {"notes.txt": "hello"}) / "notes.txt"
    result = reviewbot("check", file)
    assert result.returncode == 2
    assert result.stderr == (f"reviewbot: error: {file}: is a file; give the submission's "
                             "folder instead\n")


def test_unknown_only_check_is_exit_2_naming_the_checks(folder: Path) -> None:
    result = reviewbot("check", folder, "--only", "foo")
    assert result.returncode == 2
    assert result.stderr.startswith("reviewbot: error: unknown check 'foo'; the checks are: ")
    assert "modularity" in result.stderr and result.stderr.count("\n") == 1


def test_unknown_format_is_a_usage_error(folder: Path) -> None:
    result = reviewbot("check", folder, "--format", "yaml")
    assert result.returncode == 2
    assert "yaml" in result.stderr and result.stdout == ""


# ---- config errors ------------------------------------------------------------------------


def test_config_typo_names_file_key_and_suggestion(tmp_path: Path, folder: Path) -> None:
    config = write_tree(tmp_path, {"config.toml": "[checks.modularity]\nmax_complexty = 5\n"})
    config_file = config / "config.toml"
    result = reviewbot("check", folder, "--config", config_file)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("reviewbot: error: ")
    assert str(config_file) in result.stderr
    assert "checks.modularity.max_complexty" in result.stderr
    assert "did you mean 'max_complexity'" in result.stderr
    assert result.stdout == ""


def test_config_that_is_not_toml_is_exit_2(tmp_path: Path, folder: Path) -> None:
    config_file = write_tree(tmp_path, {"config.toml": "[review\n"}) / "config.toml"
    result = reviewbot("check", folder, "--config", config_file)
    assert result.returncode == 2
    assert result.stderr.startswith(f"reviewbot: error: {config_file}: not valid TOML")


def test_missing_config_file_is_exit_2(tmp_path: Path, folder: Path) -> None:
    result = reviewbot("check", folder, "--config", tmp_path / "nope.toml")
    assert result.returncode == 2
    assert result.stderr == f"reviewbot: error: {tmp_path / 'nope.toml'}: no such file\n"


# ---- bad submissions are findings, never crashes ------------------------------------------


def test_empty_folder_is_reviewed_and_misses_its_readme(folder: Path) -> None:
    code, data = review_json(folder)
    assert code == 1
    assert ("README001", None) in codes_at(data)
    assert data["reviews"][0]["summary"]["errored_checks"] == []


def test_folder_of_binaries_is_reviewed_without_errors(folder: Path) -> None:
    write_tree(folder, {"weights.bin": bytes(range(256)) * 64, "figure.png": b"\x89PNG\r\n\x1a\n",
                        "model.py": b"import os\x00\x01\x02", "README.md": b"\xff\xfe\x00R\x00"})
    code, data = review_json(folder)
    review = data["reviews"][0]
    assert review["summary"]["errored_checks"] == []
    assert all(check["status"] != "errored" for check in review["checks"])
    assert code == (0 if review["passed"] else 1)


def test_notebook_that_is_not_json_is_reported(folder: Path) -> None:
    write_tree(folder, {"README.md": README, "analysis.ipynb": "this is { not json"})
    code, data = review_json(folder, "--only", "notebook")
    assert code == 1
    (broken,) = [f for f in all_findings(data) if f["code"] == "NB002"]
    assert broken["path"] == "analysis.ipynb" and "not valid JSON" in broken["message"]


def test_python2_module_is_reported(folder: Path) -> None:
    write_tree(folder, {"README.md": README, "old.py": 'print "hello"\n'})
    _, data = review_json(folder, "--only", "hygiene")
    assert ("HYG001", "old.py") in codes_at(data)


def test_syntax_error_is_reported(folder: Path) -> None:
    write_tree(folder, {"README.md": README, "broken.py": "def train(:\n    pass\n"})
    _, data = review_json(folder, "--only", "hygiene")
    assert ("HYG002", "broken.py") in codes_at(data)


def test_broken_python_does_not_crash_any_check(folder: Path) -> None:
    write_tree(folder, {"README.md": README, "old.py": 'print "hello"\n',
                        "broken.py": "def train(:\n", "empty.py": "",
                        "nb.ipynb": nbformat.writes(_odd_notebook())})
    _, data = review_json(folder)
    assert data["reviews"][0]["summary"]["errored_checks"] == []


def _odd_notebook() -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("%%bash\necho hi"),
                      nbformat.v4.new_code_cell("print 'py2'"), nbformat.v4.new_markdown_cell(""),
                      nbformat.v4.new_code_cell("")]
    return notebook


def test_symlink_to_etc_passwd_is_reported_and_not_read(folder: Path) -> None:
    (folder / "users.txt").symlink_to("/etc/passwd")
    result = reviewbot("check", folder, "--format", "json")
    data = json.loads(result.stdout)
    (link,) = [f for f in all_findings(data) if f["code"] == "LOAD001"]
    assert link["path"] == "users.txt" and "/etc/passwd" in link["message"]
    assert "root:" not in result.stdout + result.stderr
    text = reviewbot("check", folder, "--only", "readme").stdout
    assert "users.txt" in text and "LOAD001" in text


def test_a_200_mb_file_is_listed_not_read_and_quickly(folder: Path) -> None:
    with (folder / "data.csv").open("wb") as handle:
        handle.truncate(200_000_000)  # sparse: no disk used
    started = time.monotonic()
    code, data = review_json(folder, "--only", "readme")
    assert time.monotonic() - started < 30
    (big,) = [f for f in all_findings(data) if f["code"] == "LOAD002"]
    assert big["path"] == "data.csv" and "200.0 MB" in big["message"]
    assert code == 1


# ---- what a review prints and returns -----------------------------------------------------


def test_checkout_with_two_submissions_reviews_both(tmp_path: Path) -> None:
    for name in ("SmithJonesEtAl2017", "DoeRoeEtAl2019"):
        write_tree(tmp_path / "dlc" / name, {"model.py": "x = 1\n"})
    write_tree(tmp_path / "dlc", {"LICENSE": "MIT\n"})
    _, data = review_json(tmp_path / "dlc", "--only", "readme")
    assert [r["submission"] for r in data["reviews"]] == ["DoeRoeEtAl2019", "SmithJonesEtAl2017"]
    text = reviewbot("check", tmp_path / "dlc", "--only", "readme")
    assert text.returncode == 1
    assert "DoeRoeEtAl2019" in text.stdout and "SmithJonesEtAl2017" in text.stdout
    assert text.stdout.rstrip().splitlines()[-1].startswith("TOTAL: 2 of 2 submissions FAILED")


def test_text_report_shows_table_findings_and_verdict(folder: Path) -> None:
    (folder / "users.txt").symlink_to("/etc/passwd")
    result = reviewbot("check", folder, "--only", "readme")
    lines = result.stdout.splitlines()
    assert lines[0].startswith(NAME)
    assert any(line.startswith("load ") and "failed" in line for line in lines)
    assert lines[lines.index("users.txt") + 1].startswith("  error LOAD001 users.txt is a symlink")
    assert lines[-1].startswith("FAILED: ") and lines[-1].endswith("(fails on error)")
    assert "\x1b[" not in result.stdout  # not a terminal: no colors
    assert result.stderr == ""


def test_nothing_to_report_passes_with_exit_0(folder: Path) -> None:
    skips = [arg for check in ("readme", "notebook", "modularity", "comments", "lint", "hygiene")
             for arg in ("--skip", check)]
    result = reviewbot("check", folder, *skips)
    assert result.returncode == 0
    last_line = result.stdout.rstrip().splitlines()[-1]
    assert last_line == "PASSED: 0 errors, 0 warnings (fails on error)"


def test_output_file_gets_the_report_and_stderr_the_verdict(tmp_path: Path, folder: Path) -> None:
    target = tmp_path / "review.md"
    result = reviewbot("check", folder, "--only", "readme", "--format", "markdown",
                       "--output", target)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith(f"{NAME}: FAILED: ")
    assert f"### ❌ reviewbot: {NAME}" in target.read_text("utf-8")


def test_output_to_a_missing_folder_is_exit_2(tmp_path: Path, folder: Path) -> None:
    target = tmp_path / "no" / "such" / "review.json"
    result = reviewbot("check", folder, "--only", "readme", "--output", target)
    assert result.returncode == 2
    assert result.stderr.startswith(f"reviewbot: error: cannot write the report to {target}")


def test_sarif_uris_are_relative_to_the_git_checkout(tmp_path: Path) -> None:
    checkout = tmp_path / "dlc"
    (checkout / ".git").mkdir(parents=True)
    (checkout / NAME).mkdir()
    (checkout / NAME / "big.csv").open("wb").truncate(6_000_000)
    result = reviewbot("check", checkout / NAME, "--only", "readme", "--format", "sarif")
    run = json.loads(result.stdout)["runs"][0]
    uris = {r["ruleId"]: r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in run["results"]}
    assert uris["LOAD002"] == f"{NAME}/big.csv"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == checkout.resolve().as_uri() + "/"


def test_a_bug_in_reviewbot_is_one_line_and_exit_3(folder: Path) -> None:
    # Stand-in for a bug: discovery raising something no one handles.
    script = ("import reviewbot.cli as cli\n"
              "def broken(path, pattern=''):\n    raise KeyError('boom')\n"
              "cli.discover = broken\ncli.main()\n")
    plain = subprocess.run([sys.executable, "-c", script, "check", str(folder)],
                           capture_output=True, text=True, timeout=120, check=False)
    assert plain.returncode == 3
    assert plain.stderr == ("reviewbot: internal error: KeyError: 'boom' (please report; "
                            "--debug shows the traceback)\n")
    debug = subprocess.run([sys.executable, "-c", script, "--debug", "check", str(folder)],
                           capture_output=True, text=True, timeout=120, check=False)
    assert debug.returncode == 3
    assert "Traceback" in debug.stderr and "in broken" in debug.stderr


# ---- config show --------------------------------------------------------------------------


def test_config_show_lists_keys_values_and_origins(tmp_path: Path) -> None:
    write_tree(tmp_path, {"config.toml": "[review]\nfail_on = 'warning'\n"})
    result = reviewbot("config", "show", "--config", "config.toml", cwd=tmp_path)
    assert result.returncode == 0
    rows = {line.split("│")[1].strip(): [cell.strip() for cell in line.split("│")[2:4]]
            for line in result.stdout.splitlines() if line.count("│") == 4}
    assert rows["review.fail_on"] == ['"warning"', "config.toml"]
    assert rows["review.max_files"] == ["5000", "default"]
    assert rows["checks.readme.enabled"] == ["true", "default"]


def test_config_show_toml_is_valid_and_round_trips(tmp_path: Path) -> None:
    source = "[review]\nfail_on = 'warning'\n[checks.readme]\ndisable = ['README001']\n"
    config_file = write_tree(tmp_path, {"config.toml": source}) / "config.toml"
    result = reviewbot("config", "show", "--config", config_file, "--format", "toml")
    assert result.returncode == 0
    assert parse_config(tomllib.loads(result.stdout), "shown") == load_config(config_file).config
    assert f'fail_on = "warning"  # {config_file}' in result.stdout.splitlines()
    assert "max_files = 5000  # default" in result.stdout.splitlines()


def test_config_show_with_a_bad_config_is_exit_2(tmp_path: Path) -> None:
    config_file = write_tree(tmp_path, {"config.toml": "[revue]\n"}) / "config.toml"
    result = reviewbot("config", "show", "--config", config_file)
    assert result.returncode == 2
    assert result.stderr.startswith(f"reviewbot: error: {config_file}: revue: unknown key")
