"""``reviewbot index add|build|stats`` and ``reviewbot similar``: cli.py only wires these."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

from rich.console import Console

from reviewbot.core.errors import UsageError
from reviewbot.core.progress import Steps, progress
from reviewbot.similarity.corpus import AddReport, Source, add_source, source_files
from reviewbot.similarity.documents import DocumentError, read_document
from reviewbot.similarity.index import SimilarityIndex, StoredDocument
from reviewbot.similarity.render import FileMatches, print_text, to_html, to_json
from reviewbot.similarity.search import SearchSettings, is_own, search
from reviewbot.similarity.settings import (
    SimilaritySettings,
    cache_location,
    index_location,
    search_settings,
)

FORMATS = ("text", "json", "html")


def index_add(config: SimilaritySettings, source: Source, console: Console) -> int:
    with SimilarityIndex.open(index_location(config), create=True) as index:
        _say_added(console, add_source(index, source, cache_location(config)))
    return 0


def index_build(config: SimilaritySettings, console: Console) -> int:
    if not config.corpus:
        raise UsageError("no corpus in config.toml: add [checks.similarity] corpus = "
                         "[{ path = ..., label = ... }], or use `reviewbot index add`")
    with SimilarityIndex.open(index_location(config), create=True) as index:
        for number, entry in enumerate(config.corpus, start=1):
            source = Source(entry.path, entry.label, entry.author, entry.template)
            label = f"[{number}/{len(config.corpus)}] {entry.label}"
            with progress(label, None) as steps:  # a bar on a terminal, nothing when piped
                added = add_source(index, source, cache_location(config),
                                   lambda done, total, s=steps, lb=label: _files(s, lb,
                                                                                done, total))
            _say_added(console, added)
        console.print(f"index {index.path}: {index.document_count()} files")
    return 0


def _files(steps: Steps, label: str, done: int, total: int) -> None:
    steps.grow(total)
    steps.advance_to(done, f"{label}: files read")


def _say_added(console: Console, report: AddReport) -> None:
    console.print(f"{report.label}: {report.files} files read, {report.added} added or "
                  f"updated, {len(report.skipped)} skipped")
    for reason in report.skipped[:20]:
        console.print(f"  skipped {reason}", markup=False)


def index_stats(config: SimilaritySettings, console: Console) -> int:
    with SimilarityIndex.open(index_location(config)) as index:
        stats = index.stats()
    console.print(f"index {stats['path']}: {stats['documents']} files, {stats['fingerprints']} "
                  f"fingerprints, {int(stats['bytes']) // 1024} KiB", markup=False)
    for row in stats["labels"]:  # type: ignore[attr-defined]
        template = f", {row['templates']} template" if row["templates"] else ""
        console.print(f"  {row['label']}: {row['documents']} files, {row['tokens']} tokens"
                      f"{template}", markup=False)
    return 0


def similar(config: SimilaritySettings, path: Path, top: int, fmt: str, output: Path | None,
            console: Console) -> int:
    """Query each source file under ``path``; print or write the matches."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    if not path.exists():
        raise UsageError(f"{path}: no such file or folder")
    results = file_matches(config, path, top, console)
    if fmt == "text" and output is None:
        print_text(console, results, regions=3)
        return 0
    text = to_html(results) if fmt == "html" else to_json(results) if fmt == "json" else \
        _plain(results)
    if output is None:
        console.print(text, markup=False, highlight=False, soft_wrap=True)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output}", markup=False)
    return 0


def file_matches(config: SimilaritySettings, path: Path, top: int = 5,
                 console: Console | None = None) -> list[FileMatches]:
    """Each source file under ``path`` with its best ``top`` indexed sources (the submission's
    own files and the file itself left out): what ``render.match_data`` and ``to_html`` show."""
    console = console or Console(file=io.StringIO())
    settings = dataclasses.replace(search_settings(config), candidates=top)
    own = path.resolve().name if path.is_dir() else ""  # a folder: its files indexed earlier
    with SimilarityIndex.open(index_location(config)) as index:
        results = [_query(index, file, name, settings, top, console, own)
                   for file, name in source_files(path)]
    return [r for r in results if r is not None]


def _query(index: SimilarityIndex, file: Path, name: str, settings: SearchSettings,
           top: int, console: Console, own: str) -> FileMatches | None:
    try:
        document = read_document(file, name)
    except DocumentError as exc:
        console.print(f"skipped {exc}", markup=False)
        return None
    itself = str(file.resolve())
    matches = tuple(search(index, document, settings, exclude=lambda stored: (
        bool(own) and is_own(stored, own)) or _same_file(stored, itself))[:top])
    texts = tuple(index.document_text(m.source.id) for m in matches)
    return FileMatches(document, matches, texts)


def _same_file(stored: StoredDocument, resolved: str) -> bool:
    """The queried file itself, indexed from its folder."""
    return str(Path(stored.origin.repo) / stored.origin.path) == resolved


def _plain(results: list[FileMatches]) -> str:
    console = Console(record=True, width=160, file=io.StringIO())
    print_text(console, results, regions=3)
    return console.export_text()
