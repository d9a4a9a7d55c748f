"""Imports go one way (DESIGN.md, "Layout"): a room imports only the rooms below it.

Every module of the installed packages is parsed (imports inside functions count: a lazy
import is still a dependency) and each ``reviewbot.*`` import is checked against the table
below. A failure names the module, its line and the import, and what the room may import.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "reviewbot"
# source folder -> the package it is installed as (pyproject's package-dir)
SOURCES = {ROOT / "reviewbot": "reviewbot", ROOT / "checks": "reviewbot.checks",
           ROOT / "runners": "reviewbot.runners", ROOT / "webhooks": "reviewbot.webhooks"}

CORE = "reviewbot.core"
EVERYTHING = ("reviewbot",)
# room -> what it may import besides itself (and the bare ``reviewbot`` package: the version)
ALLOWED: dict[str, tuple[str, ...]] = {
    "reviewbot.core": (),
    "reviewbot.replication": (CORE, "reviewbot.runners.base"),  # runners' protocol only
    "reviewbot.similarity": (CORE,),
    "reviewbot.report": (CORE,),  # renderers get a Review and nothing else
    "reviewbot.github": (CORE, "reviewbot.report"),
    "reviewbot.pipeline": (CORE, "reviewbot.checks", "reviewbot.config"),
    "reviewbot.service": EVERYTHING,
    "reviewbot.cli": EVERYTHING,
    "reviewbot.action": EVERYTHING,  # the GitHub Action's entry: a composition root like cli
    # the similarity room is the check's analysis library
    "reviewbot.checks": (CORE, "reviewbot.similarity"),
    "reviewbot.runners": (CORE,),
    # create_app(settings, queue): the service's queue, its job records and env settings,
    # and the stored report pages it serves
    "reviewbot.webhooks": (CORE, "reviewbot.service.queue", "reviewbot.service.jobs",
                           "reviewbot.service.settings", "reviewbot.service.page_store"),
    # composes every room's config model and the catalogue of every rule code
    "reviewbot.config": EVERYTHING,
}
# single modules allowed more than their room, each with its reason
EXCEPTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "reviewbot.replication.session": (
        ("reviewbot.config", "reviewbot.runners", "reviewbot.report.plot"),
        "the bodies of `check --run` and `verdict`: it composes the config, the local runner "
        "and the claims plot for cli.py and the gpu worker"),
}
PYGITHUB = ("github",)  # the third-party package, imported by reviewbot.github.client only
PYGITHUB_IMPORTER = "reviewbot.github.client"


@dataclass(frozen=True)
class Violation:
    module: str
    line: int
    imported: str  # the module (or module.name) the statement reaches
    statement: str  # as written: ``from reviewbot.service.worker import consume``
    allowed: tuple[str, ...]

    def __str__(self) -> str:
        may = ", ".join(self.allowed) or "nothing of the other rooms"
        return f"{self.module} line {self.line}: {self.statement}; it may import: {may}"


def modules(sources: Mapping[Path, str]) -> Iterator[tuple[str, Path]]:
    """(dotted module name, file) for every .py file under each source folder."""
    for folder, package in sources.items():
        for path in sorted(folder.rglob("*.py")):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            yield ".".join([package, *parts]), path


def imports(module: str, path: Path) -> Iterator[tuple[int, str, str]]:
    """(line, imported module, statement) of every import in the file, at any depth."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, f"import {alias.name}"
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, is_package, node.level, node.module)
            written = "." * node.level + (node.module or "")
            if not _within(base, PACKAGE):
                names = ", ".join(alias.name for alias in node.names)
                yield node.lineno, base, f"from {written} import {names}"
                continue
            for alias in node.names:  # `from reviewbot.replication import session`: a room
                yield node.lineno, f"{base}.{alias.name}", f"from {written} import {alias.name}"


def _absolute(module: str, is_package: bool, level: int, name: str | None) -> str:
    if level == 0:
        return name or ""
    parts = module.split(".")
    anchor = parts if is_package else parts[:-1]
    anchor = anchor[: len(anchor) - (level - 1)]
    return ".".join([*anchor, name] if name else anchor)


