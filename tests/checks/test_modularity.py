"""The modularity check on real folders: each rule, where it points, its numbers, and speed."""

from __future__ import annotations

import re

import nbformat
from radon.metrics import mi_visit
from radon.visitors import ComplexityVisitor

from reviewbot.checks import modularity
from reviewbot.checks.base import CodeUnit, code_units
from reviewbot.checks.comments import SourceLines, source_lines
from reviewbot.checks.modularity import Config, run
from reviewbot.core.models import Finding, Outcome, Severity


def branchy(name: str = "classify", branches: int = 15, indent: str = "") -> str:
    """A function with ``branches`` if/elif arms: radon complexity ``branches + 1``."""
    arms = "".join(f"{indent}    {'if' if i == 0 else 'elif'} x == {i}:\n"
                   f"{indent}        return {i * 7}\n" for i in range(branches))
    return f"{indent}def {name}(x):\n{arms}{indent}    return -1\n"


def findings(outcome: Outcome, code: str) -> list[Finding]:
    return [finding for finding in outcome.findings if finding.code == code]


def notebook(*cells: tuple[str, str]) -> str:
    """A notebook from (cell type, source) pairs, as nbformat writes it to disk."""
    node = nbformat.v4.new_notebook()
    node.cells = [nbformat.v4.new_markdown_cell(source) if kind == "markdown"
                  else nbformat.v4.new_code_cell(source) for kind, source in cells]
    return nbformat.writes(node)


# A module as the DLC rules want it: small documented functions and a short entry point.
CLEAN_MODULE = '''\
"""Train a logistic regression with plain gradient descent."""

import numpy as np

LEARNING_RATE = 0.1
EPOCHS = 20


def predict(weights: np.ndarray, features: np.ndarray) -> np.ndarray:
    """Probability of the positive class for each row of ``features``."""
    return 1.0 / (1.0 + np.exp(-features @ weights))


def gradient(weights: np.ndarray, features: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Gradient of the mean cross-entropy with respect to ``weights``."""
    errors = predict(weights, features) - labels
    return features.T @ errors / len(labels)


def train(features: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Weights after ``EPOCHS`` steps of gradient descent from zero."""
    weights = np.zeros(features.shape[1])
    for _ in range(EPOCHS):
        # a fixed step size, as in Section 3 of the paper
        weights -= LEARNING_RATE * gradient(weights, features, labels)
    return weights


def main() -> None:
    """Fit on random data and print the training accuracy."""
    rng = np.random.default_rng(0)
    features = rng.normal(size=(200, 3))
    labels = (features[:, 0] > 0).astype(float)
    weights = train(features, labels)
    accuracy = ((predict(weights, features) > 0.5) == labels).mean()
    print(f"training accuracy {accuracy:.2f}")


if __name__ == "__main__":
    main()
'''


def test_a_clean_well_factored_module_has_no_findings(make_submission) -> None:
    outcome = run(make_submission({"train.py": CLEAN_MODULE}), Config())
    assert outcome.findings == ()
    assert outcome.stats["module_level_share"] == {"train.py": 0.0}
    assert outcome.stats["functions"] == 4


# ---------------------------------------------------------------- MOD001 complexity


def test_a_fifteen_branch_function_is_reported_at_its_def_line(make_submission) -> None:
    text = "import math\n\n\n" + branchy() + "\n\n" + branchy("small", branches=3)
    outcome = run(make_submission({"rules.py": text}), Config())
    (finding,) = findings(outcome, "MOD001")
    assert finding.message == "function classify has cyclomatic complexity 16 (limit 10)"
    assert (finding.path, finding.line, finding.severity) == ("rules.py", 4, Severity.WARNING)
    assert finding.fix == modularity.COMPLEX_FUNCTION.fix


