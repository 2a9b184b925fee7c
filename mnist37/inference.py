"""One image through the lesson's model, step by step: x·w, Σ x·w + bias = logit, sigmoid, decision.

The same arithmetic as `model.linear1` (xb@weights + bias) for a single image, kept apart so the
page can show every step: the 784 products, their sum, the bias, the sigmoid and the threshold.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .model import N_PIXELS, other_digit


def sigmoid(z: float) -> float:
    """1/(1+exp(-z)) without overflow for large |z|."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def probability_text(p: float) -> str:
    """3 decimals, but never a rounded "0.000" or "1.000" for a probability that is neither."""
    if p < 0.0005:
        return "<0.001"
    if p > 0.9995:
        return ">0.999"
    return f"{p:.3f}"


def probability_relation(p: float) -> str:
    """`probability_text` after "P(3) ": "= 0.500", "> 0.999" or "< 0.001"."""
    shown = probability_text(p)
    return f"{shown[0]} {shown[1:]}" if shown[0] in "<>" else f"= {shown}"


@dataclass(frozen=True)
class Contribution:
    """One pixel's term x·w of the sum."""

    row: int
    col: int
    x: float
    w: float

    @property
    def value(self) -> float:
        return self.x * self.w


@dataclass(frozen=True)
class Inference:
    """Every number between the 784 pixels and the decision."""

    contributions: np.ndarray  # (784,) x·w, float64
    bias: float
    threshold: float
    positive: int  # the digit label 1 stands for

    @property
    def total(self) -> float:
        """Σ x·w."""
        return float(self.contributions.sum())

    @property
    def logit(self) -> float:
        """Σ x·w + bias."""
        return self.total + self.bias

    @property
    def probability(self) -> float:
        """sigmoid(logit): the model's probability that the digit is the positive digit."""
        return sigmoid(self.logit)

    @property
    def decision(self) -> int:
        """The positive digit when logit > threshold, else the other digit (model.decide)."""
        return self.positive if self.logit > self.threshold else other_digit(self.positive)

    @property
    def negative(self) -> int:
        return other_digit(self.positive)

    @property
    def n_pushing(self) -> tuple[int, int]:
        """How many pixels push the logit up (toward the positive digit) and down."""
        c = self.contributions
        return int((c > 0).sum()), int((c < 0).sum())

    def sums(self) -> tuple[float, float]:
        """(sum of the positive terms, sum of the negative terms): their total is Σ x·w."""
        c = self.contributions
        return float(c[c > 0].sum()), float(c[c < 0].sum())


def infer(x, weights, bias: float, threshold: float = 0.0, positive: int = 3) -> Inference:
    """x: the image's pixels /255 ((28, 28) or (784,)); weights (784,) or (784, 1); bias a number."""
    x = np.asarray(x, dtype=np.float64).reshape(N_PIXELS)
    w = np.asarray(weights, dtype=np.float64).reshape(N_PIXELS)
    return Inference(x * w, float(np.asarray(bias).reshape(())), float(threshold), int(positive))


def top_contributions(x, weights, k: int = 3) -> tuple[list[Contribution], list[Contribution]]:
    """The k largest terms x·w pushing up (most positive first) and the k pushing down (most
    negative first); zero terms (background pixels) are never listed."""
    x = np.asarray(x, dtype=np.float64).reshape(N_PIXELS)
    w = np.asarray(weights, dtype=np.float64).reshape(N_PIXELS)
    c = x * w
    order = np.argsort(c, kind="stable")
    up = [i for i in order[::-1][:k] if c[i] > 0]
    down = [i for i in order[:k] if c[i] < 0]
    as_c = lambda i: Contribution(int(i) // 28, int(i) % 28, float(x[i]), float(w[i]))  # noqa: E731
    return [as_c(i) for i in up], [as_c(i) for i in down]
