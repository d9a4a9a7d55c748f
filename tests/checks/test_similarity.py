"""The similarity check on small real folders against a real index."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reviewbot.checks import similarity
from reviewbot.core.models import Severity
from reviewbot.core.submission import Submission
from reviewbot.similarity.documents import fingerprint
from reviewbot.similarity.index import Origin, SimilarityIndex
from tests.reviewbot.similarity.similarity_samples import (
    ORIGINAL,
    RENAMED,
    REWRITTEN,
    UNRELATED,
    notebook_of,
)


@pytest.fixture
def index_path(tmp_path: Path) -> Path:
    path = tmp_path / "index.sqlite"
    with SimilarityIndex.open(path, create=True) as index:
        index.add([
            (Origin("someone/adam-impl", "optim/adam.py", author="carol"),
             fingerprint("optim/adam.py", ORIGINAL)),
            (Origin("SmithJonesEtAl2017", "SmithJonesEtAl2017/old.py"),
             fingerprint("old.py", UNRELATED)),
        ])
    return path


def _config(index_path: Path, **values: object) -> similarity.Config:
    return similarity.Config(index_path=str(index_path), **values)


def test_copied_module_is_flagged_with_path_lines_and_source(
        make_submission: Callable[..., Submission], index_path: Path) -> None:
    submission = make_submission({"train.py": RENAMED, "data.py": UNRELATED.replace("Table", "T")})
    outcome = similarity.run(submission, _config(index_path))
    (finding,) = outcome.findings
    assert (finding.code, finding.severity, finding.path, finding.line) == \
        ("SIM001", Severity.ERROR, "train.py", 1)
    assert "someone/adam-impl: optim/adam.py" in finding.message
    assert "train.py:1-27 ~ optim/adam.py:2-29" in finding.message
    assert outcome.stats["files_compared"] == 2


def test_rewritten_copy_in_a_notebook_lands_on_its_cell(
        make_submission: Callable[..., Submission], index_path: Path) -> None:
    submission = make_submission({"main.ipynb": notebook_of(REWRITTEN)})
    (finding,) = similarity.run(submission, _config(index_path)).findings
    assert finding.code == "SIM001" and finding.path == "main.ipynb"
    assert finding.cell in (4, 5) and finding.cell_line is not None  # the two defs
    assert "main.ipynb cell " in finding.message


def test_own_history_is_never_a_source(make_submission: Callable[..., Submission],
                                       index_path: Path) -> None:
    # old.py was indexed under this submission's own folder name
    submission = make_submission({"table.py": UNRELATED})
    outcome = similarity.run(submission, _config(index_path))
    assert outcome.findings == ()
    assert outcome.stats["best_score"] < similarity.Config().threshold


def test_same_author_is_reported_as_reuse(make_submission: Callable[..., Submission],
                                          index_path: Path) -> None:
    submission = make_submission({"train.py": RENAMED})
    config = _config(index_path, authors={"SmithJonesEtAl2017": "carol"})
    (finding,) = similarity.run(submission, config).findings
    assert (finding.code, finding.severity) == ("SIM002", Severity.INFO)
    assert "reuses the author's earlier" in finding.message


def test_no_index_is_not_an_error(make_submission: Callable[..., Submission],
                                  tmp_path: Path) -> None:
    outcome = similarity.run(make_submission({"train.py": RENAMED}),
                             _config(tmp_path / "missing.sqlite"))
    assert outcome.findings == () and outcome.stats["index"] == "none"


def test_corrupted_index_is_one_clear_finding(make_submission: Callable[..., Submission],
                                              tmp_path: Path) -> None:
    broken = tmp_path / "broken.sqlite"
    broken.write_bytes(b"garbage" * 500)
    (finding,) = similarity.run(make_submission({"train.py": RENAMED}), _config(broken)).findings
    assert finding.code == "SIM004" and "rebuild it with `reviewbot index build`" in finding.message


def test_python2_copy_is_still_found_and_binary_is_skipped(
        make_submission: Callable[..., Submission], index_path: Path) -> None:
    from tests.reviewbot.similarity.similarity_samples import PYTHON2

    submission = make_submission({"old.py": PYTHON2, "empty.py": ""})
    codes = [f.code for f in similarity.run(submission, _config(index_path)).findings]
    assert codes == ["SIM001"]


def test_deeply_nested_expression_is_compared_not_a_crash(
        make_submission: Callable[..., Submission], index_path: Path) -> None:
    deep = {"deep.py": "x = " + "+".join(["a"] * 3000) + "\n",
            "mid.py": "y = " + "+".join(["a"] * 700) + "\n", "train.py": RENAMED}
    outcome = similarity.run(make_submission(deep), _config(index_path))
    assert [f.code for f in outcome.findings] == ["SIM001"]
    assert outcome.stats["files_compared"] == 3


# ---------------------------------------------------------------- issue 13: regions, corpus


def _keras_index(tmp_path: Path) -> Path:
    """The example model among other indexed files of its repository."""
    from tests.reviewbot.similarity.keras_samples import MODEL
    path = tmp_path / "corpus.sqlite"
    with SimilarityIndex.open(path, create=True) as index:
        index.add([
            (Origin("keras-io/examples", "nlp/babi_memnn.py"), fingerprint("babi_memnn.py", MODEL)),
            (Origin("keras-io/examples", "optim/adam.py"), fingerprint("adam.py", ORIGINAL)),
            (Origin("keras-io/examples", "data/table.py"), fingerprint("table.py", UNRELATED)),
        ])
    return path


def test_renamed_example_model_inside_a_larger_file_is_reported(
        make_submission: Callable[..., Submission], tmp_path: Path) -> None:
    from tests.reviewbot.similarity.keras_samples import host_with_copy
    text, first, last = host_with_copy()
    submission = make_submission({"train_babi.py": text, "README.md": "# bAbI\n"})
    outcome = similarity.run(submission, _config(_keras_index(tmp_path)))
    (finding,) = [f for f in outcome.findings if f.code == "SIM001"]
    assert finding.path == "train_babi.py" and first <= finding.line <= last
    assert "keras-io/examples: nlp/babi_memnn.py" in finding.message
    assert int(finding.message.split("%")[0]) >= 20  # the check's default threshold


def test_no_index_is_not_checked_never_passed(
        make_submission: Callable[..., Submission], tmp_path: Path) -> None:
    from reviewbot.pipeline import run_check
    submission = make_submission({"train.py": RENAMED})
    result = run_check(similarity, submission, _config(tmp_path / "none.sqlite"), Severity.ERROR)
    assert result.status.value == "skipped"
    assert result.error.startswith("not checked: no similarity index at")
    assert "reviewbot index add REPOSITORY_URL" in result.error


def test_readme_declared_source_is_surfaced(
        make_submission: Callable[..., Submission], index_path: Path) -> None:
    readme = "# Adam\nThis is based on https://github.com/someone/adam-impl and the paper.\n"
    submission = make_submission({"README.md": readme, "data.py": UNRELATED.replace("Table", "T")})
    (finding,) = [f for f in similarity.run(submission, _config(index_path)).findings
                  if f.code == "SIM005"]
    assert finding.path == "README.md"
    assert "based on https://github.com/someone/adam-impl" in finding.message


def test_byte_identical_file_is_whole_and_own_history_is_left_out(
        make_submission: Callable[..., Submission], tmp_path: Path) -> None:
    path = tmp_path / "i.sqlite"
    with SimilarityIndex.open(path, create=True) as index:
        index.add([(Origin("upstream", "adam.py"), fingerprint("adam.py", ORIGINAL)),
                   (Origin("dlc", "MyPaper2020/train.py"), fingerprint("train.py", ORIGINAL))])
    submission = make_submission({"train.py": ORIGINAL}, name="MyPaper2020")
    (finding,) = [f for f in similarity.run(submission, _config(path)).findings]
    assert finding.message.startswith("100% of this file matches upstream: adam.py "
                                      "(100% of that file found here)")
