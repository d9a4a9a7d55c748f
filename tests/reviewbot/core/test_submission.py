"""Loading a submission folder safely: what is read, what is refused, and what is said."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from reviewbot.core.errors import SubmissionError
from reviewbot.core.submission import LoadLimits, discover, load, many_submissions_note
from tests.conftest import write_tree


def _codes(submission) -> list[tuple[str, str | None]]:
    return [(f.code, f.path) for f in submission.load_findings]


def test_sorts_modules_notebooks_and_texts(make_submission) -> None:
    notebook = nbformat.writes(new_notebook(cells=[new_code_cell("x = 1")]))
    sub = make_submission({"README.md": "# Title\n", "python/model.py": "A = 1\n",
                           "Paper.ipynb": notebook, "weights.bin": b"\x00\x01" * 10,
                           "requirements.txt": "numpy==2.0\n"})
    assert [m.path for m in sub.modules] == ["python/model.py"]
    assert [n.path for n in sub.notebooks] == ["Paper.ipynb"]
    assert sorted(t.path for t in sub.texts) == ["README.md", "requirements.txt"]
    kinds = {f.path: f.kind for f in sub.files}
    assert kinds["weights.bin"] == "binary"
    assert sub.load_findings == ()


def test_symlink_out_of_the_folder_is_reported_and_never_read(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "SmithEtAl2017", {"model.py": "A = 1\n"})
    (root / "passwd.py").symlink_to("/etc/passwd")
    sub = load(root)
    assert _codes(sub) == [("LOAD001", "passwd.py")]
    assert "/etc/passwd" in sub.load_findings[0].message
    assert sub.text("passwd.py") is None
    assert [m.path for m in sub.modules] == ["model.py"]


def test_symlinked_folder_out_of_the_submission_is_not_walked(tmp_path: Path) -> None:
    outside = write_tree(tmp_path / "outside", {"secret.py": "TOKEN = 1\n"})
    root = write_tree(tmp_path / "SmithEtAl2017", {"model.py": "A = 1\n"})
    (root / "data").symlink_to(outside, target_is_directory=True)
    sub = load(root)
    assert _codes(sub) == [("LOAD001", "data")]
    assert all("secret" not in m.path for m in sub.modules)


def test_large_file_is_listed_not_read(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "SmithEtAl2017", {"model.py": "A = 1\n"})
    with open(root / "huge.py", "wb") as handle:
        handle.truncate(200_000_000)  # sparse: costs no disk
    sub = load(root)
    assert _codes(sub) == [("LOAD002", "huge.py")]
    assert "200.0 MB" in sub.load_findings[0].message
    assert {f.path: f.size for f in sub.files}["huge.py"] == 200_000_000
    assert sub.text("huge.py") is None


def test_non_utf8_text_is_decoded_with_a_finding(make_submission) -> None:
    sub = make_submission({"notes.md": b"line one\n" + "caf\xe9\n".encode("latin-1")})
    (finding,) = sub.load_findings
    assert (finding.code, finding.path, finding.line) == ("LOAD003", "notes.md", 2)
    assert "0xe9" in finding.message
    assert sub.text("notes.md") == "line one\ncaf\ufffd\n"


def test_python_file_with_a_coding_cookie_is_not_a_finding(make_submission) -> None:
    source = "# -*- coding: latin-1 -*-\nNAME = 'caf\xe9'\n".encode("latin-1")
    sub = make_submission({"legacy.py": source})
    assert sub.load_findings == ()
    assert "café" in sub.text("legacy.py")


def test_broken_notebook_is_kept_aside_with_the_reason(make_submission) -> None:
    sub = make_submission({"a.ipynb": "{not json", "b.ipynb": '{"cells": []}'})
    reasons = dict(sub.broken_notebooks)
    assert "not valid JSON" in reasons["a.ipynb"]
    assert "nbformat" in reasons["b.ipynb"]
    assert sub.notebooks == ()


def test_too_many_files_stops_reading(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "SmithEtAl2017", {f"f{i}.txt": "x" for i in range(12)})
    sub = load(root, LoadLimits(max_files=5))
    assert len(sub.files) == 5
    assert _codes(sub) == [("LOAD005", None)]


def test_unreadable_file_is_a_finding(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    root = write_tree(tmp_path / "SmithEtAl2017", {"locked.py": "A = 1\n"})
    (root / "locked.py").chmod(0)
    assert _codes(load(root)) == [("LOAD004", "locked.py")]


def test_git_folder_is_skipped(make_submission) -> None:
    sub = make_submission({".git/config": "[core]\n", "model.py": "A = 1\n"})
    assert [f.path for f in sub.files] == ["model.py"]


def test_discover_a_checkout_with_several_submissions(tmp_path: Path) -> None:
    write_tree(tmp_path, {"README.md": "DLC\n", "SmithJonesEtAl2017/README.md": "a",
                          "LeCun1998/README.md": "b", "docs/x.md": "c"})
    assert [p.name for p in discover(tmp_path)] == ["LeCun1998", "SmithJonesEtAl2017"]


def test_discover_a_single_folder(tmp_path: Path) -> None:
    folder = write_tree(tmp_path / "my-work", {"README.md": "a"})
    assert discover(folder) == [folder]


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_discover_refuses_what_is_not_a_folder(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "x"
    if kind == "file":
        target.write_text("hello")
    with pytest.raises(SubmissionError, match="x"):
        discover(target)


def test_discover_by_a_configured_pattern(tmp_path: Path) -> None:
    write_tree(tmp_path, {"README.md": "course\n", "Project_Akpinar/Readme.md": "a",
                          "Project_Tatar/Readme.md": "b", "docs/x.md": "c"})
    assert [p.name for p in discover(tmp_path, "Project_*")] == ["Project_Akpinar",
                                                                 "Project_Tatar"]
    assert discover(tmp_path / "Project_Tatar", "Project_*") == [tmp_path / "Project_Tatar"]
    assert many_submissions_note(tmp_path, "Project_*") is None


def test_a_root_that_looks_like_many_submissions_says_so(tmp_path: Path) -> None:
    write_tree(tmp_path / "course", {"README.md": "x", "Project_A/README.md": "a",
                                     "Project_B/Readme.md": "b", "Project_C/readme.md": "c",
                                     "images/a.png": b"\x89PNG"})
    root = tmp_path / "course"
    assert discover(root) == [root]
    note = many_submissions_note(root)
    assert note == ("course looks like 3 submissions (Project_A, Project_B, Project_C), none "
                    "named as DLC's naming (AuthorEtAlYEAR); it was reviewed as one. Set "
                    "[review] submission_pattern = 'Project_*' in config.toml to review each "
                    "folder.")
    assert many_submissions_note(root / "Project_A") is None
