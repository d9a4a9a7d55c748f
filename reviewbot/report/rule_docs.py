"""Where each rule code is documented: a section of the README, or a docs site.

The README documents every code in a table under its check's heading; a rule code links to
that heading's anchor (GitHub's slug of the heading text). ``tests/reviewbot/report`` checks
that every anchor here is a heading of README.md, so a renamed heading fails a test instead
of a link.
"""

from __future__ import annotations

from dataclasses import dataclass

SECTION = {
    "load": "rule-codes",
    "readme": "readme-the-readme-check-is-there-a-readme-and-does-it-say-what-a-dlc-reviewer-"
              "needs",
    "notebook": "notebook-the-notebook-check-is-there-a-notebook-and-was-it-saved-from-one-"
                "clean-run",
    "modularity": "modularity-the-modularity-check-is-the-code-factored-into-reusable-modules-"
                  "and-functions",
    "comments": "comments-the-comments-check-is-the-code-commented-are-public-names-documented-"
                "do-notebooks-explain",
    "lint": "lint-the-lint-check-pylint-over-the-modules-and-the-notebooks-code-with-a-disk-"
            "cache",
    "hygiene": "hygiene-the-hygiene-check-can-someone-else-run-this-code-and-is-anything-"
               "committed-by-mistake",
    "similarity": "similarity-the-similarity-check-does-the-submission-copy-a-known-"
                  "implementation-of-its-paper",
    "replication": "replication-with---run-did-the-notebooks-run-and-were-the-papers-claims-"
                   "reproduced",
}
FALLBACK = "rule-codes"
GITHUB_README = "https://github.com/{repo}/blob/HEAD/README.md"  # HEAD: the default branch


@dataclass(frozen=True)
class RuleDocs:
    """Links from rule codes to their documentation; ``base`` empty: no links at all.

    ``base`` is the README's URL (anchors are its heading slugs) or any docs page.
    """

    base: str = ""

    @classmethod
    def for_repository(cls, repo: str, docs_url: str = "") -> RuleDocs:
        """``docs_url`` when configured, else the README on the repository's default branch."""
        return cls(docs_url or GITHUB_README.format(repo=repo))

    def url(self, check: str) -> str:
        """The documentation of the rules of ``check``; "" when there is no docs base."""
        if not self.base:
            return ""
        return f"{self.base}#{SECTION.get(check, FALLBACK)}"
