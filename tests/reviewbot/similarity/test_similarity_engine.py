"""The similarity engine on hand-written pairs: normalizer, fingerprints, search, regions."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewbot.similarity.documents import (
    SHAPE_CHANNEL,
    TOKEN_CHANNEL,
    DocumentError,
    document_from_bytes,
    fingerprint,
)
from reviewbot.similarity.index import Origin, SimilarityIndex
from reviewbot.similarity.search import Match, search
from reviewbot.similarity.tokens import NAME_ID, normalize
from tests.reviewbot.similarity.similarity_samples import (
    ORIGINAL,
    PYTHON2,
    RENAMED,
    REWRITTEN,
    UNRELATED,
    notebook_of,
)


def _channel(source: str, channel: int) -> set[int]:
    return {p.hash for p in fingerprint("x.py", source).fingerprints if p.channel == channel}


def _containment(copy: str, original: str, channel: int) -> float:
    mine, theirs = _channel(copy, channel), _channel(original, channel)
    return len(mine & theirs) / len(mine)


def test_normalizer_erases_names_comments_docstrings_and_layout() -> None:
    first = normalize('def f(a):\n    """Doc."""\n    # note\n    return a + 1\n',
                      frozenset({"f", "a"}))
    second = normalize("def g(b):\n\n        return b+2  # other\n", frozenset({"g", "b"}))
    assert first.ids == second.ids
    assert first.ids.count(NAME_ID) == 3
    assert first.lines[-1] == 4 and second.lines[-1] == 3


def test_normalizer_keeps_names_the_file_only_uses() -> None:
    assert normalize("x = math.sqrt(y)\n", frozenset({"x"})).ids != \
        normalize("x = math.log(y)\n", frozenset({"x"})).ids


def test_renamed_copy_shares_every_fingerprint() -> None:
    assert _containment(RENAMED, ORIGINAL, TOKEN_CHANNEL) > 0.9
    assert _containment(RENAMED, ORIGINAL, SHAPE_CHANNEL) == 1.0


def test_reordered_and_loop_rewritten_copy_keeps_its_shapes() -> None:
    # token k-grams mostly break; statement and expression shapes survive
    assert _containment(REWRITTEN, ORIGINAL, TOKEN_CHANNEL) < 0.5
    assert _containment(REWRITTEN, ORIGINAL, SHAPE_CHANNEL) >= 0.75


def test_unrelated_code_shares_almost_nothing() -> None:
    assert _containment(UNRELATED, ORIGINAL, SHAPE_CHANNEL) < 0.1
    assert _containment(UNRELATED, ORIGINAL, TOKEN_CHANNEL) < 0.1


def test_python2_file_gets_token_fingerprints_only() -> None:
    document = fingerprint("old.py", PYTHON2)
    assert not document.parsed
    assert {p.channel for p in document.fingerprints} == {TOKEN_CHANNEL}


@pytest.mark.parametrize(("data", "why"), [
    (b"\x89PNG\r\n\x1a\n\0\0\0", "binary"),
    (b"x = 1\n" * 400_000, "over the"),
    (b'{"cells": 3', "not valid JSON"),
])
def test_bad_input_is_refused_with_a_reason(data: bytes, why: str) -> None:
    name = "bad.ipynb" if data.startswith(b"{") else "bad.py"
    with pytest.raises(DocumentError, match=why):
        document_from_bytes(name, data)


def test_empty_file_has_no_fingerprints() -> None:
    document = document_from_bytes("empty.py", b"")
    assert document.tokens == 0 and document.fingerprints == ()


@pytest.fixture
def index(tmp_path: Path) -> SimilarityIndex:
    with SimilarityIndex.open(tmp_path / "index.sqlite", create=True) as opened:
        opened.add([(Origin("upstream", "adam.py", author="bob"), fingerprint("adam.py", ORIGINAL)),
                    (Origin("other", "table.py"), fingerprint("table.py", UNRELATED))])
        yield opened


def _best(index: SimilarityIndex, name: str, source: str) -> Match:
    data = source.encode()
    matches = search(index, document_from_bytes(name, data))
    assert matches, name
    return matches[0]


@pytest.mark.parametrize("copy", [ORIGINAL, RENAMED, REWRITTEN, PYTHON2])
def test_each_disguise_finds_the_original_first(index: SimilarityIndex, copy: str) -> None:
    best = _best(index, "copy.py", copy)
    assert best.source.origin.path == "adam.py"
    assert best.score >= 0.4  # the check flags from 0.25


def test_unrelated_query_scores_low(index: SimilarityIndex) -> None:
    other = "import json\n\ndef dump(obj, path):\n    with open(path, 'w') as f:\n" \
            "        json.dump(obj, f, indent=2, sort_keys=True)\n    return path\n"
    matches = search(index, document_from_bytes("dump.py", other.encode()))
    assert all(m.score < 0.2 for m in matches)


def test_regions_give_lines_and_token_lengths(index: SimilarityIndex) -> None:
    best = _best(index, "copy.py", RENAMED)
    region = best.regions[0]
    assert region.kind == "exact" and region.tokens >= 50
    # the whole file is one tile: from `import math` (the original's docstring is skipped)
    assert (region.query_start, region.query_end) == (1, 27)
    assert (region.source_start, region.source_end) == (2, 29)
    assert best.submission_coverage > 0.8 and best.source_coverage > 0.8


def test_notebook_copy_maps_regions_to_cells(index: SimilarityIndex) -> None:
    notebook = document_from_bytes("copy.ipynb", notebook_of(RENAMED).encode())
    best = search(index, notebook)[0]
    assert best.source.origin.path == "adam.py" and best.score > 0.8
    where = notebook.span(best.regions[0].query_start, best.regions[0].query_end)
    assert where.startswith("copy.ipynb cell ")
    cells = {notebook.where(r.query_start).split(" cell ")[1].split(":")[0]
             for r in best.regions}
    assert cells <= {"3", "4"}  # cell 1 is markdown, cell 2 the magic


def test_same_author_match_is_reuse(index: SimilarityIndex) -> None:
    matches = search(index, fingerprint("copy.py", RENAMED), authors=frozenset({"bob"}))
    assert matches[0].reuse
    assert not search(index, fingerprint("copy.py", RENAMED))[0].reuse


IDIOM = '''\
@functools.lru_cache(maxsize=None)
def cached_{name}(key):
    value = registry.get(key)
    if value is None:
        raise KeyError(f"unknown {{key}}")
    return value
'''


def test_one_shared_idiom_in_small_files_is_not_a_copy(tmp_path: Path) -> None:
    first = IDIOM.format(name="reader") + "\n\ndef load(path):\n    return open(path).read()\n"
    second = IDIOM.format(name="writer") + \
        "\n\ndef total(rows):\n    return sum(r[1] for r in rows)\n"
    with SimilarityIndex.open(tmp_path / "i.sqlite", create=True) as index:
        index.add([(Origin("a", "reader.py"), fingerprint("reader.py", first)),
                   (Origin("a", "big.py"), fingerprint("big.py", ORIGINAL))])
        matches = search(index, fingerprint("writer.py", second))
    assert all(m.score < 0.2 for m in matches)  # under the check's default threshold


def test_overview_page_sorts_sources_and_keeps_only_matched_lines(tmp_path: Path) -> None:
    from reviewbot.similarity.render import FileMatches, match_data, to_html
    padding = "".join(f"\ndef helper_{i}(x):\n    return x * {i} + len(str(x))\n"
                      for i in range(40))
    with SimilarityIndex.open(tmp_path / "i.sqlite", create=True) as index:
        index.add([(Origin("up", "adam.py"), fingerprint("adam.py", ORIGINAL + padding))])
        query = fingerprint("train.py", RENAMED)
        matches = tuple(search(index, query))
        texts = tuple(index.document_text(m.source.id) for m in matches)
    results = [FileMatches(query, matches, texts)]
    (source,) = match_data(results)
    assert source["path"] == "adam.py" and source["files"][0]["regions"]
    page = to_html(results)
    assert page.index("sources match, best first") < page.index("<h2 id='src-0'>")
    assert "href='#s-" in page and "href='#q-" in page  # regions linked both ways
    assert "helper_30" not in page  # unmatched source lines stay off the page


def test_statements_repeated_thousands_of_times_are_filler_not_a_blow_up(tmp_path: Path) -> None:
    # every query place x every source place of one repeated hash was 690 million seeds
    table = "".join(f"x{i} = foo(bar(baz(1, 2), 3), qux(4))\n" for i in range(3000))
    with SimilarityIndex.open(tmp_path / "i.sqlite", create=True) as index:
        index.add([(Origin("a", "table.py"), fingerprint("table.py", table)),
                   (Origin("a", "adam.py"), fingerprint("adam.py", ORIGINAL))])
        matches = search(index, fingerprint("q.py", table + RENAMED))
    assert [m.source.origin.path for m in matches] == ["adam.py"]
