from dataclasses import replace

import pytest
import torch
from torch.utils.data import DataLoader

from mnist37 import data
from mnist37.model import batch_accuracy, init_params, linear1, mnist_loss
from mnist37.config import TrainConfig
from mnist37.train import Trainer


@pytest.fixture(scope="module")
def ds():
    return data.load_embedded()


def lesson_loop(ds, lr=1.0, bs=256, epochs=3, seed=42):
    """fastbook chapter 4's loop, written plainly, with a DataLoader over (x, y) pairs."""
    train_x, train_y, valid_x, valid_y = ds.tensors(3)
    g = torch.Generator().manual_seed(seed)
    weights = init_params((28 * 28, 1), 1.0, g)
    bias = init_params(1, 1.0, g)
    dl = DataLoader(list(zip(train_x, train_y)), batch_size=bs, shuffle=True, generator=g)

    def calc_grad(xb, yb):
        preds = linear1(xb, weights, bias)
        loss = mnist_loss(preds, yb)
        loss.backward()

    for _ in range(epochs):
        for xb, yb in dl:
            calc_grad(xb, yb)
            for p in (weights, bias):
                p.data -= p.grad * lr
                p.grad.zero_()
    acc = batch_accuracy(linear1(valid_x, weights, bias), valid_y)
    return weights.detach(), bias.detach(), float(acc)


def test_trainer_gives_the_lessons_weights(ds):
    w, b, acc = lesson_loop(ds, epochs=3)
    t = Trainer(TrainConfig(epochs=3), ds).run()
    assert t.status == "done" and t.epoch == 3 and t.step == 3 * 7
    torch.testing.assert_close(t.weights.detach(), w, rtol=0, atol=1e-5)
    torch.testing.assert_close(t.bias.detach(), b, rtol=0, atol=1e-5)
    assert abs(t.valid_accuracy() - acc) < 1e-6


def test_slices_lr_changes_and_reproducibility(ds):
    whole = Trainer(TrainConfig(epochs=2), ds).run()
    sliced = Trainer(TrainConfig(epochs=2), ds)
    while not sliced.finished:
        sliced.advance(3)
    assert torch.equal(whole.weights, sliced.weights) and sliced.step == whole.step == 14
    # a learning rate changed between slices applies from the next step, without a reset
    a, b = Trainer(TrainConfig(epochs=1), ds), Trainer(TrainConfig(epochs=1), ds)
    a.advance(2), b.advance(2)
    assert torch.equal(a.weights, b.weights)
    assert b.update(replace(b.cfg, lr=0.1)) == []
    a.advance(1), b.advance(1)
    assert a.step == b.step == 3 and not torch.equal(a.weights, b.weights)


def test_history_snapshots_and_threshold_rereading(ds):
    t = Trainer(TrainConfig(epochs=4), ds)
    assert t.valid_accuracy() < 0.75  # random weights: about a coin toss
    t.run()
    h = t.history()
    assert h["epoch"] == [1, 2, 3, 4] and len(t.snapshots) == 5 and len(t.step_loss) == 28
    assert h["valid_accuracy"][-1] == t.valid_accuracy() > 0.8
    assert h["valid_loss"][-1] < h["valid_loss"][0]
    far = t.history(threshold=50.0)["valid_accuracy"][-1]
    assert far == pytest.approx(float((ds.y_valid == 7).mean()))  # everything is called "7"


def test_advance_epoch_and_time_budget(ds):
    t = Trainer(TrainConfig(epochs=3), ds)
    assert t.advance_epoch() == 7 and t.epoch == 1
    assert t.advance(seconds=0.0) == 1  # at least one step per call
    assert t.total_steps == 21


