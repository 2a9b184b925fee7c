"""The numbers behind the Home page's answers to the questions learners ask.

Each is a pure function of the dataset and a setting, so a page can cache it once per server.
"""
from __future__ import annotations

import numpy as np

from .baseline import linear_accuracy, valid_logits
from .config import TrainConfig
from .data import Dataset
from .session import Model
from .train import Trainer


def threshold_demo(threshold: float, data: Dataset, default: Model) -> dict:
    """Does a non-zero threshold still work? The default model read at `threshold`, the same with
    `threshold` added to its bias, and a model trained for it (the loss sees logit - threshold),
    all on the validation digits; `shift` is how far training moved the median logit."""
    cfg = TrainConfig(threshold=threshold, fit_threshold=True, positive=default.positive)
    w, b = Trainer(cfg, data).run().params()
    d = default
    shift = np.median(valid_logits(w, b, data)) - np.median(valid_logits(d.weights, d.bias, data))
    return {"default": linear_accuracy(d.weights, d.bias, data, d.positive, threshold),
            "default_shifted": linear_accuracy(d.weights, d.bias + threshold, data, d.positive, threshold),
            "trained": linear_accuracy(w, b, data, d.positive, threshold), "shift": float(shift)}


def flip_demo(positive: int, data: Dataset) -> tuple[np.ndarray, float, float]:
    """Why does logit > 0 mean the positive digit? The lesson's settings from all-zero weights
    with label 1 = `positive`: (weights, bias, valid accuracy). Only the labels differ between the
    two digits, so every number changes sign."""
    t = Trainer(TrainConfig(positive=positive, std=0.0), data).run()
    return (*t.params(), t.valid_accuracy())
