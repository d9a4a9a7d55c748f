"""The readme check on real folders: each rule, where it points, and a good README passing."""

from __future__ import annotations

import os

import nbformat
import pytest

from reviewbot import pipeline
from reviewbot.checks import readme
from reviewbot.checks.readme import Config, parse_readme, run
from reviewbot.config import Config as ReviewbotConfig
from reviewbot.core.models import Finding, Outcome, Severity
from reviewbot.core.submission import load

# A README as a DLC candidate would write it for Kingma & Ba (2014): every section present.
GOOD_README = """\
# Adam: A Method for Stochastic Optimization

Reproduction of Diederik P. Kingma and Jimmy Ba, *Adam: A Method for Stochastic
Optimization*, ICLR 2015 ([arXiv:1412.6980](https://arxiv.org/abs/1412.6980)), for the DLC
repository. The notebook compares Adam with SGD with Nesterov momentum, AdaGrad and RMSProp
on the paper's logistic regression and multilayer network experiments (Section 6).

## Requirements

- Python 3.11
- TensorFlow 2.15 (the code uses only `tf.keras` and `tf.GradientTape`)
- numpy, matplotlib

## Data

MNIST, loaded with `tf.keras.datasets.mnist.load_data()`, which downloads it on first use
(11 MB). Pixels are scaled to [0, 1]; there is no augmentation.

## Usage

```bash
pip install -r requirements.txt
jupyter notebook KingmaBa2014.ipynb   # then Kernel > Restart & Run All
```

Training all optimizers takes about 20 minutes on a laptop CPU, so no pre-trained weights
are needed. The modules `adam.py` (the optimizer, written from Algorithm 1) and
`experiments.py` (models, training loop, evaluation) hold the code; the notebook calls them.

## Results

Training cost after 45 epochs of logistic regression on MNIST (Figure 1, left):

| optimizer | paper | ours |
| --- | --- | --- |
| Adam | 0.26 | 0.27 |
| AdaGrad | 0.27 | 0.28 |
| SGD Nesterov | 0.29 | 0.29 |

Adam converges as fast as AdaGrad and faster than SGD, as in the paper.

## Deviations from the paper

- We train for 45 epochs instead of the paper's 200 to keep the notebook under half an hour.
- The paper does not give the SGD learning rate; we used 0.01 after a small grid search.
"""

GOOD_CODE = {
    "requirements.txt": "tensorflow==2.15\nnumpy\nmatplotlib\n",
    "KingmaBa2014.ipynb": nbformat.writes(nbformat.v4.new_notebook()),
    "experiments.py": (
        "def train(model, data, epochs):\n"
        "    for epoch in range(epochs):\n"
        "        model.fit(data)\n\n\n"
        "def evaluate_cost(model, data):\n"
        "    return model.evaluate(data)\n"),
}


def findings_of(outcome: Outcome, code: str) -> list[Finding]:
    return [finding for finding in outcome.findings if finding.code == code]


def only(outcome: Outcome, code: str) -> Finding:
    found = findings_of(outcome, code)
    assert len(found) == 1, [f.code for f in outcome.findings]
    return found[0]


def line_of(text: str, snippet: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if snippet in line)


def replace_section(text: str, heading: str, body: str) -> str:
    """``text`` with the Markdown section under ``heading`` replaced by ``body``."""
    start = text.index(heading)
    end = text.find("\n## ", start + 1)
    return text[:start] + body + (text[end + 1:] if end != -1 else "")


@pytest.fixture
def review(make_submission):
    def build(files, name="KingmaBa2014", **settings) -> Outcome:
        return run(make_submission(files, name=name), Config(**settings))
    return build


def test_good_readme_has_no_findings_and_full_completeness(review):
    outcome = review({"README.md": GOOD_README, **GOOD_CODE})
    assert outcome.findings == ()
    assert outcome.stats["completeness"] == 5
    assert all(outcome.stats["completeness_items"].values())
    assert set(outcome.stats["completeness_items"]) == {
        "dependencies", "training_code", "evaluation_code", "pretrained_models", "results_table"}


