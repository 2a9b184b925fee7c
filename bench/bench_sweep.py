"""The learning-rate sweep (13 runs of the lesson's settings) against one `train` run, in one process (goal: the sweep under 5 s on the embedded sample).

Alternating, `repeats` times: the whole sweep (`mnist37.sweep.sweep`, one intra-op thread, as it
always runs) and one `Trainer(TrainConfig()).run()` on one thread (as the CLI's bench and the
server run it). Reported: the medians, and the median of the paired ratios sweep / train (13 would
mean the sweep costs no more than its 13 runs; the machine's drift hits both sides of a pair).
"""
from __future__ import annotations

import os
import statistics
import time

import torch

from mnist37 import data
from mnist37.sweep import sweep
from mnist37.config import LR_GRID, TrainConfig
from mnist37.train import Trainer

GOAL_SECONDS = 5.0


def run(repeats: int = 7) -> dict:
    ds = data.load_embedded()
    cfg = TrainConfig()
    torch.set_num_threads(1)

    def one_train():
        return Trainer(cfg, ds).run().valid_accuracy()

    def whole_sweep():
        return sweep(cfg, ds)

    one_train(), whole_sweep()  # warm-up
    times = {"sweep": [], "train": []}
    results = {}
    order = [("sweep", whole_sweep), ("train", one_train)]
    for i in range(repeats):
        for name, fn in (order if i % 2 == 0 else order[::-1]):
            t0 = time.perf_counter()
            results[name] = fn()
            times[name].append(time.perf_counter() - t0)
    paired = [s / t for s, t in zip(times["sweep"], times["train"])]
    at1 = next(r for r in results["sweep"] if r.lr == 1.0)
    return {
        "sweep_seconds": statistics.median(times["sweep"]),
        "train_seconds": statistics.median(times["train"]),
        "ratio": statistics.median(paired),
        "sweep_seconds_all": [round(t, 4) for t in times["sweep"]],
        "paired_ratios": [round(r, 3) for r in paired],
        "runs": len(LR_GRID),
        "repeats": repeats,
        "goal_seconds": GOAL_SECONDS,
        "lr1_equals_train": at1.valid_accuracy == results["train"],
        "load_average": os.getloadavg(),
        "n_train": ds.n_train,
    }


def summary(r: dict) -> str:
    return (f"   sweep of {r['runs']} learning rates {r['sweep_seconds']:.2f} s, one train run "
            f"{r['train_seconds'] * 1000:.0f} ms (medians of {r['repeats']} alternating pairs): ratio "
            f"{r['ratio']:.1f} (goal: the sweep < {r['goal_seconds']:g} s; load average "
            f"{r['load_average'][0]:.1f}; lr 1 run equals train: {r['lr1_equals_train']})")
