"""The learning-rate sweep: the same settings trained at every learning rate of the page's grid.

Each run is `Trainer(replace(cfg, lr=lr), data).run()`, the very run `python -m mnist37 train --lr
LR` makes: the same seed, so the same initial weights and the same mini-batches, for the full
epochs. On the embedded sample one run takes a few hundredths of a second, so the 13 run one
after the other (`python -m bench sweep` measures it), each on one intra-op thread: a (256, 784)
matmul gains nothing from more, and on a busy machine a second thread waits for a core and slows
every step down many times over (it gives the same numbers: the runs stay equal to `train`'s).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Callable

import torch

from .data import Dataset
from .config import LR_GRID, TrainConfig
from .train import Trainer


@dataclass(frozen=True)
class SweepRun:
    lr: float
    valid_accuracy: float
    valid_loss: float  # may be NaN or inf for a diverged run
    diverged: bool  # the run stopped on a NaN/inf (its weights are the last finite ones)
    epochs: int  # epochs completed

    def to_json(self) -> dict:
        """Strict JSON: a non-finite number becomes null."""
        finite = lambda v: v if math.isfinite(v) else None
        return {"lr": self.lr, "valid_accuracy": finite(self.valid_accuracy),
                "valid_loss": finite(self.valid_loss), "diverged": self.diverged, "epochs": self.epochs}


def sweep(cfg: TrainConfig, data: Dataset, lrs=LR_GRID,
          on_run: Callable[[int, int, SweepRun], None] | None = None,
          train: Callable[[Trainer, int], object] = lambda t, i: t.run()) -> list[SweepRun]:
    """Train `cfg` at each learning rate in `lrs`, from the same seed, for cfg.epochs epochs.
    `on_run(done, total, run)` is called after each run (for a progress bar); `train(trainer, i)`
    trains the i-th run to its end (in one go by default)."""
    runs, threads = [], torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for i, lr in enumerate(lrs):
            t = Trainer(replace(cfg, lr=float(lr)), data)
            train(t, i)
            loss = t.valid_loss()
            run = SweepRun(lr=float(lr), valid_accuracy=t.valid_accuracy(), valid_loss=loss,
                           diverged=t.status == "diverged" or not math.isfinite(loss), epochs=t.epoch)
            runs.append(run)
            if on_run:
                on_run(i + 1, len(lrs), run)
    finally:
        torch.set_num_threads(threads)
    return runs


def best(runs: list[SweepRun]) -> SweepRun | None:
    """The run with the highest valid accuracy (the smallest lr among ties), ignoring diverged ones."""
    ok = [r for r in runs if not r.diverged]
    return max(ok, key=lambda r: (r.valid_accuracy, -r.lr)) if ok else None
