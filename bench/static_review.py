"""Benchmark: how long a static review takes next to bare pylint, cold and after one change.

Run by hand from the repository root (not a test)::

    .venv/bin/python bench/static_review.py [--sizes 1000 7000 20000]

For each size it writes a synthetic submission (DL-style modules generated from templates
with varied names, comments and some complex functions, plus two notebooks) to a temporary
folder, then times, wall clock:

- ``reviewbot check DIR --format json`` with a cold lint cache (a fresh cache folder);
- bare single-process pylint (``python -m pylint -j 1``, default options) over the same
  modules and the notebooks' code exported as .py files;
- ``reviewbot check`` again after one module changed (warm cache).

and prints the figures with the ratios against bare pylint (targets: full <= 1.1,
re-check <= 0.3). For reference it also times one pylint process with the lint check's own
options (``pylint*``): most of the gain over bare pylint comes from those options (large
libraries such as TensorFlow are not inferred, noisy messages are off), the rest from
running two processes. Other processes on the machine skew wall-clock figures; the load
average is printed at the end.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from reviewbot.checks.lint import Config as LintConfig
from reviewbot.checks.lint import pylint_options
from reviewbot.core.submission import load

FOLDER_NAME = "SmithJonesEtAl2017"
TARGET_FULL, TARGET_RECHECK = 1.1, 0.3

NOUNS = ["encoder", "decoder", "attention", "embedding", "vocab", "corpus", "batch", "layer",
         "gradient", "optimizer", "schedule", "sampler", "tokenizer", "metric", "loss",
         "window", "context", "softmax", "logits", "kernel", "feature", "projection", "cell"]
VERBS = ["build", "compute", "load", "prepare", "apply", "update", "evaluate", "train",
         "normalize", "collect", "split", "encode", "decode", "score", "sample", "project"]
COMMENTS = ["# Scale by the square root of the dimension, as in the paper (section 3.2).",
            "# Keep the padding out of the average.",
            "# The paper clips gradients at 5; we found 1 more stable.",
            "# Shuffle once per epoch so batches differ between epochs.",
            "# Mask future positions so the model cannot look ahead."]


def words(rng: random.Random, count: int) -> str:
    return "_".join(rng.choice(NOUNS) for _ in range(count))


MODULE_HEADER = '''"""{title}: part of the replication of Smith and Jones (2017)."""

import math
import os
import random

import numpy as np
import tensorflow as tf

from {sibling} import {sibling_function}

{constant} = {value}
'''

SIMPLE_FUNCTION = '''

def {name}({arg}, {other}=None):
    """{verb} the {noun} for one batch."""
    {comment}
    result = np.asarray({arg}, dtype=np.float32)
    if {other} is not None:
        result = result * {other}
    return result / max(1.0, math.sqrt(result.size))
'''

COMPLEX_FUNCTION = '''

def {name}({arg}, steps, threshold=0.5, verbose=False):
    """{verb} the {noun} over several steps, with early stopping."""
    history = []
    best = None
    for step in range(steps):
        {comment}
        value = float(np.mean({arg})) * (step + 1)
        if value > threshold and step % 2 == 0:
            if best is None or value > best:
                best = value
            elif verbose:
                print("no improvement at step", step)
        elif value < -threshold:
            for item in {arg}:
                if item > 0 and item < threshold:
                    history.append(item)
                elif item < 0:
                    history.append(-item)
                else:
                    continue
        else:
            try:
                history.append(math.log(abs(value) + 1e-9))
            except ValueError:
                history.append(0.0)
        if len(history) > 100:
            break
    return best, history
'''

LAYER_CLASS = '''

class {cls}(tf.keras.layers.Layer):
    """A {noun} layer with a learned {other_noun} projection."""

    def __init__(self, units, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dropout = dropout
        self.dense = tf.keras.layers.Dense(units)
        self.norm = tf.keras.layers.LayerNormalization()

    def call(self, inputs, training=False):
        {comment}
        hidden = self.dense(inputs)
        if training:
            hidden = tf.nn.dropout(hidden, rate=self.dropout)
        return self.norm(hidden + inputs)

    def get_config(self):
        config = super().get_config()
        config.update({{"units": self.units, "dropout": self.dropout}})
        return config
'''

TRAIN_FUNCTION = '''

def {name}(model, dataset, epochs=3, learning_rate=1e-3):
    """Train ``model`` on ``dataset`` and return the loss of each epoch."""
    optimizer = tf.keras.optimizers.Adam(learning_rate)
    losses = []
    for epoch in range(epochs):
        total = 0.0
        for features, labels in dataset:
            with tf.GradientTape() as tape:
                logits = model(features, training=True)
                loss = tf.reduce_mean(
                    tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
            total += float(loss)
        unused = os.path.join("runs", str(epoch))
        losses.append(total / max(1, random.randint(1, 3)))
    return losses
'''


def module_text(rng: random.Random, index: int, sibling: str, target_lines: int) -> str:
    """One DL-style module of about ``target_lines`` lines."""
    parts = [MODULE_HEADER.format(title=words(rng, 2).replace("_", " ").capitalize(),
                                  sibling=sibling, sibling_function=f"helper_{sibling}",
                                  constant=words(rng, 2).upper(), value=rng.randint(1, 512))]
    parts.append(f"\n\ndef helper_module_{index}(values):\n    return list(values)\n")
    number = 0
    while sum(part.count("\n") for part in parts) < target_lines:
        number += 1
        parts.append(_piece(rng, number))
    return "".join(parts)


def _piece(rng: random.Random, number: int) -> str:
    fields = {"name": f"{rng.choice(VERBS)}_{words(rng, 2)}_{number}", "arg": rng.choice(NOUNS),
              "other": f"{rng.choice(NOUNS)}_scale", "verb": rng.choice(VERBS).capitalize(),
              "noun": rng.choice(NOUNS), "other_noun": rng.choice(NOUNS),
              "comment": rng.choice(COMMENTS),
              "cls": "".join(w.capitalize() for w in words(rng, 2).split("_")) + f"{number}"}
    template = rng.choices([SIMPLE_FUNCTION, COMPLEX_FUNCTION, LAYER_CLASS, TRAIN_FUNCTION],
                           weights=[4, 2, 2, 1])[0]
    return template.format(**fields)


def notebook_text(rng: random.Random, modules: list[str], title: str) -> str:
    """A notebook that imports some modules, with magics, markdown and a few outputs."""
    cells = [nbformat.v4.new_markdown_cell(f"# {title}\nReproduces table 2 of the paper."),
             nbformat.v4.new_code_cell("!pip install -q tensorflow\n%matplotlib inline")]
    for module in rng.sample(modules, k=min(8, len(modules))):
        cells.append(nbformat.v4.new_code_cell(
            f"import {module}\nvalues = {module}.helper_module_{module.split('_')[-1]}"
            f"(range(10))\nvalues"))
        cells.append(nbformat.v4.new_markdown_cell(f"Results of `{module}` above."))
    cells.append(nbformat.v4.new_code_cell(
        "import numpy as np\nimport matplotlib.pyplot as plt\n\n"
        "def plot_curve(points):\n    plt.plot(np.arange(len(points)), points)\n"
        "    plt.xlabel('epoch')\n    plt.show()\n\nplot_curve([3.0, 2.1, 1.7])"))
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "language": "python",
                                       "display_name": "Python 3"}
    return nbformat.writes(notebook)


def write_submission(root: Path, total_lines: int, seed: int = 7) -> Path:
    """A submission folder of about ``total_lines`` lines of Python plus two notebooks."""
    rng = random.Random(seed)
    folder = root / FOLDER_NAME
    folder.mkdir(parents=True)
    count = max(3, total_lines // 220)
    names = [f"{words(rng, 1)}_{index}" for index in range(count)]
    for index, name in enumerate(names):
        sibling = names[(index + 1) % count]
        text = module_text(rng, index, sibling, int(total_lines / count * rng.uniform(0.7, 1.3)))
        text += f"\n\ndef helper_{name}(values):\n    return sorted(values)\n"
        (folder / f"{name}.py").write_text(text)
    for title in ("replication", "ablation"):
        (folder / f"{title}.ipynb").write_text(notebook_text(rng, names, title.capitalize()))
    (folder / "README.md").write_text("# Smith and Jones (2017)\n\nRun `replication.ipynb`.\n")
    (folder / "requirements.txt").write_text("tensorflow==2.15.0\nnumpy==1.26.4\n")
    return folder


def python_lines(folder: Path) -> int:
    return sum(len(path.read_text().splitlines()) for path in folder.rglob("*.py"))


def export_for_pylint(folder: Path, target: Path) -> list[Path]:
    """The modules and each notebook's code (as reviewbot sees it) as .py files."""
    submission = load(folder)
    shutil.copytree(folder, target, ignore=shutil.ignore_patterns("*.ipynb", "*.md", "*.txt"))
    for notebook in submission.notebooks:
        (target / f"{Path(notebook.path).stem}_ipynb.py").write_text(notebook.code)
    return sorted(target.rglob("*.py"))


