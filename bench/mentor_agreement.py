"""Benchmark: does the static review's verdict agree with a mentor's?

Run by hand from the repository root (not a test)::

    .venv/bin/python bench/mentor_agreement.py CORPUS_ROOT [--labels bench/mentor_labels.toml]

For each labelled folder under CORPUS_ROOT it runs the static review in-process
(``reviewbot.pipeline.review_path``, lint included, similarity skipped: no index), then prints
the bot's verdict next to the mentor's, and at the end:

- verdict agreement: the share of folders where pass/fail is the same;
- recall: the share of labelled problems the review reports (a finding with the problem's
  rule code whose text matches its regex, either part optional);
- wrong errors: error-level findings the labels mark wrong for that folder;
- per-folder disagreements with the error-level findings that decided a wrong "fail".
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from reviewbot.config import Config, load_config
from reviewbot.core.models import Finding, Review, Severity
from reviewbot.pipeline import review_path, select_checks

DEFAULT_LABELS = Path(__file__).with_name("mentor_labels.toml")


@dataclass(frozen=True)
class Problem:
    """A labelled problem: a rule code and/or a regex over a finding's text."""

    code: str
    regex: str

    def found_in(self, findings: tuple[Finding, ...]) -> bool:
        return any(self.matches(finding) for finding in findings)

    def matches(self, finding: Finding) -> bool:
        if self.code and finding.code != self.code:
            return False
        return not self.regex or bool(re.search(self.regex, finding.message, re.IGNORECASE))

    def __str__(self) -> str:
        return " ".join(part for part in (self.code, f"/{self.regex}/" if self.regex else "")
                        if part)


@dataclass(frozen=True)
class Label:
    folder: str
    verdict: str  # pass | fail
    why: str
    problems: tuple[Problem, ...]
    wrong: tuple[Problem, ...]


@dataclass(frozen=True)
class Outcome:
    label: Label
    review: Review
    seconds: float

    @property
    def verdict(self) -> str:
        return "pass" if self.review.passed else "fail"

    @property
    def recalled(self) -> list[Problem]:
        return [p for p in self.label.problems if p.found_in(self.review.findings)]

    @property
    def wrong_errors(self) -> list[Finding]:
        errors = [f for f in self.review.findings if f.severity >= Severity.ERROR]
        return [f for f in errors if any(p.matches(f) for p in self.label.wrong)]


def load_labels(path: Path) -> list[Label]:
    folders = tomllib.loads(path.read_text(encoding="utf-8"))["folders"]
    return [Label(name, entry["verdict"], entry["why"], _problems(entry.get("problems", [])),
                  _problems(entry.get("wrong", [])))
            for name, entry in sorted(folders.items())]


def _problems(entries: list[dict[str, str]]) -> tuple[Problem, ...]:
    return tuple(Problem(e.get("code", ""), e.get("regex", "")) for e in entries)


def review_folder(root: Path, label: Label, config: Config) -> Outcome:
    selected = select_checks(skip=["similarity"])
    started = time.perf_counter()
    review = review_path(root / label.folder, config, selected)
    return Outcome(label, review, time.perf_counter() - started)


def print_outcome(outcome: Outcome) -> None:
    label = outcome.label
    mark = "  " if outcome.verdict == label.verdict else "XX"
    recalled = len(outcome.recalled)
    print(f"{mark} {label.folder:32} bot={outcome.verdict:4} mentor={label.verdict:4} "
          f"problems {recalled}/{len(label.problems)}  {outcome.seconds:5.1f}s")
    if outcome.verdict != label.verdict:
        print(f"     mentor: {label.why}")
        for finding in outcome.review.failing[:6]:
            print(f"     error {finding.code} {finding.where}: {finding.message[:150]}")
    for problem in label.problems:
        if problem not in outcome.recalled:
            print(f"     missed {problem}")
    for finding in outcome.wrong_errors:
        print(f"     WRONG {finding.code} {finding.where}: {finding.message[:150]}")


def print_summary(outcomes: list[Outcome]) -> None:
    agreed = sum(o.verdict == o.label.verdict for o in outcomes)
    problems = sum(len(o.label.problems) for o in outcomes)
    recalled = sum(len(o.recalled) for o in outcomes)
    wrong = sum(len(o.wrong_errors) for o in outcomes)
    findings = sum(len(o.review.findings) for o in outcomes)
    errors = sum(len(o.review.failing) for o in outcomes)
    print()
    print(f"folders: {len(outcomes)}")
    print(f"verdict agreement: {agreed}/{len(outcomes)} = {100 * agreed / len(outcomes):.1f}%")
    print(f"recall of labelled problems: {recalled}/{problems} = "
          f"{100 * recalled / max(problems, 1):.1f}%")
    print(f"error-level findings marked wrong: {wrong}")
    print(f"findings: {findings} ({errors} at the failing level)")
    print(f"review time: {sum(o.seconds for o in outcomes):.1f}s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", type=Path, help="folder holding the labelled submissions")
    parser.add_argument("--labels", type=Path, default=DEFAULT_LABELS)
    parser.add_argument("--config", type=Path, default=None,
                        help="config.toml to review with (default: built-in defaults)")
    parser.add_argument("--only", nargs="*", default=[], help="review only these folders")
    args = parser.parse_args(argv)
    labels = [label for label in load_labels(args.labels)
              if not args.only or label.folder in args.only]
    missing = [label.folder for label in labels if not (args.corpus / label.folder).is_dir()]
    if missing:
        print(f"not in {args.corpus}: {', '.join(missing)}", file=sys.stderr)
        return 2
    config = load_config(args.config).config
    outcomes = []
    for label in labels:
        outcome = review_folder(args.corpus, label, config)
        print_outcome(outcome)
        outcomes.append(outcome)
    print_summary(outcomes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
