"""Synthetic, MNIST-shaped data set for the logistic-regression experiment.

The paper (Section 6.1) trains on MNIST. This replication runs without network
access, so instead of downloading MNIST we *render* a "digit-like" data set:
every class owns a fixed stroke skeleton (a short polyline, like a pen
trajectory), and every sample re-draws that skeleton with jittered control
points, a random pen width and pixel noise on a 28x28 canvas. The result has
MNIST's shape (784 features in [0, 1], 10 balanced classes) and is noisy enough
that logistic regression cannot fit it perfectly: its training cost stays far
from zero, as it does on MNIST.
"""

from dataclasses import dataclass

import numpy as np

IMAGE_SIDE = 28
N_CLASSES = 10
# The data set is fixed, like MNIST: its seed does not change with the training seed.
DATA_SEED = 1412


@dataclass(frozen=True)
class Dataset:
    """Flattened images and their integer labels."""

    images: np.ndarray  # shape (n, 784), float32 in [0, 1]
    labels: np.ndarray  # shape (n,), int32 in [0, N_CLASSES)


def pixel_centres() -> np.ndarray:
    """Return the (row, column) coordinates of the 784 pixels, shape (784, 2)."""
    rows, cols = np.meshgrid(np.arange(IMAGE_SIDE), np.arange(IMAGE_SIDE), indexing="ij")
    return np.stack([rows.ravel(), cols.ravel()], axis=1).astype(np.float32)


def class_skeletons(rng: np.random.Generator, n_points: int = 4) -> np.ndarray:
    """Draw one stroke skeleton per class, shape (N_CLASSES, n_points, 2).

    Control points stay inside the central 20x20 box, as MNIST digits do
    (they are centred in a 20x20 box of the 28x28 image).
    """
    return rng.uniform(4.0, 24.0, size=(N_CLASSES, n_points, 2)).astype(np.float32)


def segment_distances(points: np.ndarray, pixels: np.ndarray) -> np.ndarray:
    """Distance from every pixel to the nearest segment of every polyline.

    points: (n, k, 2) polylines; pixels: (p, 2). Returns (n, p).
    """
    nearest = np.full((points.shape[0], pixels.shape[0]), np.inf, dtype=np.float32)
    for index in range(points.shape[1] - 1):
        # Rows and columns stay separate: reducing a trailing axis of length 2 is slow.
        start_r, start_c = points[:, index, 0:1], points[:, index, 1:2]
        delta_r = points[:, index + 1, 0:1] - start_r
        delta_c = points[:, index + 1, 1:2] - start_c
        offset_r, offset_c = pixels[:, 0] - start_r, pixels[:, 1] - start_c
        # Project each pixel on the segment, clamped to the segment's end points.
        length2 = np.maximum(delta_r**2 + delta_c**2, 1e-6)
        along = np.clip((offset_r * delta_r + offset_c * delta_c) / length2, 0.0, 1.0)
        distance2 = (offset_r - along * delta_r) ** 2 + (offset_c - along * delta_c) ** 2
        nearest = np.minimum(nearest, distance2)
    return np.sqrt(nearest)


def render(points: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """Render polylines as soft pen strokes, shape (n, 784), values in [0, 1]."""
    distances = segment_distances(points, pixel_centres())
    return np.exp(-0.5 * (distances / widths[:, None]) ** 2)


def class_prototypes(seed: int = DATA_SEED, width: float = 1.2) -> np.ndarray:
    """Render every class's skeleton without jitter or noise, shape (N_CLASSES, 784).

    Uses the same random draws as `make_dataset`, so these are the exact
    skeletons the samples are drawn around.
    """
    skeletons = class_skeletons(np.random.default_rng(seed))
    return render(skeletons, np.full(N_CLASSES, width, dtype=np.float32))


def make_dataset(
    n_samples: int = 4000, jitter: float = 3.0, noise: float = 0.3, seed: int = DATA_SEED
) -> Dataset:
    """Generate the balanced synthetic data set, deterministically from `seed`.

    jitter is the standard deviation (pixels) of each control point's offset,
    noise the standard deviation of the additive pixel noise.
    """
    rng = np.random.default_rng(seed)
    skeletons = class_skeletons(rng)
    labels = np.arange(n_samples) % N_CLASSES  # balanced classes
    rng.shuffle(labels)
    points = skeletons[labels] + rng.normal(0.0, jitter, size=(n_samples, *skeletons.shape[1:]))
    widths = rng.uniform(0.8, 1.6, size=n_samples)
    images = render(points.astype(np.float32), widths.astype(np.float32))
    images = np.clip(images + rng.normal(0.0, noise, size=images.shape), 0.0, 1.0)
    return Dataset(images.astype(np.float32), labels.astype(np.int32))
