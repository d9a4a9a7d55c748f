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
import dataclasses
import re
from collections.abc import Iterable

from pydantic import Field

from reviewbot.checks import readme_rules
from reviewbot.checks.base import CheckConfig, code_units
from reviewbot.checks.readme_doc import Readme, parse_readme
from reviewbot.checks.readme_judge import (
    RESULTS_KEY,
    judge_results,
    missing_file_findings,
    not_completed_findings,
    template_findings,
    upstream_findings,
)
from reviewbot.checks.readme_paper import find_paper_link, known_paper, normal_url
from reviewbot.checks.readme_rules import (
    COMPLETENESS_LOW,
    COMPLETENESS_POOR,
    MISSING,
    NAMED_NOT_LINKED,
    NO_DATA,
    NO_DEVIATIONS,
    NO_HOW_TO_RUN,
    NO_PAPER_LINK,
    NO_REQUIREMENTS,
    NO_TITLE_AUTHORS,
    TOO_SHORT,
    UNREADABLE,
)
from reviewbot.checks.readme_template import find_template_text, template_lines, template_links
from reviewbot.core.models import Finding, Outcome, ResultRow
from reviewbot.core.submission import Submission

ID = readme_rules.ID
RULES = readme_rules.RULES


class Config(CheckConfig):
    """Settings of the readme check."""

    min_words: int = Field(150, ge=0, description="a README with fewer words is too short")
    min_completeness: int = Field(
        3, ge=0, le=5, description="ML code completeness (0-5) below which it is a warning")
    template: str = Field("", description="the maintainers' README template (a path); its "
                                          "sentences left in a README are template text")
    bibliography: str = Field("", description="a BibTeX file naming each submission's paper "
                                              "(DLC keeps DLC.bib), used to find the paper link")
    papers_dir: str = Field("papers", description="folder of the claims files (<folder>.toml); "
                                                  "a claims file's [paper] url is the paper")
    large_gap: float = Field(0.1, gt=0, description="relative gap between a reproduced value "
                                                    "and the paper's that README019 points out")


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


_URL = re.compile(r"https?://\S+|www\.\S+")


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


def _paper_findings(readme: Readme, submission: Submission, config: Config,
                    excluded: frozenset[str]) -> list[Finding]:
    near = next(iter(readme.find(_PAPER_HEADING)), None)
    line = near.line if near else None
    known = known_paper(submission.name, config.bibliography, config.papers_dir)
    if find_paper_link(readme, submission.name, known, excluded) is None:
        title = _paper_title(readme)
        if title:
            message = (f"{readme.path} names the paper ('{title[:80]}') but does not link it: "
                       "no arXiv URL or id, DOI or URL of the paper found")
            return [NAMED_NOT_LINKED.finding(message, readme.path, line)]
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


def _paper_title(readme: Readme) -> str:
    """The paper's title as the README's first heading gives it (not the folder's name)."""
    first = next((h for h in readme.headings if h.level == 1), None)
    if first is None:
        return ""
    title = re.sub(r"^\W*paper\s+title\s*:\s*", "", first.title, flags=re.IGNORECASE)
    return title if len(title.split()) >= 3 else ""


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


def _content_findings(readme: Readme, submission: Submission,
                      config: Config) -> tuple[list[Finding], list[ResultRow]]:
    template = find_template_text(readme, template_lines(config.template))
    findings = template_findings(readme, template)
    judged = parse_readme(readme.path, template.cleaned) if template.lines else readme
    excluded = frozenset(normal_url(url) for url in template_links(config.template))
    rows, result_findings = judge_results(judged, config.large_gap)
    findings += [*_too_short(judged, config), *_paper_findings(judged, submission, config,
                                                              excluded),
                 *_how_to_run_findings(judged), *_requirements_findings(judged, submission),
                 *_data_findings(judged), *result_findings, *_deviation_findings(judged),
                 *not_completed_findings(readme), *missing_file_findings(judged, submission),
                 *upstream_findings(judged, submission)]
    return findings, rows


def run(submission: Submission, config: Config) -> Outcome:
    path = find_readme(submission)
    text = submission.text(path) if path else None
    readme = parse_readme(path, text) if path is not None and text is not None else None
    rows: list[ResultRow] = []
    if path is None:
        findings = [_missing_readme(submission)]
    elif readme is None:
        findings = [_unreadable(submission, path)]
    else:
        findings, rows = _content_findings(readme, submission, config)
    items = completeness(submission, readme)
    findings += _completeness_findings(items, path, config)
    done = sum(items.values())
    stats = {"summary": f"ML code completeness {done}/{len(items)}", "completeness": done,
             "completeness_items": items, RESULTS_KEY: [dataclasses.asdict(r) for r in rows]}
    return Outcome(tuple(findings), stats)