def test_methods_and_closures_are_named_with_their_owner(make_submission) -> None:
    text = ("class Trainer:\n" + branchy("fit", 12, indent="    ") +
            "\n\ndef outer():\n" + branchy("inner", 11, indent="    ") + "    return inner\n")
    outcome = run(make_submission({"trainer.py": text}), Config())
    got = [(f.line, f.message) for f in findings(outcome, "MOD001")]
    assert got == [(2, "method Trainer.fit has cyclomatic complexity 13 (limit 10)"),
                   (31, "function outer.inner has cyclomatic complexity 12 (limit 10)")]


def test_the_complexity_limit_comes_from_the_config(make_submission) -> None:
    submission = make_submission({"rules.py": branchy(branches=5)})
    assert findings(run(submission, Config()), "MOD001") == []
    (finding,) = findings(run(submission, Config(max_complexity=4)), "MOD001")
    assert finding.message == "function classify has cyclomatic complexity 6 (limit 4)"


def test_a_complex_function_in_a_notebook_points_at_its_cell(make_submission) -> None:
    text = notebook(("markdown", "# Rules"), ("code", "import numpy as np"),
                    ("code", "# the decision table\n" + branchy()))
    outcome = run(make_submission({"analysis.ipynb": text}), Config())
    (finding,) = findings(outcome, "MOD001")
    raw_line = text.splitlines().index('    "def classify(x):\\n",') + 1
    assert finding.message == "function classify has cyclomatic complexity 16 (limit 10)"
    assert (finding.path, finding.cell, finding.cell_line, finding.line) == (
        "analysis.ipynb", 3, 2, raw_line)
    assert finding.where == "analysis.ipynb cell 3:2"


# ---------------------------------------------------------------- MOD002/MOD003 length


def long_function(code_lines: int) -> str:
    """A function with ``code_lines`` lines of code, plus comments, blanks and a docstring."""
    body = "".join(f"    # step {i}\n    value_{i} = value_{i - 1} + {i}\n\n"
                   for i in range(1, code_lines - 1))
    last = f"    return value_{code_lines - 2}\n"
    return f'def long_one(value_0):\n    """Many steps."""\n{body}{last}'


def test_function_length_counts_code_lines_only(make_submission) -> None:
    outcome = run(make_submission({"steps.py": "\n" + long_function(65)}), Config())
    (finding,) = findings(outcome, "MOD002")
    assert finding.message == "function long_one has 65 lines of code (limit 60)"
    assert (finding.path, finding.line) == ("steps.py", 2)
    fits = run(make_submission({"steps.py": long_function(60)}), Config())
    assert findings(fits, "MOD002") == []


def test_a_long_module_is_reported_with_its_size(make_submission) -> None:
    text = "".join(f"# constant {i}\nVALUE_{i} = {i}\n" for i in range(40))
    outcome = run(make_submission({"constants.py": text}), Config(max_module_lines=30))
    (finding,) = findings(outcome, "MOD003")
    assert finding.message == "constants.py has 40 lines of code (limit 30)"
    assert (finding.path, finding.line) == ("constants.py", None)
    assert findings(run(make_submission({"constants.py": text}), Config()), "MOD003") == []


# ---------------------------------------------------------------- MOD004 maintainability


def test_maintainability_follows_radon_and_flags_tangled_modules(make_submission) -> None:
    tangled = "".join(branchy(f"rule_{i}", 12 + i) + "\n\n" for i in range(12))
    submission = make_submission({"clean.py": CLEAN_MODULE, "tangled.py": tangled})
    outcome = run(submission, Config())
    index = {unit.path: modularity.maintainability(unit.tree, *_metrics(unit))
             for unit in code_units(submission)}
    assert abs(index["clean.py"] - mi_visit(CLEAN_MODULE, multi=True)) < 5
    assert index["tangled.py"] < 10 < 50 < index["clean.py"]
    (finding,) = findings(outcome, "MOD004")
    assert finding.message == (f"tangled.py has maintainability index {index['tangled.py']:.1f} "
                               "(radon rank C; limit 20)")
    assert (finding.path, finding.severity) == ("tangled.py", Severity.INFO)
    assert outcome.stats["maintainability"] == {path: round(value, 1)
                                                for path, value in index.items()}


