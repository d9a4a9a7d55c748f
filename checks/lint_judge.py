"""How much pylint's messages weigh: what stops the code from running is an error.

- An undefined name (E0602) in code that runs (a notebook, a module another file imports or
  the README names) is an error (LINTX), one finding per name with its count and first
  lines; the same in a file nothing uses stays a warning.
- An import of the submission's own module that is not there (a relative import, or a
  plain one beside other local imports, of a name that is neither standard library,
  installed, a known package nor in the requirements) is an error (LINTX); pylint's own
  import-error stays off, since the frameworks need not be installed where reviews run.
- E1111, E1121 and E0633 on calls through ``self`` or ``super()`` are pylint's inference
  about a base class whose placeholder method subclasses override: demoted to info.
- Unchanged upstream files (see checks/upstream.py) get no style messages, only errors.
"""

from __future__ import annotations

import ast
import difflib
import functools
import importlib.metadata
import importlib.util
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath

from reviewbot.checks.base import CodeUnit, code_units, parse_python
from reviewbot.checks.lintcache import LintMessage
from reviewbot.core.models import Finding, Rule, Severity
from reviewbot.core.submission import Submission

ID = "lint"

CANNOT_RUN = Rule(ID, "LINTX", Severity.ERROR, "code that cannot run: an undefined name or a "
                  "missing module of the submission",
                  "Define the name (or fix its spelling), or add the module the code imports; "
                  "run the notebook top to bottom from a fresh clone to see it work.")
BASE_CLASS_INFERENCE = {"E1111", "E1121", "E0633"}
INFERENCE_NOTE = (" (pylint's inference through self or super(): a subclass may override "
                  "the method; info)")
_NOTEBOOK_NAMES = {"display", "get_ipython", "In", "Out", "exit", "quit", "_", "__", "___"}
_SHOWN = 3
# Import names of widely used packages that need not be installed where reviews run.
KNOWN_PACKAGES = frozenset((
    "tensorflow", "keras", "torch", "torchvision", "torchaudio", "torchtext", "jax", "jaxlib",
    "flax", "optax", "haiku", "numpy", "scipy", "pandas", "sklearn", "matplotlib", "seaborn",
    "plotly", "cv2", "PIL", "skimage", "imageio", "tqdm", "h5py", "yaml", "transformers",
    "datasets", "tokenizers", "accelerate", "timm", "einops", "wandb", "tensorboard",
    "tensorboardX", "mlflow", "gym", "gymnasium", "networkx", "torch_geometric", "dgl",
    "spacy", "nltk", "gensim", "sentencepiece", "librosa", "soundfile", "pydub", "xgboost",
    "lightgbm", "catboost", "statsmodels", "sympy", "numba", "cupy", "pytorch_lightning",
    "lightning", "hydra", "omegaconf", "albumentations", "kornia", "lpips", "pytorch_msssim",
    "faiss", "open3d", "trimesh", "pycocotools", "tensorflow_datasets", "tensorflow_hub",
    "tensorflow_addons", "tensorflow_probability", "tf_keras", "IPython", "ipywidgets",
    "google", "tabulate", "rich", "click", "typer", "requests", "bs4", "lxml", "joblib",
    "dill", "cloudpickle", "attr", "attrs", "pydantic",
))


def judge(units: dict[str, CodeUnit], messages: dict[str, list[LintMessage]],
          submission: Submission, running: set[str]) -> Iterator[Finding]:
    """The LINTX findings: undefined names in code that runs, missing own modules."""
    for relative, unit in units.items():
        undefined = [m for m in messages[relative] if _stops_the_run(unit, m, running)]
        yield from _undefined_findings(unit, undefined)
    yield from missing_module_findings(submission, running)


def keep(unit: CodeUnit, message: LintMessage, running: set[str],
         upstream: frozenset[str]) -> LintMessage | None:
    """The message as it stays a pylint finding (demoted or dropped as calibrated)."""
    if _stops_the_run(unit, message, running):
        return None  # a LINTX finding says it
    if unit.path in upstream and message.category != "E":
        return None  # an unchanged upstream file: its style is not the candidate's
    if message.msg_id in BASE_CLASS_INFERENCE and _through_self(unit, message.line):
        return LintMessage(message.msg_id, message.symbol, message.text + INFERENCE_NOTE,
                           message.line, message.column)
    return message


def _stops_the_run(unit: CodeUnit, message: LintMessage, running: set[str]) -> bool:
    """An undefined name in statements that run when the file does: a module's top level
    (when something imports or the README runs it), or a notebook cell that never ran or
    saved a NameError (a cell that ran fine had the name from an earlier kernel state)."""
    if message.msg_id != "E0602" or unit.path not in running or message.line is None:
        return False
    if _undefined_name(message) in _NOTEBOOK_NAMES or _inside_definition(unit, message.line):
        return False
    if unit.notebook is None:
        return True
    origin = unit.notebook.locate(message.line)
    cell = next((c for c in unit.notebook.cells if origin and c.index == origin.cell), None)
    return cell is not None and ((cell.execution_count is None and not cell.outputs)
                                 or any(o.get("ename") == "NameError" for o in cell.outputs))


def _inside_definition(unit: CodeUnit, line: int) -> bool:
    tree = unit.tree
    if tree is None:
        return True
    return any(node.lineno <= line <= (node.end_lineno or node.lineno) for node in tree.body
               if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef))


