"""Benchmark: reviewbot's similarity search next to copydetect and Dolos on a labelled set.

Run by hand from the repository root (not a test)::

    .venv/bin/python bench/similarity.py                       # quick: n=300, seed 1
    .venv/bin/python bench/similarity.py --n 300,1000,3000 --seeds 1,2 \\
        --index-sizes 1000,10000,50000                         # the full set (about an hour)

It generates the labelled benchmark with the shared generator
(``../shared/bench/plagiarism/make_bench.py``; elsewhere: ``--bench-tools DIR`` or
``$REVIEWBOT_BENCH_TOOLS``) for every size and seed, then runs side by side:

- reviewbot, through ``bench/similarity_api.py``'s ``pair_scores`` in a subprocess;
- the anchors copydetect 0.5.0 (PyPI) and Dolos (``@dodona/dolos-lib@3.5.1``, npm; also with
  ``-m 10``), through the generator's ``run_anchors.py``. They are installed on first use
  under ``~/.cache/reviewbot-bench/anchors`` (``--anchors DIR``), never in the repository;
  the Dolos install compiles tree-sitter (minutes, once).

Every tool is scored by ``run_anchors.evaluate`` on the same pairs, and its wall time and peak
memory (resident set of its whole process group) are measured by ``run_anchors.run_measured``.
The anchors compare all pairs (quadratic): above ``--anchor-max-n`` (default 1000) they are not
run and the table shows the figures published with the generator, marked †. Notebooks: the
anchors get code extracted from them (``run_anchors --notebooks extract``), and a second run
with the raw .ipynb files gives their notebook row; reviewbot always gets the raw .ipynb files.

Query time: indexes of ``--index-sizes`` files are built with reviewbot from real Python files
(the interpreter's standard library and site-packages, the venv's site-packages and unpacked
pure-Python wheels downloaded once with ``pip download --no-deps`` into
``~/.cache/reviewbot-bench/corpus``; identical files counted once), and a few benchmark
submissions are queried against each.

Every tool runs under ``--timeout`` seconds; a tool that fails prints its error and shows a dash.
Other processes on the machine skew the timings: the load average is printed at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import importlib.util
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import sysconfig
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

REPO_ROOT = Path(__file__).resolve().parent.parent
CACHE = Path.home() / ".cache" / "reviewbot-bench"
API_MODULE = "similarity_api"  # bench/similarity_api.py: benchmark glue, not shipped
ANCHORS = ("copydetect", "dolos", "dolos_m10")
RAW_NOTEBOOK_ANCHORS = ("copydetect", "dolos")
TOOL_TITLES = {"copydetect": "copydetect", "dolos": "Dolos", "dolos_m10": "Dolos -m10",
               "reviewbot": "reviewbot"}
COPYDETECT_PIN, DOLOS_PIN = "copydetect==0.5.0", "@dodona/dolos-lib@3.5.1"
# Big pure-Python wheels whose modules pad the query-time corpus past the machine's own files.
CORPUS_WHEELS = ("ansible==10.7.0", "oci==2.140.0", "homeassistant==2024.3.3",
                 "azure-mgmt-network==19.3.0", "sympy==1.13.3", "django==5.1.4",
                 "kubernetes==31.0.0", "ansible-core==2.17.7")
# Published with the generator (shared README, 2-core machine, seed 1): shown, marked †,
# where this run did not measure the anchor (too slow above --anchor-max-n).
PUBLISHED = {
    ("copydetect", 300): ("18 s", "330 MB"), ("copydetect", 1000): ("132 s", "1.3 GB"),
    ("copydetect", 3000): ("> 600 s", "5.0 GB"), ("dolos", 300): ("11 s", "649 MB"),
    ("dolos", 1000): ("229 s", "3.3 GB"), ("dolos", 3000): ("> 600 s", "7.3 GB"),
    ("dolos_m10", 300): ("7 s", "570 MB"), ("dolos_m10", 1000): ("186 s", "2.9 GB"),
    ("dolos_m10", 3000): ("\u2013", "\u2013"),
}
DASH = "\u2013"  # en dash, as in the issue's table
# Real-code roots the labelled sets are drawn from: the generator's own default (this
# interpreter's stdlib and site-packages) and the Keras 2 and Keras 3 sources (pure-Python
# wheels fetched once with `pip download --no-deps` and unpacked in the cache), the code a
# deep-learning candidate would copy. Each maps to make_bench.py arguments.
KERAS_WHEELS = {"keras2": "keras==2.15.0", "keras3": "keras==3.15.1"}
ROOTS = ("default", "keras")
DEFAULT_THRESHOLD = 0.2  # checks/similarity.py Config.threshold


@dataclass
class ToolRun:
    """One tool on one benchmark: its measurement and its metrics (None when it failed)."""

    wall_s: float | None = None
    peak_mb: float | None = None
    metrics: dict | None = None
    raw_notebook_recall: float | None = None
    error: str | None = None
    misses: list[str] = field(default_factory=list)
    clean_flagged: float | None = None  # share of clean submissions over DEFAULT_THRESHOLD


@dataclass
class IndexRun:
    """Query times against one index of `size` files."""

    size: int
    build_s: float | None = None
    build_peak_mb: float | None = None
    query_s: list[float] = field(default_factory=list)
    error: str | None = None
    size_mb: float | None = None  # the index file on disk


# --------------------------------------------------------------------------- arguments


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="reviewbot similarity search vs copydetect and Dolos on make_bench.py sets.",
        epilog="Full set: --n 300,1000,3000 --seeds 1,2 --index-sizes 1000,10000,50000 "
        "(about an hour on 2 cores; anchors are skipped above --anchor-max-n).",
    )
    parser.add_argument("--n", default="300", help="benchmark sizes, comma separated (300)")
    parser.add_argument("--seeds", default="1", help="generator seeds, comma separated (1)")
    parser.add_argument("--roots", default="default",
                        help="real-code roots the sets are drawn from, comma separated: "
                        + ", ".join(ROOTS) + " (default)")
    parser.add_argument("--tools", default="reviewbot," + ",".join(ANCHORS),
                        help="tools to run (reviewbot,copydetect,dolos,dolos_m10)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per tool run (600)")
    parser.add_argument("--anchor-max-n", type=int, default=1000,
                        help="run the anchors only up to this size (1000)")
    parser.add_argument("--raw-notebooks-max-n", type=int, default=300,
                        help="run the anchors on raw .ipynb only up to this size (300)")
    parser.add_argument("--index-sizes", default="1000,10000",
                        help="query-time index sizes, comma separated; '' skips (1000,10000)")
    parser.add_argument("--queries", type=int, default=5, help="submissions queried per index")
    parser.add_argument("--index-timeout", type=float, default=None,
                        help="seconds per index build (default: --timeout)")
    parser.add_argument("--bench-tools", type=Path, default=default_bench_tools(),
                        help="folder of make_bench.py and run_anchors.py")
    parser.add_argument("--anchors", type=Path, default=CACHE / "anchors",
                        help="where the anchors are installed (~/.cache/reviewbot-bench/anchors)")
    parser.add_argument("--work", type=Path, default=CACHE,
                        help="benchmarks, corpus and results (~/.cache/reviewbot-bench)")
    parser.add_argument("--api", default=API_MODULE, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def default_bench_tools() -> Path:
    env = os.environ.get("REVIEWBOT_BENCH_TOOLS")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "bench" / "plagiarism"


def int_list(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


# --------------------------------------------------------------------------- helpers


def load_run_anchors(tools_dir: Path) -> ModuleType:
    """The generator's scorer, imported so that every tool is scored by the same code."""
    spec = importlib.util.spec_from_file_location("run_anchors", tools_dir / "run_anchors.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"no run_anchors.py in {tools_dir} (see --bench-tools)")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def base_python() -> str:
    """The interpreter the venv was made from: the generator draws its corpus from its files
    (as the published figures did), not from the venv's."""
    candidate = Path(sys.base_prefix) / "bin" / "python3"
    return str(candidate) if candidate.exists() else "python3"


def run_quiet(cmd: list[str], timeout: float, cwd: Path | None = None) -> str | None:
    """Run a command; None when it worked, else the tail of its output as the error."""
    try:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{cmd[0]}: {exc}"
    if done.returncode == 0:
        return None
    return f"exit {done.returncode}: {(done.stdout + done.stderr)[-1500:]}"


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- anchors install


def install_anchors(anchors: Path, tools: list[str]) -> dict[str, str]:
    """Install what the chosen anchors need (once); returns {tool: install error}."""
    errors: dict[str, str] = {}
    if "copydetect" in tools:
        error = install_copydetect(anchors)
        if error:
            errors["copydetect"] = error
    if any(tool.startswith("dolos") for tool in tools):
        error = install_dolos(anchors)
        errors.update({tool: error for tool in tools if error and tool.startswith("dolos")})
    return errors


def install_copydetect(anchors: Path) -> str | None:
    python = anchors / "venv" / "bin" / "python"
    if run_quiet([str(python), "-c", "import copydetect"], 60) is None:
        return None
    say("installing copydetect into " + str(anchors / "venv"))
    error = run_quiet([base_python(), "-m", "venv", str(anchors / "venv")], 300)
    return error or run_quiet([str(python), "-m", "pip", "install", "-q", COPYDETECT_PIN], 900)


def install_dolos(anchors: Path) -> str | None:
    entry = anchors / "npm" / "node_modules" / "@dodona" / "dolos-lib" / "dist" / "index.js"
    if entry.exists():
        return None
    if shutil.which("npm") is None or shutil.which("node") is None:
        return "node/npm not found: install Node.js 20+ to run Dolos"
    say("installing Dolos into " + str(anchors / "npm") + " (builds tree-sitter: minutes)")
    return run_quiet(["npm", "install", "--prefix", str(anchors / "npm"), DOLOS_PIN], 1800)


# --------------------------------------------------------------------------- benchmarks


def root_args(work: Path, root: str) -> list[str]:
    """make_bench.py arguments for a named real-code root."""
    if root == "default":
        return []
    if root != "keras":
        raise SystemExit(f"unknown root {root!r} (known: {', '.join(ROOTS)})")
    trees = []
    for label, spec in KERAS_WHEELS.items():
        target = work / "roots" / wheel_dir(spec)
        if not target.exists():
            fetch_wheel(work / "wheels", target, spec)
        trees.append(f"{label}={target / 'keras' / 'src'}")
    return ["--no-site", "--exclude", "stdlib:*", *[f"--root={tree}" for tree in trees]]


def fetch_wheel(wheels: Path, target: Path, spec: str) -> None:
    wheels.mkdir(parents=True, exist_ok=True)
    say(f"downloading {spec} into {wheels}")
    error = run_quiet([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d",
                       str(wheels), spec], 900)
    if error:
        raise SystemExit(f"pip download {spec} failed: {error}")
    unpack_wheel(wheels, target, spec)


def generate(tools_dir: Path, work: Path, n: int, seed: int, root: str = "default") -> Path:
    """The labelled set for (n, seed, root), generated once and reused (it is deterministic)."""
    out = work / "bench" / f"n{n}-s{seed}-{root}"
    if (out / "labels.json").exists():
        return out
    if out.exists():
        shutil.rmtree(out)
    say(f"generating n={n} seed={seed} into {out}")
    cmd = [base_python(), str(tools_dir / "make_bench.py"), "--out", str(out),
           "--n", str(n), "--seed", str(seed), "--quiet", *root_args(work, root)]
    error = run_quiet(cmd, 3600)
    if error:
        raise SystemExit(f"make_bench.py failed: {error}")
    return out


def labels_of(bench: Path) -> dict:
    return json.loads((bench / "labels.json").read_text())


# --------------------------------------------------------------------------- reviewbot


def worker_cmd(args: argparse.Namespace, *rest: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--api", args.api, "_worker", *rest]


def worker_env() -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(REPO_ROOT / "bench"), str(REPO_ROOT), env.get("PYTHONPATH")]
    env["PYTHONPATH"] = os.pathsep.join(filter(None, paths))
    return env


def measured(ra: ModuleType, cmd: list[str], timeout: float, log: Path) -> tuple[dict, str | None]:
    """run_anchors.run_measured, plus the error text when the run failed."""
    run = ra.run_measured(cmd, worker_env(), timeout, str(log))
    if run["timed_out"]:
        return run, f"timed out after {timeout:.0f} s"
    if run["rc"] != 0:
        return run, f"exit {run['rc']}: " + log.read_text(errors="replace")[-1500:]
    return run, None


def run_reviewbot(args: argparse.Namespace, ra: ModuleType, bench: Path, out: Path) -> ToolRun:
    scores_path, index = out / "scores_reviewbot.tsv", out / "reviewbot_index.sqlite"
    index.unlink(missing_ok=True)
    cmd = worker_cmd(args, "pairs", str(bench), str(index), str(scores_path))
    say(f"running reviewbot on {bench.name} ...")
    run, error = measured(ra, cmd, args.timeout, out / "log_reviewbot.txt")
    result = ToolRun(run["wall_s"], run["peak_rss_mb"], error=error)
    if error is None:
        labels = labels_of(bench)
        scores = read_scores(scores_path)
        result.metrics = ra.evaluate(labels, scores)
        result.raw_notebook_recall = result.metrics["recall_1pct_by"].get("fmt_ipynb")
        result.misses = misses(labels, scores, result.metrics["sub_thr_1pct"])
        result.clean_flagged = flagged_share(labels, scores, DEFAULT_THRESHOLD)
    return result


def flagged_share(labels: dict, scores: dict[tuple[str, str], float], threshold: float) -> float:
    """Share of the clean submissions whose best score reaches the check's threshold."""
    best: dict[str, float] = {}
    for (submission, _reference), value in scores.items():
        best[submission] = max(best.get(submission, 0.0), value)
    clean = [name for name, label in labels["submissions"].items() if not label["original"]]
    return sum(best.get(name, 0.0) >= threshold for name in clean) / max(1, len(clean))


def misses(labels: dict, scores: dict[tuple[str, str], float], threshold: float) -> list[str]:
    """What reviewbot got wrong, for its authors: wrong top original, missed copies, and the
    clean submissions that score highest."""
    rows: dict[str, dict[str, float]] = {}
    for (submission, reference), value in scores.items():
        rows.setdefault(submission, {})[reference] = value
    lines = []
    for name, label in sorted(labels["submissions"].items()):
        row = rows.get(name, {})
        best = max(row.items(), key=lambda item: item[1], default=("(none)", 0.0))
        lines += miss_lines(name, label, row, best, threshold)
    return lines


def miss_lines(name: str, label: dict, row: dict[str, float], best: tuple[str, float],
               threshold: float) -> list[str]:
    kind = f"{label['kind']} L{label['level']}" if label["original"] else label["kind"]
    what = f"{name} ({kind}, {label['format']})"
    original = label["original"]
    if original is None:
        flagged = best[1] > threshold
        return [f"false alarm: {what} -> {best[0]} {best[1]:.3f}"] if flagged else []
    lines = []
    if best[0] != original:
        lines.append(f"wrong top: {what}: {best[0]} {best[1]:.3f} > original {original} "
                     f"{row.get(original, 0.0):.3f}")
    if best[1] <= threshold:
        lines.append(f"missed at 1% sub FPR (threshold {threshold:.3f}): {what} best "
                     f"{best[1]:.3f}, original {row.get(original, 0.0):.3f}")
    return lines


def read_scores(path: Path) -> dict[tuple[str, str], float]:
    scores = {}
    for line in path.read_text().splitlines():
        submission, reference, value = line.split("\t")
        scores[(submission, reference)] = float(value)
    return scores


# --------------------------------------------------------------------------- anchors


def run_anchor_set(args: argparse.Namespace, bench: Path, out: Path, tools: list[str],
                   notebooks: str) -> dict[str, dict]:
    """run_anchors.py over one benchmark; returns its results.json 'tools' entries."""
    if not tools:
        return {}
    cmd = [sys.executable, str(args.bench_tools / "run_anchors.py"), "--bench", str(bench),
           "--out", str(out), "--anchors", str(args.anchors), "--tools", ",".join(tools),
           "--timeout", str(args.timeout), "--notebooks", notebooks]
    say(f"running {','.join(tools)} on {bench.name} (notebooks {notebooks}) ...")
    error = run_quiet(cmd, args.timeout * len(tools) + 300)
    results = out / "results.json"
    if not results.exists():
        return {tool: {"error": error or "run_anchors.py wrote no results"} for tool in tools}
    return json.loads(results.read_text())["tools"]


def anchor_run(entry: dict | None) -> ToolRun:
    if entry is None:
        return ToolRun(error="not run")
    error = entry.get("error") or entry.get("note")
    if entry.get("metrics") is None and not error:
        error = f"no metrics (rc={entry.get('rc')})"
    return ToolRun(entry.get("wall_s"), entry.get("peak_rss_mb"), entry.get("metrics"),
                   error=error)


def run_anchors(args: argparse.Namespace, bench: Path, out: Path, n: int,
                install_errors: dict[str, str]) -> dict[str, ToolRun]:
    tools = [t for t in args.tool_list if t in ANCHORS]
    runnable = [t for t in tools if t not in install_errors and n <= args.anchor_max_n]
    entries = run_anchor_set(args, bench, out / "anchors_extract", runnable, "extract")
    runs = {tool: anchor_run(entries.get(tool)) for tool in runnable}
    failed = [tool for tool in tools if tool in install_errors]
    runs.update({tool: ToolRun(error=install_errors[tool]) for tool in failed})
    raw_tools = [t for t in runnable if t in RAW_NOTEBOOK_ANCHORS and n <= args.raw_notebooks_max_n]
    raw = run_anchor_set(args, bench, out / "anchors_raw", raw_tools, "raw")
    for tool in raw_tools:
        metrics = (raw.get(tool) or {}).get("metrics") or {}
        runs[tool].raw_notebook_recall = metrics.get("recall_1pct_by", {}).get("fmt_ipynb")
    return runs


# --------------------------------------------------------------------------- index corpus


def corpus_roots(work: Path) -> list[Path]:
    """The machine's Python files, then unpacked wheels (downloaded once, when asked for)."""
    roots = [Path(sysconfig.get_paths()["stdlib"]), Path(sysconfig.get_paths()["purelib"])]
    for unpacked in (work / "roots", work / "corpus" / "unpacked"):  # Keras roots, wheels
        if unpacked.exists():
            roots += sorted(path for path in unpacked.iterdir() if path.is_dir())
    return roots


def fetch_wheels(work: Path) -> None:
    """Download and unpack the corpus wheels (only their .py files), once."""
    wheels, unpacked = work / "corpus" / "wheels", work / "corpus" / "unpacked"
    wheels.mkdir(parents=True, exist_ok=True)
    missing = [spec for spec in CORPUS_WHEELS if not (unpacked / wheel_dir(spec)).exists()]
    if not missing:
        return
    say("downloading corpus wheels: " + ", ".join(missing))
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(wheels), *missing]
    error = run_quiet(cmd, 900)
    if error:
        say("pip download failed (index corpus stays smaller): " + error)
    for spec in missing:
        unpack_wheel(wheels, unpacked / wheel_dir(spec), spec)


