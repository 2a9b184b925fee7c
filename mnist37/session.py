"""What one learner's session decides beyond its widgets: which model is the current one.

A session may hold weights it uploaded and a model it trained; the Draw, Model and Home pages all
use the same one, chosen here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .config import TrainConfig
from .train import Trainer


@dataclass(frozen=True)
class Model:
    """The 785 numbers a prediction needs, the digit that label 1 stands for, where they came from
    and, when known, the settings that trained them."""

    weights: np.ndarray  # (784,)
    bias: float
    positive: int
    description: str
    cfg: TrainConfig | None = None

    @classmethod
    def from_trainer(cls, t: Trainer, description: str) -> "Model":
        w, b = t.params()
        w.setflags(write=False)
        return cls(w, b, t.cfg.positive, description, t.cfg)


def current_model(uploaded: Model | None, trainer: Trainer | None, default: Callable[[], Model]) -> Model:
    """Uploaded weights win; then the model trained in this session, once it has taken a step;
    else the default model (`default()` is only called when it is needed)."""
    if uploaded is not None:
        return uploaded
    if trainer is not None and trainer.step > 0:
        return Model.from_trainer(
            trainer, f"the model you trained on the Train page (epoch {trainer.epoch}, step {trainer.step})")
    return default()
