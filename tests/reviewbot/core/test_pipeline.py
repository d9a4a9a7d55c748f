"""The pipeline: check selection, crash isolation, and maintainers' overrides."""

from __future__ import annotations

import types

import pytest

from reviewbot.checks.base import CheckConfig
from reviewbot.core.errors import UsageError
from reviewbot.core.gate import apply_rules
from reviewbot.core.models import Finding, Rule, Severity, Status
from reviewbot.core.rules import Level, Rulebook, Setting
from reviewbot.pipeline import review, run_check, select_checks

RULE = Rule("toy", "TOY001", Severity.WARNING, "toy rule", "do better")


def _toy_check(behaviour):
    return types.SimpleNamespace(ID="toy", RULES=(RULE,), Config=CheckConfig, run=behaviour)


def _boom(submission, config):
    raise ZeroDivisionError("division by zero")


def test_a_crashing_check_is_errored_and_named(make_submission) -> None:
    result = run_check(_toy_check(_boom), make_submission({}), CheckConfig(), Severity.ERROR)
    assert result.status is Status.ERRORED
    assert result.error == "check toy errored (bot bug): ZeroDivisionError: division by zero"


def test_findings_at_fail_severity_fail_the_check(make_submission) -> None:
    check = _toy_check(lambda s, c: [RULE.finding("bad", "a.py", 3)])
    assert run_check(check, make_submission({}), CheckConfig(), Severity.WARNING).status \
        is Status.FAILED
    assert run_check(check, make_submission({}), CheckConfig(), Severity.ERROR).status \
        is Status.PASSED


def test_disabled_check_is_skipped(make_submission) -> None:
    result = run_check(_toy_check(_boom), make_submission({}), CheckConfig(enabled=False),
                       Severity.ERROR)
    assert (result.status, result.error) == (Status.SKIPPED, "disabled in config")


def test_disable_and_relevel_rule_codes() -> None:
    findings = [RULE.finding("a"), Finding("toy", "TOY002", Severity.INFO, "b")]
    book = Rulebook.of([RULE], {"TOY002": Setting(Level.OFF), "TOY001": Setting(Level.ERROR)})
    assert [(f.code, f.severity) for f in apply_rules(findings, book)] == [
        ("TOY001", Severity.ERROR)]


def test_select_checks_keeps_registry_order_and_refuses_unknown() -> None:
    assert select_checks(only=["lint", "readme"]) == ["readme", "lint"]
    assert "lint" not in select_checks(skip=["lint"])
    with pytest.raises(UsageError, match="unknown check 'lnt'"):
        select_checks(only=["lnt"])


def test_review_skips_unselected_checks(make_submission, default_config) -> None:
    result = review(make_submission({"README.md": "x"}), default_config, ["readme"])
    statuses = {r.check: r.status for r in result.results}
    assert statuses["lint"] is Status.SKIPPED
    assert statuses["readme"] is not Status.SKIPPED
