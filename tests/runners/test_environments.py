"""The kernel environment built from a submission's requirements.txt, and a missing sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewbot.core.errors import ReviewbotError
from reviewbot.runners import guarantees, sandbox
from reviewbot.runners.config import RunnerConfig
from reviewbot.runners.environments import EnvironmentBuildError, requirement_lines
from reviewbot.runners.local import LocalRunner
from tests.runners.notebooks import run_cells

AVAILABLE, REASON = sandbox.sandbox_available()
needs_bwrap = pytest.mark.skipif(not AVAILABLE, reason=f"bubblewrap cannot run here: {REASON}")


@needs_bwrap
def test_requirements_are_installed_into_a_cached_venv_the_kernel_uses(tmp_path: Path) -> None:
    cells = ["import six, sys\nprint('six', six.__version__, sys.prefix)"]
    files = {"requirements.txt": "six==1.17.0\n"}
    ran = run_cells(tmp_path, cells, files=files, environment="requirements")
    assert ran.result.ok, ran.result.error
    assert "six 1.17.0" in ran.outputs()
    envs = list((tmp_path / "data" / "envs").glob("*/.complete"))
    assert len(envs) == 1
    assert str(envs[0].parent) in ran.outputs()
    assert ran.result.environment["kernel_python"] == str(envs[0].parent / "bin" / "python")


@needs_bwrap
def test_a_requirement_that_cannot_be_installed_fails_the_run_clearly(tmp_path: Path) -> None:
    files = {"requirements.txt": "nonexistent-package-zzz==1.0\n"}
    ran = run_cells(tmp_path, ["print('never')"], files=files, environment="requirements")
    assert not ran.result.ok
    assert ran.result.error.startswith("could not install requirements.txt: ERROR: ")
    assert "nonexistent-package-zzz" in ran.result.error


def test_pip_options_and_urls_in_requirements_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("numpy==1.26.4  # pinned\n\n--extra-index-url https://evil.example/simple\n")
    with pytest.raises(EnvironmentBuildError, match=r"line 3: .* is a pip option"):
        requirement_lines(path)


def _clear_probe_caches() -> None:
    guarantees.probe_guarantees.cache_clear()
    sandbox.bwrap_path.cache_clear()


def test_without_bubblewrap_the_runner_refuses_and_says_what_to_do(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    _clear_probe_caches()
    try:
        with pytest.raises(sandbox.SandboxUnavailable) as raised:
            LocalRunner(RunnerConfig(), sandbox=True)
    finally:
        monkeypatch.undo()
        _clear_probe_caches()
    assert isinstance(raised.value, ReviewbotError)
    assert str(raised.value).startswith(
        "the notebook sandbox is not available: install bubblewrap (apt-get install "
        "bubblewrap) and make each guarantee hold (reviewbot doctor says which), or pass "
        "--no-sandbox to run the notebooks unsandboxed on this machine")
    assert "not held: bubblewrap: bwrap is not installed" in str(raised.value)


def test_credential_like_variables_are_refused_even_from_the_runner() -> None:
    with pytest.raises(ValueError, match="REVIEWBOT_GITHUB_TOKEN"):
        sandbox.child_environment({"REVIEWBOT_GITHUB_TOKEN": "x"})
    assert "AWS_ACCESS_KEY_ID" not in sandbox.child_environment({"PATH": "/usr/bin"})


def test_without_the_sandbox_a_timed_out_run_leaves_no_kernel_behind(tmp_path: Path) -> None:
    ran = run_cells(tmp_path, ["print('start')", "while True:\n    pass"], seed=1937,
                    sandbox=False, cell_timeout_s=2)
    assert "per-cell limit of 2 s" in ran.result.error
    assert ran.result.environment["sandbox"] == "none (--no-sandbox)"
    survivors = [path.parent.name for path in Path("/proc").glob("[0-9]*/environ")
                 if b"REVIEWBOT_RUN_ID=run-1937\0" in _read(path)]
    assert survivors == []


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""
