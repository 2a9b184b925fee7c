"""Runs side by side: a session's last few finished or reset runs, kept to compare.

Each `Run` keeps its settings and its validation curves (epoch 0 = the random start), never the
Trainer itself, so eight of them cost a few kilobytes.
"""
from __future__ import annotations

import weakref
from collections import deque
from dataclasses import dataclass, fields, replace

import torch

from .config import LOSS_NAMES
from .model import accuracy, linear1
from .train import TrainConfig

TARGET = 0.9  # "epochs to 90 %": the first epoch whose valid accuracy reaches this


def describe(cfg: TrainConfig) -> str:
    """The settings that differ from the lesson's, in a few words ("lr 0.1, cross-entropy")."""
    default = TrainConfig()
    parts = []
    for f in fields(TrainConfig):
        v = getattr(cfg, f.name)
        if v == getattr(default, f.name) or f.name == "threshold":
            continue
        parts.append({"loss": LOSS_NAMES.get(v, v), "fit_threshold": "trained for the threshold",
                      "positive": f"positive {v}", "source": f"{v} data"}.get(
            f.name, f"{f.name} {v:g}" if isinstance(v, float) else f"{f.name} {v}"))
    return ", ".join(parts) or "the lesson's settings"


@dataclass(frozen=True)
class Run:
    """One run's settings and validation curves (read at `threshold`)."""

    label: str
    cfg: TrainConfig
    threshold: float
    valid_accuracy: tuple[float, ...]  # per epoch, epoch 0 = the random initial weights
    valid_loss: tuple[float, ...]  # per epoch, the same
    final_accuracy: float  # of the weights the run ended with (also mid-epoch, for a reset run)
    steps: int
    status: str  # the Trainer's: "done", "diverged", or "training"/"ready" for a run reset midway

    @property
    def epochs_to_90(self) -> int | None:
        """The first epoch whose valid accuracy is at least 90 %, or None if none is."""
        return next((e for e, a in enumerate(self.valid_accuracy) if a >= TARGET), None)

    @classmethod
    def from_trainer(cls, trainer, label: str = "", threshold: float | None = None) -> "Run":
        t = trainer.cfg.threshold if threshold is None else float(threshold)
        w0, b0 = trainer.snapshots[0]
        w0 = torch.from_numpy(w0.copy()).view(-1, 1)
        with torch.no_grad():
            z0 = linear1(trainer.valid_x, w0, torch.tensor([b0], dtype=torch.float32))
            loss0 = float(trainer._loss(z0, trainer.valid_y))
        acc = [accuracy(z0, trainer.valid_y, t)] + [accuracy(r.valid_logits, trainer.valid_y, t)
                                                      for r in trainer.epochs]
        return cls(label=label or describe(trainer.cfg), cfg=trainer.cfg, threshold=t,
                   valid_accuracy=tuple(acc), valid_loss=(loss0, *(r.valid_loss for r in trainer.epochs)),
                   final_accuracy=trainer.valid_accuracy(t), steps=trainer.step, status=trainer.status)


class RunHistory:
    """The last `size` runs of a session, oldest first. Each is numbered in its label ("#3: lr 0.1")."""

    def __init__(self, size: int = 8):
        self.runs: deque[Run] = deque(maxlen=size)
        self.count = 0  # runs added since the start, for their numbers
        self._last = None  # (weak reference to the trainer, step) last added

    def add(self, run: Run) -> Run:
        self.count += 1
        run = replace(run, label=f"#{self.count}: {run.label}")
        self.runs.append(run)
        return run

    def add_trainer(self, trainer, threshold: float | None = None) -> Run | None:
        """Keep a trainer's run (when it finishes, or before a reset); None if it took no step yet
        or is the run added last at the same step (a page may call this on every rerun)."""
        if trainer.step == 0:
            return None
        if self._last is not None and self._last[0]() is trainer and self._last[1] == trainer.step:
            return None
        self._last = (weakref.ref(trainer), trainer.step)
        return self.add(Run.from_trainer(trainer, threshold=threshold))

    def clear(self) -> None:
        self.runs.clear()
        self._last = None

    def rows(self) -> list[dict]:
        """A table, one row per run, oldest first: its settings, final valid accuracy, epochs to 90 %."""
        return [{"run": r.label, "lr": r.cfg.lr, "batch size": r.cfg.bs, "epochs": len(r.valid_accuracy) - 1,
                 "loss": LOSS_NAMES[r.cfg.loss], "init std": r.cfg.std, "seed": r.cfg.seed,
                 "positive": r.cfg.positive, "threshold": r.threshold, "steps": r.steps,
                 "valid accuracy": r.final_accuracy, "epochs to 90 %": r.epochs_to_90, "status": r.status}
                for r in self.runs]

    def __len__(self) -> int:
        return len(self.runs)

    def __iter__(self):
        return iter(self.runs)

    def __repr__(self) -> str:
        return f"RunHistory({len(self)} of {self.runs.maxlen} runs)"
