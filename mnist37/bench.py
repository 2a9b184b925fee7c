"""Benchmark: the package's Trainer against the lesson's loop written plainly, same data, same process.

Both run the same SGD (same seed, batches, epochs, per-epoch validation); the ratio
trainer_seconds / plain_seconds is the Trainer's bookkeeping overhead (history, snapshots,
NaN checks, slicing). The two run back to back, in alternating order, `repeats` times; each pair
gives a ratio, and the reported ratio is the median of those paired ratios: the machine's speed
drifts (here by +-25 % within a minute), and a pair sees the same drift on both sides.
"""
from __future__ import annotations

import statistics
import time

import torch

from .data import Dataset
from .model import N_PIXELS, batch_accuracy, init_params, linear1, mnist_loss
from .train import TrainConfig, Trainer, shuffle


def plain_lesson_loop(data: Dataset, cfg: TrainConfig) -> float:
    """fastbook ch. 4's loop, plainly: calc_grad, `p.data -= p.grad*lr`, validate_epoch."""
    train_x, train_y, valid_x, valid_y = data.tensors(cfg.positive)
    gen = torch.Generator().manual_seed(cfg.seed)
    weights = init_params((N_PIXELS, 1), cfg.std, gen)
    bias = init_params(1, cfg.std, gen)
    acc = 0.0
    for _ in range(cfg.epochs):
        for idx in shuffle(len(train_x), gen).split(cfg.bs):  # DataLoader(shuffle=True)'s batches
            xb, yb = train_x[idx], train_y[idx]
            loss = mnist_loss(linear1(xb, weights, bias), yb)
            loss.backward()
            for p in (weights, bias):
                p.data -= p.grad * cfg.lr
                p.grad.zero_()
        with torch.no_grad():
            acc = float(batch_accuracy(linear1(valid_x, weights, bias), valid_y))
    return acc


def trainer_loop(data: Dataset, cfg: TrainConfig) -> float:
    return Trainer(cfg, data).run().valid_accuracy()


def bench_trainer(data: Dataset, cfg: TrainConfig | None = None, repeats: int = 7) -> dict:
    """Time both loops `repeats` times each, alternating; return medians and their ratio."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, not {repeats}")
    cfg = cfg or TrainConfig()
    times = {"trainer": [], "plain": []}
    accs = {}
    torch.set_num_threads(1)  # the same single-thread work for both; avoids thread-pool noise
    for fn in (plain_lesson_loop, trainer_loop):  # warm-up
        fn(data, cfg)
    order = [("plain", plain_lesson_loop), ("trainer", trainer_loop)]
    for i in range(repeats):
        for name, fn in (order if i % 2 == 0 else order[::-1]):
            t0 = time.perf_counter()
            accs[name] = fn(data, cfg)
            times[name].append(time.perf_counter() - t0)
    paired = [t / p for t, p in zip(times["trainer"], times["plain"])]
    return {
        "plain_seconds": statistics.median(times["plain"]),
        "trainer_seconds": statistics.median(times["trainer"]),
        "ratio": statistics.median(paired),
        "paired_ratios": [round(r, 4) for r in paired],
        "plain_valid_accuracy": accs["plain"],
        "trainer_valid_accuracy": accs["trainer"],
        "repeats": repeats,
        "n_train": data.n_train,
        "source": data.source,
    }
