"""What the similarity room is configured with, and where its files are.

``[checks.similarity]`` in config.toml is read into the check's ``Config``, which extends
``SimilaritySettings``; ``reviewbot index``/``similar`` and the check both locate the index
and the corpus cache here, so the commands never import the check.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from reviewbot.core import environment
from reviewbot.similarity.search import SearchSettings


class CorpusEntry(BaseModel):
    """One source tree of known implementations: a folder or a git URL."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(description="folder, file or git URL (cloned shallow to the cache)")
    label: str = Field(description="name shown in findings, e.g. the repository")
    author: str = Field("", description="author, for same-author reuse")
    link: str = Field("", description="URL shown with findings (default: the path)")
    template: bool = Field(False, description="maintainers' starter code: base code, ignored")


class SimilaritySettings(BaseModel):
    """The index, the corpus and the search thresholds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    threshold: float = Field(
        0.2, ge=0, le=1, description="score of a source (its aligned regions related to both "
        "files) that makes a finding")
    index_path: str = Field(
        "", description="SQLite index file; empty: similarity.sqlite in REVIEWBOT_DATA_DIR "
        "(default .reviewbot-data)")
    cache_dir: str = Field("", description="where git corpora are cloned; empty: "
                           "corpus-cache in REVIEWBOT_DATA_DIR")
    corpus: list[CorpusEntry] = Field(
        default_factory=list, description="what `reviewbot index build` indexes")
    authors: dict[str, str] = Field(
        default_factory=dict, description="submission folder name -> its author, for reuse")
    max_doc_share: float = Field(
        0.1, gt=0, le=1, description="fingerprints in more than this share of indexed files "
        "are boilerplate and ignored")
    min_doc_cap: int = Field(10, ge=1, description="... but only when in more files than this")
    top: int = Field(5, ge=1, description="sources reported per file at most")


def index_location(settings: SimilaritySettings, data_dir: Path | None = None) -> Path:
    """``index_path``, else similarity.sqlite in the data folder."""
    if settings.index_path:
        return Path(settings.index_path)
    return (data_dir or environment.data_dir()) / "similarity.sqlite"


def cache_location(settings: SimilaritySettings, data_dir: Path | None = None) -> Path:
    """``cache_dir``, else corpus-cache in the data folder."""
    if settings.cache_dir:
        return Path(settings.cache_dir)
    return (data_dir or environment.data_dir()) / "corpus-cache"


def search_settings(settings: SimilaritySettings) -> SearchSettings:
    return SearchSettings(max_doc_share=settings.max_doc_share, min_doc_cap=settings.min_doc_cap,
                          candidates=settings.top, min_score=min(settings.threshold, 0.05))
