"""What GitHub code scanning needs from the SARIF: a help link per rule, fingerprints that
survive lines moving, and at most 5,000 results (errors first), all valid SARIF 2.1.0."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from reviewbot.core.models import CheckResult, Finding, Review, Severity, Status
from reviewbot.report.rule_docs import RuleDocs
from reviewbot.report.sarif import FINGERPRINT, render_sarif
from tests.reviewbot.report.test_report import sample_review, sarif_schema

DOCS = RuleDocs.for_repository("octo/dlc")


def many_findings(count: int, errors: int) -> Review:
    infos = tuple(Finding("lint", "LINTC", Severity.INFO, f"note {n}", "m.py", n + 1)
                  for n in range(count - errors))
    failing = tuple(Finding("readme", "README001", Severity.ERROR, f"error {n}", "README.md")
                    for n in range(errors))
    return Review("Big2020", "/s/Big2020", (CheckResult("lint", Status.PASSED, infos),
                  CheckResult("readme", Status.FAILED, failing)), (), Severity.ERROR, "0.1.0")


def test_every_rule_has_a_help_link_to_its_documentation(tmp_path: Path) -> None:
    log = json.loads(render_sarif([sample_review(tmp_path)], docs=DOCS))
    rules = {rule["id"]: rule for rule in log["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["README001"]["helpUri"] == (
        "https://github.com/octo/dlc/blob/HEAD/README.md#readme-the-readme-check-is-there-a-"
        "readme-and-does-it-say-what-a-dlc-reviewer-needs")
    assert all(rule["helpUri"].startswith("https://") for rule in rules.values())
    jsonschema.Draft4Validator(sarif_schema()).validate(log)


def test_fingerprints_are_stable_when_lines_move_and_distinct_for_twins(tmp_path: Path) -> None:
    def results(line: int) -> list[dict]:
        twin = Finding("modularity", "MOD001", Severity.WARNING, "too complex", "a.py", line)
        moved = Review("A2020", "/s/A2020", (CheckResult("modularity", Status.PASSED,
                       (twin, twin)),), (), Severity.ERROR, "0.1.0")
        return json.loads(render_sarif([moved]))["runs"][0]["results"]

    before, after = results(10), results(25)
    prints = [r["partialFingerprints"][FINGERPRINT] for r in before]
    assert prints == [r["partialFingerprints"][FINGERPRINT] for r in after]
    assert len(set(prints)) == 2 and prints[0].endswith(":1") and prints[1].endswith(":2")


def test_results_are_capped_at_5000_keeping_every_error_first() -> None:
    log = json.loads(render_sarif([many_findings(5_200, errors=30)], docs=DOCS))
    jsonschema.Draft4Validator(sarif_schema()).validate(log)
    run = log["runs"][0]
    assert len(run["results"]) == 5_000
    assert [r["level"] for r in run["results"][:30]] == ["error"] * 30
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert any("200 of 5200 results left out" in n["message"]["text"] for n in notes)


def test_under_the_cap_nothing_is_left_out() -> None:
    run = json.loads(render_sarif([many_findings(40, errors=2)]))["runs"][0]
    assert len(run["results"]) == 40
    assert not run["invocations"][0]["toolExecutionNotifications"]
