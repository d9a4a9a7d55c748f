"""The paper's claims (``papers/<PaperFolder>.toml``) and the ``[stats]`` table, resolved.

Claims are read only from the maintainers' papers folder, never from a submission. Each
claim's direction, tolerance and unit is resolved by precedence (stats-protocol §3.5):
the claim itself > the paper's ``[paper.defaults]`` > ``[stats.metric_kinds.<kind>]`` >
``[stats]`` > built-in; a tolerance is taken whole from one level (an ``abs`` from one
level never combines with a ``rel`` from another). Every resolved value keeps its origin
for ``reviewbot config show --paper``.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from typing_extensions import TypedDict

from reviewbot.core.errors import ConfigError
from reviewbot.core.validation import describe

if TYPE_CHECKING:  # scipy is imported only when something is judged: `check` stays quick
    from reviewbot.replication.stats import StatsParams

Direction = Literal["higher", "lower", "equal"]
ClaimKind = Literal["scalar", "curve", "ranking", "exact"]
REPO_PAPERS_DIR = Path(__file__).resolve().parents[2] / "papers"  # a checkout's papers/


class Tolerance(TypedDict, total=False):
    """``{ abs = ... }`` and/or ``{ rel = ... }``; with both the wider band wins."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]
    abs: float
    rel: float


class KindDefaults(TypedDict, total=False):
    """Defaults for one metric kind (accuracy, perplexity, loss...)."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]
    direction: Direction
    tolerance: Tolerance
    unit: str


def _default_metric_kinds() -> dict[str, KindDefaults]:
    # Starting points, not sourced values: calibrate each to 2-3 x the seed SD (protocol §2.4).
    return {
        "accuracy": {"direction": "higher", "unit": "%", "tolerance": {"abs": 1.0}},
        "error_rate": {"direction": "lower", "unit": "%", "tolerance": {"abs": 1.0}},
        "perplexity": {"direction": "lower", "tolerance": {"rel": 0.03}},
        "bleu": {"direction": "higher", "tolerance": {"abs": 1.0}},
        "loss": {"direction": "lower", "tolerance": {"rel": 0.05}},
    }


class CurveSettings(BaseModel):
    """``[stats.curve]``: how curves are put on a common grid and judged."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    grid_points: int = Field(101, ge=2, description="points of the common grid")
    min_coverage: float = Field(0.9, gt=0, le=1, description="share of the paper's x-range a "
                                "run must cover, else not_checked/insufficient_coverage")
    pointwise_fraction: float = Field(0.8, ge=0, le=1, description="mean share of grid points "
                                      "inside the band a reproduced curve needs")


class SequentialSettings(BaseModel):
    """``[stats.sequential]``: the pre-declared group-sequential plan (stats-protocol §2.4b).

    Claims are judged after ``looks`` runs per notebook (built-in: spread from ``min_runs`` to
    ``max_runs``); runs are added only while a claim is still undecided and could still be
    decided, and only within ``gpu_budget_s``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(True, description="judge after each look and add runs only while "
                          "needed; false: always [runner] runs")
    min_runs: int = Field(3, ge=2, le=100, description="runs per notebook before the first look")
    max_runs: int = Field(12, ge=2, le=100, description="runs per notebook at the last look")
    looks: list[int] = Field(default_factory=list, description="run counts of the looks, from "
                             "min_runs to max_runs; empty: after every run from min_runs on")
    spending: Literal["simulated", "pocock", "obrien-fleming"] = Field(
        "simulated", description="how each look's level is found: by simulation under the null "
                                 "(made for the t-test), or a Lan-DeMets spending function")
    level_ratio: float = Field(2.0, ge=1, le=100, description="simulated: the last look's level "
                               "over the first's (geometric in between); 1 = the same at each")
    futility_z: list[float] = Field(default_factory=lambda: [0.15, 2.15], min_length=2,
                                    max_length=2, description="an open claim whose |z| is below "
                                    "this line (first look, last look) stops as futile")
    gpu_budget_s: float = Field(0.0, ge=0, description="run-seconds per submission (all runs "
                                "together); no look is started that would exceed it; 0 = none")

    @model_validator(mode="after")
    def _ordered(self) -> SequentialSettings:
        if self.max_runs < self.min_runs:
            raise ValueError("max_runs must be at least min_runs")
        looks = self.looks
        if looks and (looks != sorted(set(looks)) or looks[0] != self.min_runs
                      or looks[-1] != self.max_runs):
            raise ValueError("looks must increase strictly from min_runs to max_runs")
        if min(self.futility_z) < 0:
            raise ValueError("futility_z must not be negative ([0, 0]: never stop as futile)")
        return self

    def planned_looks(self, min_runs: int | None = None,
                      max_runs: int | None = None) -> tuple[int, ...]:
        """The run counts of the looks; a paper's own min/max re-derive them."""
        low, high = min_runs or self.min_runs, max(max_runs or self.max_runs, min_runs or 0)
        if self.looks and (low, high) == (self.min_runs, self.max_runs):
            return tuple(self.looks)
        return derived_looks(low, high)