def _metrics(unit: CodeUnit) -> tuple[ComplexityVisitor, SourceLines | None]:
    return ComplexityVisitor.from_ast(unit.tree), source_lines(unit.text)


# ---------------------------------------------------------------- MOD005 script style

SCRIPT = '''\
"""Train the model."""
import numpy as np

LEARNING_RATE = 0.01
EPOCHS = 3


def loss(weights, row):
    error = row @ weights - 1.0
    return error * error


data = np.random.randn(100, 3)
weights = np.zeros(3)
history = []
for epoch in range(EPOCHS):
    total = 0.0
    for row in data:
        grad = 2 * (row @ weights - 1.0) * row
        weights -= LEARNING_RATE * grad
        total += loss(weights, row)
    history.append(total)
    print(epoch, total)
best = min(history)
worst = max(history)
print("best", best)
print("worst", worst)
np.save("weights.npy", weights)
with open("history.txt", "w") as handle:
    for value in history:
        handle.write(f"{value}\\n")
if best < worst:
    print("improved")
else:
    print("did not improve")
'''


def test_a_module_written_as_a_script_is_reported(make_submission) -> None:
    outcome = run(make_submission({"train.py": SCRIPT}), Config())
    (finding,) = findings(outcome, "MOD005")
    # 22 statements from line 13 on; imports, the docstring and constants do not count
    assert finding.message == ("92% of train.py's statements run at module level (22 of 24): "
                               "move them into functions")
    assert (finding.path, finding.line, finding.severity) == ("train.py", 13, Severity.WARNING)
    assert outcome.stats["module_level_share"] == {"train.py": 0.917}


def _indented(text: str) -> str:
    return "".join(f"    {line}\n" if line else "\n" for line in text.splitlines())


def test_a_short_main_guard_is_an_entry_point_but_a_long_one_is_a_script(make_submission) -> None:
    header, script = SCRIPT.split("data = ", 1)
    as_function = header + "def main():\n" + _indented("data = " + script)
    short_guard = as_function + '\n\nif __name__ == "__main__":\n    main()\n'
    long_guard = header + 'if __name__ == "__main__":\n' + _indented("data = " + script)
    outcome = run(make_submission({"a.py": short_guard, "b.py": long_guard}), Config())
    (finding,) = findings(outcome, "MOD005")
    assert finding.message == ("92% of b.py's statements run under `if __name__ == "
                               '"__main__":`, outside any function (23 of 25): '
                               "move them into functions")
    assert "module level" not in finding.message
    assert (finding.path, finding.line) == ("b.py", 13)
    assert outcome.stats["module_level_share"]["a.py"] == 0.0


def test_small_modules_and_notebooks_are_not_judged_as_scripts(make_submission) -> None:
    small = "import numpy as np\n" + "".join(f"x{i} = np.zeros({i})\n" for i in range(19))
    code = SCRIPT.split("data = ", 1)[1]
    files = {"small.py": small, "run.ipynb": notebook(("code", "data = " + code))}
    outcome = run(make_submission(files), Config())
    assert findings(outcome, "MOD005") == []
    (finding,) = findings(run(make_submission(files), Config(min_statements_for_share=19)),
                          "MOD005")
    assert finding.message == ("100% of small.py's statements run at module level (19 of 19): "
                               "move them into functions")


# ---------------------------------------------------------------- MOD006/MOD007 copies

RNN_GRAPH = '''\
"""Graph of the base RNN."""
import numpy as np

HIDDEN = 128
STEPS = 35


def init_weights(shape, scale=0.1):
    # small random weights, as in the paper
    weights = np.random.randn(*shape) * scale
    bias = np.zeros(shape[-1])
    return weights, bias


def rnn_step(x, h, w_in, w_rec, bias):
    z = x @ w_in + h @ w_rec + bias
    return np.tanh(z)


def run_sequence(inputs, w_in, w_rec, bias):
    h = np.zeros(w_rec.shape[0])
    states = []
    for x in inputs:
        h = rnn_step(x, h, w_in, w_rec, bias)
        states.append(h)
    return np.stack(states)


def softmax(logits):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def loss(states, w_out, targets):
    logits = states @ w_out
    probs = softmax(logits)
    picked = probs[np.arange(len(targets)), targets]
    return -np.log(picked).mean()


def build_graph(vocab, seed):
    np.random.seed(seed)
    w_in, bias = init_weights((vocab, HIDDEN))
    w_rec, _ = init_weights((HIDDEN, HIDDEN))
    w_out, _ = init_weights((HIDDEN, vocab))
    return w_in, w_rec, bias, w_out


def evaluate(graph, inputs, targets):
    w_in, w_rec, bias, w_out = graph
    states = run_sequence(inputs, w_in, w_rec, bias)
    return loss(states, w_out, targets)
'''


