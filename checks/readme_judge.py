"""The readme check's judgements on what the README reports, beyond its sections.

Is there a replication at all (results that hold reproduced numbers, not only the paper's;
no "could not complete"; commands that name files that exist), template text left in it,
and upstream code it builds on. Each cause is one finding with a count and the first places.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from reviewbot.checks.readme_doc import Readme
from reviewbot.checks.readme_results import (
    extract_rows,
    relative_gap,
    results_headings,
    section_lines,
)
from reviewbot.checks.readme_rules import (
    FIGURES_ONLY,
    LARGE_GAP,
    MISSING_FILE,
    NO_COMPARISON,
    NO_RESULTS,
    NOT_COMPLETED,
    ONLY_PAPER_NUMBERS,
    TEMPLATE_LEFT,
    UNFILLED,
    UPSTREAM,
    UPSTREAM_CHANGES,
)
from reviewbot.checks.readme_template import TemplateText
from reviewbot.checks.upstream import find_upstream
from reviewbot.core.models import Finding, ResultRow
from reviewbot.core.submission import Submission

RESULTS_KEY = "results_rows"  # the readme check's stats key holding the rows, as dicts
_MAX_RESULTS_TITLE = 80  # a longer "heading" is a sentence in bold, not a results heading
_SHOWN = 3  # places named in a finding that counts several


def _places(lines: Iterable[int]) -> str:
    lines = sorted(set(lines))
    shown = ", ".join(str(n) for n in lines[:_SHOWN])
    return f"line{'s' * (len(lines) > 1)} {shown}{', ...' * (len(lines) > _SHOWN)}"


# --- template text ------------------------------------------------------------------------

def template_findings(readme: Readme, template: TemplateText) -> list[Finding]:
    if not template.lines:
        return []
    title = next((h for h in readme.headings if h.level == 1), None)
    title_missing = title is None or title.line in template.lines
    samples = "; ".join(f"'{sample}'" for sample in template.samples[:2])
    where = f"{len(template.lines)} place(s) ({_places(template.lines)})"
    if title_missing and template.sections > template.filled:
        message = (f"{readme.path} is the unfilled template: no paper title, and "
                   f"{template.sections} of {template.sections + template.filled} sections "
                   f"still hold template text ({samples})")
        return [UNFILLED.finding(message, readme.path, template.lines[0])]
    message = (f"{readme.path} still holds template text in {where}: {samples}; the "
               f"{template.sections} section(s) holding it count as missing")
    return [TEMPLATE_LEFT.finding(message, readme.path, template.lines[0])]


# --- results ------------------------------------------------------------------------------

def judge_results(readme: Readme, large_gap: float) -> tuple[list[ResultRow], list[Finding]]:
    """The README's result rows, and what is wrong with its results."""
    headings = [h for h in results_headings(readme) if len(h.title) <= _MAX_RESULTS_TITLE]
    if not headings:
        return _without_results_heading(readme)
    lines = section_lines(readme, headings)
    rows = extract_rows(readme, lines) or _labelled_tables(readme)
    first = headings[0]
    reproduced = [row for row in rows if row.reproduced is not None]
    if reproduced:
        return rows, _comparison_findings(readme, rows, first.line, large_gap)
    if rows:
        paper = rows[0]
        message = (f"{readme.path}: the results give only the paper's numbers ({len(rows)} "
                   f"value(s), e.g. {paper.paper:g} at line {paper.line}); no reproduced "
                   "value is reported")
        return rows, [ONLY_PAPER_NUMBERS.finding(message, readme.path, paper.line)]
    figures = [n for n in readme.image_lines if n in set(lines)]
    if figures:
        message = (f"{readme.path}: the '{first.title}' section shows {len(figures)} "
                   f"figure(s) ({_places(figures)}) but no reproduced number as text")
        return rows, [FIGURES_ONLY.finding(message, readme.path, first.line)]
    message = (f"{readme.path}: the '{first.title}' section has no numbers; give the paper's "
               "values and the reproduced ones")
    return rows, [NO_RESULTS.finding(message, readme.path, first.line)]


def _labelled_tables(readme: Readme) -> list[ResultRow]:
    """Rows of tables elsewhere whose labels say paper and ours (a set-up table does not)."""
    rows = [row for grid in readme.grids
            for row in extract_rows(readme, list(range(grid.line, grid.end + 1)))]
    paired = any(row.paper is not None and row.reproduced is not None for row in rows)
    return rows if paired else []


def _without_results_heading(readme: Readme) -> tuple[list[ResultRow], list[Finding]]:
    rows = [row for grid in readme.grids
            for row in extract_rows(readme, list(range(grid.line, grid.end + 1)))]
    if any(row.reproduced is not None for row in rows):
        return rows, _comparison_findings(readme, rows, rows[0].line, float("inf"))
    message = (f"{readme.path} has no results section: no 'Results' heading and no table of "
               "numbers")
    return rows, [NO_RESULTS.finding(message, readme.path)]


# "the paper reports Figure 1 as plots only" / "the paper gives no numbers": a mentor then
# accepts reproduced numbers and figures without the paper's values beside them
PLOTS_ONLY = re.compile(
    r"paper\W+(?:\w+\W+){0,6}?(?:only|no)\s+(?:as\s+)?(?:plots?|figures?|curves?|numbers|"
    r"numerical|values|table)|(?:plots?|figures?|curves?)\s+only|read\s+off\s+the\s+paper",
    re.IGNORECASE)


