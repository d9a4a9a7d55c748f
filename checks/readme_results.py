"""The README's results as data: rows of metric, setting, paper value and reproduced value.

The results sections are the most specific headings that say "results" (``3.3. Results``,
not the ``3. Experiments and results`` around it, whose set-up tables are not results).
Tables give one row per numeric cell: the row label is the setting, the column header the
metric, and labels such as "(paper)", "Original", "Ours", "My implementation", or the
caption and heading above the table ("Reported results", "Implemented results"), say whose
number it is; unlabelled numbers are the candidate's. Sentences with a measured-looking
number (a decimal or a percentage) near a metric's name give rows too, split at "while" or
"whereas" so that "the paper reports 31.06 while we obtained 21.47" gives a pair. A paper
value and a reproduced value with the same metric and setting are paired into one row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from reviewbot.checks.readme_doc import Grid, Heading, Readme
from reviewbot.core.models import ResultRow

_RESULTS_TITLE = re.compile(r"\bresults?\b", re.IGNORECASE)
_RESULTS_BROAD = re.compile(r"\b(results?|experiments?|evaluation|performance|findings|"
                            r"comparison|reproduced|scores?|accuracy|metrics?|outcomes?)\b",
                            re.IGNORECASE)
_PAPER_LABEL = re.compile(r"\b(paper|original|reported|published|authors?|claimed|target)\b",
                          re.IGNORECASE)
_OURS_LABEL = re.compile(r"\b(ours?|my|mine|reproduc\w*|replicat\w*|implement\w*|custom|"
                         r"obtained|measured|achieved|we)\b", re.IGNORECASE)
_PAPER_CONTEXT = re.compile(
    r"\b(presented|reported|given|shown|published|listed) (by|in) the (original )?paper|"
    r"\b(paper|original|reported)('s)? (results?|numbers?|values?|scores?)|"
    r"\b(reported|given|shown|presented|achieved|obtained) in the (original )?paper\b|"
    r"\bthe paper (reports?|gives|shows)", re.IGNORECASE)
_OURS_CONTEXT = re.compile(
    r"\b(our|my) (own )?(results?|numbers?|values?|implementation|model|reproduction|runs?)|"
    r"\bimplemented results|\bwe (got|get|obtain(ed)?|achiev(e|ed)|measured|reached)\b|"
    r"\bresults? of (our|my)\b", re.IGNORECASE)
_METRIC = re.compile(
    r"\b(acc(uracy)?|error|loss|psnr|ssim|fid|bleu|rouge|f1|auc|roc|recall|precision|map|ap|"
    r"iou|miou|nmi|ari|sdr|si[-_ ]?snr|snr|rmse|mse|mae|perplexity|ppl|ece|ndcg|top-?\d|score|"
    r"likelihood|reward|return|wer|cer|dice|inception|cost|perplexity)\b", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\w.^{])([-+]?\d*\.\d+|\d+(?:\.\d+)?(?=\s?%))(\s?%)?(?![\w.}])")
_CELL_NUMBER = re.compile(r"^[^\d+-]{0,12}?([-+]?\d+(?:\.\d+)?)\s*(%)?")
_CLAUSE = re.compile(r"[;]|\bwhile\b|\bwhereas\b|\bbut\b|\bcompared (?:to|with)\b|"
                     r"\band (?=(?:we|i|our|my|the paper|the authors)\b)",
                     re.IGNORECASE)
_URLISH = re.compile(r"https?://\S+|\]\([^)]*\)|<[^>]+>")


@dataclass(frozen=True)
class _Value:
    metric: str
    setting: str
    side: str  # paper | ours
    value: float
    unit: str
    line: int


def results_headings(readme: Readme) -> list[Heading]:
    """The most specific headings whose sections hold the results."""
    found = readme.find(_RESULTS_TITLE) or readme.find(_RESULTS_BROAD)
    leaves = []
    for heading in found:
        first, last = readme.span(heading)
        if not any(first <= other.line <= last for other in found if other is not heading):
            leaves.append(heading)
    return leaves


def section_lines(readme: Readme, headings: list[Heading]) -> list[int]:
    lines: set[int] = set()
    for heading in headings:
        first, last = readme.span(heading)
        lines.update(range(first, last + 1))
    return sorted(lines)


def extract_rows(readme: Readme, lines: list[int]) -> list[ResultRow]:
    """Every result the given README lines report, paper and reproduced values paired."""
    wanted = set(lines)
    values: list[_Value] = []
    in_tables: set[int] = set()
    for grid in readme.grids:
        if grid.line in wanted:
            values += _grid_values(readme, grid)
            in_tables.update(range(grid.line, grid.end + 1))
    for number in lines:
        if number not in in_tables:
            values += _sentence_values(readme.lines[number - 1], number)
    return _paired(values, readme.path)


# --- tables -------------------------------------------------------------------------------

def _grid_values(readme: Readme, grid: Grid) -> Iterable[_Value]:
    context = _context_side(readme, grid.line)
    labelled = _has_labels(grid)
    where = _headings_above(readme, grid.line)
    for line, cells in grid.rows:
        if not cells:
            continue
        label = cells[0]
        setting = _strip_side(label) or where
        for column, cell in enumerate(cells[1:], start=1):
            match = _CELL_NUMBER.match(cell.replace(",", ""))
            if not match:
                continue
            header = grid.header[column] if column < len(grid.header) else ""
            side = _side(label) or _side(header) or ("ours" if labelled else context)
            yield _Value(_strip_side(header), setting, side, float(match.group(1)),
                         match.group(2) or "", line)


def _headings_above(readme: Readme, line: int) -> str:
    """'Cora, 1. Node Classification': the headings a table sits under, for its setting."""
    titles: list[str] = []
    level = 10
    for heading in reversed([h for h in readme.headings if h.line < line]):
        if heading.level < level and len(titles) < 2 and not _RESULTS_TITLE.search(heading.title):
            titles.append(heading.title)
            level = heading.level
        elif _RESULTS_TITLE.search(heading.title):
            break
    return ", ".join(reversed(titles))


def _has_labels(grid: Grid) -> bool:
    labels = [cells[0] for _, cells in grid.rows if cells] + list(grid.header)
    return any(_side(label) == "paper" for label in labels)


def _side(label: str) -> str:
    paper, ours = _PAPER_LABEL.search(label), _OURS_LABEL.search(label)
    if paper and not ours:
        return "paper"
    if ours and not paper:
        return "ours"
    return ""


_STRONG_OURS = re.compile(r"\b(ours?|we|my|mine|i|us)\b", re.IGNORECASE)
_STRONG_PAPER = re.compile(r"\b(paper|original|reported|published|authors?)\b", re.IGNORECASE)


def _clause_side(clause: str) -> str:
    """Whose number a clause gives: 'we obtained' is ours even when 'obtained' is everywhere."""
    paper, ours = _STRONG_PAPER.search(clause), _STRONG_OURS.search(clause)
    if paper and ours:
        return "paper" if paper.start() < ours.start() else "ours"
    return "paper" if paper else "ours" if ours else ""


def _context_side(readme: Readme, line: int) -> str:
    """Whose numbers a table holds, by the heading and the lines just above it."""
    above = [text for text in readme.lines[max(0, line - 6):line - 1] if text.strip()][-3:]
    heading = next((h.title for h in reversed(readme.headings) if h.line < line), "")
    for text in [*reversed(above), heading]:
        paper, ours = _PAPER_CONTEXT.search(text), _OURS_CONTEXT.search(text)
        if paper and not ours:
            return "paper"
        if ours:
            return "ours"
        if _side(text) and len(text) < 80:
            return _side(text)
    return "ours"


def _strip_side(label: str) -> str:
    """'CRLC (paper, lambda1=1.0)' -> 'CRLC (lambda1=1.0)': the setting without whose it is."""
    label = _PAPER_LABEL.sub("", _OURS_LABEL.sub("", re.sub(r"[*`]+", "", label)))
    label = re.sub(r"\(\s*[,;]?\s*\)", " ", label)
    label = re.sub(r"\(\s*[,;]\s*", "(", label)
    label = re.sub(r"\s{2,}", " ", label).strip(" ,;:-")
    if label.endswith("(") or label.count("(") < label.count(")"):
        label = label.strip("()").strip()
    return label + ")" * (label.count("(") - label.count(")"))


# --- sentences ----------------------------------------------------------------------------

def _sentence_values(text: str, line: int) -> Iterable[_Value]:
    for sentence in re.split(r"(?<=[a-z%)])\.\s+(?=[A-Z])", _URLISH.sub(" ", text)):
        yield from _one_sentence(sentence, line)


def _one_sentence(text: str, line: int) -> Iterable[_Value]:
    if not _NUMBER.search(text):
        return
    metric_match = _METRIC.search(text)
    if not metric_match and "%" not in text:
        return
    metric = metric_match.group(0) if metric_match else ""
    default = "paper" if _PAPER_CONTEXT.search(text) and not _OURS_CONTEXT.search(text) \
        else "ours"
    for clause in _CLAUSE.split(text):
        side = _clause_side(clause) or default
        for match in _NUMBER.finditer(clause):
            yield _Value(metric, "", side, float(match.group(1)),
                         (match.group(2) or "").strip(), line)


# --- pairing ------------------------------------------------------------------------------

def _paired(values: list[_Value], path: str) -> list[ResultRow]:
    """One row per value; a value whose other side came earlier completes that row."""
    rows: list[ResultRow] = []
    waiting: dict[str, list[tuple[int, _Value]]] = {"paper": [], "ours": []}
    for value in values:
        other = "ours" if value.side == "paper" else "paper"
        field = "paper" if value.side == "paper" else "reproduced"
        partner = next((item for item in waiting[other] if _same(item[1], value)), None)
        if partner is None:
            row = ResultRow(value.metric, value.setting, None, None, value.unit, path,
                            value.line)
            rows.append(replace(row, **{field: value.value}))
            waiting[value.side].append((len(rows) - 1, value))
            continue
        waiting[other].remove(partner)
        rows[partner[0]] = replace(rows[partner[0]], **{field: value.value},
                                   line=max(rows[partner[0]].line, value.line))
    return rows


def _same(one: _Value, other: _Value) -> bool:
    return _key(one.metric) == _key(other.metric) and _key(one.setting) == _key(other.setting)


def _key(label: str) -> str:
    return re.sub(r"[^a-z0-9]", "", label.lower())


def relative_gap(row: ResultRow) -> float | None:
    if row.paper is None or row.reproduced is None or row.paper == 0:
        return None
    return abs(row.reproduced - row.paper) / abs(row.paper)
