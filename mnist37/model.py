"""The lesson's model, by the lesson's names (fastbook chapter 4).

A linear model: 784 weights and a bias. `linear1(xb) = xb@weights + bias` gives a logit per image;
the decision is `logit > threshold` (threshold 0 <=> sigmoid(logit) > 0.5); label 1 = the
positive digit (3 by default, as in the lesson).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

N_PIXELS = 28 * 28


def init_params(size, std: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
    """`(torch.randn(size)*std).requires_grad_()`; pass a generator to make it reproducible."""
    return (torch.randn(size, generator=generator) * std).requires_grad_()


def linear1(xb: torch.Tensor, weights: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """(n, 784) @ (784, 1) + (1,) -> (n, 1) logits."""
    return xb @ weights + bias


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """1/(1+exp(-x)): squashes a logit into a probability in (0, 1)."""
    return 1 / (1 + torch.exp(-x))


def mnist_loss(predictions: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The lesson's loss: (n, 1) logits, (n, 1) targets -> mean distance of sigmoid to the target."""
    predictions = predictions.sigmoid()
    return torch.where(targets == 1, 1 - predictions, predictions).mean()


def bce_loss(predictions: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy on (n, 1) logits and (n, 1) targets (numerically stable form)."""
    return F.binary_cross_entropy_with_logits(predictions, targets)


LOSSES = {"mnist": mnist_loss, "bce": bce_loss}


def predict(logits: torch.Tensor, threshold: float = 0.0) -> torch.Tensor:
    """The decision rule: True (= the positive digit) where logit > threshold."""
    return logits > threshold


def batch_accuracy(xb: torch.Tensor, yb: torch.Tensor, threshold: float = 0.0) -> torch.Tensor:
    """The lesson's metric: xb are (n, 1) logits, yb (n, 1) targets -> fraction correct.

    The lesson writes `(xb.sigmoid() > 0.5) == yb`; comparing the logit with the threshold is the
    same rule (sigmoid(t) is monotonic) without computing the sigmoid.
    """
    return (predict(xb, threshold) == (yb == 1)).float().mean()


def accuracy(logits, targets, threshold: float = 0.0) -> float:
    """`batch_accuracy` as an exact Python float (correct / n), for reports: the one accuracy
    every view reads. `logits` and `targets` (1 = the positive digit) are torch tensors or numpy
    arrays of n values each, (n, 1) or (n,); a NaN logit is called the other digit."""
    logits, targets = torch.as_tensor(logits), torch.as_tensor(targets)
    if logits.numel() != targets.numel():
        raise ValueError(f"{logits.numel()} logits but {targets.numel()} targets")
    correct = predict(logits.reshape(-1), threshold) == (targets.reshape(-1) == 1)
    return int(correct.sum()) / max(1, correct.numel())


def decide(logit: float, threshold: float = 0.0, positive: int = 3) -> int:
    """The digit a logit stands for: `positive` when logit > threshold, else the other digit."""
    return positive if logit > threshold else other_digit(positive)


def other_digit(positive: int) -> int:
    return 7 if positive == 3 else 3
