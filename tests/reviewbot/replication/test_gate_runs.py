"""RUN codes pass through the same gate as every other finding: [rules] levels them."""

from __future__ import annotations

from pathlib import Path

from reviewbot.config import Config, load_config, rulebook
from reviewbot.core.models import Review, RunResult, Severity, Verdict, freeze
from reviewbot.core.rules import Level
from reviewbot.replication.claims import StatsSettings, load_paper
from reviewbot.replication.verdicts import judged
from tests.conftest import write_tree

NAME = "Tiny2020"
CLAIMS = ('[paper]\nfull_budget = { epochs = 3 }\n[claims.score]\nmetric = "score"\n'
          'value = 0.9\ndirection = "higher"\ntolerance = { abs = 0.05 }\n')
RUNS = tuple(RunResult("tiny.ipynb", seed, True, 1.0, scalars=freeze({"score": 0.5 + seed / 100}),
                       parameters=freeze({"epochs": 3})) for seed in (0, 1, 2))


def _judged(tmp_path: Path, config: Config) -> Review:
    papers = write_tree(tmp_path / "papers", {f"{NAME}.toml": CLAIMS})
    paper = load_paper(NAME, papers, config.stats)
    review = Review(NAME, str(tmp_path / NAME), (), (), Severity.ERROR, "0",
                    rules=rulebook(config))
    return judged(review, RUNS, paper, config.stats)


def _run003(review: Review) -> list[Severity]:
    return [f.severity for f in review.findings if f.code == "RUN003"]


def test_a_claim_not_reproduced_fails_by_default(tmp_path: Path) -> None:
    review = _judged(tmp_path, Config())
    assert review.verdicts[0].verdict is Verdict.NOT_REPRODUCED
    assert _run003(review) == [Severity.ERROR]
    assert not review.passed


def test_rules_make_run003_a_warning_or_switch_it_off(tmp_path: Path) -> None:
    warned = _judged(tmp_path, Config(rules={"RUN003": Level.WARNING}))
    assert _run003(warned) == [Severity.WARNING] and warned.passed
    off = _judged(tmp_path, Config(rules={"RUN003": Level.OFF}))
    assert _run003(off) == [] and off.passed
    assert off.verdicts[0].verdict is Verdict.NOT_REPRODUCED  # the verdict itself stays


def test_the_deprecated_stats_key_still_works_and_rules_win(tmp_path: Path) -> None:
    config_file = write_tree(tmp_path / "maint", {"config.toml": (
        "[stats]\nfail_on_not_reproduced = false\n")}) / "config.toml"
    assert _run003(_judged(tmp_path, load_config(config_file).config)) == [Severity.WARNING]
    both = Config(stats=StatsSettings(fail_on_not_reproduced=False),
                  rules={"RUN003": Level.ERROR})
    assert _run003(_judged(tmp_path, both)) == [Severity.ERROR]
