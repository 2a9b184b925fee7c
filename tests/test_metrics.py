"""mnist37.metrics and mnist37.model.accuracy: the one accuracy rule, swept over thresholds, per
epoch, and the small numbers the Train page reads off a model."""
import numpy as np
import pytest
import torch

from mnist37 import data
from mnist37.baseline import linear_accuracy
from mnist37.metrics import EpochAccuracy, accuracy_sweep, class_midpoint, logit_span, thin
from mnist37.model import accuracy, batch_accuracy
from mnist37.train import TrainConfig, Trainer


@pytest.fixture(scope="module")
def trained():
    torch.set_num_threads(1)
    return Trainer(TrainConfig(epochs=3), data.load_embedded()).run()


def test_accuracy_is_the_lessons_batch_accuracy_for_torch_and_numpy():
    gen = torch.Generator().manual_seed(1)
    logits = torch.randn(300, 1, generator=gen) * 3
    targets = (torch.rand(300, 1, generator=gen) > 0.5).float()
    for t in (-1.0, 0.0, 0.7):
        want = float(((logits.sigmoid() > torch.sigmoid(torch.tensor(t))) == targets).float().mean())
        assert accuracy(logits, targets, t) == pytest.approx(want, abs=1e-6)
        assert accuracy(logits, targets, t) == pytest.approx(float(batch_accuracy(logits, targets, t)), abs=1e-6)
        assert accuracy(logits.numpy().ravel(), targets.numpy().ravel(), t) == accuracy(logits, targets, t)


def test_accuracy_refuses_mismatched_lengths_and_calls_nan_the_other_digit():
    with pytest.raises(ValueError, match="3 logits but 2 targets"):
        accuracy(np.zeros(3), np.zeros(2))
    assert accuracy(np.array([np.nan, np.nan]), np.array([1, 0])) == 0.5


def test_linear_accuracy_is_the_same_rule(trained):
    w, b = trained.params()
    assert linear_accuracy(w, b, trained.data, 3, 0.4) == trained.valid_accuracy(0.4)


def test_accuracy_sweep_matches_the_lessons_accuracy_at_every_threshold():
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(500, 1, generator=gen) * 4
    logits[::37] = float("nan")
    logits[5], logits[6] = float("inf"), float("-inf")
    targets = (torch.rand(500, 1, generator=gen) > 0.4).float()
    thresholds = np.concatenate([np.linspace(-12, 12, 97), logits[:20, 0].numpy()])  # include exact ties
    swept = accuracy_sweep(logits.numpy(), targets.numpy(), thresholds)
    expected = [accuracy(logits, targets, float(t)) for t in thresholds if np.isfinite(t)]
    assert swept[np.isfinite(thresholds)] == pytest.approx(expected, abs=1e-12)


def test_accuracy_sweep_on_a_trained_model(trained):
    z, y = trained.valid_logits().numpy(), trained.valid_y.numpy()
    assert accuracy_sweep(z, y, [0.0])[0] == trained.valid_accuracy(0.0)
    assert accuracy_sweep(z, y, [-1e9, 1e9]).tolist() == [y.mean(), 1 - y.mean()]  # all 3s / all 7s


def test_thin_keeps_short_curves_and_averages_long_ones():
    x, y = thin([3.0, 1.0, 2.0], 10)
    assert x.tolist() == [1, 2, 3] and y.tolist() == [3, 1, 2]
    v = np.random.default_rng(0).random(1003)
    x, y = thin(v, 100)
    assert len(x) == len(y) == 100
    assert 1 <= x[0] < x[-1] <= 1003 and np.all(np.diff(x) > 0)
    edges = np.linspace(0, 1003, 101).astype(int)
    assert (y * np.diff(edges)).sum() == pytest.approx(v.sum())  # every step counted exactly once


def test_logit_span():
    assert logit_span([0.5, -3]) == 10
    assert logit_span([-10.5]) == 20
    assert logit_span([21, np.nan, np.inf]) == 50
    assert logit_span([130]) == 200
    assert logit_span([]) == 10


def test_epoch_accuracy_matches_history_and_starts_at_the_random_weights(trained):
    acc = EpochAccuracy(trained, 0.5).update()
    h = trained.history(0.5)
    assert acc.epochs == [0, 1, 2, 3]
    assert acc.train[1:] == h["train_accuracy"] and acc.valid[1:] == h["valid_accuracy"]
    fresh = Trainer(trained.cfg, trained.data)  # same seed: the same random weights as epoch 0
    assert acc.valid[0] == fresh.valid_accuracy(0.5)
    assert len(acc.update().valid) == 4  # a second update adds nothing


def test_epoch_accuracy_extends_as_epochs_finish():
    t = Trainer(TrainConfig(epochs=3), data.load_embedded())
    acc = EpochAccuracy(t, 0.0)
    assert len(acc.update().valid) == 1
    t.advance_epoch()
    t.advance_epoch()
    assert acc.update().valid[1:] == t.history(0.0)["valid_accuracy"]


def test_class_midpoint_is_halfway_between_the_two_means():
    assert class_midpoint([1.0, 3.0, -2.0, -4.0], [1, 1, 0, 0]) == pytest.approx(-0.5)
    assert class_midpoint([1.0, np.inf, -2.0], [1, 1, 0]) == pytest.approx(-0.5)  # non-finite left out
