"""The claims table in every format, the JSON schema's runs/verdicts, SARIF results for claims."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from reviewbot.config import Config
from reviewbot.core.models import RunResult, freeze
from reviewbot.pipeline import review_path
from reviewbot.replication.claims import StatsSettings, load_paper
from reviewbot.replication.verdicts import judged
from reviewbot.report.json_report import load_schema, render_json
from reviewbot.report.markdown import render_markdown
from reviewbot.report.sarif import render_sarif
from reviewbot.report.text import render_text
from tests.conftest import write_tree

CLAIMS = ('[claims.acc]\nmetric = "acc"\nvalue = 92.3\ntolerance = { rel = 0.01 }\n'
          'source = "Table 2"\n'
          '[claims.loss]\nmetric = "loss"\nvalue = 0.1\ndirection = "lower"\n'
          'tolerance = { abs = 0.01 }\n')


def _review(tmp_path: Path, acc: list[float], loss: list[float]):
    folder = write_tree(tmp_path / "Paper2020", {"paper.ipynb": "{}"})
    papers = write_tree(tmp_path / "papers", {"Paper2020.toml": CLAIMS})
    runs = [RunResult("paper.ipynb", seed, True, 2.0, scalars=freeze({"acc": a, "loss": b}))
            for seed, (a, b) in enumerate(zip(acc, loss, strict=True))]
    settings = StatsSettings()
    return judged(review_path(folder, Config(), []), runs,
                  load_paper("Paper2020", papers, settings), settings)


def test_text_report_has_the_claims_table_with_numbers(tmp_path: Path) -> None:
    review = _review(tmp_path, [91.9, 92.4, 92.1], [0.2, 0.21, 0.22])
    text = render_text([review], width=200)
    assert "claims: 1 reproduced, 1 not reproduced (3 notebook runs)" in text
    acc_row = next(line for line in text.splitlines() if line.startswith("acc "))
    assert "reproduced" in acc_row and "92.3 ±0.923 tolerance (higher)" in acc_row
    assert "92.13 (90% CI 91.71 to 92.56)" in acc_row
    assert "RUN003" in text and "claim loss: loss averaged 0.21 over 3 runs" in text
    assert "FAILED" in text


def test_markdown_report_marks_each_verdict(tmp_path: Path) -> None:
    markdown = render_markdown([_review(tmp_path, [91.9, 92.4, 92.1], [0.2, 0.21, 0.22])])
    assert "| acc | ✅ reproduced | 92.3 ±0.923 tolerance (higher) |" in markdown
    assert "| loss | ❌ not reproduced |" in markdown


def test_json_report_has_runs_and_verdicts_and_follows_the_schema(tmp_path: Path) -> None:
    review = _review(tmp_path, [91.9, 92.4, 92.1], [0.09, 0.095, 0.092])
    document = json.loads(render_json([review]))
    jsonschema.validate(document, load_schema())
    [entry] = document["reviews"]
    assert [run["seed"] for run in entry["runs"]] == [0, 1, 2]
    acc = entry["verdicts"][0]
    assert (acc["claim"], acc["verdict"], acc["source"]) == ("acc", "reproduced", "Table 2")
    assert acc["interval"][0] < 92.133 < acc["interval"][1]
    assert acc["p_value"] < 0.05 and "holm_adjusted" in acc["tags"]


def test_sarif_reports_a_claim_not_reproduced_on_the_notebook(tmp_path: Path) -> None:
    review = _review(tmp_path, [91.9, 92.4, 92.1], [0.2, 0.21, 0.22])
    log = json.loads(render_sarif([review], base=tmp_path))
    [result] = [r for r in log["runs"][0]["results"] if r["ruleId"] == "RUN003"]
    location = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert location == "Paper2020/paper.ipynb"
    rules = {rule["id"] for rule in log["runs"][0]["tool"]["driver"]["rules"]}
    assert {"RUN001", "RUN002", "RUN003", "RUN004", "RUN005"} <= rules