def test_near_identical_files_are_reported_once_each(make_submission) -> None:
    second = RNN_GRAPH.replace("HIDDEN = 128", "HIDDEN = 256").replace(
        "STEPS = 35", "STEPS = 20").replace("# small random", "# tiny random")
    third = RNN_GRAPH.replace("HIDDEN = 128", "HIDDEN = 512").replace(
        "return np.tanh(z)", "return np.maximum(z, 0.0)")
    files = {"base_rnn_graph1.py": RNN_GRAPH, "base_rnn_graph2.py": second,
             "base_rnn_graph3.py": third}
    outcome = run(make_submission(files), Config())
    got = [(f.path, f.line, f.message) for f in findings(outcome, "MOD006")]
    # 36 lines of code each; 34 of them match (2 * 34 / 72 = 94%)
    assert got == [
        ("base_rnn_graph2.py", None, "base_rnn_graph2.py is 94% identical to base_rnn_graph1.py "
         "(36 and 36 lines of code): factor the shared code into one module with parameters"),
        ("base_rnn_graph3.py", None, "base_rnn_graph3.py is 94% identical to base_rnn_graph1.py "
         "(36 and 36 lines of code): factor the shared code into one module with parameters")]
    assert findings(outcome, "MOD007") == []  # their functions are the same copies
    assert outcome.stats["duplicate_files"] == 2


def test_files_that_differ_more_or_are_small_are_not_copies(make_submission) -> None:
    half = RNN_GRAPH.split("def softmax")[0]
    other = half + "def unrelated():\n" + "".join(f"    a{i} = {i}\n" for i in range(20))
    files = {"graph.py": RNN_GRAPH, "other.py": other,
             "tiny1.py": "import os\nprint(os.sep)\n", "tiny2.py": "import os\nprint(os.sep)\n"}
    outcome = run(make_submission(files), Config())
    assert findings(outcome, "MOD006") == []


LOADER = '''\
def {name}(path, limit=None):
    rows = []
    with open(path) as handle:
        for number, line in enumerate(handle):
            if limit is not None and number >= limit:
                break
            fields = line.rstrip("\\n").split(",")
            rows.append([float(value) for value in fields])
    return rows
'''


def test_near_identical_functions_name_both_places(make_submission) -> None:
    files = {"data.py": "import os\n\n\n" + LOADER.format(name="load_train"),
             "evaluation.py": LOADER.format(name="load_test") + "\n\nSPLIT = 'test'\n"}
    outcome = run(make_submission(files), Config())
    (finding,) = findings(outcome, "MOD007")
    # 9 lines of code each; all but the def line match (2 * 8 / 18 = 89%)
    assert finding.message == (
        "function load_test (evaluation.py:1, 9 lines of code) is 89% identical to "
        "function load_train (data.py:4): keep one function and pass what differs as parameters")
    assert (finding.path, finding.line, finding.severity) == ("evaluation.py", 1, Severity.WARNING)
    assert outcome.stats["duplicate_functions"] == 1


def test_a_notebook_copy_of_a_module_function_points_at_its_cell(make_submission) -> None:
    text = notebook(("markdown", "# Data"), ("code", "import numpy as np\n\n" +
                                             LOADER.format(name="read_rows")))
    outcome = run(make_submission({"data.py": LOADER.format(name="load_rows"),
                                   "analysis.ipynb": text}), Config())
    (finding,) = findings(outcome, "MOD007")
    assert finding.message.startswith(
        "function read_rows (analysis.ipynb cell 2:3, 9 lines of code) is 89% identical to "
        "function load_rows (data.py:1)")
    assert (finding.path, finding.cell, finding.cell_line) == ("analysis.ipynb", 2, 3)


