"""mnist37.sweep: the same settings at every learning rate of the grid, each run equal to `train`'s."""
import json
from dataclasses import replace

import torch

from mnist37 import data
from mnist37.sweep import best, sweep
from mnist37.config import LR_GRID, TrainConfig
from mnist37.train import Trainer

DS = data.load_embedded()


def test_the_sweep_at_lr_1_is_the_lessons_run_and_reports_progress():
    seen = []
    runs = sweep(TrainConfig(), DS, on_run=lambda done, total, r: seen.append((done, total, r.lr)))
    assert [r.lr for r in runs] == list(LR_GRID) and len(runs) == 13
    assert seen == [(i + 1, 13, lr) for i, lr in enumerate(LR_GRID)]
    at1 = next(r for r in runs if r.lr == 1.0)
    lesson = Trainer(TrainConfig(), DS).run()
    assert at1.valid_accuracy == lesson.valid_accuracy() and at1.valid_loss == lesson.valid_loss()
    assert at1.epochs == 20 and not any(r.diverged for r in runs)
    assert runs[0].valid_accuracy < 0.6 < 0.9 < at1.valid_accuracy  # lr 0.001 barely moves in 20 epochs
    assert best(runs).lr >= 1.0


def test_every_run_equals_a_separate_run_at_its_lr():
    cfg = TrainConfig(epochs=2, bs=64, loss="bce", seed=7)
    for r in sweep(cfg, DS):
        t = Trainer(replace(cfg, lr=r.lr), DS).run()
        assert (r.valid_accuracy, r.valid_loss, r.epochs) == (t.valid_accuracy(), t.valid_loss(), 2)


def test_the_sweep_runs_on_one_thread_and_gives_the_thread_count_back():
    before = torch.get_num_threads()
    counts = []
    sweep(TrainConfig(epochs=1), DS, lrs=(0.1, 1.0), on_run=lambda *a: counts.append(torch.get_num_threads()))
    assert counts == [1, 1] and torch.get_num_threads() == before


def test_diverged_runs_say_so_in_strict_json():
    runs = sweep(TrainConfig(epochs=1, std=1e38), DS, lrs=(0.1, 1.0))
    assert all(r.diverged for r in runs) and best(runs) is None
    out = json.dumps([r.to_json() for r in runs], allow_nan=False)  # raises on NaN/inf
    assert json.loads(out)[0]["valid_loss"] is None and json.loads(out)[0]["diverged"] is True
