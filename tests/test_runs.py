"""mnist37.runs: a session's last 8 runs, their settings and curves, kept to compare."""
from dataclasses import replace

import pytest
import torch

from mnist37 import baseline, data
from mnist37.runs import Run, RunHistory, describe
from mnist37.train import TrainConfig, Trainer


@pytest.fixture(scope="module")
def ds():
    torch.set_num_threads(1)
    return data.load_embedded()


def test_a_run_keeps_the_trainers_curves_from_the_random_start(ds):
    t = Trainer(TrainConfig(epochs=6, lr=0.5), ds).run()
    r = Run.from_trainer(t)
    h = t.history()
    assert r.valid_accuracy[1:] == tuple(h["valid_accuracy"]) and r.valid_loss[1:] == tuple(h["valid_loss"])
    assert r.valid_accuracy[0] == baseline.init_accuracy(42, ds)  # epoch 0: the random weights
    assert r.final_accuracy == t.valid_accuracy() == r.valid_accuracy[-1]
    assert (r.steps, r.status, r.cfg, r.label) == (t.step, "done", t.cfg, "lr 0.5, epochs 6")
    expected = next((e for e, a in enumerate(r.valid_accuracy) if a >= 0.9), None)
    assert r.epochs_to_90 == expected
    assert Run.from_trainer(t, threshold=50.0).final_accuracy == pytest.approx(float((ds.y_valid == 7).mean()))


def test_epochs_to_90_is_the_first_epoch_at_90_percent_or_none():
    cfg = TrainConfig()
    run = lambda acc: Run("", cfg, 0.0, tuple(acc), tuple(acc), acc[-1], 1, "done")  # noqa: E731
    assert run([0.5, 0.85, 0.9, 0.95]).epochs_to_90 == 2
    assert run([0.5, 0.89999]).epochs_to_90 is None
    assert run([0.93, 0.5]).epochs_to_90 == 0


def test_history_keeps_the_last_eight_numbered_runs_and_clears(ds):
    h = RunHistory()
    trainers = [Trainer(TrainConfig(epochs=1, seed=s), ds).run() for s in range(10)]
    for t in trainers:
        h.add_trainer(t)
    assert len(h) == 8 and h.count == 10
    assert [r.label for r in h][0] == "#3: epochs 1, seed 2" and [r.label for r in h][-1] == "#10: epochs 1, seed 9"
    rows = h.rows()
    assert len(rows) == 8 and rows[-1]["seed"] == 9 and rows[-1]["valid accuracy"] == trainers[-1].valid_accuracy()
    assert set(rows[0]) >= {"run", "lr", "batch size", "epochs", "loss", "valid accuracy", "epochs to 90 %"}
    h.clear()
    assert len(h) == 0 and h.rows() == []
    assert h.add_trainer(trainers[0]).label == "#11: epochs 1, seed 0"  # numbers go on after a clear


def test_add_trainer_skips_untrained_and_repeated_runs(ds):
    h = RunHistory()
    t = Trainer(TrainConfig(epochs=2), ds)
    assert h.add_trainer(t) is None  # no step yet: nothing to compare
    t.advance(3)
    assert h.add_trainer(t) is not None  # reset midway: kept, with the epochs it finished (none)
    assert h.add_trainer(t) is None  # the same run at the same step (a page's next rerun)
    t.run()
    r = h.add_trainer(t)
    assert r.steps == t.step and len(r.valid_accuracy) == 3 and len(h) == 2


def test_describe_names_what_differs_from_the_lesson():
    assert describe(TrainConfig()) == "the lesson's settings"
    assert describe(TrainConfig(threshold=2.0)) == "the lesson's settings"  # read at, not trained with
    assert describe(replace(TrainConfig(), lr=0.1, loss="bce", positive=7)) == "lr 0.1, cross-entropy, positive 7"
