"""What the sandboxed runner adds to executing a notebook, against bare nbconvert.

    .venv/bin/python bench/runner_overhead.py [--repeat 5]

Times the same ~1 s notebook with ``jupyter nbconvert --to notebook --execute`` and with
``LocalRunner`` (bubblewrap sandbox, parameters injected, metrics read), alternating the
two, and prints the medians, their ratio and their difference (target: at most 0.5 s added).
nbconvert is a benchmark-only tool: ``pip install nbconvert`` if it is missing.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from reviewbot.runners.base import RunRequest
from reviewbot.runners.config import RunnerConfig
from reviewbot.runners.local import LocalRunner

WORK = """\
import time
from reviewbot_record import record
started = time.perf_counter()
total = 0
while time.perf_counter() - started < 1.0:  # about one second of real work
    total += sum(range(1000))
record("total", total)
"""


def write_submission(root: Path) -> Path:
    folder = root / "BenchPaper2020"
    folder.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("seed = 0"), nbformat.v4.new_code_cell(WORK)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, folder / "bench.ipynb")
    return folder


def time_nbconvert(folder: Path, out: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook",
                    "--execute", str(folder / "bench.ipynb"), "--output-dir", str(out)],
                   check=True, capture_output=True,
                   env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
                        "PYTHONPATH": str(Path(__file__).parents[1] / "runners" / "record")})
    return time.perf_counter() - started


def time_runner(runner: LocalRunner, folder: Path, run: int) -> float:
    started = time.perf_counter()
    result = runner.run(RunRequest(folder, "bench.ipynb", seed=run, run_id=f"bench-{run}"))
    if not result.ok or "total" not in result.scalars:
        raise SystemExit(f"runner failed: {result.error} {result.problems}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    runner = LocalRunner(RunnerConfig(), sandbox=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_submission(Path(tmp))
        time_nbconvert(folder, Path(tmp) / "out")  # warm the disk cache for both
        bare, sandboxed = [], []
        for run in range(repeat):
            bare.append(time_nbconvert(folder, Path(tmp) / "out"))
            sandboxed.append(time_runner(runner, folder, run))
    bare_median, runner_median = statistics.median(bare), statistics.median(sandboxed)
    print(f"nbconvert --execute (bare):  median {bare_median:.2f} s  "
          f"({', '.join(f'{t:.2f}' for t in bare)})")
    print(f"LocalRunner (bubblewrap):    median {runner_median:.2f} s  "
          f"({', '.join(f'{t:.2f}' for t in sandboxed)})")
    print(f"ratio {runner_median / bare_median:.2f}x, added {runner_median - bare_median:+.2f} s "
          "per notebook (target: at most +0.50 s)")


if __name__ == "__main__":
    main()
