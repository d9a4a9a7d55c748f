"""The SARIF 2.1.0 report, for GitHub code scanning and any SARIF viewer.

URIs are relative to ``base`` (the repository root; by default the folder holding the
submission, which is where DLC submissions sit) under the ``%SRCROOT%`` base id, so the
same finding has the same URI on every run. GitHub needs a location with a start line on
every result: a finding on the folder as a whole points at the folder, line 1. Notebook
findings point at the raw .ipynb line, which is what GitHub shows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from reviewbot import __version__
from reviewbot.core.models import Finding, Review, Rule, Severity, Status
from reviewbot.report import cell_place
from reviewbot.report.rule_docs import RuleDocs

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
BASE_ID = "%SRCROOT%"
LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
MAX_RESULTS = 5_000  # GitHub code scanning keeps this many results of a run (worst first)
FINGERPRINT = "reviewbotFinding/v1"


def known_rules(reviews: Sequence[Review]) -> list[Rule]:
    """Every rule the reviews' rulebooks list (the composition root fills the catalogue)."""
    return [rule for review in reviews if review.rules is not None
            for rule in review.rules.rules]


def render_sarif(reviews: Sequence[Review], *, base: Path | None = None,
                 rules: Sequence[Rule] | None = None, docs: RuleDocs | None = None,
                 max_results: int = MAX_RESULTS) -> str:
    log = sarif_log(reviews, base=base, rules=rules, docs=docs, max_results=max_results)
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def sarif_log(reviews: Sequence[Review], *, base: Path | None = None,
              rules: Sequence[Rule] | None = None, docs: RuleDocs | None = None,
              max_results: int = MAX_RESULTS) -> dict[str, Any]:
    catalogue = _catalogue(rules if rules is not None else known_rules(reviews), reviews)
    index = {rule.code: position for position, rule in enumerate(catalogue)}
    pairs = _worst_first([(finding, review) for review in reviews
                          for finding in review.findings])
    results = [_result(finding, review, base, index[finding.code])
               for finding, review in pairs[:max_results]]
    _fingerprint(results)
    invocation = _invocation(reviews)
    if len(pairs) > max_results:
        invocation["toolExecutionNotifications"].append(_capped(len(pairs), max_results))
    run: dict[str, Any] = {
        "tool": {"driver": _driver(catalogue, docs or RuleDocs())},
        "invocations": [invocation],
        "results": results,
        "columnKind": "unicodeCodePoints",
    }
    run["originalUriBaseIds"] = {BASE_ID: {"uri": _base_dir(base, reviews).as_uri() + "/"}}
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def _catalogue(rules: Iterable[Rule], reviews: Sequence[Review]) -> list[Rule]:
    """The rules, each code once, plus any code a finding carries that no rule lists."""
    catalogue: dict[str, Rule] = {}
    for rule in rules:
        catalogue.setdefault(rule.code, rule)
    for finding in (f for review in reviews for f in review.findings):
        catalogue.setdefault(finding.code, Rule(finding.check, finding.code, finding.severity,
                                                finding.code, finding.fix))
    return list(catalogue.values())


def _worst_first(pairs: list[tuple[Finding, Review]]) -> list[tuple[Finding, Review]]:
    """Errors, then warnings, then notes (stable): what a cap keeps is what matters most."""
    return sorted(pairs, key=lambda pair: -pair[0].severity.rank)


def _capped(total: int, kept: int) -> dict[str, Any]:
    return {"level": "warning", "message": {
        "text": f"{total - kept} of {total} results left out: SARIF uploads keep {kept} "
                "(errors first); run `reviewbot check` for all of them"}}


def _fingerprint(results: list[dict[str, Any]]) -> None:
    """A fingerprint per result that survives lines moving: rule, file and message, plus an
    occurrence count for identical ones (GitHub matches alerts across runs with it)."""
    seen: dict[str, int] = {}
    for result in results:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        text = "\0".join((result["ruleId"], uri, result["message"]["text"]))
        digest = hashlib.sha256(text.encode()).hexdigest()[:32]
        seen[digest] = seen.get(digest, 0) + 1
        result["partialFingerprints"] = {FINGERPRINT: f"{digest}:{seen[digest]}"}


def _driver(rules: Sequence[Rule], docs: RuleDocs) -> dict[str, Any]:
    return {"name": "reviewbot", "version": __version__, "semanticVersion": __version__,
            "rules": [_rule(rule, docs) for rule in rules]}


def _rule(rule: Rule, docs: RuleDocs) -> dict[str, Any]:
    link = {"helpUri": docs.url(rule.check)} if docs.base else {}
    return link | {
        "id": rule.code,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": f"{rule.title}. {rule.fix}".strip()},
        "help": {"text": rule.fix or rule.title},
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": {"check": rule.check, "tags": ["reviewbot", rule.check]},
    }


def _invocation(reviews: Sequence[Review]) -> dict[str, Any]:
    """Whether every check ran; a check that crashed is a tool notification, not a result."""
    notes = [{"level": "error", "message": {"text": f"{review.submission}: {result.error}"},
              "descriptor": {"id": result.check}}
             for review in reviews for result in review.results if result.status is Status.ERRORED]
    said = [{"level": "note", "message": {"text": f"{review.submission}: {note}"}}
            for review in reviews for note in review.notes]  # e.g. ran WITHOUT a sandbox
    return {"executionSuccessful": not notes, "toolExecutionNotifications": notes + said}


def _result(finding: Finding, review: Review, base: Path | None, rule_index: int) -> dict:
    text = finding.message + (f" ({cell_place(finding)})" if finding.cell is not None else "")
    properties: dict[str, Any] = {"check": finding.check, "submission": review.submission}
    if finding.cell is not None:
        properties.update(cell=finding.cell, cellLine=finding.cell_line)
    return {"ruleId": finding.code, "ruleIndex": rule_index, "level": LEVEL[finding.severity],
            "message": {"text": text}, "locations": [_location(finding, review, base)],
            "properties": properties}


def _location(finding: Finding, review: Review, base: Path | None) -> dict[str, Any]:
    # Lines only: GitHub needs startLine; columns are not promised 1-based by every check.
    region = {"startLine": max(finding.line or 1, 1)}
    artifact = {"uri": artifact_uri(review, finding.path, base), "uriBaseId": BASE_ID}
    return {"physicalLocation": {"artifactLocation": artifact, "region": region}}


def artifact_uri(review: Review, path: str | None, base: Path | None) -> str:
    """``path`` (relative to the submission) as a URI relative to ``base``, percent-encoded."""
    folder = _folder_from_base(Path(review.root), _base_dir(base, [review]))
    relative = folder / path if path else folder
    text = relative.as_posix()
    if text == ".":
        return "./"
    return quote(text + ("/" if not path else ""), safe="/")


def _folder_from_base(root: Path, base: Path) -> PurePosixPath:
    try:
        return PurePosixPath(root.relative_to(base).as_posix())
    except ValueError:  # the submission is not under base: name it by its folder alone
        return PurePosixPath(root.name)


def _base_dir(base: Path | None, reviews: Sequence[Review]) -> Path:
    if base is not None:
        return base.resolve()
    return Path(reviews[0].root).parent if reviews else Path.cwd()
