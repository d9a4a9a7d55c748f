"""The data that flows through a review: findings, check results and the review itself.

Everything here is a frozen dataclass so that a value handed to a renderer or to the
GitHub adapter cannot be changed behind the pipeline's back.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reviewbot.core.rules import Rulebook

SCHEMA_VERSION = 1


@functools.total_ordering
class Severity(enum.Enum):
    """How much a finding matters; ordered so that thresholds can be compared."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


class Status(enum.Enum):
    """The outcome of one check over one submission."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    ERRORED = "errored"


@dataclass(frozen=True)
class Finding:
    """One problem, said where it is and what to do about it.

    For a notebook, ``line`` is the line of the raw .ipynb JSON (what GitHub's review
    comments address), ``cell`` the 1-based cell number and ``cell_line`` the line inside
    that cell's source.
    """

    check: str
    code: str
    severity: Severity
    message: str
    path: str | None = None
    line: int | None = None
    column: int | None = None
    cell: int | None = None
    cell_line: int | None = None
    fix: str = ""

    @property
    def where(self) -> str:
        """``path:line`` (or ``path cell N:L``) for humans; empty when not tied to a file."""
        if self.path is None:
            return ""
        if self.cell is not None:
            inner = f":{self.cell_line}" if self.cell_line is not None else ""
            return f"{self.path} cell {self.cell}{inner}"
        return f"{self.path}:{self.line}" if self.line is not None else self.path


@dataclass(frozen=True)
class Rule:
    """A stable rule code with its default severity and the advice a finding carries."""

    check: str
    code: str
    severity: Severity
    title: str
    fix: str

    def finding(
        self,
        message: str,
        path: str | None = None,
        line: int | None = None,
        *,
        column: int | None = None,
        cell: int | None = None,
        cell_line: int | None = None,
    ) -> Finding:
        return Finding(
            check=self.check,
            code=self.code,
            severity=self.severity,
            message=message,
            path=path,
            line=line,
            column=column,
            cell=cell,
            cell_line=cell_line,
            fix=self.fix,
        )


def freeze(mapping: Mapping[str, object] | None = None) -> Mapping[str, object]:
    """A read-only copy of ``mapping`` for use inside frozen dataclasses."""
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class Outcome:
    """What a check may return instead of a bare list: findings plus summary figures."""

    findings: tuple[Finding, ...] = ()
    stats: Mapping[str, object] = field(default_factory=freeze)


@dataclass(frozen=True)
class CheckResult:
    """One check's verdict on one submission."""

    check: str
    status: Status
    findings: tuple[Finding, ...] = ()
    stats: Mapping[str, object] = field(default_factory=freeze)
    error: str = ""
    seconds: float = 0.0

    def count(self, severity: Severity) -> int:
        return sum(1 for finding in self.findings if finding.severity is severity)


class Verdict(enum.Enum):
    """What the bot concludes about one claim of the paper (see stats-protocol)."""

    REPRODUCED = "reproduced"
    NOT_REPRODUCED = "not_reproduced"
    INCONCLUSIVE = "inconclusive"
    NOT_CHECKED = "not_checked"  # the reason (run failed, metric missing...) is in the tags

    @property
    def label(self) -> str:
        """The words every report uses for this verdict: ``not reproduced``."""
        return self.value.replace("_", " ")


@dataclass(frozen=True)
class Series:
    """A recorded curve, e.g. validation perplexity per epoch."""

    x: tuple[float, ...]
    y: tuple[float, ...]
    x_name: str = "step"


class MetricProblemKind(enum.Enum):
    """What the runner found wrong (or worth saying) about what a run recorded."""

    VALUE_REFUSED = "value_refused"  # one metric's value refused (NaN, inf, wrong type)
    FILE_REFUSED = "file_refused"  # metrics.json or the scraps ignored as a whole
    NONE_RECORDED = "none_recorded"
    NOTE = "note"  # accepted, said for information (e.g. written without a run_id)


@dataclass(frozen=True)
class MetricProblem:
    kind: MetricProblemKind
    message: str
    metric: str = ""  # the metric concerned, for VALUE_REFUSED


