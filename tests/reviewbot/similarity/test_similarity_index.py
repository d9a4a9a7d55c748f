"""The SQLite index: round trips, incremental adds, corrupted files, the index commands."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from reviewbot.similarity.documents import fingerprint
from reviewbot.similarity.index import IndexFileError, Origin, SimilarityIndex
from reviewbot.similarity.search import search
from tests.conftest import write_tree
from tests.reviewbot.similarity.similarity_samples import ORIGINAL, RENAMED, UNRELATED


def test_round_trip_keeps_origin_text_and_fingerprints(tmp_path: Path) -> None:
    path = tmp_path / "i.sqlite"
    document = fingerprint("adam.py", ORIGINAL)
    origin = Origin("upstream", "src/adam.py", "https://example.org/a.git", "abc123", "bob")
    with SimilarityIndex.open(path, create=True) as index:
        assert index.add([(origin, document)]) == 1
    with SimilarityIndex.open(path) as index:
        (stored,) = index.documents().values()
        assert stored.origin == origin
        assert index.document_text(stored.id) == ORIGINAL
        postings = index.postings(p.hash for p in document.fingerprints)
        assert len(postings) == len(document.fingerprints)
        assert set(postings["doc"].tolist()) == {stored.id}
        assert index.stats()["documents"] == 1


def test_incremental_add_skips_unchanged_and_replaces_changed(tmp_path: Path) -> None:
    path = tmp_path / "i.sqlite"
    with SimilarityIndex.open(path, create=True) as index:
        index.add([(Origin("a", "x.py"), fingerprint("x.py", ORIGINAL))])
        assert index.add([(Origin("a", "x.py"), fingerprint("x.py", ORIGINAL))]) == 0
        assert index.add([(Origin("a", "x.py"), fingerprint("x.py", UNRELATED)),
                          (Origin("a", "y.py"), fingerprint("y.py", ORIGINAL))]) == 2
        assert index.document_count() == 2
        best = search(index, fingerprint("q.py", RENAMED))[0]
        assert best.source.origin.path == "y.py"
        postings = index.postings(p.hash for p in fingerprint("x.py", ORIGINAL).fingerprints)
        y_id = next(d for d, s in index.documents().items() if s.origin.path == "y.py")
        assert set(postings["doc"].tolist()) == {y_id}  # the replaced version's postings left


@pytest.mark.parametrize("content", [b"not a database at all" * 100, b""])
def test_corrupted_or_foreign_file_is_a_clear_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "i.sqlite"
    path.write_bytes(content)
    with pytest.raises(IndexFileError, match=r"not a reviewbot index or is corrupted.*rebuild"):
        SimilarityIndex.open(path)


def test_other_sqlite_database_is_not_an_index(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(IndexFileError, match="not a reviewbot index"):
        SimilarityIndex.open(path)


def test_missing_index_says_how_to_build_one(tmp_path: Path) -> None:
    with pytest.raises(IndexFileError, match="reviewbot index build"):
        SimilarityIndex.open(tmp_path / "none.sqlite")


def _reviewbot(*args: object, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"REVIEWBOT_CONFIG", "COLUMNS"}}
    env["REVIEWBOT_DATA_DIR"] = str(cwd / "data")
    result = subprocess.run([sys.executable, "-m", "reviewbot.cli", *map(str, args)], cwd=cwd,
                            capture_output=True, text=True, timeout=120, env=env, check=False)
    assert "Traceback" not in result.stdout + result.stderr
    return result


def test_index_commands_and_similar_report(tmp_path: Path) -> None:
    write_tree(tmp_path / "corpus", {"adam.py": ORIGINAL, "table.py": UNRELATED,
                                     "blob.py": b"\0\1\2binary"})
    write_tree(tmp_path / "sub", {"opt.py": RENAMED})
    added = _reviewbot("index", "add", "corpus", "--label", "upstream", cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    assert "3 files read, 2 added or updated, 1 skipped" in added.stdout
    stats = _reviewbot("index", "stats", cwd=tmp_path)
    assert "2 files" in stats.stdout and "upstream: 2 files" in stats.stdout
    shown = _reviewbot("similar", "sub", "--top", "1", cwd=tmp_path)
    assert "upstream: adam.py" in shown.stdout and "opt.py:1-27" in shown.stdout
    html = _reviewbot("similar", "sub", "--format", "html", "--output", "r.html", cwd=tmp_path)
    assert html.returncode == 0
    page = (tmp_path / "r.html").read_text()
    assert "1 sources match, best first" in page and "upstream" in page
    assert "background:hsl(" in page and "memory[&quot;t&quot;]" in page and "<script" not in page


def test_index_build_from_config_and_corrupted_index_message(tmp_path: Path) -> None:
    write_tree(tmp_path, {"corpus/adam.py": ORIGINAL, "config.toml":
                          '[checks.similarity]\nindex_path = "idx.sqlite"\n'
                          'corpus = [{ path = "corpus", label = "upstream" }]\n'})
    built = _reviewbot("index", "build", "--config", "config.toml", cwd=tmp_path)
    # relative paths in a config resolve against the config file's folder
    assert built.returncode == 0 and f"index {tmp_path / 'idx.sqlite'}: 1 files" in built.stdout
    (tmp_path / "idx.sqlite").write_bytes(b"garbage" * 1000)
    broken = _reviewbot("index", "stats", "--config", "config.toml", cwd=tmp_path)
    assert broken.returncode == 2
    assert "idx.sqlite is not a reviewbot index or is corrupted" in broken.stderr
    assert "reviewbot index build" in broken.stderr


# ~560 nested binary operations (sympy's resolvent_lookup.py) overflowed the shape walk
_DEEP = {"deep.py": "x = " + "+".join(["a"] * 3000) + "\n",
         "mid.py": "def f(a):\n    return " + "+".join(["a"] * 700) + "\n"}


def test_deeply_nested_expressions_are_indexed_not_a_crash(tmp_path: Path) -> None:
    write_tree(tmp_path / "corpus", {**_DEEP, "adam.py": ORIGINAL})
    added = _reviewbot("index", "add", "corpus", "--label", "deep", cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    assert "3 files read, 3 added or updated" in added.stdout


def test_deep_expression_keeps_its_other_shape_features() -> None:
    document = fingerprint("mid.py", _DEEP["mid.py"] + ORIGINAL)
    assert document.parsed and any(p.channel == 1 for p in document.fingerprints)


def test_similar_never_lists_a_submission_as_matching_itself(tmp_path: Path) -> None:
    from reviewbot.checks.similarity import Config
    from reviewbot.similarity.commands import file_matches
    write_tree(tmp_path / "repo", {"MyPaper2020/train.py": ORIGINAL, "Other2019/x.py": UNRELATED})
    write_tree(tmp_path / "up", {"adam.py": ORIGINAL})
    config = Config(index_path=str(tmp_path / "i.sqlite"))
    with SimilarityIndex.open(tmp_path / "i.sqlite", create=True) as index:
        for label, root in (("dlc", "repo"), ("upstream", "up")):
            index.add((Origin(label, name, str(tmp_path / root)), fingerprint(name, text))
                      for name, text in _texts(tmp_path / root))
    (result,) = file_matches(config, tmp_path / "repo" / "MyPaper2020")
    assert [m.source.origin.path for m in result.matches] == ["adam.py"]
    assert result.matches[0].score == 1.0 and result.matches[0].source_coverage == 1.0
    (single,) = file_matches(config, tmp_path / "repo" / "MyPaper2020" / "train.py")
    assert "MyPaper2020/train.py" not in [m.source.origin.path for m in single.matches]


def _texts(root: Path) -> list[tuple[str, str]]:
    return [(p.relative_to(root).as_posix(), p.read_text()) for p in sorted(root.rglob("*.py"))]
