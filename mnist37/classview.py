"""A class as its teacher sees it: plain data read from the class store, and what the teacher's
view computes from it (the drawings through a model, the runs as a table).

Nicknames are whatever students typed (checked: letters, digits, spaces and - _ . '): show them
as text, never as HTML or markdown.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .config import TrainConfig, from_strings, needs_reset
from .model import N_PIXELS, other_digit


class Student(NamedTuple):
    id: str  # a random token: it can travel in the student's URL
    nickname: str


class Push(NamedTuple):
    id: int  # grows by one with each push: a student applies each push id once
    settings: dict[str, str]  # TrainConfig fields as strings (only the pushed ones)


@dataclass(frozen=True)
class Member:
    """A session in a class: the class's code, and a student id (with the nickname) or the
    teacher's key."""

    code: str
    student_id: str | None = None
    nickname: str | None = None
    teacher_key: str | None = None

    @property
    def teacher(self) -> bool:
        return self.teacher_key is not None


def apply_push(cfg: TrainConfig, settings: dict[str, str]) -> tuple[TrainConfig, list[str]]:
    """A student's settings with the teacher's pushed ones applied, and the fields among them
    whose change means fresh weights (mnist37.config.needs_reset)."""
    new, _ = from_strings(dict(settings), base=cfg)
    return new, needs_reset(cfg, new)


@dataclass(frozen=True)
class Run:
    """A finished training run a student shared."""
    id: int
    student_id: str
    nickname: str
    created: float  # Unix time
    settings: dict[str, str]  # TrainConfig fields as strings
    valid_accuracy: list[float]  # one per epoch trained
    final_accuracy: float
    weights: np.ndarray  # (784,) float32, read-only
    bias: float

    @property
    def config(self) -> TrainConfig:
        """The settings as a TrainConfig (missing fields at their defaults)."""
        return from_strings(self.settings)[0]


@dataclass(frozen=True)
class Drawing:
    """A digit a student drew (or uploaded) on the Draw page."""
    id: int
    student_id: str
    nickname: str
    canvas_key: str
    updated: float  # Unix time of the last stroke
    pixels: np.ndarray  # (28, 28) float32 in [0, 1], read-only: the input the model saw
    logit: float  # the student's model's logit and decision
    decision: int
    positive: int  # the student's model's positive digit
    meant: int | None  # 3 or 7 as the student said; None: not said


@dataclass(frozen=True)
class ClassView:
    """Everything in a class: students and runs oldest first, drawings most recently drawn first."""
    code: str
    created: float  # Unix time
    revision: int  # grows with every write to the class: the same number means nothing changed
    push: Push | None  # the teacher's last push
    students: list[Student]
    runs: list[Run]
    drawings: list[Drawing]

    @property
    def counts(self) -> dict[str, int]:
        """{"Students": n, "Runs": n, "Drawings": n}: the teacher view's metrics."""
        return {"Students": len(self.students), "Runs": len(self.runs), "Drawings": len(self.drawings)}


class Reading(NamedTuple):
    """A drawing as one model reads it."""
    drawing: Drawing
    logit: float
    decision: int

    @property
    def right(self) -> bool | None:
        """Whether the decision is the digit the student meant; None when they did not say."""
        return None if self.drawing.meant is None else self.decision == self.drawing.meant


def reread(drawings: list[Drawing], weights, bias: float, threshold: float = 0.0,
           positive: int = 3) -> list[Reading]:
    """The drawings through one model: (784,) weights, bias, threshold, positive digit (`logit =
    x·w + b`, the positive digit when logit > threshold). The mistakes come first, the most wrong
    first (farthest past the threshold), then the others in the order given."""
    if not drawings:
        return []
    x = np.stack([d.pixels.reshape(N_PIXELS) for d in drawings]).astype(np.float64)
    logits = x @ np.asarray(weights, dtype=np.float64).reshape(N_PIXELS) + float(bias)
    readings = [Reading(d, float(z), positive if z > threshold else other_digit(positive))
                for d, z in zip(drawings, logits)]
    wrong = sorted((r for r in readings if r.right is False), key=lambda r: -abs(r.logit - threshold))
    return wrong + [r for r in readings if r.right is not False]


def drawings_accuracy(readings: list[Reading]) -> tuple[float | None, int]:
    """(fraction right, how many) over the drawings whose student said what they meant;
    (None, 0) when nobody did."""
    said = [r.right for r in readings if r.right is not None]
    return (sum(said) / len(said) if said else None), len(said)


def runs_table(view: ClassView) -> list[dict]:
    """One row per run, for a scatter of learning rate against final accuracy (plotly, pandas):
    run_id, nickname, lr, bs, epochs, seed, loss, std, positive, epochs_done, final_accuracy."""
    rows = []
    for run in view.runs:
        cfg = run.config
        rows.append({"run_id": run.id, "nickname": run.nickname, "lr": cfg.lr, "bs": cfg.bs,
                     "epochs": cfg.epochs, "seed": cfg.seed, "loss": cfg.loss, "std": cfg.std,
                     "positive": cfg.positive, "epochs_done": len(run.valid_accuracy),
                     "final_accuracy": run.final_accuracy})
    return rows
