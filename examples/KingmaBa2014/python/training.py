"""Minibatch training that records the full training cost after every epoch.

The paper's Figure 1 plots the training cost against epochs for Adam, AdaGrad
and SGD with Nesterov momentum, with minibatches of 128 examples and the step
size decayed as alpha / sqrt(t).
"""

import keras
import numpy as np
import tensorflow as tf

from data import Dataset
from model import LogisticRegression
from optimizers import UPDATE_RULES

BATCH_SIZE = 128  # the paper's minibatch size
OPTIMIZER_NAMES = ("adam", "adagrad", "sgd_nesterov")
# Adam's default step size in the paper.
ADAM_PAPER_STEP_SIZE = 0.001
# The paper searched the step sizes "over a dense grid" and reported the best setting.
# This half-decade grid is the same for every optimizer, and wide enough that every
# optimizer's best value lies strictly inside it.
STEP_SIZE_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0)


def decayed_step_size(initial: float, epoch: int) -> float:
    """The paper's 1/sqrt(t) decay, alpha_t = alpha / sqrt(t), with t the 1-based epoch."""
    return initial / np.sqrt(epoch)


class Trainer:
    """Trains one logistic regression with one update rule, any number of times.

    The epoch is compiled once into a TensorFlow graph and reused for every
    run and step size (the parameters are reset instead of rebuilt), which
    keeps the whole grid search within seconds on a CPU.
    """

    def __init__(self, dataset: Dataset, optimizer_name: str) -> None:
        self.images = tf.constant(dataset.images)
        self.labels = tf.constant(dataset.labels)
        self.model = LogisticRegression(dataset.images.shape[1], int(dataset.labels.max()) + 1)
        self.rule, n_slots = UPDATE_RULES[optimizer_name]
        self.slots = [
            [tf.Variable(tf.zeros_like(parameter)) for _ in range(n_slots)]
            for parameter in self.model.parameters
        ]
        self.step = tf.Variable(0.0)  # Adam's t: number of updates so far
        self.run_epoch = tf.function(self._run_epoch)

    def reset(self) -> None:
        """Zero the parameters, the optimizer's slots and the update counter."""
        self.model.reset()
        for slot in (slot for slots in self.slots for slot in slots):
            slot.assign(tf.zeros_like(slot))
        self.step.assign(0.0)

    def _run_epoch(self, order: tf.Tensor, rate: tf.Tensor) -> tf.Tensor:
        """One pass of minibatch updates in `order`; returns the full training cost."""
        n_samples = tf.shape(order)[0]
        # The last minibatch is shorter when BATCH_SIZE does not divide n_samples.
        for start in tf.range(0, n_samples, BATCH_SIZE):
            batch = order[start : start + BATCH_SIZE]
            with tf.GradientTape() as tape:
                batch_cost = self.model.cost(
                    tf.gather(self.images, batch), tf.gather(self.labels, batch)
                )
            gradients = tape.gradient(batch_cost, self.model.parameters)
            self.step.assign_add(1.0)
            for parameter, gradient, slots in zip(
                self.model.parameters, gradients, self.slots, strict=True
            ):
                self.rule(parameter, gradient, slots, self.step, rate)
        # The cost on the whole training set, the quantity Figure 1 plots.
        return self.model.cost(self.images, self.labels)

    def train(self, step_size: float, epochs: int, seed: int) -> list[float]:
        """Train from zero; return the training cost after each epoch."""
        self.reset()
        rng = np.random.default_rng(seed)  # the minibatch order depends only on the seed
        costs = []
        for epoch in range(1, epochs + 1):
            order = tf.constant(rng.permutation(len(self.labels)), dtype=tf.int32)
            rate = tf.constant(decayed_step_size(step_size, epoch), dtype=tf.float32)
            costs.append(float(self.run_epoch(order, rate)))
        return costs


def grid_search(
    trainer: Trainer, step_sizes: tuple[float, ...], epochs: int, seed: int
) -> dict[float, list[float]]:
    """Train once per step size; map step size -> cost per epoch."""
    return {rate: trainer.train(rate, epochs, seed) for rate in step_sizes}


def best_run(curves: dict[float, list[float]]) -> tuple[float, list[float]]:
    """Return the (step size, curve) pair with the lowest final training cost.

    Diverged runs (a non-finite final cost) are skipped; if all diverged, this
    raises ValueError, since no step size on the grid is usable.
    """
    finite = {rate: curve for rate, curve in curves.items() if np.isfinite(curve[-1])}
    if not finite:
        raise ValueError(f"every step size in {sorted(curves)} diverged")
    rate = min(finite, key=lambda candidate: finite[candidate][-1])
    return rate, finite[rate]


def compare_optimizers(
    dataset: Dataset, step_sizes: tuple[float, ...], epochs: int, seed: int
) -> dict[str, tuple[float, list[float]]]:
    """Tune every optimizer on the grid; map name -> (best step size, its curve).

    Adam is also run untuned at the paper's default step size, as "adam_default".
    """
    keras.utils.set_random_seed(seed)  # seeds Python, NumPy and TensorFlow alike
    runs = {}
    for name in OPTIMIZER_NAMES:
        trainer = Trainer(dataset, name)
        runs[name] = best_run(grid_search(trainer, step_sizes, epochs, seed))
        if name == "adam":
            runs["adam_default"] = (
                ADAM_PAPER_STEP_SIZE,
                trainer.train(ADAM_PAPER_STEP_SIZE, epochs, seed),
            )
    return runs