def _through_self(unit: CodeUnit, line: int | None) -> bool:
    lines = unit.text.splitlines()
    text = lines[line - 1] if line and 0 < line <= len(lines) else ""
    return bool(re.search(r"\bself\.\w+\s*\(|\bsuper\(\)", text))


def _undefined_name(message: LintMessage) -> str:
    match = re.search(r"'([^']+)'", message.text)
    return match.group(1) if match else ""


def _undefined_findings(unit: CodeUnit, messages: list[LintMessage]) -> Iterator[Finding]:
    by_name: dict[str, list[int]] = {}
    for message in messages:
        by_name.setdefault(_undefined_name(message), []).append(message.line or 0)
    for name, lines in by_name.items():
        shown = ", ".join(str(n) for n in lines[:_SHOWN]) + (", ..." if len(lines) > _SHOWN else "")
        uses = f"{len(lines)} uses" if len(lines) > 1 else "1 use"
        yield unit.finding(CANNOT_RUN, f"E0602 undefined-variable: {unit.path} uses the "
                           f"undefined name '{name}' ({uses}; line(s) {shown} of the code)",
                           lines[0])


# --- which code runs ------------------------------------------------------------------------

def runs(submission: Submission) -> set[str]:
    """Notebooks, modules other code imports, and files the README names."""
    stems = {_module_name(m.path): m.path for m in submission.modules}
    running = {nb.path for nb in submission.notebooks}
    readme = " ".join(t.text for t in submission.texts if "readme" in t.path.lower())
    for _, tree in _trees(submission):
        for name in _imported(tree):
            for candidate in (name, name.rsplit(".", 1)[-1]):
                if candidate in stems:
                    running.add(stems[candidate])
    running |= {m.path for m in submission.modules
                if PurePosixPath(m.path).name in readme}
    return running


def _trees(submission: Submission) -> Iterable[tuple[str, str]]:
    """(path, source) of each unit that parses; the import walks below are cached by source."""
    for unit in code_units(submission):
        if unit.tree is not None:
            yield unit.path, unit.text


@functools.lru_cache(maxsize=1024)
def _imported(text: str) -> tuple[str, ...]:
    return tuple(_imported_names(parse_python(text)))


def _imported_names(tree: ast.Module | None) -> Iterator[str]:
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _module_name(path: str) -> str:
    return PurePosixPath(path).with_suffix("").as_posix().replace("/", ".").split(".")[-1]


# --- imports of own modules that are not there ------------------------------------------

def missing_module_findings(submission: Submission, running: set[str]) -> Iterator[Finding]:
    local = _local_names(submission)
    declared = _declared_packages(submission)
    mentioned = set(re.findall(r"([A-Za-z_]\w*)\.py\b", " ".join(t.text for t in submission.texts)))
    for unit_path, tree in _trees(submission):
        if unit_path not in running:
            continue
        missing = [(node.lineno, name) for node, name, relative in _imports(tree)
                   if _is_missing_own(name, relative, local, declared, mentioned)]
        if missing:
            unit = CodeUnit(unit_path, "", next((nb for nb in submission.notebooks
                                                 if nb.path == unit_path), None))
            line = missing[0][0]
            names = ", ".join(sorted({n for _, n in missing}))
            yield unit.finding(CANNOT_RUN, f"{unit_path} imports {names}, which the submission "
                               "does not hold (no such .py file or package in the folder) and "
                               "which is no known or required package", line)


@functools.lru_cache(maxsize=1024)
def _imports(text: str) -> tuple[tuple[ast.stmt, str, bool], ...]:
    return tuple(_import_nodes(parse_python(text)))


def _import_nodes(tree: ast.Module | None) -> Iterator[tuple[ast.stmt, str, bool]]:
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node, alias.name.split(".")[0], False
        elif isinstance(node, ast.ImportFrom):
            if node.level and node.module:
                yield node, node.module.split(".")[0], True
            elif node.level:
                yield from ((node, alias.name, True) for alias in node.names)
            elif node.module:
                yield node, node.module.split(".")[0], False


def _is_missing_own(name: str, relative: bool, local: set[str], declared: set[str],
                    mentioned: set[str]) -> bool:
    if name in local or name == "__future__":
        return False
    if relative:
        return True
    if name in sys.stdlib_module_names or name in KNOWN_PACKAGES or name.lower() in declared:
        return False
    # a plain import is the submission's own module when its texts name the file (a README
    # listing metrics.py) or a module of nearly that name is there (metric.py for metrics)
    if name not in mentioned and not difflib.get_close_matches(name, local, n=1, cutoff=0.85):
        return False
    return name not in _installed() and importlib.util.find_spec(name) is None


def _local_names(submission: Submission) -> set[str]:
    names: set[str] = set()
    for entry in submission.files:
        parts = PurePosixPath(entry.path).parts
        names.update(parts[:-1])
        if entry.path.endswith((".py", ".so", ".pyd")):
            names.add(PurePosixPath(entry.path).stem)
    return names


def _declared_packages(submission: Submission) -> set[str]:
    text = " ".join(t.text for t in submission.texts
                    if re.search(r"requirements|environment|readme|setup", t.path, re.I))
    words = re.findall(r"[A-Za-z][A-Za-z0-9_.-]+", text)
    return {w.lower().replace("-", "_") for w in words}


@functools.cache
def _installed() -> frozenset[str]:
    return frozenset(importlib.metadata.packages_distributions())
