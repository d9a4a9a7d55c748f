"""The comments check on real folders: comment density, docstring coverage, notebook markdown."""

from __future__ import annotations

from reviewbot.checks import comments
from reviewbot.checks.comments import Config, run, source_lines
from reviewbot.config import Config as ReviewbotConfig
from reviewbot.core.models import Finding, Outcome, Severity
from tests.checks.test_modularity import CLEAN_MODULE, notebook


def findings(outcome: Outcome, code: str) -> list[Finding]:
    return [finding for finding in outcome.findings if finding.code == code]


def statements(count: int, indent: str = "") -> str:
    """``count`` lines of uncommented code."""
    return "".join(f"{indent}value_{i} = {i} * 3 + 1\n" for i in range(count))


def test_a_clean_module_has_no_findings(make_submission) -> None:
    outcome = run(make_submission({"train.py": CLEAN_MODULE}), Config())
    assert outcome.findings == ()
    # one comment and five one-line docstrings for 22 lines of code; 4 functions + the module
    assert outcome.stats["files"]["train.py"] == {
        "code_lines": 22, "documentation_lines": 6, "comment_density": 0.2727,
        "public_definitions": 5, "documented": 5, "docstring_coverage": 1.0}
    assert outcome.stats["comment_density"] == 0.2727


def test_the_rules_and_settings_are_registered() -> None:
    assert [rule.code for rule in comments.RULES] == ["COM001", "COM002", "COM003"]
    settings = ReviewbotConfig().check("comments")
    assert (settings.min_comment_density, settings.min_lines,
            settings.min_docstring_coverage) == (0.05, 30, 0.5)


# ---------------------------------------------------------------- COM001 comment density


def test_a_sparsely_commented_module_is_reported_with_its_numbers(make_submission) -> None:
    text = statements(20) + "# the second half\n" + statements(20)
    outcome = run(make_submission({"train.py": text}), Config())
    (finding,) = findings(outcome, "COM001")
    assert finding.message == ("train.py: 1 line of comments and docstrings for 40 lines of "
                               "code (2.5%, expected at least 5%)")
    assert (finding.path, finding.line, finding.severity) == ("train.py", None, Severity.WARNING)
    assert finding.fix == comments.FEW_COMMENTS.fix


INLINE = '''\
"""Inline comments."""
RATE = 0.1  # per epoch
URL = "http://example.org/#anchor"
TEMPLATE = """
# not a comment: inside a string
"""
''' + statements(36) + "NAME = 'a#b'  # trailing\n"


def test_inline_comments_count_and_hashes_in_strings_do_not(make_submission) -> None:
    lines = source_lines(INLINE)
    assert lines is not None
    assert (lines.comment_lines, lines.docstring_lines, lines.code_lines) == (2, 1, 42)
    assert lines.code_between(2, 3) == ("RATE = 0.1", 'URL = "http://example.org/#anchor"')
    submission = make_submission({"settings.py": INLINE})
    assert findings(run(submission, Config()), "COM001") == []  # 3 / 42 = 7.1%
    (finding,) = findings(run(submission, Config(min_comment_density=0.1)), "COM001")
    assert finding.message == ("settings.py: 3 lines of comments and docstrings for 42 lines "
                               "of code (7.1%, expected at least 10%)")


def test_files_under_the_minimum_size_are_not_judged(make_submission) -> None:
    submission = make_submission({"small.py": '"""Small."""\n' + statements(29)})
    assert run(submission, Config()).findings == ()
    (finding,) = run(submission, Config(min_lines=29)).findings
    assert finding.message == ("small.py: 1 line of comments and docstrings for 29 lines of "
                               "code (3.4%, expected at least 5%)")


# ---------------------------------------------------------------- COM002 docstrings

MODEL = '''\
"""Models."""


class Model:
    """A linear model."""

    def __init__(self):
        self.weights = None

    def fit(self, x):
        self.weights = x

    def predict(self, x):
        return x

    def _helper(self):
        return 1

    @property
    def size(self):
        """Number of weights."""
        return 0

    @size.setter
    def size(self, value):
        self.weights = value


def train(data):
    def inner():
        return data
    return inner()


def evaluate(model):
    return model


def _private():
    return None
'''