def reviewbot_command(folder: Path) -> list[str]:
    """The CLI when it is installed, else the pipeline driven from a one-line script."""
    script = Path(sys.executable).with_name("reviewbot")
    if script.exists():
        return [str(script), "check", str(folder), "--format", "json"]
    if importlib.util.find_spec("reviewbot.cli") is not None:
        return [sys.executable, "-m", "reviewbot.cli", "check", str(folder), "--format", "json"]
    driver = ("import sys; from pathlib import Path; from reviewbot.config import Config; "
              "from reviewbot.pipeline import review_path, select_checks; "
              "review_path(Path(sys.argv[1]), Config(), select_checks())")
    return [sys.executable, "-c", driver, str(folder)]


def timed(command: list[str], cwd: Path, env: dict[str, str], worst_ok: int = 1) -> float:
    """Seconds ``command`` took; exit codes up to ``worst_ok`` mean it ran to the end."""
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                               check=False)
    seconds = time.perf_counter() - started
    if not 0 <= completed.returncode <= worst_ok or not completed.stdout.strip():
        raise SystemExit(f"{command[:3]} failed ({completed.returncode}):\n"
                         f"{completed.stderr[-2000:]}")
    return seconds


@dataclass
class Timings:
    lines: int
    full: float
    pylint: float
    recheck: float
    pylint_same_options: float

    def row(self) -> str:
        return (f"{self.lines:>7} {self.full:>9.2f} {self.pylint:>8.2f} "
                f"{self.full / self.pylint:>6.2f} {self.recheck:>9.2f} "
                f"{self.recheck / self.pylint:>6.2f} {self.pylint_same_options:>9.2f}")