def test_huge_init_std_stops_with_a_clear_status(ds):
    # a seed whose 785 draws include one beyond 3.4 sigma: times 1e38 it overflows float32 at init
    def overflows(seed):
        g = torch.Generator().manual_seed(seed)
        return bool((torch.randn((784, 1), generator=g) * 1e38).isinf().any()
                    or (torch.randn(1, generator=g) * 1e38).isinf().any())
    seed = next(s for s in range(200) if overflows(s))
    t = Trainer(TrainConfig(std=1e38, seed=seed), ds)
    assert t.status == "diverged" and "init std" in t.message and "Reset" in t.message
    assert t.advance() == 0 and t.step == 0
    t = Trainer(TrainConfig(std=1e36, loss="bce"), ds)  # finite weights, but the logits overflow
    t.run()
    assert t.status == "diverged" and t.step == 0
    assert "Training stopped" in t.message and "Reset" in t.message
    assert torch.isfinite(t.weights).all()


def test_training_for_a_threshold_moves_the_bias(ds):
    plain = Trainer(TrainConfig(loss="bce"), ds).run()
    shifted = Trainer(TrainConfig(loss="bce", threshold=5.0, fit_threshold=True), ds).run()
    # same seed, same batches: the loss sees logit - 5, so the model learns logits about 5 higher
    # (the bias and the weights on the ink both take their share of the shift)
    shift = (shifted.valid_logits() - plain.valid_logits()).mean().item()
    assert shift == pytest.approx(5.0, abs=1.5)
    assert shifted.bias.item() > plain.bias.item()
    assert shifted.valid_accuracy() >= plain.valid_accuracy(0.0) - 0.02
    assert plain.valid_accuracy(5.0) < plain.valid_accuracy(0.0) - 0.02  # without it, 5 hurts


def test_init_std_3e37_overflows_the_logits_and_cannot_start(ds):
    """Finite random weights whose sums overflow (about 40 % of the logits are inf; mnist_loss
    stays finite and its gradients zero): the trainer says so before any step."""
    t = Trainer(TrainConfig(std=3e37), ds)
    assert torch.isfinite(t.weights).all() and not torch.isfinite(t.valid_logits()).all()
    assert t.status == "diverged"
    assert "Training cannot start" in t.message and "init std 3e+37" in t.message
    assert "overflow" in t.message and "Reset" in t.message
    assert t.advance() == 0 and t.step == 0 and t.epochs == []


def test_logits_overflowing_during_training_stop_it_and_restore_the_weights(ds):
    t = Trainer(TrainConfig(), ds)
    t.advance_epoch()
    w_epoch1, b_epoch1 = t.params()
    t.weights.data[:] = 3e37  # as if a step had left the weights this large
    t.train_step()
    assert t.status == "diverged" and "logits overflowed" in t.message and "Reset" in t.message
    w, b = t.params()
    assert (w == w_epoch1).all() and b == b_epoch1  # back at the end of epoch 1
    assert t.advance() == 0


def test_gradients_overflowing_stop_training(ds, monkeypatch):
    from mnist37 import train

    # sqrt(|p - p|) is 0 (a finite loss) but its gradient at 0 is not finite
    monkeypatch.setitem(train.LOSSES, "mnist", lambda p, y: torch.sqrt((p - p.detach()).abs()).mean())
    t = Trainer(TrainConfig(), ds)
    t.train_step()
    assert t.status == "diverged" and "gradients overflowed" in t.message
    assert torch.isfinite(t.weights).all() and t.step == 0


def test_validation_logits_overflowing_at_the_end_of_an_epoch_stop_training(ds):
    t = Trainer(TrainConfig(), ds)
    t.valid_x = t.valid_x * 1e38  # the training batches stay finite, the validation sums do not
    t.advance_epoch()
    assert t.status == "diverged" and "validation" in t.message
    assert t.epoch == 0 and t.epochs == [] and torch.isfinite(t.weights).all()


def test_train_refused_after_an_overflow_says_what_to_lower(ds):
    t = Trainer(TrainConfig(std=3e37), ds)
    assert t.refusal() == t.message and "Lower the init std" in t.refusal()
