"""The lesson's first model, pixel similarity, and other ways to look at a trained linear model.

fastbook chapter 4 starts with no learning at all: average every training 3 into an "ideal 3",
every 7 into an "ideal 7", and call a digit a 3 when it is closer (mean absolute difference,
`mnist_distance`) to the ideal 3. Here too: its accuracy, the difference of the two means (which a
trained linear model's weights come to resemble), the validation digits a model gets most wrong,
and the lesson's `mnist_loss` against binary cross-entropy from the same seed.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
import torch

from .data import Dataset
from .model import N_PIXELS, accuracy, init_params, other_digit
from .train import TrainConfig, Trainer


def mnist_distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The lesson's L1 distance: (..., 28, 28) vs (28, 28) -> (...) mean absolute difference."""
    return (a - b).abs().mean((-1, -2))


@dataclass(frozen=True)
class Baseline:
    """Pixel similarity: the mean images of the training set and the validation accuracy they give."""

    mean3: np.ndarray  # (28, 28) float in [0, 1]
    mean7: np.ndarray  # (28, 28)
    accuracy: float  # validation accuracy of "closer to the mean 3 => 3"
    n_valid: int

    def difference(self, positive: int = 3) -> np.ndarray:
        """mean(positive) - mean(other digit), (28, 28): positive where the positive digit has ink."""
        return self.mean3 - self.mean7 if positive == 3 else self.mean7 - self.mean3


def pixel_similarity(data: Dataset) -> Baseline:
    """Mean 3 and mean 7 from the training images; accuracy on the validation images."""
    xt, yt = data.train_pixels.view(-1, 28, 28), torch.from_numpy(data.y_train)
    mean3, mean7 = xt[yt == 3].mean(0), xt[yt == 7].mean(0)
    xv, yv = data.valid_pixels.view(-1, 28, 28), torch.from_numpy(data.y_valid)
    is_3 = mnist_distance(xv, mean3) < mnist_distance(xv, mean7)
    correct = is_3 == (yv == 3)
    return Baseline(mean3.numpy(), mean7.numpy(), int(correct.sum()) / max(1, len(yv)), len(yv))


def valid_logits(weights: np.ndarray, bias: float, data: Dataset) -> np.ndarray:
    """(n_valid,) logits `x@w + b` of any 785 numbers on the validation images (the lesson's /255)."""
    return data.valid_pixels.numpy() @ np.asarray(weights, np.float32).reshape(N_PIXELS) + np.float32(bias)


def linear_accuracy(weights: np.ndarray, bias: float, data: Dataset, positive: int = 3,
                    threshold: float = 0.0) -> float:
    """Validation accuracy of a linear model: logit > threshold means `positive`."""
    return accuracy(valid_logits(weights, bias, data), data.y_valid == positive, threshold)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two images (1 = the same picture up to scale and offset)."""
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    a, b = a - a.mean(), b - b.mean()
    d = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / d) if d > 0 else 0.0


@dataclass(frozen=True)
class Miss:
    """One misclassified validation digit."""

    index: int  # into data.x_valid
    logit: float
    label: int  # the true digit
    predicted: int
    wrongness: float  # how far the logit is on the wrong side of the threshold (> = 0)


def misclassified(logits: np.ndarray, labels: np.ndarray, positive: int = 3,
                  threshold: float = 0.0, limit: int | None = None) -> list[Miss]:
    """Validation digits on the wrong side of the threshold, the most wrong first.

    `logits` (n,), `labels` (n,) digits. A positive digit is wrong when logit <= threshold (by
    threshold - logit); the other digit when logit > threshold (by logit - threshold).
    """
    logits, labels = np.asarray(logits, np.float64).ravel(), np.asarray(labels).ravel()
    is_pos = labels == positive
    wrongness = np.where(is_pos, threshold - logits, logits - threshold)
    wrong = np.where(is_pos, logits <= threshold, logits > threshold)
    idx = np.flatnonzero(wrong)
    idx = idx[np.argsort(-wrongness[idx], kind="stable")][:limit]
    other = other_digit(positive)
    return [Miss(int(i), float(logits[i]), int(labels[i]),
                 other if is_pos[i] else positive, float(max(0.0, wrongness[i]))) for i in idx]


def init_accuracy(seed: int, data: Dataset, std: float = 1.0, positive: int = 3) -> float:
    """Validation accuracy of `init_params` random weights (before any training) for a seed."""
    gen = torch.Generator().manual_seed(seed)
    w = init_params((N_PIXELS, 1), std, gen).detach().numpy()
    b = float(init_params(1, std, gen).detach())
    return linear_accuracy(w, b, data, positive)


def compare_losses(cfg: TrainConfig, data: Dataset,
                   run: Callable[[Trainer, int], object] = lambda t, i: t.run()) -> dict[str, dict]:
    """Train with `mnist_loss` and with BCE from the same config and seed (same initial weights,
    same batches); per loss: the per-epoch history, final validation accuracy, status, bias.
    `run(trainer, i)` trains the i-th of the two to the end (in one go by default)."""
    out = {}
    for i, loss in enumerate(("mnist", "bce")):
        t = Trainer(replace(cfg, loss=loss), data)
        run(t, i)
        w, b = t.params()
        out[loss] = {"history": t.history(), "accuracy": t.valid_accuracy(), "status": t.status,
                     "message": t.message, "bias": b, "weights": w}
    return out