def measure(size: int, scratch: Path) -> Timings:
    folder = write_submission(scratch / f"size{size}", size)
    exported = export_for_pylint(folder, scratch / f"export{size}")
    env = {**os.environ, "REVIEWBOT_CACHE_DIR": str(scratch / f"cache{size}")}
    command = reviewbot_command(folder)
    full = timed(command, scratch, env)
    bare = timed([sys.executable, "-m", "pylint", "-j", "1", *map(str, exported)],
                 exported[0].parent, env, worst_ok=31)  # pylint: bit flags, 32 = usage
    changed = sorted(folder.glob("*.py"))[0]
    changed.write_text(changed.read_text() + "\n\ndef added_later(x):\n    return x * 2\n")
    recheck = timed(command, scratch, env)
    # For reference: one pylint process with the options the lint check uses.
    options = [f"--rcfile={os.devnull}", *pylint_options(LintConfig())]
    same = timed([sys.executable, "-m", "pylint", "-j", "1", *options, *map(str, exported)],
                 exported[0].parent, env, worst_ok=31)
    return Timings(python_lines(folder), full, bare, recheck, same)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 7000, 20000])
    arguments = parser.parse_args()
    print(f"cores: {os.cpu_count()}; reviewbot: {' '.join(reviewbot_command(Path('DIR')))}")
    print(f"{'lines':>7} {'reviewbot':>9} {'pylint':>8} {'ratio':>6} {'re-check':>9} "
          f"{'ratio':>6} {'pylint*':>9}   (seconds; targets: ratio <= {TARGET_FULL}, "
          f"re-check <= {TARGET_RECHECK}; pylint* = -j 1 with the lint check's options)")
    with tempfile.TemporaryDirectory(prefix="reviewbot-bench-") as scratch:
        for size in arguments.sizes:
            print(measure(size, Path(scratch)).row(), flush=True)
    print(f"load average (1, 5, 15 min): {os.getloadavg()}")


if __name__ == "__main__":
    main()