def wheel_dir(spec: str) -> str:
    return spec.replace("==", "-")


def unpack_wheel(wheels: Path, target: Path, spec: str) -> None:
    name, version = spec.split("==")
    prefix = name.replace("-", "_").lower() + "-" + version
    for wheel in wheels.glob("*.whl"):
        if wheel.name.lower().startswith(prefix):
            with zipfile.ZipFile(wheel) as archive:
                members = [m for m in archive.namelist() if m.endswith(".py")]
                archive.extractall(target, members)


def corpus_files(roots: list[Path], limit: int) -> list[Path]:
    """Up to `limit` distinct, readable Python files (200 B to 500 kB) in a fixed random order."""
    paths = sorted({path for root in roots for path in root.rglob("*.py") if path.is_file()})
    random.Random(0).shuffle(paths)
    chosen, seen = [], set()
    for path in paths:
        digest = readable_digest(path)
        if digest and digest not in seen:
            seen.add(digest)
            chosen.append(path)
            if len(chosen) == limit:
                break
    return chosen


def readable_digest(path: Path) -> str | None:
    try:
        data = path.read_bytes()
        if not 200 <= len(data) <= 500_000:
            return None
        data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return hashlib.sha1(data).hexdigest()


# --------------------------------------------------------------------------- query time