def test_short_or_different_functions_are_not_copies(make_submission) -> None:
    short = "def {name}(x):\n    y = x + 1\n    z = y * 2\n    return z\n"
    text = (short.format(name="a") + "\n\n" + short.format(name="b") + "\n\n" +
            LOADER.format(name="load") + "\n\n" + branchy("decide", 4))
    outcome = run(make_submission({"misc.py": text}), Config())
    assert findings(outcome, "MOD007") == []


# ---------------------------------------------------------------- robustness, stats, speed


def test_code_that_is_not_python_3_is_skipped(make_submission) -> None:
    files = {"py2.py": 'print "hello"\n', "empty.py": "", "broken.py": "def f(:\n",
             "blank.ipynb": notebook(("code", "")), "train.py": CLEAN_MODULE}
    outcome = run(make_submission(files), Config())
    assert outcome.findings == ()
    assert set(outcome.stats["module_level_share"]) == {"empty.py", "train.py"}


def test_code_nested_too_deeply_for_radon_is_skipped_not_fatal(make_submission) -> None:
    deep = "def total(x):\n    return " + " + ".join(["x"] * 700) + "\n"
    submission = make_submission({"deep.py": deep, "rules.py": branchy()})
    assert all(unit.tree is not None for unit in code_units(submission))
    outcome = run(submission, Config())
    assert [(f.code, f.path) for f in outcome.findings] == [("MOD001", "rules.py")]
    assert outcome.stats["complexity_not_measured"] == ["deep.py"]


def test_stats_give_the_mean_and_the_worst_function(make_submission) -> None:
    outcome = run(make_submission({"rules.py": branchy() + "\n\n" + branchy("few", 1)}), Config())
    assert outcome.stats["mean_complexity"] == 9.0  # (16 + 2) / 2
    assert outcome.stats["worst_function"] == {
        "name": "classify", "path": "rules.py", "line": 1, "complexity": 16}


def test_a_large_submission_is_measured_whole(make_submission) -> None:
    def module(index: int) -> str:
        # 50 functions of 16 lines each, similar in shape but different in content
        return "".join(f"def f_{index}_{k}(x):\n" + "".join(
            f"    v{j} = x * {index * 7 + k * 3 + j} + {j * k}\n" for j in range(14)) +
            "    return v13\n\n\n" for k in range(50))
    submission = make_submission({f"m{i}.py": module(i) for i in range(12)})
    assert sum(unit.text.count("\n") for unit in code_units(submission)) > 10_000
    outcome = run(submission, Config())  # its speed is bench/static_review.py's to measure
    assert outcome.stats["functions"] == 600
    assert all(re.match(r"MOD00[1-7]$", finding.code) for finding in outcome.findings)


def test_many_fragments_are_compared_without_pairing_them_all() -> None:
    boilerplate = ["x = prepare(x)", "y = model(x)", "loss = criterion(y)", "loss.backward()"]
    fragments = [modularity.Fragment(CodeUnit(f"m{i}.py", ""), f"function f{i}", 1, tuple(
        [f"def f{i}(x):", *boilerplate, *(f"v{j} = x * {i * 10 + j}" for j in range(5))]))
        for i in range(3000)]
    # every pair shares the boilerplate; comparing all 4.5 million pairs would take minutes
    # (the speed is bench/static_review.py's to measure: no timing assertion here)
    matches = modularity.earlier_matches(fragments, 0.8)
    assert matches == {}
    copy = modularity.Fragment(CodeUnit("copy.py", ""), "function g", 1,
                               (*fragments[1234].lines[:-1], "v4 = x"))
    assert modularity.earlier_matches([*fragments, copy], 0.8) == {3000: (1234, 0.9)}
