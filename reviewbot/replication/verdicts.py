"""Run a submission's notebooks with several seeds, judge the paper's claims, extend the Review.

The seeds, the number of runs and any shortened budget come from the maintainers' config
(``[runner]``); the claims and their full budget from ``papers/<submission>.toml``. What the
runs found becomes findings too (``RUN`` codes), so that every renderer, the exit code and
SARIF treat a failed notebook or a claim not reproduced like any other problem.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from reviewbot.core.gate import failing, gated
from reviewbot.core.ipynb import NotebookFormatError, parse_notebook
from reviewbot.core.models import (
    CheckResult,
    ClaimVerdict,
    Finding,
    MetricProblemKind,
    Review,
    Rule,
    RunResult,
    Series,
    Severity,
    Status,
    Verdict,
    freeze,
)
from reviewbot.core.rules import Level, Rulebook, Setting
from reviewbot.replication.claims import Claim, PaperClaims, StatsSettings
from reviewbot.replication.looks import FUTILITY_Z, LookPlan, plan_for
from reviewbot.replication.parallel import run_all
from reviewbot.runners.base import ProgressCallback, Runner, RunRequest

ProgressFor = Callable[[RunRequest], ProgressCallback | None]  # one callback per run

CHECK_ID = "replication"
NO_SANDBOX_NOTE = "notebooks ran WITHOUT a sandbox (--no-sandbox): their code had this " \
                  "machine's network, files and environment"

RUN_FAILED = Rule(CHECK_ID, "RUN001", Severity.ERROR, "A notebook run failed",
                  "Restart the kernel and run all cells from a fresh clone; fix the cell named.")
METRIC_PROBLEM = Rule(CHECK_ID, "RUN002", Severity.WARNING, "A recorded metric was refused",
                      "Write finite numbers to metrics.json with the run_id the runner sets "
                      "(REVIEWBOT_RUN_ID), or use reviewbot_record.record().")
NOT_REPRODUCED = Rule(CHECK_ID, "RUN003", Severity.ERROR, "A claim of the paper was not "
                      "reproduced", "Compare your setup with the paper's (data, budget, "
                      "hyper-parameters); the claims table gives the numbers.")
INCONCLUSIVE = Rule(CHECK_ID, "RUN004", Severity.WARNING, "A claim was inconclusive",
                    "More seeds would decide it; the claims table says about how many.")
NOT_CHECKED = Rule(CHECK_ID, "RUN005", Severity.WARNING, "A claim could not be checked",
                   "Record the metric the claim names in metrics.json, at the full budget.")
NONE_CHECKED = Rule(CHECK_ID, "RUN006", Severity.ERROR, "None of the paper's claims could be "
                   "checked", "Make the notebook run to the end and record the metrics the "
                   "claims name (see each claim's reason); a review that checked nothing is "
                   "not a pass.")
README_MISMATCH = Rule(CHECK_ID, "RUN007", Severity.WARNING, "The README reports a number the "
                       "runs do not reproduce", "Report the numbers your code produces: update "
                       "the README's results, or find why the runs differ.")
RUN_RULES = (RUN_FAILED, METRIC_PROBLEM, NOT_REPRODUCED, INCONCLUSIVE, NOT_CHECKED,
             NONE_CHECKED, README_MISMATCH)
MAX_SEEDS = 100  # [runner]/[stats.sequential] allow at most 100 runs per notebook


@dataclass(frozen=True)
class RunPlan:
    """How many runs with which seeds and overrides; ``sandboxed`` is said in the review."""

    seeds: tuple[int, ...]  # in order; a fixed design uses the first fixed_runs of them
    parameters: Mapping[str, object]  # the runner config's overrides (a shortened budget)
    sandboxed: bool = True
    artifacts_dir: Path | None = None
    adaptive: bool = False  # follow [stats.sequential] (unless it is disabled)
    fixed_runs: int | None = None  # runs of the fixed design; None: every seed
    concurrency: int = 1  # runs at the same time ([runner] concurrency)
    use_gpus: bool = True  # [runner] gpu: hand each run one of the host's GPUs


def plan_runs(runner_config: object, runs: int | None, sandboxed: bool,
              artifacts_dir: Path | None = None) -> RunPlan:
    """Seeds from ``[runner]``; ``--runs N`` fixes the number (never which seeds)."""
    count = runs if runs is not None else runner_config.runs  # type: ignore[attr-defined]
    adaptive = runs is None
    seeds = tuple(runner_config.seed_for(i)  # type: ignore[attr-defined]
                  for i in range(MAX_SEEDS if adaptive else count))
    return RunPlan(seeds, dict(runner_config.parameters),  # type: ignore[attr-defined]
                   sandboxed, artifacts_dir, adaptive, count,
                   getattr(runner_config, "concurrency", 1), getattr(runner_config, "gpu", True))


def look_plan(plan: RunPlan, paper: PaperClaims, settings: StatsSettings) -> LookPlan:
    """The pre-declared looks: the sequential plan (with the paper's run counts), or fixed."""
    if plan.adaptive and settings.sequential.enabled:
        return plan_for(settings, paper.paper.min_runs, paper.paper.max_runs)
    return LookPlan.fixed(min(plan.fixed_runs or len(plan.seeds), len(plan.seeds)))


def notebooks_of(root: Path) -> list[str]:
    """The submission's notebooks, relative, sorted; checkpoints and hidden folders skipped."""
    found = []
    for path in sorted(root.rglob("*.ipynb")):
        parts = path.relative_to(root).parts
        if any(part.startswith(".") for part in parts):  # .ipynb_checkpoints, .git
            continue
        if path.is_file() and not path.is_symlink():
            found.append(path.relative_to(root).as_posix())
    return found


def execute(root: Path, plan: RunPlan, runner: Runner, full_budget: Mapping[str, object],
            progress: ProgressFor | None = None,
            seeds: Sequence[int] | None = None) -> tuple[RunResult, ...]:
    """Every notebook once per seed, at the claims' full budget unless the config shortens it.

    Up to ``plan.concurrency`` runs go at once, each on its own GPU when there are several;
    the results come back in request order (notebook, then seed), however they finish.
    """
    parameters = {**full_budget, **plan.parameters}
    chosen = plan.seeds if seeds is None else seeds
    requests = [RunRequest(root, notebook, seed, uuid.uuid4().hex, dict(parameters),
                           plan.artifacts_dir)
                for notebook in notebooks_of(root) for seed in chosen]
    batch = getattr(runner, "run_all", None)
    if batch is not None:  # a batch runner (Slurm): the whole look is one job array
        return tuple(batch(requests, progress))
    return run_all(requests, runner, plan.concurrency, progress, None if plan.use_gpus else ())


def replicate(review: Review, runner: Runner, plan: RunPlan, paper: PaperClaims,
              settings: StatsSettings, progress: ProgressFor | None = None) -> Review:
    """Run look by look, judge, and return ``review`` with runs, verdicts, findings, notes."""
    looks = look_plan(plan, paper, settings)
    runs = run_looks(Path(review.root), plan, runner, paper, settings, looks, progress)
    notes = () if plan.sandboxed else (NO_SANDBOX_NOTE,)
    return judged(review, runs, paper, settings, notes, looks)


def run_looks(root: Path, plan: RunPlan, runner: Runner, paper: PaperClaims,
              settings: StatsSettings, looks: LookPlan,
              progress: ProgressFor | None = None) -> tuple[RunResult, ...]:
    """Runs up to the first look, then up to the next only while a claim could still be decided
    and the GPU-time budget allows it."""
    from reviewbot.replication.sequential import take_looks

    runs: tuple[RunResult, ...] = ()
    have, target = 0, looks.looks[0]
    while target:
        runs += execute(root, plan, runner, paper.paper.full_budget, progress,
                        plan.seeds[have:target])
        have = target
        wanted = take_looks(paper.claims, runs, settings.params(), looks).next_runs
        if wanted is None or wanted <= have or wanted > len(plan.seeds) or not within_budget(
                runs, wanted - have, settings.sequential.gpu_budget_s):
            break  # decided, futile, out of seeds, or over the budget
        target = wanted
    return runs


def within_budget(runs: Sequence[RunResult], more_per_notebook: int, budget_s: float) -> bool:
    """Whether the next look's runs, at the mean run time so far, fit in the budget."""
    if budget_s <= 0 or not runs:
        return True
    spent = sum(run.seconds for run in runs)
    notebooks = len({run.notebook for run in runs})
    return spent + spent / len(runs) * more_per_notebook * notebooks <= budget_s


def judged(review: Review, runs: Sequence[RunResult], paper: PaperClaims,
           settings: StatsSettings, notes: Sequence[str] = (),
           looks: LookPlan | None = None) -> Review:
    """``review`` with the verdicts on ``runs`` (also what ``reviewbot verdict`` calls).

    ``looks`` is the plan the runs followed; without one they are judged as a fixed design.
    """
    from reviewbot.replication.looks import runs_per_notebook
    from reviewbot.replication.readme_results import readme_findings
    from reviewbot.replication.sequential import sequential_verdicts

    plan = looks or LookPlan.fixed(max(runs_per_notebook(runs), 1))
    verdicts = sequential_verdicts(paper.claims, runs, settings, plan)
    findings = (*run_findings(runs, Path(review.root)),
                *claim_findings(verdicts, runs),
                *none_checked(verdicts, runs),
                *readme_findings(review.readme_results, paper.claims, verdicts, README_MISMATCH))
    status = Status.FAILED if failing(findings, review.fail_on) else Status.PASSED
    result = CheckResult(CHECK_ID, status, findings,
                         freeze({"summary": summary(verdicts, runs), "plan": plan_dict(plan)}))
    extra = (*notes, *claims_notes(paper, runs), *run_notes(runs))
    rules = _with_deprecated_flag(review.rules or Rulebook.of(RUN_RULES), settings)
    judged_review = replace(review, rules=rules, results=(*review.results, result),
                            runs=tuple(runs), verdicts=with_references(verdicts, paper.claims),
                            notes=(*review.notes, *extra))
    return gated(judged_review)  # RUN codes through the same gate as every other finding


def _with_deprecated_flag(rules: Rulebook, settings: StatsSettings) -> Rulebook:
    """``[stats] fail_on_not_reproduced = false`` still makes RUN003 a warning, unless the
    rulebook already levels RUN003 (``[rules]`` wins)."""
    if settings.fail_on_not_reproduced or NOT_REPRODUCED.code in rules.settings:
        return rules
    flag = Setting(Level.WARNING, "[stats] fail_on_not_reproduced (deprecated: [rules] RUN003)")
    return Rulebook.of([*rules.rules, *RUN_RULES], {**rules.settings, NOT_REPRODUCED.code: flag})


def with_references(verdicts: Sequence[ClaimVerdict],
                    claims: Sequence[Claim]) -> tuple[ClaimVerdict, ...]:
    """Each verdict with what a plot draws of its claim: the paper's curve and band, or the
    ranking's margin (so that renderers need nothing but the Review)."""
    by_id = {claim.id: claim for claim in claims}
    return tuple(_with_reference(item, by_id.get(item.claim)) for item in verdicts)


def _with_reference(item: ClaimVerdict, claim: Claim | None) -> ClaimVerdict:
    if claim is None:
        return item
    if item.kind == "ranking":
        return replace(item, margin=claim.spec.margin)
    points = claim.spec.points
    if item.kind != "curve" or points is None:
        return item
    tol_abs, tol_rel = claim.tol_abs or 0.0, claim.tol_rel or 0.0
    band = tuple(max(tol_abs, tol_rel * abs(y)) + claim.spec.digitization_error
                 for y in points.y)
    return replace(item, reference=Series(tuple(points.x), tuple(points.y)),
                   band=band)


def plan_dict(plan: LookPlan) -> dict[str, object]:
    """The plan as JSON: in the report's replication stats and in a runs file."""
    return {"looks": list(plan.looks), "spending": plan.spending,
            "level_ratio": plan.level_ratio, "futility_z": list(plan.futility_z)}


def stored_plan(data: Mapping[str, object] | None) -> LookPlan | None:
    """A plan read back from JSON; ``None`` (judge as a fixed design) when unusable."""
    looks = (data or {}).get("looks")
    if not isinstance(looks, list) or not looks or not all(isinstance(n, int) for n in looks):
        return None
    spending = (data or {}).get("spending")
    ratio = (data or {}).get("level_ratio")
    futility = (data or {}).get("futility_z")
    if not (isinstance(futility, list) and len(futility) == 2
            and all(isinstance(z, (int, float)) and z >= 0 for z in futility)):
        futility = list(FUTILITY_Z)
    return LookPlan(tuple(looks), spending if spending in ("simulated", "pocock",
                                                           "obrien-fleming") else "simulated",
                    float(ratio) if isinstance(ratio, (int, float)) and ratio >= 1 else 2.0,
                    (float(futility[0]), float(futility[1])))


def review_plan(review: Review) -> dict[str, object] | None:
    """The plan a replicated review followed (from its replication check's stats)."""
    for result in review.results:
        if result.check == CHECK_ID and isinstance(result.stats.get("plan"), dict):
            return dict(result.stats["plan"])  # type: ignore[arg-type]
    return None


def none_checked(verdicts: Sequence[ClaimVerdict], runs: Sequence[RunResult]) -> list[Finding]:
    """Registered claims, none checked, not by the maintainers' shortened budget: RUN006."""
    if not verdicts or any(v.verdict is not Verdict.NOT_CHECKED for v in verdicts):
        return []
    theirs = [v for v in verdicts if "reduced_budget" not in v.tags]
    if not theirs:
        return []
    reasons = "; ".join(f"{v.claim}: {v.explanation.removeprefix('not checked: ')}"
                        for v in theirs)
    notebook = runs[0].notebook if runs else None
    return [NONE_CHECKED.finding(f"none of the {len(verdicts)} registered claims could be "
                                 f"checked, so nothing was reproduced ({reasons})", notebook)]


def claims_notes(paper: PaperClaims, runs: Sequence[RunResult]) -> tuple[str, ...]:
    if not paper.source:
        return (f"no claims are registered for {paper.name} (no {paper.name}.toml in the "
                f"maintainers' papers folder): the runs were recorded, nothing was judged",)
    return ()


def run_notes(runs: Sequence[RunResult]) -> tuple[str, ...]:
    """Said once for information: the sandbox's guarantees, metrics accepted as they were."""
    held = sorted({run.environment.get("sandbox_guarantees", "") for run in runs} - {""})
    notes = [f"sandbox guarantees {text}" for text in held if not text.startswith("none")]
    notes += sorted({p.message for run in runs for p in run.metric_problems
                     if p.kind is MetricProblemKind.NOTE})
    return tuple(notes)


def summary(verdicts: Sequence[ClaimVerdict], runs: Sequence[RunResult]) -> str:
    """``3 of 4 claims checked; 3 runs (1 failed); 4 claims: 3 reproduced, 1 not checked``."""
    failed = sum(1 for run in runs if not run.ok)
    head = f"{len(runs)} run{'s' if len(runs) != 1 else ''}" + (
        f" ({failed} failed)" if failed else "")
    if not verdicts:
        return f"{head}; no claims registered"
    checked = sum(1 for item in verdicts if item.verdict is not Verdict.NOT_CHECKED)
    head = f"{checked} of {len(verdicts)} claims checked; {head}"
    counts: dict[str, int] = {}
    for item in verdicts:
        counts[item.verdict.label] = counts.get(item.verdict.label, 0) + 1
    parts = ", ".join(f"{n} {word}" for word, n in counts.items())
    return f"{head}; {len(verdicts)} claim{'s' if len(verdicts) != 1 else ''}: {parts}"


# ---- findings -----------------------------------------------------------------------------


def run_findings(runs: Sequence[RunResult], root: Path) -> list[Finding]:
    """A failed run (once per notebook, cell and error) and each refused metric."""
    findings: dict[tuple, Finding] = {}
    for run in runs:
        if not run.ok:
            key = (run.notebook, run.error_cell, run.error)
            findings.setdefault(key, _failure(run, root, _seeds(runs, run)))
        for problem in run.problems:
            findings.setdefault((run.notebook, problem), METRIC_PROBLEM.finding(
                f"seed {run.seed}: {problem}", run.notebook))
    return list(findings.values())


def _seeds(runs: Sequence[RunResult], failed: RunResult) -> list[int]:
    return [r.seed for r in runs if not r.ok and (r.notebook, r.error_cell, r.error) == (
        failed.notebook, failed.error_cell, failed.error)]


def _failure(run: RunResult, root: Path, seeds: list[int]) -> Finding:
    where = f" in cell {run.error_cell}" if run.error_cell is not None else ""
    which = "seed" if len(seeds) == 1 else "seeds"
    message = (f"notebook {run.notebook} failed{where}: {run.error or 'no error recorded'} "
               f"({which} {', '.join(map(str, seeds))})")
    line = cell_line(root / run.notebook, run.error_cell)
    return RUN_FAILED.finding(message, run.notebook, line, cell=run.error_cell,
                              cell_line=1 if run.error_cell is not None else None)


def cell_line(path: Path, cell: int | None) -> int | None:
    """The raw .ipynb line where ``cell`` starts (GitHub comments address raw lines)."""
    if cell is None:
        return None
    try:
        notebook = parse_notebook(str(path), path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, NotebookFormatError):
        return None
    cells = notebook.cells
    return cells[cell - 1].raw_line(1) if 1 <= cell <= len(cells) else None


def claim_findings(verdicts: Sequence[ClaimVerdict], runs: Sequence[RunResult]
                   ) -> list[Finding]:
    """A claim not reproduced, inconclusive or not checked, said at the notebook it ran."""
    notebook = runs[0].notebook if runs else None
    findings = []
    for item in verdicts:
        rule = {Verdict.NOT_REPRODUCED: NOT_REPRODUCED, Verdict.INCONCLUSIVE: INCONCLUSIVE,
                Verdict.NOT_CHECKED: NOT_CHECKED}.get(item.verdict)
        if rule is None or (item.verdict is Verdict.NOT_CHECKED and _not_theirs(item)):
            continue
        # its level (RUN003 error or warning, RUN004 off...) is the gate's: [rules]
        findings.append(rule.finding(f"claim {item.claim}: {item.explanation}", notebook))
    return findings


def _not_theirs(item: ClaimVerdict) -> bool:
    """Not checked because the maintainers shortened the budget, or a run failed (RUN001)."""
    return bool({"reduced_budget", "run_failed", "not_run"} & set(item.tags))