def test_rules_and_config_are_declared():
    codes = [rule.code for rule in readme.RULES]
    assert codes == [f"README{n:03d}" for n in range(1, 24)]
    assert all(rule.check == "readme" and rule.fix for rule in readme.RULES)
    assert (Config().min_words, Config().min_completeness) == (150, 3)


# --- README presence -----------------------------------------------------------------------

def test_missing_readme_is_an_error_without_a_path(review):
    outcome = review({"model.py": "x = 1\n"})
    finding = only(outcome, "README001")
    assert finding.severity is Severity.ERROR
    assert (finding.path, finding.line) == (None, None)
    # nothing to read, so no content findings
    assert {f.code for f in outcome.findings} == {"README001", "README013"}


def test_missing_readme_names_the_one_in_a_subfolder(review):
    finding = only(review({"docs/README.md": GOOD_README}), "README001")
    assert "docs/README.md is in a subfolder" in finding.message


@pytest.mark.parametrize("name", ["readme.RST", "Readme.txt", "README", "ReadMe.md"])
def test_readme_name_any_case_and_suffix(review, name):
    outcome = review({name: GOOD_README, **GOOD_CODE})
    assert not findings_of(outcome, "README001")
    assert outcome.stats["completeness"] == 5


def test_markdown_readme_preferred_over_text(review):
    outcome = review({"README.txt": "short", "README.md": GOOD_README, **GOOD_CODE})
    assert outcome.findings == ()


def test_binary_readme(review):
    outcome = review({"README.md": b"PK\x03\x04\x00\x00binary docx\x00"})
    finding = only(outcome, "README002")
    assert finding.severity is Severity.ERROR
    assert finding.path == "README.md"
    assert "binary" in finding.message
    assert not findings_of(outcome, "README003")


def test_empty_readme(review):
    outcome = review({"README.md": ""})
    finding = only(outcome, "README003")
    assert (finding.path, finding.severity) == ("README.md", Severity.WARNING)
    assert finding.message == "README.md is empty"
    # an empty README misses every section too
    assert {"README004", "README006", "README007", "README008", "README009",
            "README011"} <= {f.code for f in outcome.findings}


def test_short_readme_counts_words(review):
    finding = only(review({"README.md": "# KingmaBa2014\n\nAdam, see the notebook.\n"}),
                   "README003")
    assert finding.message == "README.md has 6 words < 150"


def test_min_words_is_configurable(review):
    text = "# KingmaBa2014\n\nAdam, see the notebook.\n"
    assert not findings_of(review({"README.md": text}, min_words=5), "README003")
    assert findings_of(review({"README.md": text}, min_words=7), "README003")


# --- which paper ------------------------------------------------------------------------------

def test_no_paper_link_is_an_error(review):
    text = GOOD_README.replace(" ([arXiv:1412.6980](https://arxiv.org/abs/1412.6980))", "")
    text = text.replace("# Adam: A Method for Stochastic Optimization", "# KingmaBa2014")
    finding = only(review({"README.md": text, **GOOD_CODE}), "README004")
    assert finding.severity is Severity.ERROR
    assert (finding.path, finding.line) == ("README.md", None)
    assert "no arXiv URL or id, DOI" in finding.message


def test_no_paper_link_points_at_the_paper_heading(review):
    text = "## Paper\n\nThe Adam paper by Kingma and Ba.\n\n" + GOOD_README.replace(
        " ([arXiv:1412.6980](https://arxiv.org/abs/1412.6980))", "").replace(
        "# Adam: A Method for Stochastic Optimization", "# KingmaBa2014")
    finding = only(review({"README.md": text, **GOOD_CODE}), "README004")
    assert finding.line == 1


