"""The readme check read as a mentor reads a course submission (fixtures modelled on the
CENG501 Spring 2022 projects: a README from the course template, code, notebooks)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from reviewbot.checks.readme import Config, run
from reviewbot.checks.readme_doc import parse_readme
from reviewbot.config import Config as FullConfig
from reviewbot.core.models import Finding, Outcome, Severity
from reviewbot.pipeline import review, select_checks
from reviewbot.report.json_report import render_json

TEMPLATE = """\
# @TODO: Paper title

This readme file is an outcome of the [CENG501 (Spring 2042)](https://example.edu/~dl/) project
for reproducing a paper without an implementation. See [the project list](https://github.com/\
course/projects) for all projects.

# 1. Introduction

@TODO: Introduce the paper (inc. where it is published) and describe your goal.

# 2. The method and my interpretation

@TODO: Explain the original method.

# 3. Experiments and results

## 3.1. Experimental setup

@TODO: Describe the setup of the original paper and whether you changed any settings.

## 3.2. Running the code

@TODO: Explain your code & directory structure and how other people can run it.

## 3.3. Results

@TODO: Present your results and compare them to the original paper.

# 4. Conclusion

@TODO: Discuss the paper in relation to the results in the paper and your results.
"""

FILLED = """\
# Clustering by Maximizing Mutual Information Across Views

This readme file is an outcome of the [CENG501 (Spring 2042)](https://example.edu/~dl/) project
for reproducing a paper without an implementation.

# 1. Introduction

We reproduce [Clustering by Maximizing Mutual Information Across Views](\
https://arxiv.org/abs/2107.11635) by Do, Tran and Venkatesh (ICCV 2021) on CIFAR-10.

# 2. The method and my interpretation

The paper does not give the augmentation strength; we used the SimCLR defaults instead.

# 3. Experiments and results

## 3.1. Experimental setup

| hyperparameter | value |
| --- | --- |
| learning rate | 0.001 |
| batch size | 512 |

## 3.2. Running the code

```bash
pip install -r requirements.txt
python run.py --dataset cifar10
```

## 3.3. Results

| Method | ACC | NMI |
| :---: | :---: | :---: |
| CRLC (paper) | 79.9 | 67.9 |
| CRLC (**Ours**) | 40.9 | 66.1 |

# 4. Conclusion

Our accuracy is far below the paper's, as the training ran for 20 epochs instead of 2000.
"""

CODE = {"run.py": "import model\n\nmodel.train()\n",
        "model.py": "def train():\n    return 1\n",
        "requirements.txt": "torch==2.1.0\n"}


def findings_of(outcome: Outcome, code: str) -> list[Finding]:
    return [finding for finding in outcome.findings if finding.code == code]


def only(outcome: Outcome, code: str) -> Finding:
    found = findings_of(outcome, code)
    assert len(found) == 1, [(f.code, f.message) for f in outcome.findings]
    return found[0]


def line_of(text: str, snippet: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if snippet in line)


@pytest.fixture
def check(make_submission):
    def build(files, name="Project_Do_Tran", **settings) -> Outcome:
        return run(make_submission(files, name=name), Config(**settings))
    return build


# --- the README as a document -------------------------------------------------------------

def test_a_line_before_a_fence_is_not_a_heading():
    text = "# Title\n\nRun this\n```\npython run.py\n```\n\n## Results\n\nnone\n"
    doc = parse_readme("README.md", text)
    assert [(h.line, h.title) for h in doc.headings] == [(1, "Title"), (8, "Results")]


def test_headings_inside_an_html_comment_do_not_count():
    text = "<!--\n## Results\n| a | b |\n|---|---|\n| 1 | 2 |\n-->\n# Real title\n"
    doc = parse_readme("README.md", text)
    assert [h.title for h in doc.headings] == ["Real title"]
    assert doc.grids == ()


def test_tables_links_and_images_are_parsed():
    doc = parse_readme("README.md", FILLED + "\n![loss](figs/loss.png)\n")
    grids = {g.line: g for g in doc.grids}
    results = grids[line_of(FILLED, "| Method |")]
    assert results.header == ("Method", "ACC", "NMI")
    assert results.rows[1][1] == ("CRLC (Ours)", "40.9", "66.1")
    assert any(link.url == "https://arxiv.org/abs/2107.11635" for link in doc.links)
    assert doc.image_lines == (len(FILLED.splitlines()) + 2,)


# --- which paper --------------------------------------------------------------------------

INTRO_LINK = ("[Clustering by Maximizing Mutual Information Across Views]("
              "https://arxiv.org/abs/2107.11635)")


def without_paper_link(text: str) -> str:
    return text.replace(INTRO_LINK, "the paper")


def test_the_course_link_is_not_the_paper(check):
    text = without_paper_link(FILLED).replace(
        "# Clustering by Maximizing Mutual Information Across Views", "# Project")
    finding = only(check({"README.md": text, **CODE}), "README004")
    assert finding.severity is Severity.ERROR


def test_a_reference_of_the_paper_is_not_the_paper(check):
    text = without_paper_link(FILLED) + (
        "\n# 5. References\n\n[1] Chen et al. A Simple Framework for Contrastive Learning. "
        "https://arxiv.org/abs/2002.05709\n")
    finding = only(check({"README.md": text, **CODE}), "README023")
    assert finding.severity is Severity.WARNING
    assert "names the paper ('Clustering by Maximizing" in finding.message


def test_a_reference_that_repeats_the_title_is_the_paper(check):
    text = without_paper_link(FILLED) + (
        "\n# 5. References\n\nDo, K. et al. Clustering by maximizing mutual information across "
        "views. ICCV 2021. https://openaccess.thecvf.com/content/ICCV2021/html/Do.html\n")
    outcome = check({"README.md": text, **CODE})
    assert not findings_of(outcome, "README004") and not findings_of(outcome, "README023")


def test_the_bibliography_and_the_claims_file_name_the_paper(check, tmp_path: Path):
    body = without_paper_link(FILLED).split("# 1. Introduction", 1)[1]
    text = ("# SmithJones2017\n\nA replication.\n\n# 1. Introduction" + body
            + "\n# 5. References\n\n- https://example.org/p/123\n"
            "- https://arxiv.org/abs/1111.11111\n")
    files = {"README.md": text, **CODE}
    assert only(check(files, name="SmithJones2017"), "README004").severity is Severity.ERROR
    bib = tmp_path / "DLC.bib"
    bib.write_text("@article{SmithJones2017,\n  title = {Deep nets},\n  author = {Smith, A. and"
                   " Jones, B.},\n  year = {2017},\n  url = {https://example.org/p/123}\n}\n")
    found = check(files, name="SmithJones2017", bibliography=str(bib))
    assert not findings_of(found, "README004") and not findings_of(found, "README023")
    papers = tmp_path / "papers"
    papers.mkdir()
    (papers / "SmithJones2017.toml").write_text('[paper]\nurl = "https://example.org/p/123"\n')
    assert not findings_of(check(files, name="SmithJones2017", papers_dir=str(papers)),
                           "README004")


# --- template text ------------------------------------------------------------------------

def test_the_unfilled_template_is_an_error(check):
    outcome = check({"README.md": TEMPLATE})
    finding = only(outcome, "README015")
    assert finding.severity is Severity.ERROR
    assert finding.line == 1
    assert "no paper title" in finding.message and "7 of 7 sections" in finding.message
    assert findings_of(outcome, "README004")  # the course link is not the paper


def test_a_todo_left_in_results_counts_as_missing(check):
    text = FILLED.replace("## 3.3. Results\n\n", "## 3.3. Results\n\n@TODO: Present your "
                          "results and compare them to the original paper.\n\n")
    outcome = check({"README.md": text, **CODE})
    left = only(outcome, "README014")
    assert left.line == line_of(text, "@TODO")
    assert "1 place(s)" in left.message and "count as missing" in left.message
    assert only(outcome, "README009").line == line_of(text, "## 3.3. Results")


def test_registered_template_sentences_are_template_text(check, tmp_path: Path):
    template = tmp_path / "template.md"
    template.write_text("## 3.3. Results\n\nPresent your results and compare them to the "
                        "original paper, numbering each figure.\n")
    text = FILLED.replace("## 3.3. Results\n\n", "## 3.3. Results\n\nPresent your results and "
                          "compare them to the original paper, numbering each figure.\n\n")
    assert findings_of(check({"README.md": text, **CODE}, template=str(template)), "README014")


# --- results as data ----------------------------------------------------------------------

def test_results_rows_pair_the_paper_and_ours(check):
    outcome = check({"README.md": FILLED, **CODE})
    rows = outcome.stats["results_rows"]
    assert rows[0] == {"metric": "ACC", "setting": "CRLC", "paper": 79.9, "reproduced": 40.9,
                       "unit": "", "path": "README.md",
                       "line": line_of(FILLED, "| CRLC (**Ours**)")}
    gap = only(outcome, "README019")
    assert gap.severity is Severity.INFO
    assert "1 of 2 reproduced values differ from the paper's by more than 10%: ACC (CRLC) " \
           "40.9 vs paper 79.9" in gap.message
    assert not findings_of(outcome, "README009")  # the set-up table is not the results


def test_a_comparison_in_prose_is_read(check):
    body = ("## 3.3. Results\n\n<center><b>Table 2:</b> PSNR of the test set</center>\n\nIn "
            "paper, the best PSNR was obtained as 31.06 for scale 4, while in our study we "
            "obtained 21.47 on Set5.\n\n")
    text = FILLED.split("## 3.3. Results")[0] + body + "# 4. Conclusion\n\nWorse.\n"
    outcome = check({"README.md": text, **CODE})
    rows = outcome.stats["results_rows"]
    assert [(r["metric"], r["paper"], r["reproduced"]) for r in rows] == [("PSNR", 31.06, 21.47)]
    assert not findings_of(outcome, "README009") and not findings_of(outcome, "README010")


def test_only_the_papers_numbers_is_an_error(check):
    body = ("## 3.3. Results\n\nWe did not reproduce them; the numbers presented by the original "
            "paper are as follows.\n\n| | 8 x 8 | 16 x 16 |\n|---|---|---|\n| DGGAN | 24.29 | "
            "21.49 |\n\n")
    text = FILLED.split("## 3.3. Results")[0] + body
    finding = only(check({"README.md": text, **CODE}), "README017")
    assert finding.severity is Severity.ERROR
    assert finding.line == line_of(text, "| DGGAN")
    assert "only the paper's numbers (2 value(s), e.g. 24.29" in finding.message


def test_results_only_as_figures_are_a_warning(check):
    body = ("## 3.3. Results\n\n![loss](figs/loss.png)\n\nFigure 1: our training loss.\n\n"
            "<img src='figs/out.png'/>\n\n")
    text = FILLED.split("## 3.3. Results")[0] + body
    outcome = check({"README.md": text, **CODE})
    finding = only(outcome, "README018")
    assert finding.severity is Severity.WARNING
    assert "shows 2 figure(s)" in finding.message
    assert not findings_of(outcome, "README009")


def test_a_row_label_naming_the_paper_is_the_papers_value(check):
    body = ("## 3.3. Results\n\n| Model | Accuracy |\n|---|---|\n| CCNN | 97.4% |\n"
            "| LeNet-5 (Custom) | 96.29% |\n| LeNet-5 (Paper) | 94.60% |\n\n")
    outcome = check({"README.md": FILLED.split("## 3.3. Results")[0] + body, **CODE})
    rows = outcome.stats["results_rows"]
    assert [(r["setting"], r["paper"], r["reproduced"], r["unit"]) for r in rows] == [
        ("CCNN", None, 97.4, "%"), ("LeNet-5", 94.6, 96.29, "%")]
    assert not findings_of(outcome, "README010")


def test_readme_results_reach_the_json_report(make_submission):
    submission = make_submission({"README.md": FILLED, **CODE}, name="Project_Do_Tran")
    result = review(submission, FullConfig(), select_checks(only=["readme"]))
    assert result.readme_results[0].paper == 79.9
    document = json.loads(render_json([result]))
    assert document["reviews"][0]["readme_results"][1] == {
        "metric": "NMI", "setting": "CRLC", "paper": 67.9, "reproduced": 66.1, "unit": "",
        "path": "README.md", "line": line_of(FILLED, "| CRLC (**Ours**)")}


# --- is there a replication at all? --------------------------------------------------------

def test_a_readme_saying_the_work_was_not_completed(check):
    text = FILLED.replace("Our accuracy is far below", "Due to the reasons in Section 2, I could "
                          "not complete the project. Our accuracy is far below")
    finding = only(check({"README.md": text, **CODE}), "README016")
    assert finding.severity is Severity.ERROR
    assert finding.line == line_of(text, "could not complete")
    assert "'Due to the reasons in Section 2, I could not complete the project.'" \
        in finding.message


def test_commands_naming_missing_files(check):
    text = FILLED.replace("python run.py --dataset cifar10", "python run.py --dataset cifar10\n"
                          "./download_cifar.sh\npython main/trainbootstrap.py")
    finding = only(check({"README.md": text, **CODE, "download_cifar10.sh": "wget x\n",
                          "main/train_bootstrap.py": "x = 1\n"}), "README020")
    assert finding.severity is Severity.ERROR
    assert finding.line == line_of(text, "download_cifar.sh")
    assert finding.message == ("README.md: 2 file(s) its commands run are not in the folder: "
                               f"download_cifar.sh (line {finding.line}), main/trainbootstrap.py "
                               f"(line {finding.line + 1})")


# --- upstream code ------------------------------------------------------------------------

UPSTREAM_FILE = ("# Copyright (c) Facebook, Inc. and its affiliates. All Rights Reserved\n"
                 "def grow(model):\n    return model\n")


def test_a_fork_is_surfaced_and_must_say_what_changed(check):
    text = FILLED.replace("We reproduce", "Our code is forked from "
                          "https://github.com/facebookresearch/pytorch_GAN_zoo. We reproduce")
    files = {"README.md": text, **CODE, "LICENSE": "BSD License\n",
             "CODE_OF_CONDUCT.md": "Be nice\n", "LIB_README.md": "# GAN zoo\n",
             "models/base_GAN.py": UPSTREAM_FILE, "models/utils.py": UPSTREAM_FILE}
    outcome = check(files)
    upstream = only(outcome, "README021")
    assert upstream.severity is Severity.INFO
    assert "github.com/facebookresearch/pytorch_GAN_zoo (line 8)" in upstream.message
    assert "CODE_OF_CONDUCT.md, LICENSE, LIB_README.md" in upstream.message
    assert "2 file(s) carry a copyright header" in upstream.message
    assert only(outcome, "README022").severity is Severity.WARNING
    said = text.replace("We reproduce", "We modified base_GAN.py to grow layers. We reproduce")
    assert not findings_of(check({**files, "README.md": said}), "README022")


def test_unchanged_upstream_files_are_not_style_reviewed(make_submission):
    long_function = "def grow(model):\n" + "".join(f"    x{i} = {i}\n" for i in range(80))
    upstream = "# Copyright (c) Facebook, Inc.\n" + long_function
    files = {"README.md": "# x\n\nWe changed train.py.\n", "vendor/big.py": upstream,
             "train.py": long_function.replace("grow", "train")}
    result = review(make_submission(files, name="Project_X"), FullConfig(),
                    select_checks(only=["modularity", "comments"]))
    paths = {finding.path for finding in result.findings}
    assert "train.py" in paths and "vendor/big.py" not in paths


def test_notebook_fixture_is_valid():
    # the notebook the checks read in these fixtures is valid nbformat 4
    nbformat.validate(nbformat.v4.new_notebook())


def test_the_review_shows_paper_versus_reproduced_with_the_gap(make_submission):
    from reviewbot.report.markdown import render_markdown
    from reviewbot.report.text import render_text
    submission = make_submission({"README.md": FILLED, **CODE}, name="Project_Do_Tran")
    result = review(submission, FullConfig(), select_checks(only=["readme"]))
    markdown = render_markdown([result])
    assert "**README results: 2 value(s), 2 next to the paper's**" in markdown
    assert f"| ACC | CRLC | 79.9 | 40.9 | -49% | {line_of(FILLED, '| CRLC (**Ours**)')} |" \
        in markdown
    text = render_text([result], width=120)
    assert "README results: 2 value(s)" in text and "-49%" in text and "-2.7%" in text
