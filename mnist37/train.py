"""One training loop for the CLI, the pages and the tests: the lesson's SGD, in slices.

`TrainConfig` holds every hyperparameter (the CLI flags, the page's controls and the URL query
parameters are views of it). `Trainer` keeps the state (weights, bias, step, epoch, history,
per-epoch weight snapshots) and advances by N mini-batch steps at a time, so a page can run it in
slices and change the learning rate between them.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, fields, replace
from typing import Callable

import numpy as np
import torch

from .data import Dataset
from .model import LOSSES, N_PIXELS, accuracy, init_params, linear1


def _f(default, help, **spec):
    return field(default=default, metadata={"help": help, **spec})


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters, with the lesson's settings as defaults."""

    lr: float = _f(1.0, "learning rate (the lesson's lr)", min=0.001, max=10.0)
    bs: int = _f(256, "mini-batch size", min=1, max=4096)
    epochs: int = _f(20, "epochs to train", min=1, max=200)
    std: float = _f(1.0, "std of the random initial weights and bias (init_params)", min=0.0, max=1e38)
    seed: int = _f(42, "seed for the initial weights and the shuffling", min=0, max=2**31 - 1)
    loss: str = _f("mnist", "loss: the lesson's mnist_loss or binary cross-entropy", choices=("mnist", "bce"))
    positive: int = _f(3, "the digit with label 1 (logit > threshold means this digit)", choices=(3, 7))
    threshold: float = _f(0.0, "decision threshold on the logit (0 <=> probability 0.5)", min=-10.0, max=10.0)
    source: str = _f("embedded", "data: the embedded sample, full MNIST, or a folder path", choices=("embedded", "mnist"))
    fit_threshold: bool = _f(False, "train for this threshold: the loss sees logit - threshold")

    def __post_init__(self):
        errors = validate(self)
        if errors:
            raise ValueError("; ".join(errors))


# Changing one of these means a different experiment: start again from fresh weights.
RESET_FIELDS = ("source", "std", "seed", "loss", "positive")
FIELDS = {f.name: f for f in fields(TrainConfig)}


def spec(name: str) -> dict:
    """The metadata of a config field: help, min/max or choices, default."""
    f = FIELDS[name]
    return {**f.metadata, "default": f.default, "type": type(f.default)}


def validate(cfg: TrainConfig) -> list[str]:
    """Errors, one sentence each, for values outside the fields' ranges."""
    errors = []
    for name, f in FIELDS.items():
        v, m = getattr(cfg, name), f.metadata
        if isinstance(f.default, float) and not (isinstance(v, (int, float)) and math.isfinite(v)):
            errors.append(f"{name} must be a finite number, not {v!r}")
        elif "min" in m and not (m["min"] <= v <= m["max"]):
            errors.append(f"{name} must be between {m['min']:g} and {m['max']:g}, not {v!r}")
        elif "choices" in m and v not in m["choices"] and not (name == "source" and isinstance(v, str) and v):
            errors.append(f"{name} must be one of {', '.join(map(str, m['choices']))}, not {v!r}")
    return errors


def from_strings(values: dict, base: TrainConfig | None = None) -> tuple[TrainConfig, list[str]]:
    """Build a config from string values (URL query parameters, form fields).

    Unknown keys are ignored; a bad or out-of-range value keeps the base value and adds a notice.
    """
    cfg, notices = base or TrainConfig(), []
    for name, raw in values.items():
        if name not in FIELDS:
            continue
        kind = type(FIELDS[name].default)
        try:
            if kind is bool:
                if str(raw).lower() not in ("1", "0", "true", "false"):
                    raise ValueError
                v = str(raw).lower() in ("1", "true")
            else:
                v = kind(float(raw)) if kind is int and float(raw).is_integer() else kind(raw)
            cfg = replace(cfg, **{name: v})
        except (ValueError, TypeError) as e:
            msg = str(e) if str(e) else f"{name}={raw!r} is not a valid {kind.__name__}"
            notices.append(msg)
    return cfg, notices


def to_strings(cfg: TrainConfig) -> dict[str, str]:
    """The config as strings, the inverse of `from_strings` (for URLs)."""
    return {name: (str(int(v)) if isinstance(v, bool) else f"{v:g}" if isinstance(v, float) else str(v))
            for name in FIELDS for v in [getattr(cfg, name)]}


def needs_reset(old: TrainConfig, new: TrainConfig) -> list[str]:
    """The fields whose change means fresh weights."""
    return [n for n in RESET_FIELDS if getattr(old, n) != getattr(new, n)]


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
    def _loss(self, logits, targets):
        if self.cfg.fit_threshold:
            logits = logits - self.cfg.threshold
        return LOSSES[self.cfg.loss](logits, targets)

    def train_step(self) -> None:
        """One mini-batch of SGD: the lesson's calc_grad then `p.data -= p.grad*lr`."""
        if self._perm is None:
            self._perm = shuffle(len(self.train_x), self.gen)
            self._pos = 0
        idx = self._perm[self._pos:self._pos + self.cfg.bs]
        xb, yb = self.train_x[idx], self.train_y[idx]
        preds = linear1(xb, self.weights, self.bias)
        if not _all_finite(preds.detach()):
            self._diverge(f"the logits overflowed to infinity at step {self.step + 1}")
            return
        loss = self._loss(preds, yb)
        loss.backward()
        lv = float(loss.detach())
        if not math.isfinite(lv):
            self._diverge(f"the loss became {lv} at step {self.step + 1}")
            return
        if not (_all_finite(self.weights.grad) and _all_finite(self.bias.grad)):
            self._diverge(f"the gradients overflowed to infinity at step {self.step + 1}")
            return
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

    def advance_epoch(self) -> int:
        """Run to the end of the current epoch (one whole epoch from an epoch boundary)."""
        epoch = self.epoch
        start = self.step
        while not self.finished and self.epoch == epoch:
            self.train_step()
        return self.step - start

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
        return {
            "valid_accuracy": self.valid_accuracy(threshold),
            "train_loss": last.train_loss if last else None,
            "valid_loss": self.valid_loss(),
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
