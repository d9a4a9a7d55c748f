"""``reviewbot verdict RUNS.json``: re-judge stored runs under the current config, no re-run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, write_tree

NAME = "Paper2020"


def run(seed: int, score: float, ok: bool = True, **extra: object) -> dict:
    return {"notebook": "paper.ipynb", "seed": seed, "ok": ok, "seconds": 1.5,
            "scalars": {"score": score, "baseline": score - 0.1 - 0.01 * seed}, "series": {},
            "error": "",
            "error_cell": None, "parameters": {"seed": seed, "epochs": 10}, "problems": [],
            **extra}


def runs_file(tmp_path: Path, runs: list[dict]) -> Path:
    path = tmp_path / "runs.json"
    path.write_text(json.dumps({"schema": "reviewbot.runs/1",
                                "submissions": [{"submission": NAME, "runs": runs}]}))
    return path


def maintainers(tmp_path: Path, tolerance: str, extra_config: str = "") -> Path:
    claims = ("[paper]\nfull_budget = { epochs = 10 }\n"
              f"[claims.score]\nmetric = \"score\"\nvalue = 0.9\ntolerance = {{ {tolerance} }}\n"
              "[claims.beats-baseline]\nkind = \"ranking\"\nbetter = \"score\"\n"
              "worse = \"baseline\"\nmargin = 0.05\n")
    root = write_tree(tmp_path / "maint", {"config.toml": extra_config,
                                           f"papers/{NAME}.toml": claims})
    return root / "config.toml"


def verdict(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reviewbot.cli", "verdict",
                           *map(str, args)], capture_output=True, text=True, cwd=REPO_ROOT,
                          check=False)


RUNS = [run(0, 0.88), run(1, 0.89), run(2, 0.885)]


def test_stored_runs_give_a_known_verdict(tmp_path: Path) -> None:
    result = verdict(runs_file(tmp_path, RUNS), "--config", maintainers(tmp_path, "abs = 0.05"),
                     "--format", "json")
    assert result.returncode == 0, result.stderr
    [review] = json.loads(result.stdout)["reviews"]
    score = review["verdicts"][0]
    assert (score["claim"], score["verdict"], score["n"]) == ("score", "reproduced", 3)
    assert score["mean"] == pytest.approx(0.885)
    assert "holm_adjusted" in score["tags"]
    assert review["verdicts"][1]["verdict"] == "reproduced"
    assert review["notes"][0].startswith("re-judged from")


def test_a_tighter_tolerance_changes_the_verdict_and_the_exit_code(tmp_path: Path) -> None:
    result = verdict(runs_file(tmp_path, RUNS), "--config",
                     maintainers(tmp_path, "abs = 0.001"))
    assert result.returncode == 1
    assert "score averaged 0.885 over 3 runs (90% CI 0.8766 to 0.8934) and needs to be above " \
           "0.899 (the paper's 0.9 - the tolerance 0.001): not reproduced" in result.stdout
    assert "RUN003" in result.stdout


def test_not_reproduced_passes_when_the_config_says_so(tmp_path: Path) -> None:
    config = maintainers(tmp_path, "abs = 0.001", "[stats]\nfail_on_not_reproduced = false\n")
    result = verdict(runs_file(tmp_path, RUNS), "--config", config)
    assert result.returncode == 0, result.stdout
    assert "not reproduced" in result.stdout


def test_a_json_report_of_check_run_can_be_rejudged(tmp_path: Path) -> None:
    config = maintainers(tmp_path, "abs = 0.05")
    first = verdict(runs_file(tmp_path, RUNS), "--config", config, "--format", "json")
    report = tmp_path / "report.json"
    report.write_text(first.stdout)
    again = verdict(report, "--config", config, "--format", "markdown", "--plot-dir",
                    tmp_path / "plots")
    assert again.returncode == 0, again.stderr
    assert ("| score | ✅ reproduced | 0.9 ±0.05 tolerance (higher) | 0.885 (90% CI 0.8766 to "
            "0.8934) | 3 |") in again.stdout
    assert (tmp_path / "plots" / f"{NAME}-claims.png").stat().st_size > 1000


def test_runs_at_a_shortened_budget_are_not_checked(tmp_path: Path) -> None:
    short = [run(s, v, parameters={"seed": s, "epochs": 2}) for s, v in ((0, .88), (1, .89))]
    result = verdict(runs_file(tmp_path, short), "--config", maintainers(tmp_path, "abs = 0.05"),
                     "--format", "json")
    verdicts = json.loads(result.stdout)["reviews"][0]["verdicts"]
    assert {v["verdict"] for v in verdicts} == {"not_checked"}
    assert "the runs used epochs = 2, the claim needs epochs = 10" in verdicts[0]["explanation"]


def test_failed_runs_and_a_wrong_file_are_said_clearly(tmp_path: Path) -> None:
    failed = [run(0, 0.0, ok=False, error="ZeroDivisionError: division by zero", error_cell=3)]
    result = verdict(runs_file(tmp_path, failed), "--config", maintainers(tmp_path, "abs = 0.05"))
    assert result.returncode == 1
    assert "notebook paper.ipynb failed in cell 3: ZeroDivisionError" in result.stdout
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"schema": "reviewbot.runs/1", "submissions": [
        {"submission": NAME, "runs": [{"notebook": "x.ipynb", "seed": "zero", "ok": True}]}]}))
    result = verdict(bad)
    assert result.returncode == 2
    assert result.stderr.startswith(f"reviewbot: error: {bad}: submissions[0].runs[0].seed:")
    other = tmp_path / "other.json"
    other.write_text("{}")
    assert "not a runs file" in verdict(other).stderr


def test_json_gives_raw_and_holm_adjusted_p_and_the_looks(tmp_path: Path) -> None:
    result = verdict(runs_file(tmp_path, RUNS), "--config", maintainers(tmp_path, "abs = 0.05"),
                     "--format", "json")
    verdicts = json.loads(result.stdout)["reviews"][0]["verdicts"]
    raw = sorted(v["p_raw"] for v in verdicts)
    adjusted = sorted(v["p_adjusted"] for v in verdicts)
    assert adjusted[0] == pytest.approx(2 * raw[0])  # Holm: the smallest times m = 2
    assert adjusted[1] == pytest.approx(max(raw[1], 2 * raw[0]))
    assert all(v["p_value"] == v["p_adjusted"] for v in verdicts)
    assert [(v["looks"], v["runs_used"], v["stopped"]) for v in verdicts] == [
        ([3], 3, "decided"), ([3], 3, "decided")]  # a file without a plan: one fixed look


def test_a_stored_plan_is_rejudged_look_by_look(tmp_path: Path) -> None:
    scores = [0.89, 0.93, 0.87, 0.9, 0.91]
    path = tmp_path / "runs.json"
    path.write_text(json.dumps({"schema": "reviewbot.runs/1", "submissions": [{
        "submission": NAME, "runs": [run(s, v) for s, v in enumerate(scores)],
        "plan": {"looks": [3, 5, 8, 12], "spending": "pocock", "level_ratio": 2.0,
                 "futility_z": [0.15, 2.15]}}]}))  # a stored plan other than the built-in one
    result = verdict(path, "--config", maintainers(tmp_path, "abs = 0.05"), "--format", "json")
    score = json.loads(result.stdout)["reviews"][0]["verdicts"][0]
    assert (score["verdict"], score["looks"], score["runs_used"]) == ("reproduced", [3, 5], 5)
    assert score["p_raw"] < score["level"] < 0.05  # the look's level, stricter than alpha


def test_the_sentence_gives_the_adjusted_and_the_raw_p(tmp_path: Path) -> None:
    result = verdict(runs_file(tmp_path, RUNS), "--config", maintainers(tmp_path, "abs = 0.05"),
                     "--format", "json")
    score = json.loads(result.stdout)["reviews"][0]["verdicts"][0]
    assert (f"reproduced (p = {score['p_adjusted']:.3g}, Holm-adjusted from "
            f"{score['p_raw']:.3g})") in score["explanation"]
