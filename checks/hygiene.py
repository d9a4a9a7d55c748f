"""The hygiene check: can someone else run this code, and is anything committed by mistake?

It reports code that is not Python 3 (saying plainly when it is Python 2), absolute paths
that only exist on the author's machine, bytecode, checkpoints, data and large binaries in
the repository, secrets in code, text files or notebook outputs (masked, never echoed),
missing or unpinned requirements, data downloaded at run time that the README does not
mention, randomness without a seed, and a folder name outside the DLC convention.
Everything is read as text; nothing is imported or run.
"""

from __future__ import annotations

import ast
import io
import math
import re
import tokenize
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import PurePosixPath

from pydantic import Field

from reviewbot.checks import hygiene_code, requirements_file
from reviewbot.checks.base import CheckConfig, CodeUnit, code_units
from reviewbot.checks.secret_catalogue import catalogue_matches
from reviewbot.core.ipynb import Cell, Notebook
from reviewbot.core.models import Finding, Rule, Severity
from reviewbot.core.submission import SUBMISSION_NAME, FileEntry, Submission

ID = "hygiene"

PYTHON2 = Rule(ID, "HYG001", Severity.ERROR, "Python 2 code",
               "Port the file to Python 3: 2to3 (shipped with Python up to 3.12) or futurize "
               "does most of the work; then run the code again.")
SYNTAX = Rule(ID, "HYG002", Severity.ERROR, "code that does not parse as Python 3",
              "Fix the syntax error; `python -m py_compile FILE` shows it.")
ABSOLUTE_PATH = Rule(ID, "HYG003", Severity.WARNING, "hard-coded absolute path",
                     "Use a path relative to the repository (pathlib.Path(__file__).parent) or "
                     "a command-line argument, so the code runs on other machines.")
BYTECODE = Rule(ID, "HYG004", Severity.WARNING, "compiled bytecode committed",
                "Delete __pycache__/ and *.pyc files and add them to .gitignore.")
CHECKPOINT = Rule(ID, "HYG005", Severity.WARNING, "model checkpoint committed",
                  "Keep trained weights out of the repository: publish them elsewhere "
                  "(a release, Zenodo, a model hub) and link them from the README.")
LARGE_BINARY = Rule(ID, "HYG006", Severity.WARNING, "large binary file committed",
                    "Remove the file or make it smaller; keep large artifacts outside the "
                    "repository and link them from the README.")
DATA_FILE = Rule(ID, "HYG007", Severity.WARNING, "data file committed",
                 "Keep data sets out of the repository; say in the README where to download "
                 "them, or fetch them in code.")
SECRET = Rule(ID, "HYG008", Severity.ERROR, "secret or access token in the submission",
              "Revoke the secret now (it is public once pushed), remove it from the files "
              "and the git history, and read it from an environment variable instead.")
NO_REQUIREMENTS = Rule(ID, "HYG009", Severity.WARNING, "no requirements file",
                       "Add a requirements.txt (or environment.yml) listing the packages the "
                       "code needs, pinned to the versions you used (numpy==1.26.4).")
UNPINNED = Rule(ID, "HYG010", Severity.INFO, "requirements without versions",
                "Pin each package to the version you used (numpy==1.26.4); `pip freeze` "
                "shows them.")
UNDOCUMENTED_DOWNLOAD = Rule(ID, "HYG011", Severity.WARNING,
                             "data downloaded at run time, not mentioned in the README",
                             "Say in the README what the code downloads, from where and how "
                             "large it is, so runs without network access can be prepared.")
NO_SEED = Rule(ID, "HYG012", Severity.WARNING, "random seeds never set",
               "Set the seeds once at the start (random.seed, np.random.seed and "
               "tf.random.set_seed or torch.manual_seed) so that runs can be repeated.")
FOLDER_NAME = Rule(ID, "HYG013", Severity.INFO, "folder name outside the DLC convention",
                   "Name the folder after the paper's authors and year: Author1Author2EtAlYEAR "
                   "(e.g. MikolovJoulinChopraEtAl2015).")
RULES = (PYTHON2, SYNTAX, ABSOLUTE_PATH, BYTECODE, CHECKPOINT, LARGE_BINARY, DATA_FILE, SECRET,
         NO_REQUIREMENTS, UNPINNED, UNDOCUMENTED_DOWNLOAD, NO_SEED, FOLDER_NAME,
         *hygiene_code.RULES, *requirements_file.RULES)

