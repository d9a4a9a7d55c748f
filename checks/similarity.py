"""The similarity check: does the submission copy a known implementation of its paper?

Each module and notebook is queried against the fingerprint index (see
``reviewbot.similarity``); a source whose aligned regions score at least the threshold is
reported with its label, link and the top matched regions. The submission's
own files (its folder, and the same submission indexed earlier under any label) are
neither sources nor counted in the rarity weights; an author's earlier work is reuse.
No index, or an empty one, means nothing was compared: the check is skipped ("not
checked") with what a maintainer does about it, never passed. Sources the README declares
("based on https://github.com/...") are listed so that maintainers can index them.
"""

from __future__ import annotations

from reviewbot.checks.base import CheckConfig
from reviewbot.core.models import Finding, Outcome, Rule, Severity
from reviewbot.core.submission import Submission
from reviewbot.similarity.declared import declared_sources
from reviewbot.similarity.documents import Document, DocumentError, document_from_bytes
from reviewbot.similarity.index import IndexFileError, SimilarityIndex
from reviewbot.similarity.search import Match, is_own, search
from reviewbot.similarity.settings import (  # noqa: F401  (re-exported for the check's users)
    CorpusEntry,
    SimilaritySettings,
    index_location,
    search_settings,
)

ID = "similarity"

COPIED = Rule(ID, "SIM001", Severity.ERROR, "code matching a known implementation",
              "Write the implementation yourself from the paper (the DLC rule is clean-room: "
              "don't look at other implementations); cite any code you legitimately reuse "
              "in the README.")
REUSE = Rule(ID, "SIM002", Severity.INFO, "code reused from the author's own earlier work",
             "Fine to reuse your own code: say in the README where it comes from.")
NOT_COMPARED = Rule(ID, "SIM003", Severity.INFO, "file not compared (binary, too large or "
                    "unreadable)", "Keep only source code in .py files and notebooks.")
INDEX_BROKEN = Rule(ID, "SIM004", Severity.WARNING, "similarity index unusable",
                    "A maintainer rebuilds it with `reviewbot index build`.")
DECLARED = Rule(ID, "SIM005", Severity.INFO, "the README declares a source this code is "
                "based on", "Nothing to fix: maintainers index the declared repository with "
                "`reviewbot index add URL --label NAME` so that copies from it are measured.")
RULES: tuple[Rule, ...] = (COPIED, REUSE, NOT_COMPARED, INDEX_BROKEN, DECLARED)
NOT_CHECKED_KEY = "not_checked"  # the pipeline turns this stat into a skipped result
_BUILD_HINT = ("a maintainer builds one with `reviewbot index build` or `reviewbot index add "
               "REPOSITORY_URL --label NAME` (README: similarity corpus)")

_SHOWN_REGIONS = 3


class Config(CheckConfig, SimilaritySettings):
    """Settings of the similarity check (``[checks.similarity]``) and of the index it reads."""


def run(submission: Submission, config: Config) -> Outcome:
    path = index_location(config)
    declared = tuple(DECLARED.finding(f"the README says this is based on {url}", where)
                     for url, where in declared_sources(submission))
    if not path.exists():
        return _not_checked(f"no similarity index at {path}: nothing compared; {_BUILD_HINT}",
                            declared)
    try:
        with SimilarityIndex.open(path) as index:
            if index.document_count() == 0:
                return _not_checked(f"the similarity index {path} is empty: nothing compared; "
                                    f"{_BUILD_HINT}", declared)
            outcome = _compare(submission, config, index)
    except IndexFileError as exc:
        return Outcome((INDEX_BROKEN.finding(str(exc)), *declared), {"index": "unusable"})
    return Outcome((*outcome.findings, *declared), outcome.stats)


def _not_checked(reason: str, declared: tuple[Finding, ...]) -> Outcome:
    return Outcome(declared, {NOT_CHECKED_KEY: reason, "summary": f"not checked: {reason}",
                              "index": "none"})


def _compare(submission: Submission, config: Config, index: SimilarityIndex) -> Outcome:
    findings: list[Finding] = []
    documents, skipped = _documents(submission)
    findings += skipped
    authors = frozenset({config.authors[submission.name]}) if submission.name in \
        config.authors else frozenset()
    best = 0.0
    for document in documents:
        matches = search(index, document, search_settings(config),
                         exclude=lambda stored: is_own(stored, submission.name),
                         authors=authors)
        best = max([best, *(m.score for m in matches)])
        findings += [_finding(document, m, config) for m in matches if m.score >= config.threshold]
    count = index.document_count()
    stats = {"summary": f"{len(documents)} files against {count} indexed, best match {best:.0%}",
             "index": str(index.path), "indexed_files": count,
             "files_compared": len(documents), "best_score": round(best, 3)}
    return Outcome(tuple(findings), stats)


def _documents(submission: Submission) -> tuple[list[Document], list[Finding]]:
    documents, skipped = [], []
    sources = [(m.path, m.text) for m in submission.modules]
    sources += [(nb.path, None) for nb in submission.notebooks]
    for path, text in sources:
        try:
            data = text.encode("utf-8") if text is not None else \
                (submission.root / path).read_bytes()
            documents.append(document_from_bytes(path, data))
        except (DocumentError, OSError, RecursionError) as exc:  # one odd file: a skip
            skipped.append(NOT_COMPARED.finding(f"not compared: {exc}", path))
    return documents, skipped


def _finding(document: Document, match: Match, config: Config) -> Finding:
    rule = REUSE if match.reuse else COPIED
    origin = match.source.origin
    link = next((e.link for e in config.corpus if e.label == origin.label and e.link), "")
    where = f"{origin.label}: {origin.path}" + (f" ({link})" if link else "")
    regions = "; ".join(
        f"{document.span(r.query_start, r.query_end)} ~ {origin.path}:"
        f"{r.source_start}-{r.source_end} ({r.tokens} tokens, {r.kind})"
        for r in match.regions[:_SHOWN_REGIONS])
    verb = "reuses the author's earlier" if match.reuse else "matches"
    message = (f"{match.score:.0%} of this file {verb} {where} "
               f"({match.source_coverage:.0%} of that file found here)"
               + (f"; matched regions: {regions}" if regions else ""))
    line = match.regions[0].query_start if match.regions else None
    return _located(rule, message, document, line)


def _located(rule: Rule, message: str, document: Document, line: int | None) -> Finding:
    if document.notebook is None or line is None:
        return rule.finding(message, document.path, line)
    origin = document.notebook.locate(line)
    if origin is None:
        return rule.finding(message, document.path)
    return rule.finding(message, document.path, origin.raw_line, cell=origin.cell,
                        cell_line=origin.cell_line)
