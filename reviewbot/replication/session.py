"""What ``check --run``, ``verdict`` and ``config show --paper`` do; cli.py only wires them.

Claims and the papers folder come from the maintainers' config, never from the path under
review: a submission folder cannot bring its own ``papers/`` or tolerances.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from reviewbot import __version__
from reviewbot.config import Config, LoadedConfig
from reviewbot.core.errors import UsageError
from reviewbot.core.models import Review
from reviewbot.replication.claims import PaperClaims, load_paper, papers_dir
from reviewbot.replication.runs_io import StoredRuns, read_runs, write_runs
from reviewbot.replication.verdicts import (
    judged,
    plan_runs,
    replicate,
    review_plan,
    stored_plan,
)

DEFAULT_PLOT_DIR = Path("reviewbot-plots")


@dataclass(frozen=True)
class RunOptions:
    """``check --run`` and its options."""

    runs: int | None = None
    no_sandbox: bool = False
    plot_dir: Path | None = None
    save_runs: Path | None = None
    quiet: bool = False


def config_file(loaded: LoadedConfig) -> Path | None:
    """The config file a LoadedConfig came from (``None`` for the built-in defaults)."""
    path = Path(loaded.source)
    return path if path.is_file() else None


def paper_claims(loaded: LoadedConfig, name: str) -> PaperClaims:
    settings = loaded.config.stats
    return load_paper(name, papers_dir(settings, config_file(loaded)), settings)


def registered_claims(loaded: LoadedConfig, name: str) -> PaperClaims:
    """The claims of ``name``; a paper asked for by name without a claims file is a usage
    error (exit 2), never an empty pass."""
    paper = paper_claims(loaded, name)
    if not paper.source:
        folder = papers_dir(loaded.config.stats, config_file(loaded))
        raise UsageError(f"no claims file for {name}: {folder / (name + '.toml')} does not exist "
                         f"(claims are read from [stats] papers_dir next to the config in use: "
                         f"{loaded.source}; pass --config to use another)")
    return paper


def plot_folder(options_dir: Path | None, output: Path | None) -> Path:
    """``--plot-dir``, else next to ``--output``, else ``./reviewbot-plots``."""
    if options_dir is not None:
        return options_dir
    return output.parent if output is not None else DEFAULT_PLOT_DIR


# ---- check --run --------------------------------------------------------------------------


def run_reviews(reviews: Sequence[Review], loaded: LoadedConfig, options: RunOptions,
                output: Path | None) -> list[Review]:
    """Run every submission's notebooks, judge, plot; the reviews say what was done."""
    papers = [paper_claims(loaded, review.submission) for review in reviews]  # fail early
    from reviewbot.replication.progress import (
        run_progress,  # rich's live display, only when running
    )

    runner = make_runner(loaded.config, options.no_sandbox)
    plan = plan_runs(runner_settings(loaded.config), options.runs, not options.no_sandbox)
    done = []
    with run_progress(options.quiet) as progress:
        for review, paper in zip(reviews, papers, strict=True):
            done.append(replicate(review, runner, plan, paper, loaded.config.stats, progress))
    if options.save_runs is not None:
        plans = {review.submission: plan for review in done
                 if (plan := review_plan(review)) is not None}
        write_runs(options.save_runs, {review.submission: review.runs for review in done}, plans)
    folder = plot_folder(options.plot_dir, output)
    return [with_plot(review, folder) for review in done]


def runner_settings(config: Config) -> Any:
    from reviewbot.runners.config import RunnerConfig

    return getattr(config, "runner", None) or RunnerConfig()


def make_runner(config: Config, no_sandbox: bool, *, data_dir: Path | None = None,
                masked_files: Sequence[Path] = ()) -> Any:
    """The local runner; without bubblewrap it refuses unless ``--no-sandbox`` was given.

    ``data_dir`` and ``masked_files`` (secret files the sandbox shows empty, e.g. the GitHub
    App's private key) come from the caller's environment settings, read once.

    With ``[runner] backend = "slurm"`` the runs go to the cluster, sandboxed on its nodes.
    """
    from reviewbot.runners.local import LocalRunner
    from reviewbot.runners.sandbox import sandbox_available

    if runner_settings(config).backend == "slurm":
        from reviewbot.runners.slurm import SlurmRunner

        return SlurmRunner(runner_settings(config), sandbox=not no_sandbox)
    if not no_sandbox:
        available, reason = sandbox_available()
        if not available:
            raise UsageError(f"cannot run notebooks in a sandbox here ({reason}); install "
                             "bubblewrap, or pass --no-sandbox to run them unprotected")
    return LocalRunner(runner_settings(config), sandbox=not no_sandbox, data_dir=data_dir,
                       masked_files=masked_files)


def with_plot(review: Review, folder: Path) -> Review:
    from reviewbot.report.plot import plot_review  # matplotlib loads only to draw

    try:
        path = plot_review(review, folder)
    except OSError as exc:
        raise UsageError(f"cannot write the plot to {folder}: {exc.strerror or exc}") from None
    return replace(review, notes=(*review.notes, f"plot: {path}")) if path else review


# ---- verdict ------------------------------------------------------------------------------


def rejudge(runs_file: Path, loaded: LoadedConfig, paper_name: str | None,
            plot_dir: Path | None, output: Path | None) -> list[Review]:
    """Reviews of stored runs judged under the current config; nothing is re-run."""
    stored = read_runs(runs_file)
    if not stored:
        raise UsageError(f"{runs_file}: holds no submission")
    folder = plot_folder(plot_dir, output)
    reviews = []
    for entry in stored:
        paper = registered_claims(loaded, paper_name or entry.submission)
        review = judged(_empty_review(entry, loaded), entry.runs, paper,
                        loaded.config.stats, (f"re-judged from {runs_file}: nothing was re-run",
                                              f"config: {loaded.source}"),
                        stored_plan(entry.plan))
        reviews.append(with_plot(review, folder) if plot_dir is not None else review)
    return reviews


def _empty_review(entry: StoredRuns, loaded: LoadedConfig) -> Review:
    return Review(entry.submission, entry.root, (), (), loaded.config.review.fail_on,
                  __version__, rules=loaded.rules, config_source=loaded.source)


# ---- config show --paper ------------------------------------------------------------------


def paper_rows(loaded: LoadedConfig, name: str) -> tuple[PaperClaims, list[tuple[str, ...]]]:
    """(claim, key, value, origin) for every resolved value of every claim of ``name``."""
    paper = registered_claims(loaded, name)
    rows = [(claim.id, key, value, origin) for claim in paper.claims
            for key, value, origin in claim.resolved_values()]
    return paper, rows