NOTEBOOK_CHECKPOINTS = ".ipynb_checkpoints"  # the notebook check reports these copies


class Config(CheckConfig):
    """Settings of the hygiene check."""

    max_binary_bytes: int = Field(1_000_000, gt=0,
                                  description="binary files larger than this are reported")
    max_data_bytes: int = Field(100_000, ge=0,
                                description="data files (csv, npy, archives...) larger than "
                                            "this are reported")


def run(submission: Submission, config: Config) -> list[Finding]:
    """Every hygiene finding, code problems first; copies in .ipynb_checkpoints skipped."""
    units = [unit for unit in code_units(submission) if not _in_checkpoints(unit.path)]
    findings = [*hygiene_code.code_presence(submission), *parse_problems(units),
                *absolute_paths(units)]
    findings += committed_files(submission.files, config)
    findings += secrets(submission)
    findings += requirements(submission)
    findings += undocumented_downloads(submission)
    findings += missing_seeds(units)
    findings += folder_name(submission.name)
    return findings


def _in_checkpoints(path: str) -> bool:
    return NOTEBOOK_CHECKPOINTS in PurePosixPath(path).parts


def _where(unit: CodeUnit, line: int) -> str:
    """``line 12``, or ``cell 3, line 2`` for notebook code."""
    origin = unit.notebook.locate(line) if unit.notebook else None
    return f"cell {origin.cell}, line {origin.cell_line}" if origin else f"line {line}"


def lines_containing(text: str, needles: Iterable[str]) -> list[tuple[int, str]]:
    """(offset, line) of each line of ``text`` holding one of the plain ``needles``.

    A prefilter: ``str.find`` runs many times faster than a regex over a whole module, and
    the patterns then run only on the few lines that can match.
    """
    starts: set[int] = set()
    for needle in needles:
        position = text.find(needle)
        while position >= 0:
            starts.add(text.rfind("\n", 0, position) + 1)
            end = text.find("\n", position)
            position = text.find(needle, end) if end >= 0 else -1
    return [(start, _line_at(text, start)) for start in sorted(starts)]


def _line_at(text: str, start: int) -> str:
    end = text.find("\n", start)
    return text[start:] if end < 0 else text[start:end]


def _casings(*words: str) -> tuple[str, ...]:
    return tuple(v for word in words for v in (word, word.upper(), word.capitalize()))


# --- code that is not Python 3 -------------------------------------------------------------

@dataclass(frozen=True)
class Construct:
    """A Python 2 construct found in source: what it is and on which line."""

    name: str
    line: int


def parse_problems(units: Iterable[CodeUnit]) -> Iterator[Finding]:
    """HYG001 for Python 2 code, HYG002 for any other code that does not parse."""
    for unit in units:
        if unit.tree is not None:
            continue
        error = _parse_error(unit.text)
        constructs = python2_constructs(unit.text)
        if constructs:
            yield _python2_finding(unit, constructs, error)
        else:
            line, reason = error
            yield unit.finding(SYNTAX, f"{unit.path} does not parse as Python 3 "
                                       f"({reason} at {_where(unit, line)})", line)