@dataclass(frozen=True)
class RunResult:
    """One execution of one notebook with one seed, and what it measured."""

    notebook: str
    seed: int
    ok: bool
    seconds: float
    run_id: str = ""
    scalars: Mapping[str, float] = field(default_factory=freeze)
    series: Mapping[str, Series] = field(default_factory=freeze)
    error: str = ""  # one line: what stopped the run
    error_cell: int | None = None  # 1-based cell number, as in findings
    output_tail: str = ""  # the last lines the notebook printed before failing
    device: str = ""  # "CPU" or the GPU model
    environment: Mapping[str, str] = field(default_factory=freeze)  # TF version, determinism
    parameters: Mapping[str, object] = field(default_factory=freeze)  # overrides injected
    problems: tuple[str, ...] = ()  # metrics refused: stale nonce, NaN, wrong type
    metric_problems: tuple[MetricProblem, ...] = ()  # the same, and notes, as data


@dataclass(frozen=True)
class ClaimVerdict:
    """The verdict on one registered claim, with the numbers a mentor can check."""

    claim: str
    metric: str
    kind: str  # scalar | curve | ranking | exact
    verdict: Verdict
    explanation: str  # one sentence of why
    paper_value: float | None = None
    unit: str = ""
    direction: str = ""  # higher | lower | equal
    tolerance: float | None = None  # absolute delta actually used
    observed: tuple[float, ...] = ()
    mean: float | None = None
    interval: tuple[float, float] | None = None
    p_value: float | None = None
    n: int = 0
    test: str = ""
    statistic: float | None = None
    tags: tuple[str, ...] = ()
    source: str = ""  # table or figure of the paper
    # what a plot draws besides the numbers above (renderers get no claims file):
    reference: Series | None = None  # a curve claim: the paper's curve
    band: tuple[float, ...] = ()  # a curve claim: the band's half-width at each paper point
    margin: float | None = None  # a ranking claim: the margin the difference must clear
    interval_level: float | None = None  # e.g. 0.9 for the 90% interval of ``interval``
    p_raw: float | None = None  # the deciding test's own p-value, before Holm
    p_adjusted: float | None = None  # Holm-adjusted across the submission's claims
    level: float | None = None  # the level the raw p had to beat at the deciding look
    looks: tuple[int, ...] = ()  # run counts at which the claim was judged
    runs_used: int = 0  # runs per notebook behind the verdict
    stopped: str = ""  # why no more runs: decided | futile | max_runs | budget | not_checked
    value_from: str = "paper"  # whose number paper_value is: "paper" or "reference run"


@dataclass(frozen=True)
class ResultRow:
    """One number the README's results report: the paper's value and/or the reproduced one."""

    metric: str  # e.g. "test accuracy"
    setting: str  # what the row is about, e.g. "CIFAR-10, ResNet-20"; "" when none
    paper: float | None  # the paper's value as the README gives it
    reproduced: float | None  # the candidate's own value
    unit: str  # "%", "dB", ""...
    path: str  # the README, relative to the submission
    line: int  # 1-based line of the row or sentence


@dataclass(frozen=True)
class Review:
    """Everything a renderer or the GitHub adapter needs to say about one submission."""

    submission: str
    root: str
    results: tuple[CheckResult, ...]
    load_findings: tuple[Finding, ...]
    fail_on: Severity
    tool_version: str
    runs: tuple[RunResult, ...] = ()
    verdicts: tuple[ClaimVerdict, ...] = ()
    notes: tuple[str, ...] = ()  # said once at the top, e.g. "ran without a sandbox"
    readme_results: tuple[ResultRow, ...] = ()  # the README's results, read as data
    rules: Rulebook | None = None  # every rule code and the maintainers' levels (the gate's)
    config_source: str = ""  # the config file the review was made under, or built-in defaults

    @property
    def findings(self) -> tuple[Finding, ...]:
        """All findings: those from loading the folder first, then each check's."""
        nested = (result.findings for result in self.results)
        return self.load_findings + tuple(f for group in nested for f in group)

    @property
    def failing(self) -> tuple[Finding, ...]:
        from reviewbot.core import gate  # the gate decides; models only carry the data

        return gate.failing(self.findings, self.fail_on)

    @property
    def errored_checks(self) -> tuple[str, ...]:
        return tuple(r.check for r in self.results if r.status is Status.ERRORED)

    @property
    def passed(self) -> bool:
        """True when nothing reaches the failing severity and no check crashed (the gate's)."""
        from reviewbot.core import gate

        return gate.passed(self)