def room_of(module: str) -> str | None:
    """The longest room name that ``module`` is or lies inside."""
    rooms = [room for room in ALLOWED if _within(module, room)]
    return max(rooms, key=len) if rooms else None


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def violations(sources: Mapping[Path, str] = SOURCES) -> list[Violation]:
    found = []
    for module, path in modules(sources):
        room = room_of(module)
        if room is None:
            continue  # the bare package: only the version
        allowed = ALLOWED[room] + EXCEPTIONS.get(module, ((), ""))[0]
        for line, imported, statement in imports(module, path):
            if not _fine(imported, room, allowed, module):
                found.append(Violation(module, line, imported, statement, allowed))
    return found


def _fine(imported: str, room: str, allowed: tuple[str, ...], module: str) -> bool:
    top = imported.split(".")[0]
    if top in PYGITHUB:
        return module == PYGITHUB_IMPORTER
    target = room_of(imported) if top == PACKAGE else None
    if target is None:  # a third-party module, or reviewbot.__version__
        return True
    return target == room or any(_within(imported, entry) for entry in allowed)


def test_rooms_import_only_the_rooms_below_them() -> None:
    problems = violations()
    assert not problems, "imports going the wrong way:\n" + "\n".join(map(str, problems))


def test_every_module_belongs_to_a_room() -> None:
    homeless = [module for module, _ in modules(SOURCES)
                if module != PACKAGE and room_of(module) is None]
    assert not homeless, f"modules outside every room of the table: {homeless}"


def test_the_exceptions_are_still_needed() -> None:
    """An exception nobody needs any more is removed, not left to excuse the next one."""
    for module, (extra, _reason) in EXCEPTIONS.items():
        path = next(path for name, path in modules(SOURCES) if name == module)
        used = [imported for _, imported, _ in imports(module, path)
                if any(_within(imported, entry) for entry in extra)]
        assert used, f"{module}: its exception ({', '.join(extra)}) is not used any more"


# ---- the test of the test -----------------------------------------------------------------


def _tree(tmp_path: Path, files: Mapping[str, str]) -> dict[Path, str]:
    for name, text in files.items():
        path = tmp_path / "reviewbot" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return {tmp_path / "reviewbot": "reviewbot"}


def test_a_core_module_importing_the_service_inside_a_function_is_named(tmp_path: Path) -> None:
    sources = _tree(tmp_path, {
        "__init__.py": "__version__ = '0'\n",
        "core/__init__.py": "",
        "core/models.py": "from reviewbot import __version__\n",
        "core/bad.py": """
            from reviewbot.core.models import __version__

            def sneaky():
                from reviewbot.service.worker import consume
                return consume
            """,
        "service/__init__.py": "",
        "service/worker.py": "from reviewbot.core.models import __version__\n",
    })
    found = [str(problem) for problem in violations(sources)]
    assert found == ["reviewbot.core.bad line 5: from reviewbot.service.worker import consume; "
                     "it may import: nothing of the other rooms"]


def test_a_renderer_importing_a_room_by_package_and_relatively_is_named(tmp_path: Path) -> None:
    sources = _tree(tmp_path, {
        "__init__.py": "",
        "report/__init__.py": "from reviewbot.replication import claims\n",
        "report/sarif.py": "from ..checks import REGISTRY\nfrom . import plot\n",
        "report/plot.py": "",
    })
    found = {(problem.module, problem.imported) for problem in violations(sources)}
    assert found == {("reviewbot.report", "reviewbot.replication.claims"),
                     ("reviewbot.report.sarif", "reviewbot.checks.REGISTRY")}


def test_pygithub_outside_the_client_is_named(tmp_path: Path) -> None:
    sources = _tree(tmp_path, {
        "__init__.py": "",
        "github/__init__.py": "",
        "github/client.py": "import github\n",
        "github/content.py": "from github import Auth\n",
    })
    assert [str(v) for v in violations(sources)] == [
        "reviewbot.github.content line 1: from github import Auth; it may import: "
        "reviewbot.core, reviewbot.report"]
