"""Shared test helpers: build real submission folders on disk."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

import nbformat
import pytest

from reviewbot.config import Config
from reviewbot.core.submission import Submission, load

REPO_ROOT = Path(__file__).resolve().parent.parent


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write ``files`` (relative path -> text or bytes) under ``root``; return ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for relative, content in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return root


def notebook_json(*cells: nbformat.NotebookNode) -> str:
    """A Python 3 notebook holding ``cells``, as the JSON text a candidate would commit."""
    notebook = nbformat.v4.new_notebook(cells=list(cells))
    notebook.metadata["kernelspec"] = {"name": "python3", "language": "python",
                                       "display_name": "Python 3"}
    return nbformat.writes(notebook)


def raw_line_of(text: str, needle: str) -> int:
    """The 1-based line of ``text`` that holds ``needle``."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.fixture(autouse=True, scope="session")
def _private_lint_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the lint cache of the whole run (subprocesses included) out of the user's HOME."""
    os.environ["REVIEWBOT_CACHE_DIR"] = str(tmp_path_factory.mktemp("lint-cache"))


@pytest.fixture
def make_submission(tmp_path: Path) -> Callable[..., Submission]:
    """Write a folder named ``name`` (default a DLC-style name) and load it."""

    def build(files: Mapping[str, str | bytes], name: str = "SmithJonesEtAl2017") -> Submission:
        return load(write_tree(tmp_path / name, files))

    return build


@pytest.fixture
def default_config() -> Config:
    return Config()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true", default=False,
                     help="rewrite tests/golden/* from the current output instead of comparing "
                          "(also: REVIEWBOT_UPDATE_GOLDENS=1)")
