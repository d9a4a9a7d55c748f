"""The similarity check: does the submission copy a known implementation of its paper?

Each module and notebook is queried against the fingerprint index (see
``reviewbot.similarity``); a source whose frequency-weighted share of a file reaches the
threshold is reported with its label, link and the top matched regions. The submission's
own folder is never its own source, and an author's earlier work is reported as reuse.
No index configured, or an empty one, is not an error: the check reports nothing and says
so in its summary.
"""

from __future__ import annotations

from pathlib import Path

from reviewbot.checks.base import CheckConfig
from reviewbot.core.models import Finding, Outcome, Rule, Severity
from reviewbot.core.submission import Submission
from reviewbot.similarity.documents import Document, DocumentError, document_from_bytes
from reviewbot.similarity.index import IndexFileError, SimilarityIndex
from reviewbot.similarity.search import Match, search
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
RULES: tuple[Rule, ...] = (COPIED, REUSE, NOT_COMPARED, INDEX_BROKEN)

_SHOWN_REGIONS = 3


class Config(CheckConfig, SimilaritySettings):
    """Settings of the similarity check (``[checks.similarity]``) and of the index it reads."""


def run(submission: Submission, config: Config) -> Outcome:
    path = index_location(config)
    if not path.exists():
        return Outcome((), {"summary": f"no index at {path}: nothing compared",
                            "index": "none"})
    try:
        with SimilarityIndex.open(path) as index:
            if index.document_count() == 0:
                return Outcome((), {"summary": "the index is empty: nothing compared",
                                    "index": "empty"})
            return _compare(submission, config, index)
    except IndexFileError as exc:
        return Outcome((INDEX_BROKEN.finding(str(exc)),), {"index": "unusable"})


def _compare(submission: Submission, config: Config, index: SimilarityIndex) -> Outcome:
    findings: list[Finding] = []
    documents, skipped = _documents(submission)
    findings += skipped
    own = frozenset({submission.name})
    authors = frozenset({config.authors[submission.name]}) if submission.name in \
        config.authors else frozenset()
    best = 0.0
    for document in documents:
        matches = search(index, document, search_settings(config), exclude_labels=own,
                         authors=authors)
        matches = [m for m in matches if not _same_folder(m, submission)]
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


def _same_folder(match: Match, submission: Submission) -> bool:
    """The submission's own files (or its history) indexed under another label."""
    origin = Path(match.source.origin.path)
    return submission.name in origin.parts


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
