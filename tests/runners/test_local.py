"""LocalRunner on real kernels in the real bubblewrap sandbox: results and failures."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from reviewbot.core.models import MetricProblemKind
from reviewbot.runners.metrics import NO_RUN_ID_NOTE
from reviewbot.runners.sandbox import sandbox_available
from tests.runners.notebooks import run_cells

AVAILABLE, REASON = sandbox_available()
pytestmark = pytest.mark.skipif(not AVAILABLE, reason=f"bubblewrap cannot run here: {REASON}")

TRAIN = """\
import random
from reviewbot_record import record, record_series
random.seed(seed)
losses = [1.0 / (epoch + 1) + random.random() / 100 for epoch in range(3)]
record("final_loss", losses[-1])
record_series("loss", [1, 2, 3], losses, x_name="epoch")
print("final loss", losses[-1])
"""


def test_a_run_records_its_metrics_and_the_same_seed_reproduces_them(tmp_path: Path) -> None:
    first = run_cells(tmp_path / "a", ["seed = 123", TRAIN], seed=7)
    again = run_cells(tmp_path / "b", ["seed = 123", TRAIN], seed=7)
    other = run_cells(tmp_path / "c", ["seed = 123", TRAIN], seed=8)
    result = first.result
    assert result.ok, result.error
    assert result.problems == ()
    assert result.scalars["final_loss"] == again.result.scalars["final_loss"]
    assert result.scalars["final_loss"] != other.result.scalars["final_loss"]
    assert result.series["loss"].x == (1.0, 2.0, 3.0) and result.series["loss"].x_name == "epoch"
    assert result.parameters == {"seed": 7}
    assert result.environment["parameters_injection"] == "replaced assignments in cell 2 (seed)"
    assert result.environment["sandbox"] == "bubblewrap"
    assert result.environment["sandbox_guarantees"] == (
        "held: bubblewrap, uid, capabilities, seccomp, user namespaces, filesystem, network, "
        "cgroup limits")
    assert result.environment["limits"].startswith("memory 8,192 MiB and 1,024 processes for "
                                                   "the whole sandbox")
    assert result.environment["python"].startswith("3.")
    assert result.device == "CPU"
    assert [(p.cell, p.cells) for p in first.progress] == [(1, 3), (2, 3), (3, 3)]
    assert "final loss" in first.outputs()


def test_an_exception_names_its_cell_the_error_and_the_last_output(tmp_path: Path) -> None:
    ran = run_cells(tmp_path, ["print('about to divide')", "x = 1\nprint('dividing')\n1 / 0",
                               "print('never')"])
    assert not ran.result.ok
    assert ran.result.error == "ZeroDivisionError: division by zero"
    assert ran.result.error_cell == 3  # the markdown title is cell 1
    assert "dividing" in ran.result.output_tail
    assert "ZeroDivisionError" in ran.result.output_tail
    assert "never" not in ran.outputs()


def test_a_cell_that_loops_forever_is_stopped_at_the_cell_limit(tmp_path: Path) -> None:
    started = time.monotonic()
    ran = run_cells(tmp_path, ["print('start')", "while True:\n    pass"], cell_timeout_s=2)
    assert time.monotonic() - started < 20
    assert not ran.result.ok
    assert "per-cell limit of 2 s" in ran.result.error
    assert ran.result.error_cell == 3


def test_the_whole_notebook_is_stopped_at_its_limit(tmp_path: Path) -> None:
    started = time.monotonic()
    ran = run_cells(tmp_path, ["import time", "time.sleep(30)"], cell_timeout_s=20,
                    notebook_timeout_s=4)
    assert time.monotonic() - started < 25
    assert not ran.result.ok
    assert ran.result.error == "the notebook ran longer than its limit of 4 s and was stopped"
    assert ran.result.error_cell == 3


def test_allocating_past_the_memory_limit_is_an_out_of_memory_failure(tmp_path: Path) -> None:
    ran = run_cells(tmp_path, ["block = bytearray(3 * 1024 ** 3)"], memory_mb=1536)
    assert not ran.result.ok
    assert ran.result.error.startswith("out of memory")
    assert ran.result.error_cell == 2


def test_the_network_is_unreachable_and_nothing_reaches_a_local_server(tmp_path: Path) -> None:
    import socket

    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.5)
    port = server.getsockname()[1]
    cells = ["import socket",
             f"try:\n    socket.create_connection(('127.0.0.1', {port}), timeout=3)\n"
             "    print('CONNECTED')\nexcept OSError as error:\n    print('local:', error)",
             "socket.getaddrinfo('pypi.org', 443)"]
    ran = run_cells(tmp_path, cells)
    with pytest.raises(TimeoutError):
        server.accept()
    server.close()
    assert "CONNECTED" not in ran.outputs()
    assert "local:" in ran.outputs()
    assert not ran.result.ok
    assert ran.result.error.startswith("the notebook tried to reach the network")
    assert ran.result.error_cell == 4


def test_secrets_in_the_parent_environment_never_reach_the_notebook(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = {"REVIEWBOT_GITHUB_TOKEN": "ghs_tokenvalue123", "AWS_SECRET_ACCESS_KEY": "awsval9",
               "REVIEWBOT_WEBHOOK_SECRET": "hooksecret77", "MY_API_KEY": "apikey55"}
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    cells = ["import os\nfor name, value in sorted(os.environ.items()):\n    print(name, value)",
             "print(open('/proc/1/environ').read())"]
    for sandbox in (True, False):
        ran = run_cells(tmp_path / str(sandbox), cells, sandbox=sandbox)
        assert "REVIEWBOT_RUN_ID run-0" in ran.outputs()
        for name, value in secrets.items():
            assert value not in ran.executed_text, name
            assert name not in ran.executed_text, name


def test_writes_outside_the_scratch_copy_do_not_land(tmp_path: Path) -> None:
    from tests.conftest import REPO_ROOT

    targets = [tmp_path / "outside.txt", REPO_ROOT / "escaped.txt", Path.home() / "escaped.txt",
               tmp_path / "SmithJones2017" / "in-the-original.txt"]
    cells = [f"for path in {[str(t) for t in targets]!r}:\n"
             "    try:\n        open(path, 'w').write('x')\n        print('wrote', path)\n"
             "    except OSError as error:\n        print('refused', path, error)",
             "open('result.txt', 'w').write('inside the copy is fine')"]
    ran = run_cells(tmp_path, cells)
    assert ran.result.ok, ran.result.error
    for target in targets:
        assert not target.exists(), target
    for target in targets:  # each write was tried; what it reached vanished with the sandbox
        assert str(target) in ran.outputs()


def test_a_flood_of_output_is_stopped_at_the_output_limit(tmp_path: Path) -> None:
    cells = ["for _ in range(5000):\n    print('x' * 1000)", "print('after')"]
    ran = run_cells(tmp_path, cells, max_output_bytes=1_000_000)
    assert not ran.result.ok
    assert "more than the output limit of 1,000,000 bytes" in ran.result.error
    assert ran.result.error_cell == 2
    assert len(ran.executed_text) < 1_500_000
    assert "after" not in ran.outputs()


def test_input_is_reported_as_a_request_for_keyboard_input(tmp_path: Path) -> None:
    ran = run_cells(tmp_path, ["name = input('your name? ')"])
    assert not ran.result.ok
    assert ran.result.error.startswith("the notebook asked for keyboard input (input())")
    assert ran.result.error_cell == 2


def test_a_committed_metrics_file_is_never_read(tmp_path: Path) -> None:
    stale = '{"schema": 1, "run_id": "run-0", "scalars": {"final_loss": 0.001}}'
    ran = run_cells(tmp_path, ["print('no metrics recorded')"], files={"metrics.json": stale})
    assert ran.result.ok
    assert ran.result.scalars == {}
    assert ran.result.problems == ("the notebook recorded no metrics (no metrics.json written "
                                   "by this run, no scrapbook outputs)",)


def test_a_metrics_file_from_another_run_and_a_nan_are_refused(tmp_path: Path) -> None:
    copy_old = ("import shutil\nshutil.copy('old/last-week.json', 'metrics.json')")
    old = '{"schema": 1, "run_id": "last-week", "scalars": {"final_loss": 0.001}}'
    ran = run_cells(tmp_path / "stale", [copy_old], files={"old/last-week.json": old})
    assert ran.result.scalars == {}
    assert ran.result.problems == ("metrics.json was not written by this run (run_id "
                                   "'last-week', expected 'run-0'): a stale or committed file, "
                                   "ignored",)
    nan = run_cells(tmp_path / "nan", ["from reviewbot_record import record\n"
                                       "record('loss', float('nan'))\nrecord('acc', 0.9)"])
    assert nan.result.scalars == {"acc": 0.9}
    assert nan.result.problems == ("metric 'loss': nan is not a finite number: refused",)


def test_scrapbook_outputs_are_read_when_there_is_no_metrics_file(tmp_path: Path) -> None:
    glue = ("from IPython.display import display\n"
            "display({'application/scrapbook.scrap.json+json': {'name': 'accuracy', "
            "'data': 0.93, 'encoder': 'json', 'version': 1}}, raw=True)")
    ran = run_cells(tmp_path, [glue])
    assert ran.result.scalars == {"accuracy": 0.93}


def test_a_tagged_parameters_cell_gets_the_overrides_after_it(tmp_path: Path) -> None:
    cells = [("seed = 0\nepochs = 20", ["parameters"]),
             "print(f'seed={seed} epochs={epochs}')", "raise ValueError('late')"]
    ran = run_cells(tmp_path, cells, seed=5, parameters={"epochs": 2})
    assert "seed=5 epochs=2" in ran.outputs()
    assert ran.result.environment["parameters_injection"] == "tagged cell"
    assert ran.result.parameters == {"seed": 5, "epochs": 2}
    assert ran.result.error_cell == 4  # numbered as in the submitted notebook
    assert '"injected-parameters"' in ran.executed_text
    assert [(p.cell, p.cells) for p in ran.progress] == [(1, 4), (2, 4), (3, 4)]


def test_without_a_tagged_cell_top_level_assignments_are_replaced(tmp_path: Path) -> None:
    cells = ["import math\nepochs = 20\nseed = 0\nrate = 0.1",
             "print(f'seed={seed} epochs={epochs} rate={rate}')"]
    ran = run_cells(tmp_path, cells, seed=3)
    assert "seed=3 epochs=20 rate=0.1" in ran.outputs()
    ran = run_cells(tmp_path / "budget", cells, seed=3, parameters={"epochs": 4})
    assert "seed=3 epochs=4 rate=0.1" in ran.outputs()
    assert (ran.result.environment["parameters_injection"]
            == "replaced assignments in cell 2 (epochs, seed)")


def test_a_metrics_file_without_a_run_id_is_accepted_and_said_so(tmp_path: Path) -> None:
    cell = ("import json\njson.dump({'scalars': {'acc': 0.91}}, open('metrics.json', 'w'))")
    ran = run_cells(tmp_path, [cell])
    assert ran.result.scalars == {"acc": 0.91}
    assert ran.result.problems == ()
    assert [(p.kind, p.message) for p in ran.result.metric_problems] == [
        (MetricProblemKind.NOTE, NO_RUN_ID_NOTE)]


def test_scraps_without_a_run_id_count_and_another_runs_scrap_is_refused(tmp_path: Path) -> None:
    glue = ("from IPython.display import display\n"
            "def glue(name, value, **extra):\n"
            "    display({'application/scrapbook.scrap.json+json': {'name': name, 'data': value, "
            "'encoder': 'json', 'version': 1, **extra}}, raw=True)\n"
            "glue('accuracy', 0.93)\nglue('loss', 0.2, run_id='last-week')")
    ran = run_cells(tmp_path, [glue])
    assert ran.result.scalars == {"accuracy": 0.93}
    assert ran.result.problems == ("scrap 'loss' was not recorded by this run (run_id "
                                   "'last-week', expected 'run-0'): refused",)
    assert ran.result.metric_problems[-1].kind is MetricProblemKind.NOTE