def test_docstring_coverage_lists_the_undocumented_public_names(make_submission) -> None:
    outcome = run(make_submission({"model.py": MODEL}), Config())
    (finding,) = findings(outcome, "COM002")
    # module, Model and Model.size are documented; private names, __init__, the setter
    # and the nested function are not public
    assert finding.message == (
        "model.py: 3 of 7 public modules, classes and functions have a docstring (43%, "
        "expected at least 50%); missing: Model.fit (line 10), Model.predict (line 13), "
        "train (line 29), evaluate (line 35)")
    assert (finding.path, finding.line, finding.severity) == ("model.py", 10, Severity.WARNING)
    assert outcome.stats["files"]["model.py"]["docstring_coverage"] == 0.4286
    assert findings(run(make_submission({"model.py": MODEL}),
                        Config(min_docstring_coverage=0.4)), "COM002") == []


def test_a_long_list_of_undocumented_names_is_cut_short(make_submission) -> None:
    text = '"""Helpers."""\n' + "".join(f"\n\ndef f{i}():\n    return {i}\n" for i in range(8))
    (finding,) = run(make_submission({"helpers.py": text}), Config()).findings
    assert finding.message.endswith(
        "1 of 9 public modules, classes and functions have a docstring (11%, expected at least "
        "50%); missing: f0 (line 4), f1 (line 8), f2 (line 12), f3 (line 16), f4 (line 20) "
        "and 3 more")
    assert finding.line == 4


def test_a_module_without_a_docstring_but_not_a_package_init(make_submission) -> None:
    files = {"constants.py": "RATE = 0.1\nEPOCHS = 3\n", "pkg/__init__.py": "from os import sep\n"}
    (finding,) = run(make_submission(files), Config()).findings
    assert finding.message == (
        "constants.py: 0 of 1 public modules, classes and functions have a docstring (0%, "
        "expected at least 50%); missing: module constants (line 1)")
    assert (finding.path, finding.line) == ("constants.py", 1)


# ---------------------------------------------------------------- notebooks

SETUP = "import numpy as np\n%matplotlib inline\n!pip install tqdm"


def test_a_notebook_without_markdown_and_comments_is_reported(make_submission) -> None:
    text = notebook(("code", SETUP), ("code", statements(40)))
    outcome = run(make_submission({"analysis.ipynb": text}), Config())
    (markdown,) = findings(outcome, "COM003")
    assert markdown.message == ("analysis.ipynb has 2 code cells and no markdown cell: nothing "
                                "tells the reader what each step does")
    assert (markdown.path, markdown.cell, markdown.severity) == (
        "analysis.ipynb", None, Severity.WARNING)
    (density,) = findings(outcome, "COM001")
    # the magics the loader turned into comments are not comments of the candidate's
    assert density.message == ("analysis.ipynb: 0 lines of comments, docstrings and markdown "
                               "for 41 lines of code (0.0%, expected at least 5%)")


def test_markdown_cells_count_as_documentation(make_submission) -> None:
    text = notebook(("markdown", "# Analysis\n\nWe load the data.\nThen we fit."),
                    ("code", SETUP), ("code", statements(40)))
    outcome = run(make_submission({"analysis.ipynb": text}), Config())
    assert outcome.findings == ()
    assert outcome.stats["files"]["analysis.ipynb"]["documentation_lines"] == 3


def test_notebook_functions_need_docstrings_and_point_at_their_cell(make_submission) -> None:
    helpers = ('# helpers\ndef fit(x):\n    return x\n\n\ndef score(x):\n    """Score."""\n'
               "    return x\n\n\ndef plot(x):\n    return x\n")
    text = notebook(("markdown", "# Fit"), ("code", "import numpy as np"), ("code", helpers))
    (finding,) = run(make_submission({"fit.ipynb": text}), Config()).findings
    assert finding.message == (
        "fit.ipynb: 1 of 3 public modules, classes and functions have a docstring (33%, "
        "expected at least 50%); missing: fit (cell 3, line 2), plot (cell 3, line 11)")
    raw_line = text.splitlines().index('    "def fit(x):\\n",') + 1
    assert (finding.path, finding.cell, finding.cell_line, finding.line) == (
        "fit.ipynb", 3, 2, raw_line)


# ---------------------------------------------------------------- robustness


def test_code_that_is_not_python_3_is_skipped(make_submission) -> None:
    files = {"py2.py": 'print "hello"\n' * 40, "empty.py": "", "broken.py": "def f(:\n" * 40,
             "train.py": CLEAN_MODULE}
    outcome = run(make_submission(files), Config())
    assert outcome.findings == ()
    assert set(outcome.stats["files"]) == {"empty.py", "train.py"}
    assert outcome.stats["files"]["empty.py"]["docstring_coverage"] is None
