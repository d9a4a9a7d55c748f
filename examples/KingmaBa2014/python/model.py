"""The model of Section 6.1: L2-regularised multi-class logistic regression."""

import tensorflow as tf

# Weight of the L2 penalty in the training cost. The paper does not give its value;
# a small one keeps the objective strictly convex without dominating the cost.
DEFAULT_L2 = 1e-4


class LogisticRegression:
    """Softmax regression on raw pixels: logits = images @ kernel + bias.

    The parameters start at zero. The objective is convex, so the start does
    not change the optimum, and a shared start makes the optimizers' curves
    directly comparable (all begin at cost ln(n_classes)).
    """

    def __init__(self, n_features: int, n_classes: int, l2: float = DEFAULT_L2) -> None:
        self.l2 = l2
        self.kernel = tf.Variable(tf.zeros([n_features, n_classes]), name="kernel")
        self.bias = tf.Variable(tf.zeros([n_classes]), name="bias")

    @property
    def parameters(self) -> tuple[tf.Variable, tf.Variable]:
        """The trainable variables, in a fixed order."""
        return self.kernel, self.bias

    def reset(self) -> None:
        """Put the parameters back to zero, to start a new training run."""
        for parameter in self.parameters:
            parameter.assign(tf.zeros_like(parameter))

    def cost(self, images: tf.Tensor, labels: tf.Tensor) -> tf.Tensor:
        """Mean cross-entropy of the softmax plus the L2 penalty on the kernel."""
        logits = tf.matmul(images, self.kernel) + self.bias
        cross_entropy = tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits)
        return tf.reduce_mean(cross_entropy) + self.l2 * tf.reduce_sum(tf.square(self.kernel))
