"""Requirements that install: requirements.txt read with ``packaging``, as pip reads it.

Each line is parsed as a PEP 508 requirement (extras, markers, ``==2.*`` all understood).
Reported, one finding per cause and file with the lines: lines pip cannot read (``pip
install torch``, ``import numpy``), standard-library modules (``json``, ``pathlib``), import
names that are not the distribution's name (``PIL`` for Pillow, ``sklearn`` for
scikit-learn), and environment dumps (a ``pip freeze`` of a whole machine: Jupyter,
CUDA wheels, local file URLs).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement

from reviewbot.core.models import Finding, Rule, Severity

ID = "hygiene"

NOT_A_REQUIREMENT = Rule(ID, "HYG016", Severity.WARNING, "requirements line pip cannot read",
                         "Write one distribution per line with its version (torch==2.1.0); "
                         "commands (pip install ...) and imports belong in the README or code.")
WRONG_NAME = Rule(ID, "HYG017", Severity.WARNING,
                  "standard-library module or import name in the requirements",
                  "Drop standard-library modules (they ship with Python) and write the "
                  "distribution's name, not the import name: Pillow for PIL, scikit-learn for "
                  "sklearn, opencv-python for cv2, torch for pytorch.")
ENVIRONMENT_DUMP = Rule(ID, "HYG018", Severity.WARNING, "requirements file is an environment "
                        "dump", "List only what the code imports, pinned (pipreqs or pip-chill "
                        "help); leave out Jupyter, CUDA wheels and local file paths.")
RULES = (NOT_A_REQUIREMENT, WRONG_NAME, ENVIRONMENT_DUMP)

# import name -> the distribution to write instead
DISTRIBUTION_OF = {
    "pil": "Pillow", "sklearn": "scikit-learn", "cv2": "opencv-python", "pytorch": "torch",
    "skimage": "scikit-image", "yaml": "PyYAML", "bs4": "beautifulsoup4",
    "dateutil": "python-dateutil", "crypto": "pycryptodome", "fitz": "PyMuPDF",
    "attr": "attrs", "dotenv": "python-dotenv", "magic": "python-magic",
    "tensorflow_gpu": "tensorflow", "umap": "umap-learn", "faiss": "faiss-cpu",
}
_DUMP_MARKERS = re.compile(r"^(jupyter|jupyterlab|notebook|ipykernel|nbconvert|nbformat|"
                           r"ipython|ipywidgets|widgetsnbextension|terminado|pywinpty|"
                           r"nvidia-[\w-]+-cu\d+|conda|anaconda[\w-]*|spyder)$", re.IGNORECASE)
_LOCAL_URL = re.compile(r"@\s*file://|/(opt|home|tmp|croot|feedstock_root)/", re.IGNORECASE)
_DUMP_SIZE = 60  # more lines than a replication imports
# a freeze of a Jupyter machine lists many of them; ipykernel and nbconvert alone are what a
# notebook's command line needs
_DUMP_MARKER_COUNT = 4
_SHOWN = 4


@dataclass(frozen=True)
class Line:
    number: int
    text: str
    requirement: Requirement | None


def requirement_lines(text: str) -> Iterator[Line]:
    """Each requirement line (options, comments and blank lines left out)."""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #")[0].strip()
        if not line or line.startswith(("#", "-", ".", "/")) or re.match(r"\w+://", line):
            continue
        try:
            yield Line(number, line, Requirement(line))
        except InvalidRequirement:
            yield Line(number, line, None)


def is_pinned(requirement: Requirement) -> bool:
    return requirement.url is not None or any(
        spec.operator in ("==", "~=", "===") for spec in requirement.specifier)


def requirement_findings(path: str, text: str) -> Iterator[Finding]:
    lines = list(requirement_lines(text))
    unreadable = [line for line in lines if line.requirement is None]
    if unreadable:
        yield NOT_A_REQUIREMENT.finding(
            f"{path}: {_count(unreadable, 'line')} pip cannot read as a requirement: "
            f"{_listed(unreadable)}", path, unreadable[0].number)
    yield from _name_findings(path, [line for line in lines if line.requirement])
    yield from _dump_findings(path, text, lines)


def _name_findings(path: str, lines: list[Line]) -> Iterator[Finding]:
    wrong = []
    for line in lines:
        name = line.requirement.name if line.requirement else ""
        key = name.lower().replace("-", "_")
        if key in DISTRIBUTION_OF:
            wrong.append((line, f"{name} (write {DISTRIBUTION_OF[key]})"))
        elif key in sys.stdlib_module_names:
            wrong.append((line, f"{name} (standard library: drop it)"))
    if wrong:
        shown = ", ".join(f"{why} at line {line.number}" for line, why in wrong[:_SHOWN])
        more = f" and {len(wrong) - _SHOWN} more" if len(wrong) > _SHOWN else ""
        yield WRONG_NAME.finding(f"{path}: {len(wrong)} name(s) pip would not install as "
                                 f"meant: {shown}{more}", path, wrong[0][0].number)


def _dump_findings(path: str, text: str, lines: list[Line]) -> Iterator[Finding]:
    markers = [line for line in lines if line.requirement
               and _DUMP_MARKERS.match(line.requirement.name)]
    local = [line for line in lines if _LOCAL_URL.search(line.text)]
    if len(lines) <= _DUMP_SIZE and len(markers) < _DUMP_MARKER_COUNT and not local:
        return
    why = [f"{len(lines)} packages"]
    if markers:
        why.append("environment packages such as " + ", ".join(
            line.requirement.name for line in markers[:3] if line.requirement))
    if local:
        why.append(f"{len(local)} local file path(s) (line {local[0].number})")
    yield ENVIRONMENT_DUMP.finding(f"{path} looks like an environment dump ({'; '.join(why)})",
                                   path, (markers or local or lines)[0].number)


def _count(lines: list[Line], word: str) -> str:
    return f"{len(lines)} {word}{'s' * (len(lines) != 1)}"


def _listed(lines: list[Line]) -> str:
    shown = ", ".join(f"'{line.text[:40]}' (line {line.number})" for line in lines[:_SHOWN])
    return shown + (f" and {len(lines) - _SHOWN} more" if len(lines) > _SHOWN else "")