@pytest.mark.parametrize("reference", [
    "arXiv:1412.6980",
    "https://arxiv.org/pdf/1412.6980v9",
    "doi: 10.1038/nature14539",
    "https://doi.org/10.1038/nature14539",
    "https://openreview.net/forum?id=8gmWwjFyLj",
    "the paper is at http://example.org/adam",
])
def test_paper_link_forms(review, reference):
    text = GOOD_README.replace("[arXiv:1412.6980](https://arxiv.org/abs/1412.6980)", reference)
    assert not findings_of(review({"README.md": text, **GOOD_CODE}), "README004")


def test_link_without_title_or_authors(review):
    text = ("# SmithJonesEtAl2017\n\nReproduces arxiv.org/abs/1701.00001 for DLC.\n\n"
            + GOOD_README.split("\n## Requirements", 1)[1].join(["## Requirements", ""]))
    finding = only(review({"README.md": text, **GOOD_CODE}, name="SmithJonesEtAl2017"),
                   "README005")
    assert finding.severity is Severity.WARNING
    assert finding.message == ("README.md links the paper but does not give its title or "
                               "authors")


def test_authors_found_from_the_folder_name(review):
    text = ("# SmithJones2017\n\nReproduces 'Deep nets for fun' by Smith and Jones, "
            "arXiv:1701.00001.\n")
    outcome = review({"README.md": text}, name="SmithJones2017")
    assert not findings_of(outcome, "README005")
    # without the surnames (and no other hint) the authors are missing
    other = review({"README.md": text.replace("by Smith and Jones", "")}, name="SmithJones2017")
    assert "does not give its authors" in only(other, "README005").message


# --- how to run, requirements, data ----------------------------------------------------------

def test_no_how_to_run(review):
    text = replace_section(GOOD_README, "## Usage", "")
    finding = only(review({"README.md": text, **GOOD_CODE}), "README006")
    assert (finding.path, finding.line, finding.severity) == ("README.md", None, Severity.WARNING)
    assert "no pip, python or jupyter command" in finding.message


@pytest.mark.parametrize("command", ["Run `python train.py --epochs 45`.",
                                     "Open it with `jupyter lab`.",
                                     "conda env create -f environment.yml"])
def test_a_command_is_enough_to_say_how_to_run(review, command):
    text = replace_section(GOOD_README, "## Usage", command + "\n\n")
    assert not findings_of(review({"README.md": text, **GOOD_CODE}), "README006")


def test_no_requirements_mentions_the_requirements_file(review):
    text = replace_section(GOOD_README, "## Requirements", "").replace(
        "pip install -r requirements.txt\n", "")
    finding = only(review({"README.md": text, **GOOD_CODE}), "README007")
    assert finding.severity is Severity.WARNING
    assert "(requirements.txt exists: say so in the README)" in finding.message


def test_a_framework_version_states_the_requirements(review):
    text = replace_section(GOOD_README, "## Requirements",
                           "Written with TensorFlow==2.15.\n\n").replace(
        "pip install -r requirements.txt\n", "")
    assert not findings_of(review({"README.md": text}), "README007")


def test_no_data_source(review):
    text = replace_section(GOOD_README, "## Data", "")
    finding = only(review({"README.md": text, **GOOD_CODE}), "README008")
    assert (finding.path, finding.line) == ("README.md", None)
    assert "where the data comes from" in finding.message


def test_a_sentence_can_say_where_the_data_comes_from(review):
    text = replace_section(GOOD_README, "## Data",
                           "The Penn Treebank corpus is downloaded from "
                           "http://www.fit.vutbr.cz/~imikolov/rnnlm/.\n\n")
    assert not findings_of(review({"README.md": text, **GOOD_CODE}), "README008")


# --- results and deviations ------------------------------------------------------------------

def test_no_results_section(review):
    text = replace_section(GOOD_README, "## Results", "")
    outcome = review({"README.md": text, **GOOD_CODE})
    finding = only(outcome, "README009")
    assert (finding.path, finding.line, finding.severity) == ("README.md", None, Severity.ERROR)
    assert "no 'Results' heading and no table of numbers" in finding.message
    assert outcome.stats["completeness_items"]["results_table"] is False
    assert "missing results table" in only(outcome, "README012").message