def query_times(args: argparse.Namespace, ra: ModuleType, bench: Path | None,
                out: Path) -> list[IndexRun]:
    sizes = int_list(args.index_sizes)
    if not sizes or "reviewbot" not in args.tool_list or bench is None:
        return []
    roots = corpus_roots(args.work)
    files = corpus_files(roots, max(sizes))
    if len(files) < max(sizes):
        fetch_wheels(args.work)
        files = corpus_files(corpus_roots(args.work), max(sizes))
    say(f"index corpus: {len(files)} distinct files")
    queries = query_submissions(bench, args.queries)
    return [index_run(args, ra, files[:size], queries, out, size) for size in sizes]


def query_submissions(bench: Path, count: int) -> list[Path]:
    """A spread of submissions: the highest-level copies, partial copies, notebooks, clean."""
    subs = labels_of(bench)["submissions"]
    def rank(item: tuple[str, dict]) -> tuple:
        return (item[1]["kind"], -(item[1].get("level") or 0), item[1]["format"], item[0])
    by_kind: dict[str, list[str]] = {}
    for name, label in sorted(subs.items(), key=rank):
        by_kind.setdefault(label["kind"], []).append(name)
    order = [names[i] for i in range(count) for names in by_kind.values() if i < len(names)]
    return [bench / name for name in order[:count]]