def _parse_error(text: str) -> tuple[int, str]:
    """(line, reason) of the first error Python's parser reports."""
    try:
        compile(text, "<submission>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        return exc.lineno or 1, exc.msg
    except (ValueError, RecursionError, MemoryError) as exc:
        return 1, str(exc) or type(exc).__name__
    return 1, "the parser gave up"


def _python2_finding(unit: CodeUnit, constructs: list[Construct],
                     error: tuple[int, str]) -> Finding:
    on_error_line = [c for c in constructs if c.line == error[0]]
    first = on_error_line[0] if on_error_line else constructs[0]
    more = len(constructs) - 1
    extra = f"; {more} more Python 2 construct{'s' if more > 1 else ''}" if more else ""
    message = (f"{unit.path} is Python 2 code ({first.name} at {_where(unit, first.line)}"
               f"{extra}): port it to Python 3 (2to3 can help)")
    return unit.finding(PYTHON2, message, first.line)


def python2_constructs(text: str) -> list[Construct]:
    """The Python 2-only constructs in ``text``, found from its tokens."""
    found: list[Construct] = []
    for tokens in _logical_lines(text):
        found += _statement_constructs(tokens)
        found += _token_constructs(tokens)
    return sorted(set(found), key=lambda construct: construct.line)


def _logical_lines(text: str) -> Iterator[list[tokenize.TokenInfo]]:
    """Significant tokens grouped by logical line; stops quietly where tokenizing fails."""
    skipped = {tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT,
               tokenize.ENCODING}
    current: list[tokenize.TokenInfo] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
                yield current
                current = []
            elif token.type not in skipped and token.string.strip():
                current.append(token)
    except (tokenize.TokenError, SyntaxError, ValueError):
        pass
    if current:
        yield current


_STATEMENT_PY2 = {"print": "print statement", "exec": "exec statement"}


def _statement_constructs(tokens: list[tokenize.TokenInfo]) -> list[Construct]:
    """``print x``, ``exec code``, ``except E, e:`` and ``raise E, "msg"``."""
    found = []
    for index, token in enumerate(tokens[:-1]):
        starts = index == 0 or tokens[index - 1].string in (":", ";")
        after = tokens[index + 1]
        if starts and token.string in _STATEMENT_PY2 and _begins_operand(after):
            found.append(Construct(_STATEMENT_PY2[token.string], token.start[0]))
    head = tokens[0].string if tokens else ""
    if head in ("except", "raise") and _comma_at_top_level(tokens):
        name = "except X, e: clause" if head == "except" else "raise E, message statement"
        found.append(Construct(name, tokens[0].start[0]))
    return found


def _begins_operand(token: tokenize.TokenInfo) -> bool:
    keywords = {"if", "else", "in", "is", "and", "or", "not", "for", "as"}
    if token.type == tokenize.NAME:
        return token.string not in keywords
    return token.type in (tokenize.STRING, tokenize.NUMBER) or token.string == ">>"


def _comma_at_top_level(tokens: list[tokenize.TokenInfo]) -> bool:
    depth = 0
    for token in tokens:
        if token.string in "([{" and token.type == tokenize.OP:
            depth += 1
        elif token.string in ")]}" and token.type == tokenize.OP:
            depth -= 1
        elif token.string == "," and depth == 0:
            return True
    return False


def _token_constructs(tokens: list[tokenize.TokenInfo]) -> list[Construct]:
    """Backticks, ``<>``, ``0777`` octals, ``10L`` longs and ``ur''`` strings."""
    found = [Construct("backticks", t.start[0]) for t in tokens if t.string == "`"]
    for token, after in pairwise(tokens):
        if token.end != after.start:
            continue
        name = _adjacent_construct(token, after)
        if name:
            found.append(Construct(name, token.start[0]))
    return found


def _adjacent_construct(token: tokenize.TokenInfo, after: tokenize.TokenInfo) -> str | None:
    if token.string == "<" and after.string == ">":
        return "<> operator"
    if token.type == tokenize.NUMBER and token.string == "0" and after.string.isdigit():
        return f"octal literal 0{after.string}"
    if token.type == tokenize.NUMBER and after.string in ("L", "l"):
        return f"long integer {token.string}{after.string}"
    if token.string.lower() == "ur" and after.type == tokenize.STRING:
        return "ur'' string prefix"
    return None


# --- absolute paths ---------------------------------------------------------------------

_ABSOLUTE_ROOTS = ("home", "Users", "content", "mnt", "root", "scratch", "media", "tmp", "data",
                   "datasets", "opt", "srv", "workspace", "kaggle", "gpfs", "lustre", "storage",
                   "nfs", "net", "var", "private")
_ABSOLUTE = re.compile(r"(?<![\w.~/-])(?:/(?:" + "|".join(_ABSOLUTE_ROOTS) + r")/"
                       r"|[A-Za-z]:[\\/])")
_ABSOLUTE_NEEDLES = (*(f"/{root}/" for root in _ABSOLUTE_ROOTS), ":\\", ":/")
_SHOWN_PLACES = 3


def absolute_paths(units: Iterable[CodeUnit]) -> Iterator[Finding]:
    """HYG003 once per path prefix (/content/gdrive, /tmp), with a count and first places."""
    by_prefix: dict[str, list[tuple[CodeUnit, int, str]]] = {}
    for unit in units:
        for line, value in _absolute_literals(unit):
            by_prefix.setdefault(_prefix(value), []).append((unit, line, value))
    for prefix, places in by_prefix.items():
        unit, line, value = places[0]
        shown = value if len(value) <= 60 else value[:57] + "..."
        where = ", ".join(f"{u.path} {_where(u, n)}" for u, n, _ in places[:_SHOWN_PLACES])
        more = f" and {len(places) - _SHOWN_PLACES} more" if len(places) > _SHOWN_PLACES else ""
        count = f"{len(places)} hard-coded absolute paths under {prefix}" \
            if len(places) > 1 else f"the hard-coded absolute path {shown!r}"
        yield unit.finding(ABSOLUTE_PATH, f"{unit.path} hard-codes {count} ({where}{more})"
                           if len(places) > 1 else
                           f"{unit.path} hard-codes the absolute path {shown!r} at "
                           f"{_where(unit, line)}", line)


def _absolute_literals(unit: CodeUnit) -> Iterator[tuple[int, str]]:
    likely = lines_containing(unit.text, _ABSOLUTE_NEEDLES)
    tree = unit.tree if likely else None  # most files hold no such path: no walk
    if tree is None:
        return
    seen: set[int] = set()
    for line, value in _string_literals(tree):
        if line not in seen and _ABSOLUTE.search(value):
            seen.add(line)
            yield line, value


def _prefix(value: str) -> str:
    """The path's first two folders (/content/gdrive), or its drive (C:)."""
    match = _ABSOLUTE.search(value)
    start = match.start() if match else 0
    path = value[start:].replace("\\", "/")
    if re.match(r"[A-Za-z]:/", path):
        return path[:2]
    return "/" + "/".join(path.strip("/").split("/")[:2])


def _string_literals(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """(line, text) of each string constant, docstrings and bare strings left out."""
    nodes = list(ast.walk(tree))
    bare = {id(node.value) for node in nodes if isinstance(node, ast.Expr)}
    for node in nodes:
        if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and id(node) not in bare):
            yield node.lineno, node.value


# --- committed files --------------------------------------------------------------------

CHECKPOINT_SUFFIXES = {".ckpt", ".h5", ".hdf5", ".keras", ".pt", ".pth", ".safetensors",
                       ".onnx", ".tflite", ".weights"}
DATA_SUFFIXES = {".csv", ".tsv", ".npy", ".npz", ".pkl", ".pickle", ".parquet", ".feather",
                 ".arrow", ".tfrecord", ".tfrecords", ".jsonl", ".mat", ".zip", ".tar", ".gz",
                 ".tgz", ".bz2", ".xz", ".7z", ".rar", ".ubyte", ".idx"}


def committed_files(files: Iterable[FileEntry], config: Config) -> Iterator[Finding]:
    """One finding per file that should not be in the repository (the most specific)."""
    for entry in files:
        if _in_checkpoints(entry.path):
            continue
        finding = _file_finding(entry, config)
        if finding is not None:
            yield finding


def _file_finding(entry: FileEntry, config: Config) -> Finding | None:
    path = PurePosixPath(entry.path)
    size = _size(entry.size)
    if "__pycache__" in path.parts or path.suffix.lower() in (".pyc", ".pyo"):
        return BYTECODE.finding(f"{entry.path} is compiled Python bytecode", entry.path)
    if _is_checkpoint(path):
        return CHECKPOINT.finding(f"{entry.path} is a model checkpoint ({size})", entry.path)
    if _is_data(path) and entry.size > config.max_data_bytes:
        return DATA_FILE.finding(f"{entry.path} is a data file ({size}, over "
                                 f"{_size(config.max_data_bytes)})", entry.path)
    if entry.kind in ("binary", "unread") and entry.size > config.max_binary_bytes:
        what = "binary file" if entry.kind == "binary" else "file (too large to be read)"
        return LARGE_BINARY.finding(f"{entry.path} is a {size} {what}, over "
                                    f"{_size(config.max_binary_bytes)}", entry.path)
    return None


# Data also comes under names no suffix list knows (rt-polarity.neg): any large file that is
# not code, a document or a figure, in a folder named for data, counts.
DATA_FOLDERS = {"data", "dataset", "datasets", "corpus", "corpora"}
NOT_DATA_SUFFIXES = {".py", ".ipynb", ".md", ".rst", ".pdf", ".png", ".jpg", ".jpeg", ".gif",
                     ".svg", ".sh", ".toml", ".yml", ".yaml", ".cfg"}


def _is_data(path: PurePosixPath) -> bool:
    suffix = path.suffix.lower()
    if suffix in DATA_SUFFIXES or suffix in {".pos", ".neg", ".dat", ".data"}:
        return True
    in_data_folder = any(part.lower() in DATA_FOLDERS for part in path.parts[:-1])
    return in_data_folder and suffix not in NOT_DATA_SUFFIXES


def _is_checkpoint(path: PurePosixPath) -> bool:
    name = path.name.lower()
    return (path.suffix.lower() in CHECKPOINT_SUFFIXES or ".ckpt" in name
            or name in ("checkpoint", "saved_model.pb", "saved_model.pbtxt"))


def _size(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{size / 1000:.0f} kB" if size >= 1000 else f"{size} bytes"


# --- secrets ----------------------------------------------------------------------------

@dataclass(frozen=True)
class SecretPattern:
    """A kind of secret, its pattern, and how many leading characters are safe to show."""

    kind: str
    pattern: re.Pattern[str]
    shown_prefix: int
    needles: tuple[str, ...]  # plain text every match contains


SECRET_PATTERNS = (
    SecretPattern("AWS access key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), 4,
                  ("AKIA", "ASIA")),
    SecretPattern("GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"), 4,
                  ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")),
    SecretPattern("GitHub token", re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,}"), 11,
                  ("github_pat_",)),
    SecretPattern("Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), 5, ("xox",)),
    SecretPattern("Hugging Face token", re.compile(r"\bhf_[A-Za-z0-9]{30,}\b"), 3, ("hf_",)),
    SecretPattern("OpenAI API key", re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}"), 3,
                  ("sk-",)),
    SecretPattern("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}"), 4, ("AIza",)),
    SecretPattern("private key", re.compile(
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"), 0, ("PRIVATE KEY",)),
)
# name = "literal" (or "name": "literal") where the name says it holds a secret.
_ASSIGNED = re.compile(
    r"""(?i)(?<![\w.-])(?P<name>[\w.-]*?(?:api_?key|apikey|secret|token|passw(?:or)?d|pwd|"""
    r"""access_?key|credentials?)[\w-]*)['"]?\s*[:=]\s*[rbuRBU]?(?P<quote>['"])"""
    r"""(?P<value>[^'"\s]{16,})(?P=quote)""")
_SECRET_WORDS = _casings("key", "secret", "token", "passw", "pwd", "credential")
_NOT_SECRET_NAME = re.compile(r"(?i)tokeniz|_tokens?_(?:id|ids|type|len)|(?:max|num|n)_?tokens")
# A placeholder is a value that says so as a whole ("YOUR_API_KEY", "<token>", "xxxx"), not
# a random value that happens to contain "here" or "example".
_PLACEHOLDER = re.compile(
    r"(?i)(^|[_\-\s.])your([_\-\s.]|$)|^your|xxxx|placeholder|changeme|<|>|\.\.\.|\*\*\*|"
    r"^(example|dummy|sample|fake|test)([_-][a-z_-]*)?$|^[A-Z_]+$")


@dataclass(frozen=True)
class TextSpot:
    """Where a text to scan for secrets comes from."""

    path: str
    text: str
    first_raw_line: int | None = None  # raw .ipynb line of the first line (notebook cells)
    cell: Cell | None = None
    output: bool = False


def secrets(submission: Submission) -> Iterator[Finding]:
    """HYG008 for each line (or notebook output) holding something that looks secret."""
    for spot in _secret_spots(submission):
        seen: set[int | None] = set()
        for offset, description in _secret_matches(spot.text):
            line = spot.text.count("\n", 0, offset) + 1
            if line not in seen:
                seen.add(line)
                yield _secret_finding(spot, line, description)


def _secret_spots(submission: Submission) -> Iterator[TextSpot]:
    for item in (*submission.modules, *submission.texts):
        yield TextSpot(item.path, item.text)
    for notebook in submission.notebooks:
        for cell in notebook.cells:
            yield TextSpot(notebook.path, cell.source, cell=cell)
            for text in _output_texts(cell):
                yield TextSpot(notebook.path, text, cell=cell, output=True)


def _output_texts(cell: Cell) -> Iterator[str]:
    """The text a cell's saved outputs show: streams, plain/markdown/html data, errors."""
    for output in cell.outputs:
        if "text" in output:
            yield _joined(output["text"])
        data = output.get("data") or {}
        for mime in ("text/plain", "text/markdown", "text/html", "application/json"):
            if mime in data:
                yield _joined(data[mime])
        if output.get("traceback"):
            yield _joined(output["traceback"])


def _joined(value: object) -> str:
    if isinstance(value, list):
        return "".join(str(part) for part in value)
    return value if isinstance(value, str) else str(value)


def _secret_matches(text: str) -> Iterator[tuple[int, str]]:
    """(offset, masked description) of each secret in ``text``."""
    for secret in SECRET_PATTERNS:
        for offset, line in lines_containing(text, secret.needles):
            for match in secret.pattern.finditer(line):
                shown = "" if not secret.shown_prefix else f" {_mask(match.group(), secret)}"
                yield offset + match.start(), f"a {secret.kind}{shown}"
    for offset, kind, value in catalogue_matches(text):
        if not _PLACEHOLDER.search(value) and len(value) >= 16:
            yield offset, f"a {kind} ('{value[:4]}…{value[-2:]}', {len(value)} characters)"
    for offset, line in lines_containing(text, _SECRET_WORDS):
        for match in _ASSIGNED.finditer(line):
            name, value = match.group("name"), match.group("value")
            if _looks_secret(name, value):
                yield offset + match.start(), (f"a secret assigned to {name} "
                                               f"('…{value[-2:]}', {len(value)} characters)")


def _mask(value: str, secret: SecretPattern) -> str:
    return f"'{value[:secret.shown_prefix]}…{value[-2:]}' ({len(value)} characters)"


def _looks_secret(name: str, value: str) -> bool:
    """A long random-looking literal, not a placeholder, a path or a token-count setting."""
    if _NOT_SECRET_NAME.search(name) or _PLACEHOLDER.search(value):
        return False
    if re.search(r"\.\w{1,5}$", value) or value.startswith(("/", ".", "http", "$", "{")):
        return False
    has_mix = any(c.isdigit() for c in value) and any(c.isalpha() for c in value)
    return has_mix and _entropy(value) >= 3.5


def _entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def _secret_finding(spot: TextSpot, line: int, description: str) -> Finding:
    if spot.cell is None:
        return SECRET.finding(f"{spot.path}:{line} holds {description}", spot.path, line)
    if spot.output:
        return SECRET.finding(f"{spot.path}: the saved output of cell {spot.cell.index} shows "
                              f"{description}", spot.path, cell=spot.cell.index)
    return SECRET.finding(f"{spot.path}: cell {spot.cell.index}, line {line} holds "
                          f"{description}", spot.path, spot.cell.raw_line(line),
                          cell=spot.cell.index, cell_line=line)


# --- requirements -----------------------------------------------------------------------

REQUIREMENT_FILES = ("requirements.txt", "environment.yml", "environment.yaml",
                     "pyproject.toml", "setup.py", "setup.cfg", "Pipfile", "Pipfile.lock",
                     "poetry.lock", "conda.yml", "conda.yaml")
_REQUIREMENTS_TXT = re.compile(r"^requirements[\w.-]*\.(?:txt|in)$", re.IGNORECASE)
_PACKAGE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")


def requirements(submission: Submission) -> Iterator[Finding]:
    """HYG009 when no requirements file exists; HYG010 per file with unpinned packages."""
    names = [(entry.path, PurePosixPath(entry.path).name) for entry in submission.files
             if not _in_checkpoints(entry.path)]
    found = [path for path, name in names
             if name in REQUIREMENT_FILES or _REQUIREMENTS_TXT.match(name)]
    if not found:
        yield NO_REQUIREMENTS.finding(
            "no requirements file (requirements.txt, environment.yml, pyproject.toml, "
            "setup.py or Pipfile) says which packages the code needs")
    for path in found:
        text = submission.text(path) or ""
        unpinned = list(unpinned_packages(path, text))
        if unpinned:
            yield _unpinned_finding(path, unpinned)
        if _REQUIREMENTS_TXT.match(PurePosixPath(path).name):
            yield from requirements_file.requirement_findings(path, text)


def unpinned_packages(path: str, text: str) -> Iterator[tuple[str, int]]:
    """(package, line) for each requirement without an exact version."""
    name = PurePosixPath(path).name
    if _REQUIREMENTS_TXT.match(name):
        yield from _unpinned_requirements_txt(text)
    elif name in ("environment.yml", "environment.yaml", "conda.yml", "conda.yaml"):
        yield from _unpinned_conda(text)
    elif name == "Pipfile":
        yield from _unpinned_pipfile(text)


def _unpinned_requirements_txt(text: str) -> Iterator[tuple[str, int]]:
    for line in requirements_file.requirement_lines(text):
        if line.requirement is not None and not requirements_file.is_pinned(line.requirement):
            yield line.requirement.name, line.number


def _unpinned_conda(text: str) -> Iterator[tuple[str, int]]:
    section = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        top = re.match(r"^([A-Za-z_][\w-]*)\s*:", raw)
        if top:
            section = top.group(1)
            continue
        item = re.match(r"^\s*-\s+([^#]+?)\s*(?:#.*)?$", raw)
        if section != "dependencies" or not item or item.group(1).endswith(":"):
            continue
        if not re.search(r"(?<![<>!])=", item.group(1)):
            match = _PACKAGE_NAME.match(item.group(1))
            yield (match.group() if match else item.group(1)), number


def _unpinned_pipfile(text: str) -> Iterator[tuple[str, int]]:
    section = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        header = re.match(r"^\s*\[([^\]]+)\]", raw)
        if header:
            section = header.group(1).strip()
            continue
        entry = re.match(r"^\s*([A-Za-z0-9][\w.-]*)\s*=\s*(.+)$", raw)
        if (section in ("packages", "dev-packages") and entry
                and "==" not in entry.group(2) and "~=" not in entry.group(2)):
            yield entry.group(1), number


def _unpinned_finding(path: str, unpinned: list[tuple[str, int]]) -> Finding:
    listed = ", ".join(f"{name} (line {line})" for name, line in unpinned[:10])
    more = f" and {len(unpinned) - 10} more" if len(unpinned) > 10 else ""
    count = len(unpinned)
    message = (f"{path}: {count} package{'s' if count > 1 else ''} without an exact version: "
               f"{listed}{more}")
    return UNPINNED.finding(message, path, unpinned[0][1])


# --- data downloaded at run time --------------------------------------------------------

DOWNLOADS = (
    ("urllib urlretrieve", re.compile(r"\burlretrieve[ \t]*\(")),
    ("urllib urlopen", re.compile(r"\burlopen[ \t]*\(")),
    ("requests.get", re.compile(r"\brequests\.get[ \t]*\(")),
    ("wget", re.compile(r"(?:^[ \t]*![ \t]*|['\"][ \t]*)wget\b|\bwget\.download[ \t]*\(")),
    ("curl", re.compile(r"(?:^[ \t]*![ \t]*|['\"][ \t]*)curl\b")),
    ("gdown", re.compile(r"\bgdown\b")),
    ("Keras get_file", re.compile(r"\bget_file[ \t]*\(")),
    ("Keras dataset", re.compile(
        r"\b(?:mnist|fashion_mnist|cifar10|cifar100|imdb|reuters|boston_housing)"
        r"\.load_data[ \t]*\(")),
    ("TensorFlow Datasets", re.compile(r"\btfds\.(?:load|builder)[ \t]*\(")),
    ("download=True", re.compile(r"\bdownload[ \t]*=[ \t]*True\b")),
    ("Hugging Face load_dataset", re.compile(r"\bload_dataset[ \t]*\(")),
    ("Kaggle", re.compile(r"\bkaggle(?:hub)?\b"
                          r"(?:[ \t]+(?:competitions|datasets)[ \t]+download|\.)")),
)
_DOWNLOAD_NEEDLES = ("urlretrieve", "urlopen", "requests.get", "wget", "curl", "gdown",
                     "get_file", "load_data", "tfds.", "download", "load_dataset", "kaggle")
_README_MENTIONS_DATA = re.compile(r"(?i)\b(?:download\w*|datasets?|data ?sets?|data source)\b")


def undocumented_downloads(submission: Submission) -> Iterator[Finding]:
    """HYG011 per line that fetches data, unless the README says where data comes from."""
    readmes = [t.text for t in submission.texts
               if PurePosixPath(t.path).name.lower().startswith("readme")]
    if any(_README_MENTIONS_DATA.search(text) for text in readmes):
        return
    for module in submission.modules:
        for line, what in downloads_in(module.text):
            yield _download_finding(module.path, line, what)
    for notebook in submission.notebooks:
        if not _in_checkpoints(notebook.path):
            yield from _notebook_downloads(notebook)


def downloads_in(text: str) -> Iterator[tuple[int, str]]:
    """(line, what) for each line of code that fetches data; comment lines left out."""
    for offset, line in lines_containing(text, _DOWNLOAD_NEEDLES):
        what = next((what for what, pattern in DOWNLOADS if pattern.search(line)), None)
        if what and not line.lstrip().startswith("#"):
            yield text.count("\n", 0, offset) + 1, what


def _notebook_downloads(notebook: Notebook) -> Iterator[Finding]:
    # Cell sources, not the joined code: shell escapes (!wget) are comments there.
    for cell in notebook.code_cells:
        for number, what in downloads_in(cell.source):
            message = (f"{notebook.path}: cell {cell.index}, line {number} downloads data "
                       f"at run time ({what}); the README does not say what or from where")
            yield UNDOCUMENTED_DOWNLOAD.finding(message, notebook.path, cell.raw_line(number),
                                                cell=cell.index, cell_line=number)


def _download_finding(path: str, line: int, what: str) -> Finding:
    message = (f"{path}:{line} downloads data at run time ({what}); the README does not say "
               "what or from where")
    return UNDOCUMENTED_DOWNLOAD.finding(message, path, line)


# --- seeds ------------------------------------------------------------------------------

# Process-wide seeds (set once in the entry point, they cover every module it runs) and
# local ones (a random_state= or a generator's seed covers only the call or file using it).
_GLOBAL_SEED = re.compile(
    r"\b(?:random\.seed|set_seed|set_random_seed|manual_seed(?:_all)?|seed_everything)\s*\(")
_SEEDING = re.compile(
    r"\b(?:random\.seed|set_seed|set_random_seed|manual_seed(?:_all)?|seed_everything|PRNGKey"
    r"|default_rng\s*\(\s*[^)\s]|RandomState\s*\(\s*[^)\s]|random_state\s*=\s*\d"
    r"|seed\s*=\s*\d)")
_SEED_NEEDLES = ("seed", "PRNGKey", "default_rng", "RandomState", "random_state")
_RANDOMNESS = re.compile(
    r"\b(?:np|numpy)\.random\.\w+|\brandom\.(?:random|randint|choice|shuffle|sample|uniform)"
    r"\s*\(|\btorch\.(?:rand\w*|normal|bernoulli|multinomial)\s*\(|\btf\.random\.\w+|"
    r"\brandom_split\s*\(|\.fit\s*\(|\bshuffle\s*=\s*True\b|\bDropout\b", re.MULTILINE)


def missing_seeds(units: list[CodeUnit]) -> Iterator[Finding]:
    """HYG012 once for the files that draw random numbers with no seed covering them."""
    texts = [(unit, _without_comments(unit.text)) for unit in units]
    seeds = {unit.path: [line for _, line in lines_containing(text, _SEED_NEEDLES)]
             for unit, text in texts}
    if any(_GLOBAL_SEED.search(line) for lines in seeds.values() for line in lines):
        return
    unseeded = []
    for unit, text in texts:
        match = _RANDOMNESS.search(text)
        if match and not any(_SEEDING.search(line) for line in seeds[unit.path]):
            unseeded.append((unit, text.count("\n", 0, match.start()) + 1, match.group()))
    if not unseeded:
        return
    unit, line, used = unseeded[0]
    others = ", ".join(u.path for u, _, _ in unseeded[1:_SHOWN_PLACES + 1])
    more = f"; also {others}" + (" and more" if len(unseeded) > _SHOWN_PLACES + 1 else "") \
        if others else ""
    yield unit.finding(NO_SEED, f"{len(unseeded)} file(s) draw random numbers with no seed "
                       f"set: {unit.path} ({used.strip()!r} at {_where(unit, line)}){more}",
                       line)


def _without_comments(text: str) -> str:
    # Line count is kept, so offsets still give the right line.
    return "\n".join("" if line.lstrip().startswith("#") else line
                     for line in text.splitlines())


# --- folder name ------------------------------------------------------------------------

def folder_name(name: str) -> Iterator[Finding]:
    if not SUBMISSION_NAME.match(name):
        yield FOLDER_NAME.finding(f"the folder is named {name!r}, not Author1Author2EtAlYEAR")