def _comparison_findings(readme: Readme, rows: list[ResultRow], line: int,
                         large_gap: float) -> list[Finding]:
    if not any(row.paper is not None for row in rows) and PLOTS_ONLY.search(readme.text):
        return []
    if not any(row.paper is not None for row in rows):
        message = (f"{readme.path}: the results at line {line} give reproduced values but not "
                   "the paper's values beside them")
        return [NO_COMPARISON.finding(message, readme.path, line)]
    gaps = [(row, gap) for row in rows if (gap := relative_gap(row)) is not None
            and gap > large_gap]
    if not gaps:
        return []
    paired = sum(relative_gap(row) is not None for row in rows)
    shown = "; ".join(f"{_label(row)} {row.reproduced:g} vs paper {row.paper:g} "
                      f"(line {row.line})" for row, _ in gaps[:_SHOWN])
    message = (f"{readme.path}: {len(gaps)} of {paired} reproduced values differ from the "
               f"paper's by more than {large_gap:.0%}: {shown}")
    return [LARGE_GAP.finding(message, readme.path, gaps[0][0].line)]


def _label(row: ResultRow) -> str:
    return " ".join(part for part in (row.metric, f"({row.setting})" if row.setting else "")
                    if part) or "value"


# --- was the replication completed? --------------------------------------------------------

_NOT_COMPLETED = re.compile(
    r"\b(could not|couldn\W?t|was not able to|were not able to|unable to) (complete|finish)"
    r" (the|this|my|our) (project|implementation|work|replication)|"
    r"\b(project|implementation|replication) (could not|couldn\W?t|was not|wasn\W?t) (be )?"
    r"(completed|finished)|"
    r"\b(could not|couldn\W?t|unable to|not able to) (produce|obtain|get) any (results?|outputs?)|"
    r"\b(didn\W?t|did not) have (the )?(computational power|compute|resources|time)[^.]{0,20}? "
    r"to produce any|"
    r"\bcannot be said that (we|i) (have )?performed (a |any )?training|"
    r"\bcomplete [\w -]{1,40}? (network|model|implementation|pipeline) could not be "
    r"(achieved|built|implemented|completed)", re.IGNORECASE)


def not_completed_findings(readme: Readme) -> list[Finding]:
    hits = [(n, m) for n, line in enumerate(readme.lines, start=1)
            if (m := _NOT_COMPLETED.search(line))]
    if not hits:
        return []
    line, match = hits[0]
    message = (f"{readme.path} says the replication was not completed: "
               f"'{_sentence_around(match)}' ({_places(n for n, _ in hits)})")
    return [NOT_COMPLETED.finding(message, readme.path, line)]


def _sentence_around(match: re.Match[str]) -> str:
    text = match.string
    stop = text.rfind(". ", 0, match.start())
    start = 0 if stop < 0 else stop + 2
    end = text.find(". ", match.end())
    sentence = text[start:end + 1 if end >= 0 else len(text)].strip()
    return sentence if len(sentence) <= 200 else match.group(0)


# --- commands naming files ------------------------------------------------------------------

_COMMAND_FILE = re.compile(
    r"(?:^|[\s`>$(])(?:python3?|bash|sh|source|sbatch|ipython)\s+(?:-\S+\s+)*"
    r"([\w./-]+\.(?:py|sh|ipynb))\b|"
    r"(?:^|[\s`>$(])\./([\w./-]+\.(?:py|sh))\b|"
    r"\bjupyter(?:\s+|-)(?:notebook|lab|nbconvert|execute)\s+(?:--?\S+\s+)*([\w./-]+\.ipynb)")


def missing_file_findings(readme: Readme, submission: Submission) -> list[Finding]:
    paths = {entry.path for entry in submission.files}
    missing: dict[str, int] = {}
    for number, line in enumerate(readme.lines, start=1):
        for match in _COMMAND_FILE.finditer(line):
            named = next(group for group in match.groups() if group)
            if not _exists(named, paths):
                missing.setdefault(named, number)
    if not missing:
        return []
    names = ", ".join(f"{name} (line {line})" for name, line in list(missing.items())[:_SHOWN])
    message = (f"{readme.path}: {len(missing)} file(s) its commands run are not in the folder: "
               f"{names}")
    return [MISSING_FILE.finding(message, readme.path, next(iter(missing.values())))]


def _exists(named: str, paths: set[str]) -> bool:
    named = named.removeprefix("./")
    return named in paths or any(path.endswith("/" + named) for path in paths)


# --- upstream code ----------------------------------------------------------------------

_CHANGED = re.compile(
    r"\b(modified|changed|added|extended|rewrote|rewritten|replaced|our (changes|modifications|"
    r"contributions?|additions?)|we (have )?(modified|changed|added|implemented|wrote|extended|"
    r"removed|replaced)|(files|parts) (we|i) (wrote|changed|modified))\b", re.IGNORECASE)


def upstream_findings(readme: Readme, submission: Submission) -> list[Finding]:
    upstream = find_upstream(submission)
    if not upstream.found:
        return []
    parts = []
    if upstream.declared:
        parts.append("the README names " + ", ".join(
            f"{url} (line {line})" for line, url in upstream.declared[:_SHOWN]))
    if upstream.markers:
        parts.append("another project's files: " + ", ".join(upstream.markers[:5]))
    if upstream.headers:
        owner = upstream.headers[0][1][:60]
        parts.append(f"{len(upstream.headers)} file(s) carry a copyright header ('{owner}'), "
                     f"{len(upstream.unchanged)} of them unchanged upstream files left out of "
                     "the style review")
    line = upstream.declared[0][0] if upstream.declared else None
    findings = [UPSTREAM.finding(f"{readme.path}: the code builds on another project: "
                                 + "; ".join(parts), readme.path, line)]
    if not _CHANGED.search(readme.text):
        findings.append(UPSTREAM_CHANGES.finding(
            f"{readme.path} does not say what was changed from the upstream code",
            readme.path, line))
    return findings