def test_results_heading_without_numbers_points_at_it(review):
    text = replace_section(GOOD_README, "## Results",
                           "## Results\n\nAdam works well, see the notebook.\n\n")
    finding = only(review({"README.md": text, **GOOD_CODE}), "README009")
    assert finding.line == line_of(text, "## Results")
    assert "the 'Results' section has no numbers" in finding.message


def test_results_without_paper_and_reproduced_labels(review):
    body = ("## Results\n\n| optimizer | cost |\n| --- | --- |\n| Adam | 0.27 |\n"
            "| SGD | 0.29 |\n\n")
    text = replace_section(GOOD_README, "## Results", body)
    finding = only(review({"README.md": text, **GOOD_CODE}), "README010")
    assert finding.severity is Severity.WARNING
    assert finding.line == line_of(text, "## Results")
    assert "give reproduced values but not the paper's values beside them" in finding.message


def test_results_in_an_rst_readme(review):
    text = ("Adam: A Method for Stochastic Optimization\n"
            "==========================================\n\n"
            "Kingma and Ba, arXiv:1412.6980. Data: MNIST from keras.datasets.\n"
            "Run ``pip install -r requirements.txt``. Deviations: none.\n\n"
            "Results\n-------\n\n"
            "The paper reports 0.26 and we measured 0.27 training cost.\n\n"
            "Training takes 2 minutes.\n")
    outcome = review({"README.rst": text, **GOOD_CODE}, min_words=0)
    assert [f.code for f in outcome.findings] == ["README012"]
    assert outcome.findings[0].message == "ML code completeness 4/5: missing results table"


def test_rst_results_heading_without_numbers(review):
    text = ("Adam\n====\n\nKingma and Ba, arXiv:1412.6980.\n\nResults\n-------\n\n"
            "It works.\n\nNotes\n-----\n\n1.5 and 2.5 are not results.\n")
    finding = only(review({"README.rst": text}), "README009")
    assert finding.line == 6


def test_no_deviations(review):
    text = replace_section(GOOD_README, "## Deviations from the paper", "").replace(
        "Adam converges as fast as AdaGrad and faster than SGD, as in the paper.\n", "")
    finding = only(review({"README.md": text, **GOOD_CODE}), "README011")
    assert (finding.path, finding.line, finding.severity) == ("README.md", None, Severity.WARNING)


# --- ML code completeness -------------------------------------------------------------------

def test_completeness_without_code(review):
    outcome = review({"README.md": GOOD_README})
    items = outcome.stats["completeness_items"]
    assert items == {"dependencies": True, "training_code": False, "evaluation_code": False,
                     "pretrained_models": True, "results_table": True}
    finding = only(outcome, "README012")
    assert finding.severity is Severity.INFO
    assert finding.path == "README.md"
    assert finding.message == ("ML code completeness 3/5: missing training code, "
                               "evaluation code")


def test_completeness_below_the_minimum_is_a_warning(review):
    outcome = review({"README.md": GOOD_README}, min_completeness=4)
    finding = only(outcome, "README013")
    assert finding.severity is Severity.WARNING
    assert finding.message == ("ML code completeness 3/5: missing training code, "
                               "evaluation code (below the minimum 4)")
    assert not findings_of(outcome, "README012")


def test_completeness_from_files_and_notebook_code(review):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("%matplotlib inline\nacc = model.evaluate(x, y)")]
    text = GOOD_README.replace("so no pre-trained weights\nare needed", "the run is long")
    outcome = review({"README.md": text, "train_mnist.py": "print('training')\n",
                      "weights/adam.h5": b"\x89HDF\r\n\x1a\n\x00", "environment.yml": "name: x\n",
                      "run.ipynb": nbformat.writes(nb)})
    assert outcome.stats["completeness"] == 5