def derived_looks(low: int, high: int) -> tuple[int, ...]:
    """A look after every run from min to max: each extra look lets a claim stop a run sooner,
    and the simulated levels keep the plan's error rates at alpha however many looks it has."""
    return tuple(range(low, max(high, low) + 1))


class StatsSettings(BaseModel):
    """The ``[stats]`` table: how claims are judged (global; papers cannot change these)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    papers_dir: str = Field("papers", description="folder of papers/<PaperFolder>.toml, relative "
                            "to the config file's folder (built-in: the repository's papers/)")
    alpha: float = Field(0.05, gt=0, lt=0.5, description="one-sided level of each test; the "
                         "interval shown is the (1 - 2 alpha) one")
    correction_reproduced: Literal["holm", "none"] = Field(
        "holm", description="multiplicity correction of the 'reproduced' p-values")
    correction_not_reproduced: Literal["holm", "none"] = Field(
        "holm", description="multiplicity correction of the 'not reproduced' p-values")
    single_run_policy: Literal["band", "inconclusive"] = Field(
        "band", description="n = 1: judge by the band alone (tagged single_run), or never pass")
    zero_variance_rel: float = Field(1e-9, ge=0, description="runs whose SD is below this times "
                                     "|value| are flagged zero_variance and band-checked")
    ci_method: Literal["t", "bootstrap"] = Field("t", description="interval of the mean; "
                                                 "bootstrap only from bootstrap_min_n runs")
    bootstrap_min_n: int = Field(10, ge=3, description="fewest runs for a bootstrap interval")
    bootstrap_resamples: int = Field(9999, ge=100, description="bootstrap resamples")
    bootstrap_seed: int = Field(20240101, description="seed of the bootstrap, for repeatable "
                                "verdicts")
    direction: Direction = Field("higher", description="direction when nothing more specific "
                                 "gives one")
    tolerance: Tolerance = Field(default_factory=lambda: Tolerance(rel=0.02),
                                 description="tolerance when nothing more specific gives one")
    fail_on_not_reproduced: bool = Field(True, description="deprecated: use [rules] RUN003; "
                                         "false here still makes RUN003 a warning")
    curve: CurveSettings = Field(default_factory=CurveSettings)
    sequential: SequentialSettings = Field(default_factory=SequentialSettings)
    metric_kinds: dict[str, KindDefaults] = Field(
        default_factory=_default_metric_kinds,
        description="defaults per metric kind, chosen by a claim's metric_kind")

    def params(self) -> StatsParams:
        from reviewbot.replication.stats import StatsParams

        return StatsParams(
            alpha=self.alpha, single_run_policy=self.single_run_policy,
            zero_variance_rel=self.zero_variance_rel, ci_method=self.ci_method,
            bootstrap_min_n=self.bootstrap_min_n, bootstrap_resamples=self.bootstrap_resamples,
            bootstrap_seed=self.bootstrap_seed, correction_reproduced=self.correction_reproduced,
            correction_not_reproduced=self.correction_not_reproduced,
            grid_points=self.curve.grid_points, min_coverage=self.curve.min_coverage,
            pointwise_fraction=self.curve.pointwise_fraction)


# ---- the claims file ----------------------------------------------------------------------


class Points(BaseModel):
    """A digitised paper curve."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    x: list[float]
    y: list[float]

    @model_validator(mode="after")
    def _shape(self) -> Points:
        if len(self.x) != len(self.y) or len(self.x) < 2:
            raise ValueError("x and y need the same length, at least 2 points")
        if any(b <= a for a, b in zip(self.x, self.x[1:], strict=False)):
            raise ValueError("x must increase strictly")
        if not all(math.isfinite(v) for v in [*self.x, *self.y]):
            raise ValueError("points must be finite numbers")
        return self


