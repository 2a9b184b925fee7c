"""One training loop for the CLI, the pages and the tests: the lesson's SGD, in slices.

`Trainer` keeps the state (weights, bias, step, epoch, history, per-epoch weight snapshots) and
advances by N mini-batch steps at a time, so a page can run it in slices and change the learning
rate between them. Its settings are a `mnist37.config.TrainConfig`.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from .config import TrainConfig, needs_reset
from .data import Dataset
from .metrics import confusion
from .model import LOSSES, N_PIXELS, accuracy, init_params, linear1


def shuffle(n: int, gen: torch.Generator) -> torch.Tensor:
    """An epoch's order, drawn exactly as `DataLoader(dset, shuffle=True, generator=gen)` draws
    it, so the Trainer's batches are the lesson's DataLoader's batches. (Per epoch the DataLoader's
    iterator takes one int64 seed, its RandomSampler one permutation, and, when the epoch is
    used up, one more permutation of which it keeps none.)"""
    torch.empty((), dtype=torch.int64).random_(generator=gen)
    perm = torch.randperm(n, generator=gen)
    torch.randperm(n, generator=gen)
    return perm


@dataclass
class EpochRecord:
    """What one epoch left behind. Logits are kept so accuracy can be re-read at any threshold."""

    epoch: int
    step: int
    train_loss: float
    valid_loss: float
    train_logits: torch.Tensor  # (n_train, 1), each sample's logit when its batch was trained
    train_targets: torch.Tensor  # (n_train, 1), in the same order
    valid_logits: torch.Tensor  # (n_valid, 1), at the end of the epoch


def _all_finite(t: torch.Tensor) -> bool:
    """No NaN or inf in `t` (the sum is the fast check; it can overflow alone only for huge values)."""
    return math.isfinite(float(t.sum())) or bool(torch.isfinite(t).all())


class Trainer:
    """The lesson's SGD loop, advanced N mini-batch steps at a time.

    `status` is "ready", "training", "done" or "diverged" (a NaN/inf in the loss or weights; the
    weights then stay at the last finite values and `message` explains).
    """

    def __init__(self, cfg: TrainConfig, data: Dataset):
        self.cfg, self.data = cfg, data
        self.train_x, self.train_y, self.valid_x, self.valid_y = data.tensors(cfg.positive)
        self.gen = torch.Generator().manual_seed(cfg.seed)
        self.weights = init_params((N_PIXELS, 1), cfg.std, self.gen)
        self.bias = init_params(1, cfg.std, self.gen)
        self.step = 0
        self.epoch = 0  # completed epochs
        self.step_loss: list[float] = []
        self.epochs: list[EpochRecord] = []
        self.snapshots = [self._snapshot()]  # snapshots[e] = (weights, bias) after epoch e
        self.status, self.message = "ready", ""
        if not (torch.isfinite(self.weights).all() and torch.isfinite(self.bias).all()):
            self.status = "diverged"
            self.message = (f"Training cannot start: init std {cfg.std:g} makes some random weights "
                            f"overflow to infinity. Lower the init std, then Reset.")
        else:
            with torch.no_grad():
                n_inf = sum(int((~torch.isfinite(linear1(x, self.weights, self.bias))).sum())
                            for x in (self.train_x, self.valid_x))
            if n_inf:
                self.status = "diverged"
                self.message = (f"Training cannot start: init std {cfg.std:g} makes {n_inf:,} of the "
                                f"{len(self.train_x) + len(self.valid_x):,} digits' logits overflow to "
                                f"infinity. Lower the init std, then Reset.")
        self._perm = None
        self._pos = 0
        self._ep_loss, self._ep_logits, self._ep_targets = [], [], []

    # --- state ---------------------------------------------------------------------------------
    def update(self, cfg: TrainConfig) -> list[str]:
        """Take new settings that apply at the next step (lr, bs, epochs, threshold, ...).

        Returns the RESET_FIELDS that changed (and then changes nothing): make a new Trainer.
        """
        changed = needs_reset(self.cfg, cfg)
        if not changed:
            self.cfg = cfg
            if self.status == "done" and self.epoch < cfg.epochs:
                self.status = "training"
        return changed

    @property
    def finished(self) -> bool:
        return self.status in ("done", "diverged")

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(len(self.train_x) / self.cfg.bs)

    @property
    def epoch_progress(self) -> float:
        """Fraction of the current epoch done."""
        return self._pos / len(self.train_x)

    @property
    def total_steps(self) -> int:
        """Steps of the whole run at the current batch size (for a progress bar)."""
        return self.step + max(0, self.cfg.epochs - self.epoch) * self.steps_per_epoch - (
            math.ceil(self._pos / self.cfg.bs) if self._perm is not None else 0)

    def _snapshot(self):
        return self.weights.detach().view(-1).clone().numpy(), float(self.bias.detach())

    # --- training ------------------------------------------------------------------------------
    def loss_input(self, logits):
        """What the loss sees: the logits, less the threshold when training for it."""
        return logits - self.cfg.threshold if self.cfg.fit_threshold else logits

    def _loss(self, logits, targets):
        return LOSSES[self.cfg.loss](self.loss_input(logits), targets)

    def peek_batch(self) -> torch.Tensor:
        """The indices of the mini-batch the next `train_step` takes, without taking it: at the start
        of an epoch the order is drawn from a copy of the generator, so the trainer's is untouched."""
        perm = self._perm
        if perm is None:
            gen = torch.Generator().set_state(self.gen.get_state())
            perm = shuffle(len(self.train_x), gen)
        return perm[self._pos:self._pos + self.cfg.bs]

    def refusal(self) -> str | None:
        """Why Train cannot go on from here (one sentence), or None when it can."""
        if self.status == "diverged":
            return self.message or "Training stopped on a NaN/inf: press Reset to start again."
        if self.status == "done":
            return (f"Finished {self.epoch} epochs. Raise Epochs to train on, or press Reset to start "
                    f"again from fresh random weights.")
        return None

    def train_step(self) -> None:
        """One mini-batch of SGD: the lesson's calc_grad then `p.data -= p.grad*lr`. Also past the
        last epoch; nothing once diverged."""
        if self.status == "diverged":
            return
        if self._perm is None:
            self._perm = shuffle(len(self.train_x), self.gen)
            self._pos = 0
        idx = self._perm[self._pos:self._pos + self.cfg.bs]
        xb, yb = self.train_x.index_select(0, idx), self.train_y.index_select(0, idx)  # train_x[idx], copied faster
        preds = linear1(xb, self.weights, self.bias)
        loss = self._loss(preds, yb)
        loss.backward()
        # One check for the step: a NaN or inf in the logits, the loss or the gradients makes the
        # sum of them all non-finite (the exact culprit is looked for only then).
        lv = float(loss.detach())
        checked = preds.detach().sum() + self.weights.grad.sum() + self.bias.grad.sum()
        if not (math.isfinite(lv) and math.isfinite(float(checked))):
            if not _all_finite(preds.detach()):
                return self._diverge(f"the logits overflowed to infinity at step {self.step + 1}")
            if not math.isfinite(lv):
                return self._diverge(f"the loss became {lv} at step {self.step + 1}")
            if not (_all_finite(self.weights.grad) and _all_finite(self.bias.grad)):
                return self._diverge(f"the gradients overflowed to infinity at step {self.step + 1}")
        # Both losses' gradients are bounded (|dL/dw| <= 1 with pixels in [0, 1]): a step of at
        # most lr <= 10 cannot take finite weights to infinity, so the weights need no check here.
        for p in (self.weights, self.bias):
            p.data -= p.grad * self.cfg.lr
            p.grad.zero_()
        self.step += 1
        self.step_loss.append(lv)
        self._ep_loss.append(lv * len(idx))
        self._ep_logits.append(preds.detach())
        self._ep_targets.append(yb)
        self._pos += len(idx)
        self.status = "training"
        if self._pos >= len(self.train_x):
            self._end_epoch()

    def _diverge(self, why: str):
        """Stop for good; the weights go back to the last epoch's snapshot (the last finite ones)."""
        w, b = self.snapshots[-1]
        self.weights.data = torch.from_numpy(w.copy()).view(N_PIXELS, 1)
        self.bias.data = torch.tensor([b], dtype=torch.float32)
        for p in (self.weights, self.bias):
            p.grad = None
        self.status = "diverged"
        self.message = (f"Training stopped: {why} (learning rate {self.cfg.lr:g}, init std "
                        f"{self.cfg.std:g}). The weights are back at the end of epoch {self.epoch}. "
                        f"Lower the learning rate or the init std, then Reset.")

    def _end_epoch(self):
        with torch.no_grad():
            valid_logits = linear1(self.valid_x, self.weights, self.bias)
            valid_loss = float(self._loss(valid_logits, self.valid_y))
        if not (_all_finite(valid_logits) and math.isfinite(valid_loss)):
            self._diverge(f"the validation logits or loss overflowed to infinity at step {self.step}")
            return
        self.epoch += 1
        self.epochs.append(EpochRecord(
            epoch=self.epoch, step=self.step,
            train_loss=sum(self._ep_loss) / self._pos, valid_loss=valid_loss,
            train_logits=torch.cat(self._ep_logits), train_targets=torch.cat(self._ep_targets),
            valid_logits=valid_logits))
        self.snapshots.append(self._snapshot())
        self._perm, self._pos = None, 0
        self._ep_loss, self._ep_logits, self._ep_targets = [], [], []
        if self.epoch >= self.cfg.epochs:
            self.status = "done"

    def advance(self, n_steps: int | None = None, seconds: float | None = None,
                on_epoch: Callable[["Trainer"], None] | None = None) -> int:
        """Run up to `n_steps` steps (and/or for up to `seconds`), stopping at the last epoch or
        on divergence. `on_epoch(trainer)` is called after each epoch. Returns the steps done."""
        start, t0 = self.step, time.perf_counter()
        while not self.finished and (n_steps is None or self.step - start < n_steps):
            epoch = self.epoch
            self.train_step()
            if on_epoch and self.epoch != epoch:
                on_epoch(self)
            if seconds is not None and time.perf_counter() - t0 >= seconds:
                break
        return self.step - start

    def advance_epoch(self, max_steps: int | None = None) -> int:
        """Run to the end of the current epoch (one whole epoch from an epoch boundary), also one
        more past the configured epochs (the run then stays done), or `max_steps` toward it.
        Nothing once diverged. Returns the steps done."""
        epoch, start = self.epoch, self.step
        while self.status != "diverged" and self.epoch == epoch and (max_steps is None or self.step - start < max_steps):
            self.train_step()
        return self.step - start

    @property
    def steps_left_in_epoch(self) -> int:
        """Mini-batch steps to the end of the current epoch."""
        return math.ceil((len(self.train_x) - self._pos) / self.cfg.bs)

    def run(self, on_epoch=None) -> "Trainer":
        """Train to the configured number of epochs."""
        self.advance(on_epoch=on_epoch)
        return self

    # --- reading -------------------------------------------------------------------------------
    def valid_logits(self) -> torch.Tensor:
        """(n_valid, 1) logits of the current weights."""
        with torch.no_grad():
            return linear1(self.valid_x, self.weights, self.bias)

    def valid_accuracy(self, threshold: float | None = None) -> float:
        t = self.cfg.threshold if threshold is None else threshold
        return accuracy(self.valid_logits(), self.valid_y, t)

    def valid_loss(self) -> float:
        with torch.no_grad():
            return float(self._loss(self.valid_logits(), self.valid_y))

    def history(self, threshold: float | None = None) -> dict[str, list]:
        """Per-epoch curves; accuracies are read at `threshold` (default: the config's)."""
        t = self.cfg.threshold if threshold is None else threshold
        return {
            "epoch": [r.epoch for r in self.epochs],
            "step": [r.step for r in self.epochs],
            "train_loss": [r.train_loss for r in self.epochs],
            "valid_loss": [r.valid_loss for r in self.epochs],
            "train_accuracy": [accuracy(r.train_logits, r.train_targets, t) for r in self.epochs],
            "valid_accuracy": [accuracy(r.valid_logits, self.valid_y, t) for r in self.epochs],
        }

    def params(self) -> tuple[np.ndarray, float]:
        """(784,) weights and the bias, as plain numbers."""
        return self._snapshot()

    def summary(self, threshold: float | None = None) -> dict:
        """The figures the CLI prints with --json."""
        last = self.epochs[-1] if self.epochs else None
        t = self.cfg.threshold if threshold is None else threshold
        z = self.valid_logits()
        return {
            "valid_accuracy": accuracy(z, self.valid_y, t),
            "confusion": confusion(z.numpy(), self.valid_y.numpy(), t),
            "train_loss": last.train_loss if last else None,
            "valid_loss": float(self._loss(z, self.valid_y)),
            "epochs": self.epoch,
            "steps": self.step,
            "n_train": self.data.n_train,
            "n_valid": self.data.n_valid,
            "source": self.data.source,
            "status": self.status,
            "message": self.message,  # why it diverged (the losses are then NaN or inf)
        }

    def __repr__(self) -> str:
        return f"Trainer({self.status}, epoch={self.epoch}, step={self.step}, data={self.data!r})"
