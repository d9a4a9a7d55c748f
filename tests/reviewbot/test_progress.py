"""Progress on long static work: a bar on a terminal, nothing at all when piped."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from reviewbot.config import Config
from reviewbot.core.progress import progress
from reviewbot.pipeline import review_path, select_checks
from reviewbot.similarity.corpus import Source, add_source
from reviewbot.similarity.index import SimilarityIndex
from tests.conftest import write_tree

REVIEWBOT = str(Path(sys.executable).parent / "reviewbot")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_sees_each_check_of_each_folder(tmp_path: Path) -> None:
    folder = write_tree(tmp_path / "SmithJonesEtAl2017", {"README.md": "# S\n", "m.py": "x=1\n"})
    screen = Terminal()
    selected = select_checks(only=["readme", "hygiene"])
    with progress("reviewing", len(selected), stream=screen) as steps:
        review_path(folder, Config(), selected, on_check=lambda check: steps.step(f"S: {check}"))
    shown = screen.getvalue()
    assert "S: readme" in shown and "S: hygiene" in shown


def test_piped_or_quiet_progress_prints_nothing(tmp_path: Path) -> None:
    for stream, quiet in ((io.StringIO(), False), (Terminal(), True)):
        with progress("reviewing", 3, stream=stream, quiet=quiet) as steps:
            steps.step("a")
            steps.grow(5)
            steps.advance_to(2, "b")
        assert stream.getvalue() == ""


def test_check_piped_says_only_the_report_and_the_verdict(tmp_path: Path) -> None:
    folder = write_tree(tmp_path / "SmithJonesEtAl2017", {"README.md": "# S\n"})
    done = subprocess.run([REVIEWBOT, "check", str(folder), "--only", "readme", "-f", "json"],
                          capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "REVIEWBOT_CONFIG": ""})
    assert done.stderr.splitlines() == [line for line in done.stderr.splitlines()
                                        if line.startswith("SmithJonesEtAl2017: ")]
    assert done.stdout.startswith("{")


def test_index_building_reports_each_file_read(tmp_path: Path) -> None:
    source = write_tree(tmp_path / "impl", {f"m{n}.py": f"def f{n}(x):\n    return x * {n}\n"
                                            for n in range(5)})
    seen: list[tuple[int, int]] = []
    with SimilarityIndex.open(tmp_path / "index.sqlite", create=True) as index:
        report = add_source(index, Source(str(source), "impl"), tmp_path / "cache",
                            lambda done, total: seen.append((done, total)))
    assert report.files == 5 and seen == [(n, 5) for n in range(1, 6)]
