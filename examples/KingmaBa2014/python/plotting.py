"""Figures: the synthetic classes and the training-cost curves."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from data import IMAGE_SIDE, N_CLASSES, Dataset, class_prototypes
from results import Runs

# Low resolution keeps the executed notebook small enough to review on GitHub.
FIGURE_DPI = 60


def plot_samples(dataset: Dataset) -> plt.Figure:
    """Per class (column): the noise-free skeleton on top, one training image below."""
    figure, axes = plt.subplots(2, N_CLASSES, figsize=(N_CLASSES * 0.8, 1.8), dpi=FIGURE_DPI)
    prototypes = class_prototypes()
    for label in range(N_CLASSES):
        first_sample = np.flatnonzero(dataset.labels == label)[0]
        for row, image in enumerate((prototypes[label], dataset.images[first_sample])):
            axes[row, label].imshow(image.reshape(IMAGE_SIDE, IMAGE_SIDE), cmap="gray_r")
            axes[row, label].axis("off")
        axes[0, label].set_title(str(label))
    return figure


def plot_cost_curves(runs: Runs) -> plt.Figure:
    """Plot training cost against epochs, one line per optimizer (cf. Figure 1)."""
    figure, axis = plt.subplots(figsize=(6, 4), dpi=FIGURE_DPI)
    for label, (rate, curve) in runs.items():
        epochs = np.arange(1, len(curve) + 1)
        # Untuned runs are dashed, to set them apart from the tuned comparison.
        style = "--" if label.endswith("_default") else "-"
        axis.plot(epochs, curve, style, marker=".", label=f"{label} (step size {rate:g})")
    axis.set_xlabel("iterations over entire data set (epochs)")
    axis.set_ylabel("training cost")
    axis.set_ylim(bottom=0.0)
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    axis.set_title("Logistic regression on synthetic digits")
    axis.legend()
    figure.tight_layout()
    return figure