def index_run(args: argparse.Namespace, ra: ModuleType, files: list[Path], queries: list[Path],
              out: Path, size: int) -> IndexRun:
    result = IndexRun(size=size)
    if len(files) < size:
        result.error = f"only {len(files)} distinct files found"
        return result
    index, listing = out / f"index_{size}.sqlite", out / f"index_{size}.txt"
    index.unlink(missing_ok=True)
    listing.write_text("\n".join(map(str, files)) + "\n")
    say(f"building an index of {size} files ...")
    run, error = measured(ra, worker_cmd(args, "build", str(listing), str(index)),
                          args.index_timeout or args.timeout, out / f"log_build_{size}.txt")
    result.build_s, result.build_peak_mb, result.error = run["wall_s"], run["peak_rss_mb"], error
    if index.exists():
        result.size_mb = sum(p.stat().st_size for p in index.parent.glob(index.name + "*")) / 1e6
    if error is None:
        result.query_s, result.error = run_queries(args, index, queries, out / f"query_{size}.json")
    return result


def run_queries(args: argparse.Namespace, index: Path, queries: list[Path],
                out: Path) -> tuple[list[float], str | None]:
    cmd = worker_cmd(args, "query", str(index), str(out), *map(str, queries))
    try:
        done = subprocess.run(cmd, env=worker_env(), capture_output=True, text=True,
                              timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return [], f"queries timed out after {args.timeout:.0f} s"
    if done.returncode != 0:
        return [], done.stderr[-1500:]
    return json.loads(out.read_text()), None


# --------------------------------------------------------------------------- worker (subprocess)


def worker(api_name: str, argv: list[str]) -> int:
    """Runs inside the measured subprocess: only reviewbot's own work is timed there."""
    api = importlib.import_module(api_name)
    mode, *rest = argv
    if mode == "pairs":
        worker_pairs(api, Path(rest[0]), Path(rest[1]), Path(rest[2]))
    elif mode == "build":
        files = [Path(line) for line in Path(rest[0]).read_text().splitlines() if line]
        worker_build(api, files, Path(rest[1]))
    else:
        seconds = [api.query_seconds(Path(rest[0]), Path(path)) for path in rest[2:]]
        Path(rest[1]).write_text(json.dumps(seconds))
    return 0


def worker_pairs(api: ModuleType, bench: Path, index: Path, scores_path: Path) -> None:
    references = sorted((bench / "reference").iterdir())
    submissions = sorted((bench / "submissions").iterdir())
    labels = json.loads((bench / "labels.json").read_text())["reference"]
    sources = {str(path): labels.get(f"reference/{path.name}", {}).get("source", "")
               for path in references}
    try:  # the originals' paths in their packages: sibling files form families
        scores = api.pair_scores(references, submissions, index, sources)
    except TypeError:  # an API without sources
        scores = api.pair_scores(references, submissions, index)
    label = {str(path): f"{path.parent.name}/{path.name}" for path in references + submissions}
    with scores_path.open("w") as out:
        for (submission, reference), value in scores.items():
            if value > 0:
                out.write(f"{label[str(submission)]}\t{label[str(reference)]}\t{value:.6f}\n")


def worker_build(api: ModuleType, files: list[Path], index: Path) -> None:
    """An index of `files`: the API's build_index when it has one, else pair_scores with no
    submissions (which indexes the references)."""
    build = getattr(api, "build_index", None)
    if build is None:
        api.pair_scores(files, [], index)
        return
    built = build(files, index)
    close = getattr(built, "close", None)
    if close is not None:  # the index may hold its last batch until closed
        close()


# --------------------------------------------------------------------------- tables


def fmt(value: float | None, digits: int = 2) -> str:
    return DASH if value is None else f"{value:.{digits}f}"


def metric(run: ToolRun | None, key: str, sub: str | None = None) -> float | None:
    if run is None or run.metrics is None:
        return None
    value = run.metrics.get(key)
    return value.get(sub) if sub is not None and isinstance(value, dict) else value


def detail_table(runs: dict[str, ToolRun]) -> str:
    levels = ["L0", "L1", "L2", "L3", "L4", "L5", "L6", "partial", "fmt_ipynb"]
    head = ["tool", "ROC-AUC", "best F1", "P@1", "pair R@1%FPR", *levels, "nb raw",
            "sub R@1%subFPR", "sub L6", "sub partial", "sibling FPR", "wall s", "peak MB"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for tool, run in runs.items():
        lines.append("| " + " | ".join(detail_row(tool, run, levels)) + " |")
    return "\n".join(lines)


def detail_row(tool: str, run: ToolRun, levels: list[str]) -> list[str]:
    if run.metrics is None:
        return [TOOL_TITLES[tool], DASH, *[DASH] * (len(levels) + 9), fmt(run.wall_s, 1),
                fmt(run.peak_mb, 0)]
    by = run.metrics.get("recall_1pct_by", {})
    sub = run.metrics.get("sub_recall_1pct_by", {})
    return [TOOL_TITLES[tool], fmt(metric(run, "roc_auc"), 3), fmt(metric(run, "best_f1"), 3),
            fmt(metric(run, "p_at_1"), 3), fmt(metric(run, "recall_1pct"), 3),
            *[fmt(by.get(level)) for level in levels], fmt(run.raw_notebook_recall),
            fmt(metric(run, "sub_recall_1pct"), 3), fmt(sub.get("L6")), fmt(sub.get("partial")),
            fmt(metric(run, "sibling_fpr_at_1pct"), 3), fmt(run.wall_s, 1), fmt(run.peak_mb, 0)]


def issue_table(all_runs: dict[tuple[int, int], dict[str, ToolRun]], tools: list[str],
                index_runs: list[IndexRun]) -> str:
    """The issue's figure x tool table, from the first seed (accuracy: the smallest n)."""
    seed = min(key[1] for key in all_runs)
    sizes = sorted(n for n, s in all_runs if s == seed)
    first = all_runs[(sizes[0], seed)]
    head = ["figure", *[TOOL_TITLES[t] for t in tools], "reviewbot target"]
    rows = accuracy_rows(first, tools, sizes[0])
    rows.append([f"wall time, whole benchmark n={' / '.join(map(str, sizes))}",
                 *[cost_cell(all_runs, t, sizes, seed, "wall") for t in tools], "n=3000 in ≤ 60 s"])
    rows.append([f"peak memory n={' / '.join(map(str, sizes))}",
                 *[cost_cell(all_runs, t, sizes, seed, "peak") for t in tools],
                 "≤ 500 MB (n=1000) / ≤ 1 GB (n=3000)"])
    rows.append(query_row(tools, index_runs))
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def accuracy_rows(runs: dict[str, ToolRun], tools: list[str], n: int) -> list[list[str]]:
    def cells(key: str, sub: str | None = None, digits: int = 2) -> list[str]:
        return [fmt(metric(runs.get(t), key, sub), digits) for t in tools]
    return [
        [f"submission-level recall at 1% submission FPR (n={n})", *cells("sub_recall_1pct"),
         "≥ 0.95"],
        ["… on L6 (control logic)", *cells("sub_recall_1pct_by", "L6"), "≥ 0.90"],
        ["… on partial copies (20-50% copied)", *cells("sub_recall_1pct_by", "partial"), "≥ 0.80"],
        ["notebooks given as raw .ipynb (pair recall at 1% FPR)",
         *[fmt(runs[t].raw_notebook_recall) if t in runs else DASH for t in tools], "≥ 0.95"],
        [f"precision@1, the right original named (n={n})", *cells("p_at_1", digits=3), "≥ 0.99"],
        [f"best pair F1 (n={n})", *cells("best_f1"), "≥ 0.95"],
    ]


def cost_cell(all_runs: dict, tool: str, sizes: list[int], seed: int, what: str) -> str:
    parts = []
    for n in sizes:
        run = all_runs[(n, seed)].get(tool)
        if run is not None and run.metrics is not None:
            parts.append(f"{run.wall_s:.0f} s" if what == "wall" else megabytes(run.peak_mb))
        elif run is not None and run.error and "timed out" in run.error:
            parts.append(f"> {run.wall_s:.0f} s" if what == "wall" else megabytes(run.peak_mb))
        elif (tool, n) in PUBLISHED:
            parts.append(PUBLISHED[(tool, n)][0 if what == "wall" else 1] + " †")
        else:
            parts.append(DASH)
    return " / ".join(parts)


def megabytes(value: float | None) -> str:
    if value is None:
        return DASH
    return f"{value / 1024:.1f} GB" if value >= 1024 else f"{value:.0f} MB"


def query_row(tools: list[str], index_runs: list[IndexRun]) -> list[str]:
    sizes = " / ".join(f"{r.size // 1000}k" for r in index_runs) or DASH
    cells = ["(no index: all pairs)" if t != "reviewbot" else index_cell(index_runs) for t in tools]
    return [f"query one submission against an index of {sizes} files", *cells,
            "≤ 1 s (10k) / ≤ 2 s (50k); build of 10k files ≤ 2 min"]


def index_cell(index_runs: list[IndexRun]) -> str:
    if not index_runs:
        return "not measured"
    queries = " / ".join(f"{max(r.query_s):.2f} s" if r.query_s else DASH for r in index_runs)
    builds = " / ".join(f"{r.build_s:.0f} s" if r.build_s is not None and r.error is None
                        else DASH for r in index_runs)
    return f"{queries} (slowest of the queries); build {builds}"


def last_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[-1] if lines else ""


def index_table(index_runs: list[IndexRun]) -> str:
    lines = ["| index files | size on disk MB | build s | build peak MB | query median s | "
             "query max s | error |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for run in index_runs:
        median = statistics.median(run.query_s) if run.query_s else None
        lines.append(f"| {run.size} | {fmt(run.size_mb, 1)} | {fmt(run.build_s, 1)} | "
                     f"{fmt(run.build_peak_mb, 0)} | "
                     f"{fmt(median, 3)} | {fmt(max(run.query_s, default=None), 3)} | "
                     f"{last_line(run.error)} |")
    return "\n".join(lines)


WORST = (("submission recall at 1% FPR", "sub_recall_1pct", None, min, "≥ 0.95 (n=300), ≥ 0.90"),
         ("… partial copies", "sub_recall_1pct_by", "partial", min, "≥ 0.80"),
         ("… L6", "sub_recall_1pct_by", "L6", min, DASH),
         ("precision@1", "p_at_1", None, min, "≥ 0.99"),
         ("best pair F1", "best_f1", None, min, DASH))


def worst_table(every: dict[tuple[int, int, str], dict[str, ToolRun]], tools: list[str]) -> str:
    """Per size: each tool's worst figure over every seed and root, and where it was."""
    lines = ["| n | figure | " + " | ".join(TOOL_TITLES[t] for t in tools) + " | target |",
             "|" + " --- |" * (len(tools) + 3)]
    for n in sorted({key[0] for key in every}):
        sets = {key: runs for key, runs in every.items() if key[0] == n}
        for title, key, sub, pick, target in WORST:
            cells = [worst_cell(sets, tool, key, sub, pick) for tool in tools]
            lines.append(f"| {n} | {title} | " + " | ".join(cells) + f" | {target} |")
        flagged = [worst_flagged(sets, tool) for tool in tools]
        lines.append(f"| {n} | clean flagged at the default threshold {DEFAULT_THRESHOLD} | "
                     + " | ".join(flagged) + " | ≤ 1% |")
    return "\n".join(lines)


def worst_cell(sets: dict, tool: str, key: str, sub: str | None, pick: object) -> str:
    found = [(metric(runs.get(tool), key, sub), name) for name, runs in sets.items()]
    found = [(value, name) for value, name in found if value is not None]
    if not found:
        return DASH
    value, name = min(found) if pick is min else max(found)
    return f"{value:.3f} (s{name[1]} {name[2]})"


def worst_flagged(sets: dict, tool: str) -> str:
    found = [(runs[tool].clean_flagged, name) for name, runs in sets.items()
             if tool in runs and runs[tool].clean_flagged is not None]
    if not found:
        return DASH
    value, name = max(found)
    return f"{value:.1%} (s{name[1]} {name[2]})"


# --------------------------------------------------------------------------- main


def print_errors(all_runs: dict[tuple[int, int], dict[str, ToolRun]],
                 index_runs: list[IndexRun]) -> None:
    for (n, seed), runs in all_runs.items():
        for tool, run in runs.items():
            if run.error:
                print(f"\n{TOOL_TITLES[tool]} on n={n} seed={seed} failed: {run.error.strip()}")
    for run in index_runs:
        if run.error:
            print(f"\nindex of {run.size} files failed: {run.error.strip()}")


def save(out: Path, all_runs: dict, index_runs: list[IndexRun]) -> None:
    data = {"runs": {f"n{n}-s{s}": {t: vars(r) for t, r in runs.items()}
                     for (n, s), runs in all_runs.items()},
            "index": [vars(r) for r in index_runs]}
    (out / "results.json").write_text(json.dumps(data, indent=1, default=str))


def run_one(args: argparse.Namespace, ra: ModuleType, n: int, seed: int, root: str, out: Path,
            install_errors: dict[str, str]) -> dict[str, ToolRun]:
    bench = generate(args.bench_tools, args.work, n, seed, root)
    run_dir = out / f"n{n}-s{seed}-{root}"
    run_dir.mkdir(parents=True, exist_ok=True)
    runs: dict[str, ToolRun] = {}
    if "reviewbot" in args.tool_list:
        runs["reviewbot"] = run_reviewbot(args, ra, bench, run_dir)
    runs.update(run_anchors(args, bench, run_dir, n, install_errors))
    runs = order(runs, args.tool_list)
    print(f"\n### n={n}, seed={seed}, root={root}\n\n{detail_table(runs)}", flush=True)
    if runs.get("reviewbot") and runs["reviewbot"].misses:
        print("\nreviewbot's misses:\n" + "\n".join("- " + m for m in runs["reviewbot"].misses))
    return runs


def order(runs: dict[str, ToolRun], tools: list[str]) -> dict[str, ToolRun]:
    """The issue's column order: the anchors, then reviewbot."""
    return {tool: runs[tool] for tool in TOOL_TITLES if tool in runs and tool in tools}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "_worker" in argv:
        at = argv.index("_worker")
        return worker(parse_args(argv[:at]).api, argv[at + 1:])
    args = parse_args(argv)
    args.tool_list = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = set(args.tool_list) - set(TOOL_TITLES)
    if unknown:
        raise SystemExit(f"unknown tools: {', '.join(sorted(unknown))}")
    if not (args.bench_tools / "make_bench.py").exists():
        raise SystemExit(f"no make_bench.py in {args.bench_tools} (see --bench-tools)")
    ra = load_run_anchors(args.bench_tools)
    install_errors = install_anchors(args.anchors, [t for t in args.tool_list if t in ANCHORS])
    out = args.work / "results" / time.strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True)
    load_at_start = os.getloadavg()[0]
    roots = [r.strip() for r in args.roots.split(",") if r.strip()]
    every = {(n, seed, root): run_one(args, ra, n, seed, root, out, install_errors)
             for root in roots for seed in int_list(args.seeds) for n in int_list(args.n)}
    all_runs = {(n, seed): runs for (n, seed, root), runs in every.items() if root == roots[0]}
    first_bench = generate(args.bench_tools, args.work, int_list(args.n)[0],
                           int_list(args.seeds)[0], roots[0])
    index_runs = query_times(args, ra, first_bench, out)
    if index_runs:
        print(f"\n### query time (reviewbot)\n\n{index_table(index_runs)}")
    print(f"\n### worst case over seeds {args.seeds} and roots {args.roots} (the headline)\n")
    print(worst_table(every, [t for t in TOOL_TITLES if t in args.tool_list]))
    print(f"\n### summary for seed {min(int_list(args.seeds))}, root {roots[0]} (issue layout; "
          "† = published with the generator, not re-measured)\n")
    print(issue_table(all_runs, [t for t in TOOL_TITLES if t in args.tool_list], index_runs))
    print_errors(all_runs, index_runs)
    save(out, {(n, f"{seed}-{root}"): runs for (n, seed, root), runs in every.items()},
         index_runs)
    print(f"\nresults: {out}; load average (1 min) at start {load_at_start:.2f}, "
          f"at the end {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
