"""What the GitHub Action (``action.yml``) runs: review the submission folders a PR changes.

``python -m reviewbot.action --base BASE_SHA [--head HEAD] [--sarif FILE]``, in a
checkout: the folders are the top-level ``AuthorEtAlYEAR`` folders that ``git diff
BASE...HEAD`` touches and that still exist; they are reviewed exactly as ``reviewbot check``
reviews them (same pipeline, same config discovery); the text report goes to stdout, the
triaged Markdown to ``$GITHUB_STEP_SUMMARY`` when set, and one SARIF log (one run, URIs
relative to the checkout) to ``--sarif`` for the code-scanning upload. Exit status as
``reviewbot check``: 0 passed (or nothing to review), 1 failed, 2 usage error.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from reviewbot.config import load_config
from reviewbot.core.errors import ReviewbotError, UsageError
from reviewbot.core.models import Review
from reviewbot.github.fetch import submission_folders
from reviewbot.pipeline import review_path, select_checks
from reviewbot.report.markdown import MarkdownOptions, render_markdown
from reviewbot.report.rule_docs import RuleDocs
from reviewbot.report.sarif import render_sarif
from reviewbot.report.text import render_text


def changed_folders(root: Path, base: str, head: str = "HEAD", pattern: str = "") -> list[str]:
    """Submission folders the commits ``base..head`` change, that exist in the checkout."""
    try:
        listed = subprocess.run(
            ["git", "-C", str(root), "diff", "--name-only", "--no-renames", f"{base}...{head}"],
            capture_output=True, text=True, check=True).stdout
    except FileNotFoundError:
        raise UsageError("git is not installed") from None
    except subprocess.CalledProcessError as exc:
        raise UsageError(f"git diff {base}...{head} failed: {exc.stderr.strip()}") from None
    split = submission_folders((line for line in listed.splitlines() if line), pattern)
    return [folder for folder in split.folders if (root / folder).is_dir()]


def rule_docs(docs_url: str) -> RuleDocs:
    """The configured docs, else the README of the repository the workflow runs in."""
    repository = os.environ.get("GITHUB_REPOSITORY", "")
    return RuleDocs.for_repository(repository, docs_url) if repository or docs_url \
        else RuleDocs()


def write_outputs(root: Path, reviews: Sequence[Review], sarif: Path | None,
                  docs: RuleDocs) -> None:
    sys.stdout.write(render_text(reviews, width=120))
    if sarif is not None:
        sarif.write_text(render_sarif(reviews, base=root, docs=docs), encoding="utf-8")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(render_markdown(reviews, options=MarkdownOptions(docs=docs)))


def run(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    root = Path(args.root).resolve()
    loaded = load_config(args.config, starts=[root])  # the checkout's config.toml, if any
    folders = changed_folders(root, args.base, args.head,
                              loaded.config.review.submission_pattern)
    if not folders:
        print("reviewbot: this change touches no submission folder: nothing to review")
        if args.sarif:  # code scanning still gets a (clean) upload
            args.sarif.write_text(render_sarif([], base=root), encoding="utf-8")
        return 0
    print(f"reviewbot: reviewing {', '.join(folders)}", file=sys.stderr)
    selected = select_checks()
    reviews = [review_path(root / folder, loaded.config, selected, config_source=loaded.source)
               for folder in folders]
    write_outputs(root, reviews, args.sarif, rule_docs(loaded.config.github.docs_url))
    return 0 if all(review.passed for review in reviews) else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m reviewbot.action",
                                     description=__doc__.split("\n", 1)[0])
    parser.add_argument("--base", required=True, help="the PR's base commit (or ref)")
    parser.add_argument("--head", default="HEAD", help="the PR's head commit (default HEAD)")
    parser.add_argument("--root", default=".", help="the checkout (default: here)")
    parser.add_argument("--sarif", type=Path, default=None, help="write SARIF here")
    parser.add_argument("--config", type=Path, default=None, help="config.toml to use")
    return parser


def pre_commit(argv: Sequence[str] | None = None) -> int:
    """The pre-commit hook: review the submission folders of the files being committed."""
    paths = list(sys.argv[1:] if argv is None else argv)
    loaded = load_config(None, starts=[Path.cwd()])  # the repository's config.toml, if any
    pattern = loaded.config.review.submission_pattern
    folders = [f for f in submission_folders(paths, pattern).folders if Path(f).is_dir()]
    if not folders:
        return 0
    selected = select_checks()
    reviews = [review_path(Path(folder), loaded.config, selected, config_source=loaded.source)
               for folder in folders]
    sys.stdout.write(render_text(reviews, width=120))
    return 0 if all(review.passed for review in reviews) else 1


def pre_commit_main() -> None:
    _exit_with(pre_commit)


def main() -> None:
    _exit_with(run)


def _exit_with(action: Callable[[], int]) -> None:
    try:
        code = action()
    except ReviewbotError as exc:
        print(f"reviewbot: error: {' '.join(str(exc).split())}", file=sys.stderr)
        code = exc.exit_code
    raise SystemExit(code)


if __name__ == "__main__":  # python -m reviewbot.action
    main()