class PaperDefaults(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    direction: Direction | None = None
    tolerance: Tolerance | None = None
    unit: str | None = None


class PaperInfo(BaseModel):
    """``[paper]``: what the paper is, its full budget and its defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = ""
    url: str = ""
    full_budget: dict[str, int | float | str | bool] = Field(default_factory=dict)
    defaults: PaperDefaults = Field(default_factory=PaperDefaults)
    # an expensive paper may take fewer runs: the looks are re-derived from these
    min_runs: int | None = Field(None, ge=2, le=100)
    max_runs: int | None = Field(None, ge=2, le=100)


class ClaimSpec(BaseModel):
    """One ``[[claims]]`` entry as written; unset fields are resolved by precedence."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = ""
    kind: ClaimKind = "scalar"
    description: str = ""
    metric: str = ""
    metric_kind: str = ""
    value: float | None = None
    unit: str | None = None
    direction: Direction | None = None
    tolerance: Tolerance | None = None
    paper_sd: float | None = Field(None, gt=0)
    paper_sd_kind: Literal["sd", "sem"] = "sd"
    paper_n: int | None = Field(None, ge=1)
    source: str = ""
    # whose number ``value`` is: the paper's, or a reference run's (e.g. the example's own)
    value_from: Literal["paper", "reference run"] = "paper"
    readme_metric: list[str] = Field(default_factory=list)  # names a README may use for it
    full_budget: dict[str, int | float | str | bool] | None = None
    notebook: str = ""  # the notebook that records the metric, when a folder has several
    points: Points | None = None  # curve
    digitization_error: float = Field(0.0, ge=0)
    better: str = ""  # ranking: metric of the method claimed to be better
    worse: str = ""
    margin: float = 0.0
    paired: bool = True

    @field_validator("value", "margin")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    @model_validator(mode="after")
    def _complete(self) -> ClaimSpec:
        for problem in _missing_for_kind(self):
            raise ValueError(problem)
        return self


def _missing_for_kind(spec: ClaimSpec) -> list[str]:
    if spec.kind == "ranking":
        if not spec.better or not spec.worse or spec.better == spec.worse:
            return ["a ranking claim needs 'better' and 'worse', two different metrics"]
        return []
    problems = [] if spec.metric else [f"a {spec.kind} claim needs 'metric'"]
    if spec.kind in ("scalar", "exact") and spec.value is None:
        problems.append(f"a {spec.kind} claim needs 'value'")
    if spec.kind == "curve" and spec.points is None:
        problems.append("a curve claim needs 'points = { x = [...], y = [...] }'")
    return problems


class PaperFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    paper: PaperInfo = Field(default_factory=PaperInfo)
    # validated one by one (load_paper), so that an error names the claim it is in
    claims: list[dict[str, Any]] | dict[str, dict[str, Any]] = Field(default_factory=list)


# ---- resolution ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Resolved:
    """A value and the level it came from: claim, paper, metric kind, global or built-in."""

    value: Any
    origin: str


@dataclass(frozen=True)
class Claim:
    """A claim with every value resolved, ready to be judged."""

    id: str
    spec: ClaimSpec
    direction: Resolved
    tolerance: Resolved
    unit: Resolved
    full_budget: Resolved

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def tol_abs(self) -> float | None:
        return self.tolerance.value.get("abs")

    @property
    def tol_rel(self) -> float | None:
        return self.tolerance.value.get("rel")

    def metrics(self) -> tuple[str, ...]:
        return (self.spec.better, self.spec.worse) if self.kind == "ranking" else (
            self.spec.metric,)

    def resolved_values(self) -> list[tuple[str, Any, str]]:
        """(key, value, origin) rows for ``config show --paper``."""
        rows = [(name, getattr(self.spec, name),
                 "claim" if name in self.spec.model_fields_set else "built-in")
                for name in _SHOWN_FIELDS[self.kind]]
        resolved_names = ("direction", "unit", "full_budget") if self.kind == "ranking" else (
            "direction", "tolerance", "unit", "full_budget")  # a ranking has a margin instead
        for name in resolved_names:
            resolved: Resolved = getattr(self, name)
            rows.append((name, resolved.value, resolved.origin))
        return rows


_SHOWN_FIELDS = {
    "scalar": ("kind", "metric", "metric_kind", "value", "paper_sd", "paper_n", "source",
               "value_from"),
    "exact": ("kind", "metric", "value", "source"),
    "curve": ("kind", "metric", "digitization_error", "source"),
    "ranking": ("kind", "better", "worse", "margin", "paired", "source"),
}


@dataclass(frozen=True)
class PaperClaims:
    """A paper's claims file, loaded and resolved."""

    name: str
    source: str  # the file, or "" when there is none
    paper: PaperInfo
    claims: tuple[Claim, ...]


def resolve_claim(spec: ClaimSpec, paper: PaperInfo, settings: StatsSettings) -> Claim:
    kind_defaults = settings.metric_kinds.get(spec.metric_kind, {}) if spec.metric_kind else {}
    levels: list[tuple[str, dict[str, Any]]] = [
        ("claim", spec.model_dump(exclude_none=True)),
        ("paper", paper.defaults.model_dump(exclude_none=True)),
        (f"metric kind {spec.metric_kind}", dict(kind_defaults)),
        ("global [stats]", {"direction": settings.direction, "tolerance": settings.tolerance}),
    ]
    if spec.kind == "exact":  # a count matches exactly unless the claim says otherwise
        levels[3] = ("built-in (exact)", {"direction": "equal", "tolerance": {"abs": 0.0}})
    budget = Resolved(spec.full_budget, "claim") if spec.full_budget is not None else Resolved(
        dict(paper.full_budget), "paper" if paper.full_budget else "built-in (none)")
    return Claim(spec.id, spec, _first(levels, "direction", "higher"),
                 _first(levels, "tolerance", {"rel": 0.02}), _first(levels, "unit", ""), budget)


def _first(levels: list[tuple[str, dict[str, Any]]], key: str, builtin: Any) -> Resolved:
    for origin, values in levels:
        if values.get(key) is not None:
            return Resolved(values[key], origin)
    return Resolved(builtin, "built-in")


# ---- loading ------------------------------------------------------------------------------


def papers_dir(settings: StatsSettings, config_source: Path | None) -> Path:
    """Where the claims files live: relative to the config file, else the repository's."""
    folder = Path(settings.papers_dir).expanduser()
    if folder.is_absolute():
        return folder
    base = config_source.resolve().parent if config_source is not None else REPO_PAPERS_DIR.parent
    return base / folder


def load_paper(name: str, folder: Path, settings: StatsSettings) -> PaperClaims:
    """``folder/<name>.toml`` resolved; no file means a paper without registered claims."""
    path = folder / f"{name}.toml"
    if not path.is_file():
        return PaperClaims(name, "", PaperInfo(), ())
    try:
        parsed = PaperFile.model_validate(_read(path))
    except ValidationError as exc:
        problems = [describe(error, _all_keys) for error in exc.errors()]
        raise ConfigError(str(path), problems) from None
    specs = _claim_specs(parsed.claims, str(path))
    claims = tuple(resolve_claim(spec, parsed.paper, settings) for spec in specs)
    _check_tolerances(claims, str(path))
    return PaperClaims(name, str(path), parsed.paper, claims)


def _claim_specs(raw: list[dict[str, Any]] | dict[str, dict[str, Any]],
                 source: str) -> list[ClaimSpec]:
    """``[claims.<id>]`` tables take their id from the key; ``[[claims]]`` entries need one."""
    entries = ([(f"claims.{key}", {**body, "id": key}) for key, body in raw.items()]
               if isinstance(raw, dict) else
               [(f"claims.{body.get('id') or i}", body) for i, body in enumerate(raw)])
    specs, problems = [], []
    for where, body in entries:
        try:
            specs.append(ClaimSpec.model_validate(body))
        except ValidationError as exc:
            problems += [describe(error, _all_keys, tuple(where.split(".", 1)))
                         for error in exc.errors()]
    problems += [f"{where}: needs an 'id'" for where, body in entries if not body.get("id")]
    ids = [spec.id for spec in specs]
    problems += [f"claims: id {cid!r} is used twice" for cid in sorted(set(ids))
                 if ids.count(cid) > 1]
    if problems:
        raise ConfigError(source, problems)
    return specs


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), [f"cannot be read ({exc})"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), [f"not valid TOML: {exc}"]) from None


def _check_tolerances(claims: tuple[Claim, ...], source: str) -> None:
    problems = []
    for claim in claims:
        if claim.kind in ("ranking", "exact"):
            continue
        if not (claim.tol_abs or claim.tol_rel):
            problems.append(f"claims.{claim.id}.tolerance: needs abs or rel above 0 "
                            f"(resolved {claim.tolerance.value} from {claim.tolerance.origin})")
    if problems:
        raise ConfigError(source, problems)


_ALL_KEYS = [*ClaimSpec.model_fields, *PaperInfo.model_fields, "abs", "rel", "x", "y",
             "paper", "claims"]


def _all_keys(parent: tuple) -> list[str]:
    """Claims files are small: any key of the format is a fair suggestion anywhere."""
    return _ALL_KEYS
