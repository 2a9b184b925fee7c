"""Fool the model: the fewest pixels to add (set to 1) or erase (set to 0) to flip its decision.

The logit is Σ x·w + bias, so its gradient with respect to the input is the weights: setting pixel
i to 1 changes the logit by w_i·(1 − x_i), erasing it by −w_i·x_i. To flip a decision the logit
must cross the threshold, so each pixel's best move is the one toward the other side, and the
pixels with the largest moves, taken greedily, cross it with the fewest pixels. For a linear model
that is the minimum: any k pixels move the logit at most as far as the k largest moves.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .inference import infer
from .model import N_PIXELS


@dataclass(frozen=True)
class Change:
    """One pixel to change: to 1 (add ink) or to 0 (erase), and how far that moves the logit."""

    row: int
    col: int
    old: float
    new: float  # 1.0 = add, 0.0 = erase
    delta: float  # the logit's change: w·(new - old)

    @property
    def add(self) -> bool:
        return self.new == 1.0


@dataclass(frozen=True)
class Fooled:
    """How to flip the decision, or that it cannot be flipped."""

    changes: tuple[Change, ...]  # the pixels to change, largest move first (all helpful ones if it cannot flip)
    logit_before: float
    logit_after: float  # with the changes made
    decision_before: int
    decision_after: int
    threshold: float
    x_after: np.ndarray  # (28, 28) the input with the changes made

    @property
    def flipped(self) -> bool:
        return self.decision_after != self.decision_before

    @property
    def count(self) -> int | None:
        """How many pixels it takes; None when even every helpful pixel is not enough."""
        return len(self.changes) if self.flipped else None


def fool(x, weights, bias: float, threshold: float = 0.0, positive: int = 3) -> Fooled:
    """x: (28, 28) or (784,) pixels in [0, 1]; weights (784,); the model's bias, threshold and
    positive digit. The logits are the Draw page's (`mnist37.inference.infer`, float64)."""
    x = np.clip(np.asarray(x, dtype=np.float64).reshape(N_PIXELS), 0.0, 1.0)
    w = np.asarray(weights, dtype=np.float64).reshape(N_PIXELS)
    before = infer(x, w, bias, threshold, positive)
    down = before.logit > threshold  # called positive: the logit must come down to the threshold
    add, erase = w * (1 - x), -w * x  # each pixel's move when set to 1 / to 0
    move = np.minimum(add, erase) if down else np.maximum(add, erase)
    to_one = (add < erase) if down else (add > erase)
    helpful = np.flatnonzero(move < 0 if down else move > 0)
    order = helpful[np.argsort(-np.abs(move[helpful]), kind="stable")]

    def apply(k: int) -> np.ndarray:
        xa = x.copy()
        idx = order[:k]
        xa[idx] = np.where(to_one[idx], 1.0, 0.0)
        return xa

    def flips(k: int) -> bool:
        return infer(apply(k), w, bias, threshold, positive).decision != before.decision

    # Prefix sums say where the logit crosses; the check with `infer` settles rounding at the edge.
    reach = before.logit + np.cumsum(move[order])
    crossed = np.flatnonzero(reach <= threshold if down else reach > threshold)
    k = int(crossed[0]) + 1 if len(crossed) else len(order)
    while k < len(order) and not flips(k):
        k += 1
    while k > 1 and flips(k - 1):
        k -= 1
    xa = apply(k)
    after = infer(xa, w, bias, threshold, positive)
    changes = tuple(Change(int(i) // 28, int(i) % 28, float(x[i]), float(xa[i]), float(w[i] * (xa[i] - x[i])))
                    for i in order[:k])
    return Fooled(changes, before.logit, after.logit, before.decision, after.decision, float(threshold),
                  xa.reshape(28, 28))