def test_completeness_misses_pretrained_models_when_training_is_long(review):
    text = GOOD_README.replace(
        "Training all optimizers takes about 20 minutes on a laptop CPU, so no pre-trained "
        "weights\nare needed.", "Training needs a GPU.")
    outcome = review({"README.md": text, **GOOD_CODE})
    assert outcome.stats["completeness_items"]["pretrained_models"] is False
    assert only(outcome, "README012").message == (
        "ML code completeness 4/5: missing pre-trained models")


def test_python2_code_does_not_crash_completeness(review):
    outcome = review({"README.md": GOOD_README, "old.py": "print 'hi'\n"})
    assert outcome.stats["completeness_items"]["training_code"] is False


# --- parsing and the pipeline -------------------------------------------------------------

def test_headings_and_sections():
    text = ("Title\n=====\n\n# not a heading inside a fence?\n```\n# comment\n```\n"
            "**Usage**\n\npython run.py\n\n## Data ##\n\nMNIST\n")
    doc = parse_readme("README.md", text)
    assert [(h.line, h.title) for h in doc.headings] == [
        (1, "Title"), (4, "not a heading inside a fence?"), (8, "Usage"), (12, "Data")]
    assert doc.section(doc.headings[2]).strip() == "python run.py"


def test_through_the_pipeline_with_a_relevelled_rule(make_submission):
    submission = make_submission({"README.md": "# x\n"}, name="KingmaBa2014")
    settings = Config(severity={"README009": Severity.WARNING}, disable=["README011"])
    config = ReviewbotConfig(checks={"readme": settings})
    result = pipeline.review(submission, config, ["readme"]).results[0]  # through the gate
    codes = {f.code: f.severity for f in result.findings}
    assert codes["README009"] is Severity.WARNING
    assert "README011" not in codes
    assert result.stats["completeness"] == 0


# A realistic, flawed README: a language-model reproduction missing a comparison and
# deviations, with no requirements.
FLAWED_README = """\
MikolovJoulinChopraEtAl2015
===========================

Learning Longer Memory in Recurrent Neural Networks, by Mikolov, Joulin, Chopra, Mathieu
and Ranzato (https://arxiv.org/abs/1412.7753). This folder implements the structurally
constrained recurrent network (SCRN) and trains it on the Penn Treebank.

How to run
----------

Open ``scrn.ipynb`` and run all cells. The Penn Treebank data is downloaded from
Tomas Mikolov's website by ``data.py`` the first time.

Results
-------

Test perplexity:

=========  ==========
model      perplexity
=========  ==========
SRN        129.1
SCRN       115.3
=========  ==========
"""


def test_a_realistic_flawed_readme(review):
    outcome = review({"README.rst": FLAWED_README, "scrn.py": "def train(m):\n    m.fit()\n"},
                     name="MikolovJoulinChopraEtAl2015", min_words=50)
    assert sorted(f.code for f in outcome.findings) == [
        "README007", "README010", "README011", "README013"]
    assert only(outcome, "README010").line == line_of(FLAWED_README, "Results")
    assert only(outcome, "README013").message == (
        "ML code completeness 2/5: missing dependencies, evaluation code, pre-trained models "
        "(below the minimum 3)")


def test_a_table_of_integers_under_another_heading_counts_as_results(review):
    body = ("## Evaluation\n\nWe measure test perplexity.\n\n## Table 2\n\n"
            "| model | paper | ours |\n| --- | --- | --- |\n| SCRN | 115 | 117 |\n\n")
    text = replace_section(GOOD_README, "## Results", body)
    outcome = review({"README.md": text, **GOOD_CODE})
    assert outcome.findings == ()
    assert outcome.stats["completeness_items"]["results_table"] is True


def test_symlinked_readme_is_not_read(tmp_path):
    folder = tmp_path / "KingmaBa2014"
    folder.mkdir()
    (folder / "notes.md").write_text(GOOD_README)
    os.symlink("notes.md", folder / "README.md")
    finding = only(run(load(folder), Config()), "README002")
    assert (finding.path, finding.severity) == ("README.md", Severity.ERROR)
    assert finding.message == "README.md is a symlink, not text a reviewer can read"
