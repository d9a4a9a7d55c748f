"""Hand-written originals and disguised copies for the similarity tests."""

ORIGINAL = '''"""Adam on a toy problem."""
import math


def adam_step(params, grads, state, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam update of every parameter."""
    state["t"] += 1
    t = state["t"]
    for i in range(len(params)):
        g = grads[i]
        state["m"][i] = beta1 * state["m"][i] + (1 - beta1) * g
        state["v"][i] = beta2 * state["v"][i] + (1 - beta2) * g * g
        m_hat = state["m"][i] / (1 - beta1 ** t)
        v_hat = state["v"][i] / (1 - beta2 ** t)
        params[i] -= lr * m_hat / (math.sqrt(v_hat) + eps)
    return params


def train(loss_grad, params, epochs=100, lr=0.01):
    state = {"t": 0, "m": [0.0] * len(params), "v": [0.0] * len(params)}
    history = []
    for epoch in range(epochs):
        loss, grads = loss_grad(params)
        if loss < 1e-6 and epoch > 10:
            print("converged at epoch", epoch)
            break
        params = adam_step(params, grads, state, lr=lr)
        history.append(loss)
    return params, history
'''

RENAMED = '''import math

# the optimiser
def update(weights, gradients, memory, rate=0.001, b1=0.9, b2=0.999, tiny=1e-8):
    memory["t"] += 1
    step = memory["t"]
    for k in range(len(weights)):
        grad = gradients[k]
        memory["m"][k] = b1 * memory["m"][k] + (1 - b1) * grad
        memory["v"][k] = b2 * memory["v"][k] + (1 - b2) * grad * grad
        first = memory["m"][k] / (1 - b1 ** step)
        second = memory["v"][k] / (1 - b2 ** step)
        weights[k] -= rate * first / (math.sqrt(second) + tiny)
    return weights


def fit(objective, weights, n_epochs=100, rate=0.01):
    memory = {"t": 0, "m": [0.0] * len(weights), "v": [0.0] * len(weights)}
    losses = []
    for e in range(n_epochs):
        value, gradients = objective(weights)
        if value < 1e-6 and e > 10:
            print("converged at epoch", e)
            break
        weights = update(weights, gradients, memory, rate=rate)
        losses.append(value)
    return weights, losses
'''

# functions swapped, statements moved, for -> while, += spelled out, comparison flipped
REWRITTEN = '''import math


def fit(objective, weights, n_epochs=100, rate=0.01):
    losses = []
    memory = {"t": 0, "m": [0.0] * len(weights), "v": [0.0] * len(weights)}
    e = 0
    while e < n_epochs:
        value, gradients = objective(weights)
        if not (1e-6 > value and 10 < e):
            weights = update(weights, gradients, memory, rate=rate)
            losses.append(value)
        else:
            print("converged at epoch", e)
            break
        e = e + 1
    return weights, losses


def update(weights, gradients, memory, rate=0.001, b1=0.9, b2=0.999, tiny=1e-8):
    memory["t"] = memory["t"] + 1
    step = memory["t"]
    k = 0
    while k < len(weights):
        grad = gradients[k]
        memory["v"][k] = b2 * memory["v"][k] + (1 - b2) * grad * grad
        memory["m"][k] = b1 * memory["m"][k] + (1 - b1) * grad
        second = memory["v"][k] / (1 - b2 ** step)
        first = memory["m"][k] / (1 - b1 ** step)
        weights[k] = weights[k] - rate * first / (math.sqrt(second) + tiny)
        k += 1
    return weights
'''

UNRELATED = '''import csv
from pathlib import Path


class Table:
    """Rows read from a CSV file."""

    def __init__(self, path):
        self.path = Path(path)
        self.rows = []

    def load(self):
        with self.path.open(newline="") as handle:
            for row in csv.DictReader(handle):
                self.rows.append({key.strip(): value for key, value in row.items()})
        return self

    def column(self, name):
        return [row[name] for row in self.rows if name in row]

    def summary(self):
        counts = {}
        for row in self.rows:
            for key in row:
                counts[key] = counts.get(key, 0) + 1
        return sorted(counts.items(), key=lambda item: -item[1])
'''

PYTHON2 = '''import math

def update(weights, gradients, memory, rate=0.001, b1=0.9, b2=0.999, tiny=1e-8):
    memory["t"] += 1
    step = memory["t"]
    for k in xrange(len(weights)):
        grad = gradients[k]
        memory["m"][k] = b1 * memory["m"][k] + (1 - b1) * grad
        memory["v"][k] = b2 * memory["v"][k] + (1 - b2) * grad * grad
        first = memory["m"][k] / (1 - b1 ** step)
        second = memory["v"][k] / (1 - b2 ** step)
        weights[k] -= rate * first / (math.sqrt(second) + tiny)
    print "updated", step
    return weights
'''


def notebook_of(source: str) -> str:
    """The source split into notebook cells at each top-level def, with a magic and markdown."""
    import nbformat

    chunks = ["%matplotlib inline"]
    current: list[str] = []
    for line in source.splitlines():
        if line.startswith("def ") and current:
            chunks.append("\n".join(current).strip("\n"))
            current = []
        current.append(line)
    chunks.append("\n".join(current).strip("\n"))
    cells = [nbformat.v4.new_markdown_cell("# Adam")]
    cells += [nbformat.v4.new_code_cell(chunk) for chunk in chunks if chunk.strip()]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "language": "python",
                                       "display_name": "Python 3"}
    return nbformat.writes(notebook)
