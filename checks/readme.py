"""The readme check: is there a README, and does it say what a DLC reviewer needs?

A README must name the paper, say how to install and run the code, what it needs, where
the data comes from, what came out compared with the paper, and where the replication
differs. It is read by structure (markdown ``#`` headings, underlined reST/setext
headings, short bold or ``Title:`` lines) and by keywords, so a plain-text README works.
The check also scores the Papers-with-Code ML code completeness checklist over the whole
submission.
"""

from __future__ import annotations

import ast
import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import Field

from reviewbot.checks.base import CheckConfig, code_units
from reviewbot.core.models import Finding, Outcome, Rule, Severity
from reviewbot.core.submission import Submission

ID = "readme"

MISSING = Rule(ID, "README001", Severity.ERROR, "no README at the submission's top level",
               "Add a README.md next to the code saying which paper it reproduces, how to run "
               "it and what came out.")
UNREADABLE = Rule(ID, "README002", Severity.ERROR, "README is not readable text",
                  "Save the README as plain UTF-8 text (Markdown or reStructuredText), not a "
                  "binary document.")
TOO_SHORT = Rule(ID, "README003", Severity.WARNING, "README is empty or very short",
                 "Write the sections a reviewer needs: the paper, how to run, requirements, "
                 "data, results against the paper, and deviations.")
NO_PAPER_LINK = Rule(ID, "README004", Severity.ERROR, "README does not link the paper",
                     "Link the paper near the top: its arXiv URL or id (arXiv:1412.6980), its "
                     "DOI, or the URL of its PDF.")
NO_TITLE_AUTHORS = Rule(ID, "README005", Severity.WARNING,
                        "README does not give the paper's title and authors",
                        "Name the paper in full, e.g. '[Adam: A Method for Stochastic "
                        "Optimization](https://arxiv.org/abs/1412.6980), Kingma and Ba, 2014'.")
NO_HOW_TO_RUN = Rule(ID, "README006", Severity.WARNING,
                     "README does not say how to install and run",
                     "Add a 'Usage' section with the commands, e.g. `pip install -r "
                     "requirements.txt` then `jupyter notebook <notebook>.ipynb`.")
NO_REQUIREMENTS = Rule(ID, "README007", Severity.WARNING, "README does not state the requirements",
                       "Add a 'Requirements' section: point to requirements.txt, or list the "
                       "Python and framework versions used (e.g. TensorFlow 2.15).")
NO_DATA = Rule(ID, "README008", Severity.WARNING, "README does not say where the data comes from",
               "Add a 'Data' section naming the dataset, where to download it (URL or loader) "
               "and any preprocessing.")
NO_RESULTS = Rule(ID, "README009", Severity.ERROR, "README has no results with numbers",
                  "Add a 'Results' section with a table of the paper's numbers next to the "
                  "reproduced ones (columns: metric, paper, ours).")
NO_COMPARISON = Rule(ID, "README010", Severity.WARNING,
                     "README results do not compare the paper with the reproduction",
                     "Put the paper's reported value and your reproduced value side by side, "
                     "in columns labelled e.g. 'paper' and 'ours'.")
NO_DEVIATIONS = Rule(ID, "README011", Severity.WARNING,
                     "README does not state deviations from the paper",
                     "Add a 'Deviations from the paper' section: what differs (data, model size, "
                     "epochs, hyperparameters) and why; say so if nothing does.")
COMPLETENESS_LOW = Rule(ID, "README012", Severity.INFO, "ML code completeness below 5/5",
                        "Complete the ML code checklist: dependencies, training code, evaluation "
                        "code, pre-trained models (or say training is quick), results table.")
COMPLETENESS_POOR = Rule(ID, "README013", Severity.WARNING,
                         "ML code completeness below the required minimum",
                         "Complete the ML code checklist: dependencies, training code, evaluation "
                         "code, pre-trained models (or say training is quick), results table.")
