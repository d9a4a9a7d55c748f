"""Candidate on-ramps in the CLI: shell completion and the HTML report page."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import write_tree

REVIEWBOT = str(Path(sys.executable).parent / "reviewbot")


def complete(words: str, index: int) -> list[str]:
    env = {**os.environ, "_REVIEWBOT_COMPLETE": "complete_bash", "COMP_WORDS": words,
           "COMP_CWORD": str(index)}
    done = subprocess.run([REVIEWBOT], env=env, capture_output=True, text=True, timeout=60,
                          check=True)
    return done.stdout.split()


def test_bash_completion_offers_commands_options_and_formats() -> None:
    assert "check" in complete("reviewbot ch", 1)
    assert complete("reviewbot check --fo", 2) == ["--format"]
    assert complete("reviewbot check x --format ", 4) == ["text", "json", "markdown", "sarif",
                                                          "html"]


def test_show_completion_prints_a_script_to_source() -> None:
    done = subprocess.run([REVIEWBOT, "--show-completion", "bash"], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "_REVIEWBOT_COMPLETE=complete_bash" in done.stdout
    assert "complete -o default -F _reviewbot_completion reviewbot" in done.stdout


def test_check_format_html_writes_the_report_page(tmp_path: Path) -> None:
    folder = write_tree(tmp_path / "SmithJonesEtAl2017", {
        "model.py": '"""m."""\nDATA = "/home/alice/<b>data</b>.csv"\n'})
    page = tmp_path / "review.html"
    done = subprocess.run([REVIEWBOT, "check", str(folder), "--format", "html", "-o", str(page),
                           "--only", "readme", "--only", "hygiene"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1 and "SmithJonesEtAl2017: FAILED" in done.stderr
    text = page.read_text()
    assert text.startswith("<!DOCTYPE html>") and "script-src 'none'" in text
    assert "What fails the review" in text and "README001" in text
    assert "&lt;b&gt;data&lt;/b&gt;" in text and "<b>data</b>" not in text
    assert "<span class='hit'><span class='ln'>    2</span>" in text  # the line, in context
