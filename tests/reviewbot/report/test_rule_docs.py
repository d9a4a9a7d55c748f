"""Rule codes link to README sections that exist (a renamed heading fails here, not a link)."""

from __future__ import annotations

import re

from reviewbot.checks import REGISTRY
from reviewbot.report.rule_docs import SECTION, RuleDocs
from tests.conftest import REPO_ROOT


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading: lower case, punctuation dropped."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def readme_anchors() -> set[str]:
    lines = (REPO_ROOT / "README.md").read_text().splitlines()
    return {github_slug(line.lstrip("#")) for line in lines if line.startswith("#")}


def test_every_check_has_a_section_and_every_section_is_a_readme_heading() -> None:
    assert {*REGISTRY, "load", "replication"} <= set(SECTION)
    missing = {check: anchor for check, anchor in SECTION.items()
               if anchor not in readme_anchors()}
    assert not missing, f"README headings renamed? no anchor for {missing}"


def test_links_use_the_configured_base_or_the_default_branch_readme() -> None:
    assert RuleDocs().url("lint") == ""
    readme = RuleDocs.for_repository("octo/dlc").url("hygiene")
    assert readme.startswith("https://github.com/octo/dlc/blob/HEAD/README.md#hygiene-")
    assert RuleDocs.for_repository("octo/dlc", "https://d.example.org/r").url("nope") == \
        "https://d.example.org/r#rule-codes"