RULES: tuple[Rule, ...] = (MISSING, UNREADABLE, TOO_SHORT, NO_PAPER_LINK, NO_TITLE_AUTHORS,
                           NO_HOW_TO_RUN, NO_REQUIREMENTS, NO_DATA, NO_RESULTS, NO_COMPARISON,
                           NO_DEVIATIONS, COMPLETENESS_LOW, COMPLETENESS_POOR)


class Config(CheckConfig):
    """Settings of the readme check."""

    min_words: int = Field(150, ge=0, description="a README with fewer words is too short")
    min_completeness: int = Field(
        3, ge=0, le=5, description="ML code completeness (0-5) below which it is a warning")


# README names in order of preference when several sit at the top level.
README_NAMES = ("readme.md", "readme.markdown", "readme.rst", "readme.txt", "readme")
COMPLETENESS_LABELS = {
    "dependencies": "dependencies",
    "training_code": "training code",
    "evaluation_code": "evaluation code",
    "pretrained_models": "pre-trained models",
    "results_table": "results table",
}


def _words(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# --- the README as headings, sections and tables ---------------------------------------

_FENCE = re.compile(r"^\s*(```|~~~)")
_ATX = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_UNDERLINE = re.compile(r"^([=\-~^\"'`*+#:._])\1{2,}\s*$")
_BOLD_LINE = re.compile(r"^\s*(\*\*|__)([^*_\n]{1,60})\1\s*:?\s*$")
_COLON_LINE = re.compile(r"^\s*([A-Z][\w /&()'-]{0,40}):\s*$")
_MAX_README_CHARS = 200_000
_MAX_HEADING_CHARS = 300  # a longer line is prose; also keeps the patterns below linear
_PSEUDO_LEVEL = 99  # bold or "Title:" lines: a section that ends at the next heading
_MD_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?\s*$")
_RST_TABLE_RULE = re.compile(r"^\s*(\+-{3,})+\+\s*$|^\s*={2,}(\s+={2,})+\s*$")
_URL = re.compile(r"https?://\S+|www\.\S+")


@dataclass(frozen=True)
class Heading:
    line: int  # 1-based line of the heading's text
    title: str
    level: int


@dataclass(frozen=True)
class Readme:
    """A README's text with its headings and tables found once."""

    path: str
    text: str
    lines: tuple[str, ...]
    headings: tuple[Heading, ...]  # in line order
    tables: tuple[tuple[int, str], ...]  # (first line, table text)

    def find(self, pattern: re.Pattern[str]) -> list[Heading]:
        return [h for h in self.headings if pattern.search(h.title)]

    def section(self, heading: Heading) -> str:
        """The text under ``heading`` up to the next heading of the same or a higher level."""
        end = len(self.lines)
        after = bisect.bisect_right(self.headings, heading.line, key=lambda h: h.line)
        for other in self.headings[after:]:
            if other.level <= heading.level or heading.level == _PSEUDO_LEVEL:
                end = other.line - 1  # the heading's own text line ends the section
                break
        return "\n".join(self.lines[heading.line:end])


def parse_readme(path: str, text: str) -> Readme:
    # Past this a README is not prose anyone reads; the cap bounds the work on hostile input.
    text = text[:_MAX_README_CHARS]
    lines = text.split("\n")  # "\n" only, so line numbers match GitHub's
    return Readme(path, text, tuple(lines), tuple(_headings(lines)), tuple(_tables(lines)))


def _headings(lines: list[str]) -> Iterable[Heading]:
    adornments: list[str] = []  # underline characters in order of first use: their levels
    in_fence = False
    for index, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        heading = _heading_at(lines, index, adornments)
        if heading is not None:
            yield heading


def _heading_at(lines: list[str], index: int, adornments: list[str]) -> Heading | None:
    line = lines[index]
    if len(line) > _MAX_HEADING_CHARS:
        return None
    atx = _ATX.match(line)
    if atx:
        return Heading(index + 1, atx.group(2), len(atx.group(1)))
    if _is_title_text(line) and index + 1 < len(lines) and _UNDERLINE.match(lines[index + 1]):
        char = lines[index + 1].strip()[0]
        if char not in adornments:
            adornments.append(char)
        return Heading(index + 1, line.strip(), adornments.index(char) + 1)
    pseudo = _BOLD_LINE.match(line) or _COLON_LINE.match(line)
    if pseudo:
        return Heading(index + 1, pseudo.group(pseudo.lastindex or 1).strip(), _PSEUDO_LEVEL)
    return None


def _is_title_text(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not _UNDERLINE.match(stripped) and "|" not in stripped


def _tables(lines: list[str]) -> Iterable[tuple[int, str]]:
    """Markdown pipe tables, reST grid and simple tables, and HTML tables."""
    index = 0
    while index < len(lines):
        if _MD_TABLE_RULE.match(lines[index]) or _RST_TABLE_RULE.match(lines[index]) \
                or "<table" in lines[index].lower():
            start, end = _block_around(lines, index)
            yield start + 1, "\n".join(lines[start:end])
            index = end
        else:
            index += 1


def _block_around(lines: list[str], index: int) -> tuple[int, int]:
    """The run of non-blank lines holding ``index`` (a table's header, rule and rows)."""
    start = index
    while start > 0 and lines[start - 1].strip():
        start -= 1
    end = index
    while end < len(lines) and lines[end].strip():
        end += 1
    return start, end


def _without_links(text: str) -> str:
    return _ARXIV_ID.sub(" ", _URL.sub(" ", text))


def _numbers(text: str) -> list[str]:
    """Measured-looking numbers (decimals, percentages), not URLs or arXiv ids."""
    return re.findall(r"(?<![\w.])\d+(?:\.\d+)?\s?%|(?<![\w.])\d*\.\d+(?![\w.])",
                      _without_links(text))


def _has_digits(text: str) -> bool:
    return any(char.isdigit() for char in _without_links(text))


# --- which paper -------------------------------------------------------------------------

_ARXIV_ID = _words(r"\barxiv[:\s]\s*(\d{4}\.\d{4,5}|[a-z.-]+/\d{7})(v\d+)?")
_PAPER_LINK = _words(
    r"arxiv\.org/(abs|pdf)/|\barxiv[:\s]\s*(\d{4}\.\d{4,5}|[a-z.-]+/\d{7})|doi\.org/|"
    r"\bdoi:\s*10\.\d{4,}|\b10\.\d{4,9}/\S+|openreview\.net|aclanthology\.org|aclweb\.org|"
    r"papers\.nips\.cc|proceedings\.(mlr\.press|neurips\.cc)|jmlr\.org|ieeexplore\.ieee\.org|"
    r"dl\.acm\.org|link\.springer\.com|sciencedirect\.com|semanticscholar\.org|nature\.com|"
    r"thecvf\.com|cv-foundation\.org|https?://\S{1,300}?\.pdf\b")
_PAPER_WORD = _words(r"\b(paper|article|publication|preprint|proceedings)\b")
# "Paper", "The original paper", "References", "Citation"; not "Deviations from the paper"
_PAPER_HEADING = _words(r"^\W*(about\s+)?(the\s+)?(original\s+)?(paper|references?|citations?|"
                        r"cite|citing|publication|bibliography)\b")
# Bounded, unnested quantifiers throughout: a README is untrusted and may be megabytes long.
_TITLE_WORD = _words(r"\btitle\b")
# link text, or a quoted/italic/bold phrase starting with a capital: a title if 3+ words
_OPEN, _CLOSE = "\"'*_\u201c\u2018", "\"'*_\u201d\u2019"  # straight and curly quotes
_TITLE_SPAN = re.compile(rf"\[([^\]\n]{{1,200}})\]\(|"
                         rf"[{_OPEN}]([A-Z][^{_CLOSE}\n]{{1,200}})[{_CLOSE}]")
_AUTHOR_HINT = re.compile(r"(?i:\bet\.? al\b|\bauthors?\b|\bauthor\s*=)|\bby\s+[A-Z][a-z]+")


def _paper_findings(readme: Readme, submission: Submission) -> list[Finding]:
    near = next(iter(readme.find(_PAPER_HEADING)), None)
    line = near.line if near else None
    if not _has_paper_link(readme):
        message = (f"{readme.path} does not link the paper it reproduces: no arXiv URL or id, "
                   "DOI or URL of the paper found")
        return [NO_PAPER_LINK.finding(message, readme.path, line)]
    missing = [part for part, found in (("title", _has_title(readme)),
                                        ("authors", _has_authors(readme, submission.name)))
               if not found]
    if not missing:
        return []
    message = f"{readme.path} links the paper but does not give its {' or '.join(missing)}"
    return [NO_TITLE_AUTHORS.finding(message, readme.path, line)]


def _has_paper_link(readme: Readme) -> bool:
    if _PAPER_LINK.search(readme.text):
        return True
    # any link on a line that says it is the paper, or under a Paper/Reference heading
    lines_with_url = (line for line in readme.lines if _URL.search(line))
    if any(_PAPER_WORD.search(line) for line in lines_with_url):
        return True
    return any(_URL.search(readme.section(h)) for h in readme.find(_PAPER_HEADING))


def _has_title(readme: Readme) -> bool:
    if _TITLE_WORD.search(readme.text):
        return True
    for match in _TITLE_SPAN.finditer(readme.text):
        if len((match.group(1) or match.group(2)).split()) >= 3:
            return True
    # a first heading in words ("Adam: A Method for ...") rather than the folder's name
    return any(len(h.title.split()) >= 3 for h in readme.headings[:2])


def _has_authors(readme: Readme, folder: str) -> bool:
    if _AUTHOR_HINT.search(readme.text):
        return True
    # DLC folders are named after the authors: KingmaBa2014 -> Kingma, Ba
    surnames = re.findall(r"[A-Z][a-z]+", re.sub(r"EtAl|\d+[a-z]?$", " ", folder))
    return bool(surnames) and all(
        re.search(rf"\b{name}\b", readme.text) for name in surnames[:2])


# --- how to run, requirements, data -------------------------------------------------------

_RUN_HEADING = _words(r"\b(install\w*|usage|run\w*|how to|getting started|quick ?start|"
                      r"reproduc\w*|setup|set up|instructions|execut\w*)\b")
_RUN_COMMAND = _words(
    r"\bpip3? install\b|\bconda (install|env|create)\b|\bpython3?\s+(-m\s+[\w.]+|[\w./-]+\.py)|"
    r"\bjupyter(\s+|-)(notebook|lab|nbconvert|execute)\b|\bipython\b|\bpoetry install\b|"
    r"\b(bash|sh)\s+[\w./-]+\.sh\b|\bdocker run\b|\bopen [\w./-]+\.ipynb|"
    r"\brun (all cells|the notebook|[\w./-]+\.(ipynb|py))")
_REQUIREMENTS_HEADING = _words(r"\b(requirements?|dependenc\w*|prerequisites?|environment|"
                               r"software|libraries|packages)\b")
_REQUIREMENTS_FILE = _words(r"requirements[\w.-]*\.txt|environment\.ya?ml|\bpipfile\b|"
                            r"pyproject\.toml|setup\.py|conda[\w.-]*\.ya?ml")
_FRAMEWORK_VERSION = _words(
    r"\b(tensorflow|tf|keras|torch|pytorch|jax|flax|numpy|scipy|pandas|scikit-learn|sklearn|"
    r"matplotlib|python|theano|mxnet|chainer|cuda)\b\s{0,3}(==|>=|<=|~=|:|v)?\s{0,3}\d+(\.[\dx*]+)*")
_DATA_HEADING = _words(r"\b(data|datasets?|data sets?|corpus|corpora|benchmarks?)\b")
_DATA_WORD = _words(r"\b(data|datasets?|data sets?|corpus|corpora)\b|mnist|cifar|imagenet|"
                    r"treebank|\bptb\b|wikitext|svhn|\bcoco\b|\bimdb\b|\bsst\b|squad|\bwmt\b|"
                    r"omniglot|celeba|text8|\buci\b")
_DATA_SOURCE = _words(r"\b(download\w*|from|hosted|available|obtained|source|comes?|fetch\w*|"
                      r"load\w*|via|provided|generat\w*|synthetic|simulat\w*)\b|https?://|"
                      r"tensorflow_datasets|tfds|torchvision|keras\.datasets|kaggle")


def _how_to_run_findings(readme: Readme) -> list[Finding]:
    if readme.find(_RUN_HEADING) or _RUN_COMMAND.search(readme.text):
        return []
    message = (f"{readme.path} does not say how to install and run the code: no install/usage "
               "section and no pip, python or jupyter command")
    return [NO_HOW_TO_RUN.finding(message, readme.path)]


def _requirements_findings(readme: Readme, submission: Submission) -> list[Finding]:
    text = readme.text
    if readme.find(_REQUIREMENTS_HEADING) or _REQUIREMENTS_FILE.search(text) \
            or _FRAMEWORK_VERSION.search(text):
        return []
    message = (f"{readme.path} does not state the requirements: no requirements section, no "
               "requirements file named and no framework version")
    present = _dependency_files(submission)
    if present:
        message += f" ({present[0]} exists: say so in the README)"
    return [NO_REQUIREMENTS.finding(message, readme.path)]


def _data_findings(readme: Readme) -> list[Finding]:
    if readme.find(_DATA_HEADING):
        return []
    if any(_DATA_WORD.search(line) and _DATA_SOURCE.search(line)
           for line in readme.lines):
        return []
    message = (f"{readme.path} does not say where the data comes from: no data section and no "
               "sentence naming the dataset and its source")
    return [NO_DATA.finding(message, readme.path)]


# --- results and deviations ---------------------------------------------------------------

_RESULTS_HEADING = _words(r"\b(results?|experiments?|evaluation|performance|findings|comparison|"
                          r"reproduced|scores?|accuracy|metrics?|outcomes?)\b")
_PAPER_SIDE = _words(r"\b(paper|original|reported|published|authors?'?|claimed|target)\b")
_OUR_SIDE = _words(r"\b(ours|our|we|reproduced|reproduction|replicated|replication|obtained|"
                   r"measured|achieved|mine|my|this (repo\w*|implementation|work|notebook))\b")
_DEVIATION = _words(
    r"\bdeviat\w*|\bdiffer\w*|\bapproximat\w*|\bunlike the (original )?paper|\binstead of\b|"
    r"\bdepart\w*|\bdiverg\w*|\bdiscrepanc\w*|\bsimplif\w*|\bmodifi\w*|\bchanges?\b|"
    r"\bas in the (original )?paper|\bfollows? the paper exactly|\bsame (setup|settings) as")


def _results_findings(readme: Readme) -> list[Finding]:
    headings = readme.find(_RESULTS_HEADING)
    with_numbers = next((h for h in headings if _has_results_numbers(readme.section(h))), None)
    if with_numbers:
        return _comparison_findings(readme, with_numbers, readme.section(with_numbers))
    numeric_tables = [table for table in readme.tables if _has_digits(table[1])]
    if numeric_tables:
        # a table of numbers under some other heading: judge the table itself
        line, table = numeric_tables[0]
        return _comparison_findings(readme, Heading(line, "table", _PSEUDO_LEVEL), table)
    if headings:
        message = (f"{readme.path}: the '{headings[0].title}' section has no numbers; give the "
                   "paper's values and the reproduced ones")
        return [NO_RESULTS.finding(message, readme.path, headings[0].line)]
    message = (f"{readme.path} has no results section: no 'Results' heading and no table of "
               "numbers")
    return [NO_RESULTS.finding(message, readme.path)]


def _has_results_numbers(section: str) -> bool:
    in_table = any("|" in line and _has_digits(line) for line in section.splitlines())
    return len(_numbers(section)) >= 2 or in_table


def _comparison_findings(readme: Readme, heading: Heading, section: str) -> list[Finding]:
    missing = [side for side, pattern in (("the paper's values", _PAPER_SIDE),
                                          ("the reproduced values", _OUR_SIDE))
               if not pattern.search(section)]
    if not missing:
        return []
    message = (f"{readme.path}: the results at line {heading.line} do not say which numbers are "
               f"{' and which are '.join(missing)}")
    return [NO_COMPARISON.finding(message, readme.path, heading.line)]


def _deviation_findings(readme: Readme) -> list[Finding]:
    if _DEVIATION.search(readme.text):
        return []
    message = (f"{readme.path} does not say how the replication deviates from the paper "
               "(or that it does not)")
    return [NO_DEVIATIONS.finding(message, readme.path)]


# --- the ML code completeness checklist ---------------------------------------------------

_DEPENDENCY_FILE = re.compile(r"(^|/)(requirements[\w.-]*\.txt|environment\.ya?ml|Pipfile|"
                              r"pyproject\.toml|setup\.py|setup\.cfg|conda[\w.-]*\.ya?ml)$",
                              re.IGNORECASE)
# weights and saved models (not .npy/.npz/.bin, which hold data as often as weights)
_WEIGHT_FILE = re.compile(r"\.(h5|hdf5|keras|pt|pth|ckpt|pb|pkl|pickle|joblib|safetensors|"
                          r"onnx|tflite|weights|data-\d+-of-\d+)$", re.IGNORECASE)
_PRETRAINED_TEXT = _words(
    r"\bpre-?trained\b|\b(weights|checkpoints?)\b[^\n]{0,200}?(https?://|\.(h5|pt|pth|ckpt))|"
    r"\bno (training|pre-?trained|model to train)\b|\b(fast|quick|cheap) to train\b|"
    r"\btrain\w*\s+(quickly|fast|in (a few )?(seconds|minutes))\b|"
    r"\b(takes?|runs? in|trains? in|training takes)\b[^.\n]{0,30}\b(\d+|a few|few|one|two|"
    r"several)\s*(seconds?|secs?|s|minutes?|mins?)\b")
_TRAIN_CALLS = {"fit", "fit_generator", "train_on_batch", "backward", "apply_gradients",
                "minimize", "GradientTape", "train_step"}
_EVAL_CALLS = {"evaluate", "evaluate_generator", "predict", "predict_on_batch", "test_on_batch",
               "score", "eval", "test_step"}
_EVAL_NAME = re.compile(r"^(eval|evaluate|test_model|predict)|accuracy|perplexity|bleu|f1|"
                        r"auc|roc|confusion|precision|recall|mean_squared_error|metric|"
                        r"error_rate|top_?k", re.IGNORECASE)


def completeness(submission: Submission, readme: Readme | None) -> dict[str, bool]:
    """The five checklist items, each True when the submission has it."""
    names = _code_names(submission)
    paths = [entry.path for entry in submission.files]
    text = readme.text if readme else ""
    tables = readme.tables if readme else ()
    return {
        "dependencies": bool(_dependency_files(submission)) or bool(
            _REQUIREMENTS_FILE.search(text) or _FRAMEWORK_VERSION.search(text)),
        "training_code": _has_training(names, paths),
        "evaluation_code": _has_evaluation(names, paths),
        "pretrained_models": any(_WEIGHT_FILE.search(p) for p in paths)
        or bool(_PRETRAINED_TEXT.search(text)),
        "results_table": any(_has_digits(table) for _, table in tables),
    }


def _dependency_files(submission: Submission) -> list[str]:
    return [entry.path for entry in submission.files if _DEPENDENCY_FILE.search(entry.path)]


def _has_training(names: set[str], paths: list[str]) -> bool:
    if any(re.search(r"(^|/)[^/]*train[^/]*\.(py|ipynb)$", p, re.IGNORECASE) for p in paths):
        return True
    return bool(names & _TRAIN_CALLS) or any(
        name.lower().startswith("train") or name in {"epoch", "epochs"} for name in names)


def _has_evaluation(names: set[str], paths: list[str]) -> bool:
    if any(re.search(r"(^|/)(eval|evaluat|predict)[^/]*\.(py|ipynb)$", p, re.IGNORECASE)
           for p in paths):
        return True
    return bool(names & _EVAL_CALLS) or any(_EVAL_NAME.search(name) for name in names)


def _code_names(submission: Submission) -> set[str]:
    """Functions called or defined, and loop variables, across modules and notebooks."""
    names: set[str] = set()
    for unit in code_units(submission):
        tree = unit.tree
        if tree is not None:
            names.update(_names_in(tree))
    return names


def _names_in(tree: ast.Module) -> Iterable[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute):
                yield func.attr
            elif isinstance(func, ast.Name):
                yield func.id
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node.name
        elif isinstance(node, ast.For) and isinstance(node.target, ast.Name):
            yield node.target.id


def _completeness_findings(items: dict[str, bool], path: str | None,
                           config: Config) -> list[Finding]:
    score = sum(items.values())
    if score >= len(items):
        return []
    missing = ", ".join(COMPLETENESS_LABELS[key] for key, found in items.items() if not found)
    message = f"ML code completeness {score}/{len(items)}: missing {missing}"
    if score < config.min_completeness:
        message += f" (below the minimum {config.min_completeness})"
        return [COMPLETENESS_POOR.finding(message, path)]
    return [COMPLETENESS_LOW.finding(message, path)]


# --- finding the README and running it all ------------------------------------------------

def find_readme(submission: Submission) -> str | None:
    """The top-level README's path, preferring Markdown, then reST, then plain text."""
    top = {entry.path.lower(): entry.path for entry in submission.files if "/" not in entry.path}
    candidates = [top[name] for name in README_NAMES if name in top]
    readable = [path for path in candidates if submission.text(path) is not None]
    return (readable or candidates or [None])[0]


def _missing_readme(submission: Submission) -> Finding:
    nested = [e.path for e in submission.files
              if e.path.rsplit("/", 1)[-1].lower() in README_NAMES and "/" in e.path]
    message = "no README (README.md, README.rst or README.txt) at the top of the submission"
    if nested:
        message += f"; {nested[0]} is in a subfolder: move it to the top"
    return MISSING.finding(message)


_NOT_READ = {"binary": "is a binary file", "symlink": "is a symlink",
             "special": "is not a regular file"}


def _unreadable(submission: Submission, path: str) -> Finding:
    kind = next((e.kind for e in submission.files if e.path == path), "unread")
    why = _NOT_READ.get(kind, "could not be read (too large or unreadable)")
    return UNREADABLE.finding(f"{path} {why}, not text a reviewer can read", path)


def _too_short(readme: Readme, config: Config) -> list[Finding]:
    words = len(readme.text.split())
    if words >= config.min_words:
        return []
    state = "is empty" if words == 0 else f"has {words} words < {config.min_words}"
    return [TOO_SHORT.finding(f"{readme.path} {state}", readme.path)]


def _content_findings(readme: Readme, submission: Submission, config: Config) -> list[Finding]:
    return [*_too_short(readme, config), *_paper_findings(readme, submission),
            *_how_to_run_findings(readme), *_requirements_findings(readme, submission),
            *_data_findings(readme), *_results_findings(readme), *_deviation_findings(readme)]


def run(submission: Submission, config: Config) -> Outcome:
    path = find_readme(submission)
    text = submission.text(path) if path else None
    readme = parse_readme(path, text) if path is not None and text is not None else None
    if path is None:
        findings = [_missing_readme(submission)]
    elif readme is None:
        findings = [_unreadable(submission, path)]
    else:
        findings = _content_findings(readme, submission, config)
    items = completeness(submission, readme)
    findings += _completeness_findings(items, path, config)
    done = sum(items.values())
    stats = {"summary": f"ML code completeness {done}/{len(items)}", "completeness": done,
             "completeness_items": items}
    return Outcome(tuple(findings), stats)
