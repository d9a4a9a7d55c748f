"""Adam (the paper's Algorithm 1) and the two baselines, written from the update rules.

Each rule updates one parameter in place from its gradient and its own "slot"
variables (Adam's moment estimates, AdaGrad's accumulator, the momentum
velocity). The step size is passed in as a tensor, so one compiled training
graph serves every step size on the grid.
"""

from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

# Paper's defaults for Adam (Algorithm 1).
BETA1 = 0.9
BETA2 = 0.999
EPSILON = 1e-8
MOMENTUM = 0.9  # Nesterov momentum of the SGD baseline

# (parameter, gradient, slots, step number t >= 1, step size) -> None
UpdateRule = Callable[[tf.Variable, tf.Tensor, list[tf.Variable], tf.Tensor, tf.Tensor], None]


def adam_update(
    param: tf.Variable, grad: tf.Tensor, slots: list[tf.Variable], step: tf.Tensor, rate: tf.Tensor
) -> None:
    """One Adam step, Algorithm 1 of the paper line by line."""
    first_moment, second_moment = slots
    first_moment.assign(BETA1 * first_moment + (1.0 - BETA1) * grad)
    second_moment.assign(BETA2 * second_moment + (1.0 - BETA2) * tf.square(grad))
    # Bias correction: both moments start at zero and would be biased towards it.
    first_unbiased = first_moment / (1.0 - tf.pow(BETA1, step))
    second_unbiased = second_moment / (1.0 - tf.pow(BETA2, step))
    param.assign_sub(rate * first_unbiased / (tf.sqrt(second_unbiased) + EPSILON))


def adagrad_update(
    param: tf.Variable, grad: tf.Tensor, slots: list[tf.Variable], step: tf.Tensor, rate: tf.Tensor
) -> None:
    """One AdaGrad step (Duchi et al., 2011): scale by the root of the summed squares."""
    del step  # AdaGrad does not depend on the step number
    (accumulator,) = slots
    accumulator.assign_add(tf.square(grad))
    param.assign_sub(rate * grad / (tf.sqrt(accumulator) + EPSILON))


def nesterov_update(
    param: tf.Variable, grad: tf.Tensor, slots: list[tf.Variable], step: tf.Tensor, rate: tf.Tensor
) -> None:
    """One SGD step with Nesterov momentum, in Sutskever et al.'s (2013) form.

    The gradient is taken at the current parameters; the look-ahead is folded
    into the update, which is the form deep-learning libraries use.
    """
    del step  # plain momentum does not depend on the step number
    (velocity,) = slots
    velocity.assign(MOMENTUM * velocity - rate * grad)
    param.assign_add(MOMENTUM * velocity - rate * grad)


# name -> (update rule, number of slot variables per parameter)
UPDATE_RULES: dict[str, tuple[UpdateRule, int]] = {
    "adam": (adam_update, 2),
    "adagrad": (adagrad_update, 1),
    "sgd_nesterov": (nesterov_update, 1),
}


def keras_counterpart(name: str, rate: float) -> keras.optimizers.Optimizer:
    """The Keras optimizer that implements the same rule, used only as a cross-check."""
    if name == "adam":
        return keras.optimizers.Adam(rate, beta_1=BETA1, beta_2=BETA2, epsilon=EPSILON)
    if name == "adagrad":
        # Keras's default starts the accumulator at 0.1; AdaGrad's definition starts at zero.
        return keras.optimizers.Adagrad(rate, initial_accumulator_value=0.0, epsilon=EPSILON)
    if name == "sgd_nesterov":
        return keras.optimizers.SGD(rate, momentum=MOMENTUM, nesterov=True)
    raise ValueError(f"unknown optimizer {name!r}; expected one of {sorted(UPDATE_RULES)}")


def deviation_from_keras(name: str, n_steps: int = 50, rate: float = 0.01, seed: int = 0) -> float:
    """Largest parameter difference between our rule and Keras's after `n_steps`.

    Both minimise the same random quadratic from the same start. Keras's Adam
    adds epsilon before the bias correction rather than after, so Adam agrees
    only up to about 1e-7, not exactly.
    """
    rng = np.random.default_rng(seed)
    target = tf.constant(rng.normal(size=8), dtype=tf.float32)
    ours, theirs = tf.Variable(tf.zeros(8)), tf.Variable(tf.zeros(8))
    rule, n_slots = UPDATE_RULES[name]
    slots = [tf.Variable(tf.zeros(8)) for _ in range(n_slots)]
    reference = keras_counterpart(name, rate)
    for step in range(1, n_steps + 1):
        # Gradient of 0.5 * ||x - target||^2, scaled differently per coordinate.
        scales = tf.constant(rng.uniform(0.1, 2.0, size=8), dtype=tf.float32)
        rule(ours, scales * (ours - target), slots, tf.constant(float(step)), tf.constant(rate))
        reference.apply_gradients([(scales * (theirs - target), theirs)])
    return float(tf.reduce_max(tf.abs(ours - theirs)))
