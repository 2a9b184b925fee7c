"""mnist37.sgd_step: the next SGD step worked out without taking it, checked against the lesson's
loop written plainly and against the Trainer's own train_step, bit for bit."""
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from mnist37 import data
from mnist37.model import init_params, linear1, mnist_loss
from mnist37.sgd_step import fingerprint, overshoot, preview, take
from mnist37.train import TrainConfig, Trainer


@pytest.fixture(scope="module")
def ds():
    torch.set_num_threads(1)
    return data.load_embedded()


def state(t: Trainer) -> tuple:
    """Everything a preview must leave alone."""
    grads = tuple(None if p.grad is None else p.grad.clone() for p in (t.weights, t.bias))
    return (t.weights.detach().clone(), t.bias.detach().clone(), t.gen.get_state().clone(), t.step,
            None if t._perm is None else t._perm.clone(), t._pos, *grads)


def same_state(a: tuple, b: tuple) -> bool:
    same = lambda x, y: torch.equal(x, y) if isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor) else x == y
    return all(same(x, y) for x, y in zip(a, b))


def test_the_first_step_is_the_lessons_first_step(ds):
    """The lesson's calc_grad on the DataLoader's first batch, written plainly, for the same seed."""
    train_x, train_y, _, _ = ds.tensors(3)
    g = torch.Generator().manual_seed(42)
    weights, bias = init_params((28 * 28, 1), 1.0, g), init_params(1, 1.0, g)
    xb, yb = next(iter(DataLoader(list(zip(train_x, train_y)), batch_size=256, shuffle=True, generator=g)))
    preds = linear1(xb, weights, bias)
    loss = mnist_loss(preds, yb)
    loss.backward()
    lr = 1.0
    after = weights.detach() - weights.grad * lr

    p = preview(Trainer(TrainConfig(), ds))
    assert p.step == 0 and len(p.indices) == 256
    np.testing.assert_array_equal(p.images.reshape(-1, 784), xb.numpy())
    np.testing.assert_array_equal(p.targets, yb.view(-1).numpy())
    np.testing.assert_allclose(p.logits, preds.detach().view(-1).numpy(), rtol=0, atol=1e-5)
    np.testing.assert_allclose(p.preds, preds.detach().sigmoid().view(-1).numpy(), rtol=0, atol=1e-6)
    assert p.loss_before == pytest.approx(float(loss.detach()), abs=1e-7)
    np.testing.assert_allclose(p.weights_grad, weights.grad.view(-1).numpy(), rtol=0, atol=1e-7)
    assert p.bias_grad == pytest.approx(float(bias.grad), abs=1e-7)
    np.testing.assert_allclose(p.weights_after, after.view(-1).numpy(), rtol=0, atol=1e-7)
    with torch.no_grad():
        loss_after = float(mnist_loss(linear1(xb, after, bias - bias.grad * lr), yb))
    assert p.loss_after == pytest.approx(loss_after, abs=1e-7)
    right = (preds.detach().view(-1) > 0) == (yb.view(-1) == 1)
    np.testing.assert_array_equal(p.right, right.numpy())
    assert p.n_wrong == int((~right).sum())


@pytest.mark.parametrize("cfg", [TrainConfig(), TrainConfig(loss="bce", lr=0.5, bs=100),
                                 TrainConfig(threshold=2.0, fit_threshold=True, positive=7, bs=1000)])
def test_preview_changes_nothing_and_equals_train_step_bit_for_bit(ds, cfg):
    """Over the first 1.5 epochs (a fresh epoch's order, mid-epoch, the last short batch, the next
    epoch): the preview leaves the trainer alone, and the step then taken is exactly the one shown."""
    t = Trainer(cfg, ds)
    for _ in range(int(t.steps_per_epoch * 1.5) + 1):
        before = state(t)
        p = preview(t)
        assert same_state(before, state(t))  # weights, generator, position, gradients untouched
        assert np.array_equal(p.indices, t.peek_batch().numpy())
        assert np.array_equal(p.weights_before, t.params()[0])
        step = t.step
        assert take(t, p)
        assert t.step == step + 1
        w, b = t.params()
        assert np.array_equal(w, p.weights_after) and np.float32(b) == np.float32(p.bias_after)
        # the change is -lr x grad, in the trainer's float32 arithmetic
        assert np.array_equal(p.weights_before + p.update, w)
        assert np.array_equal(p.update, -(p.weights_grad * np.float32(cfg.lr)))
        assert np.float32(p.bias_before) + np.float32(p.bias_update) == np.float32(b)
        assert p.fingerprint_after == fingerprint(w, b) != p.fingerprint_before


def test_previews_follow_the_trainers_own_batches(ds):
    """Trainers stepped with and without previews stay identical: a preview draws no random number."""
    a, b = Trainer(TrainConfig(epochs=2, bs=300), ds), Trainer(TrainConfig(epochs=2, bs=300), ds)
    while not a.finished:
        preview(a)
        a.train_step()
        b.train_step()
    assert torch.equal(a.weights, b.weights) and torch.equal(a.gen.get_state(), b.gen.get_state())
    assert a.history() == b.history()


def test_take_refuses_a_step_that_is_no_longer_next(ds):
    t = Trainer(TrainConfig(), ds)
    p = preview(t)
    t.train_step()  # the model moved on (say, a Step on the Train page)
    w = t.params()[0]
    assert not take(t, p) and t.step == 1 and np.array_equal(t.params()[0], w)
    q = preview(t)
    t.update(replace(t.cfg, lr=0.1))  # another learning rate: another step
    assert not take(t, q) and t.step == 1
    assert take(t, preview(t)) and t.step == 2
    assert not take(Trainer(TrainConfig(seed=1), ds), preview(Trainer(TrainConfig(), ds)))  # other weights


def test_per_digit_gradients_are_the_two_losses_formulas(ds):
    """|d loss_i / d logit_i|: sigma(m)(1 - sigma(m)) under mnist_loss, 1 - sigma(m) under cross-entropy,
    m = the logit signed toward the truth: mnist_loss's vanishes for confidently wrong digits."""
    p = preview(Trainer(TrainConfig(), ds))
    s = 1 / (1 + np.exp(-p.margin.astype(np.float64)))
    np.testing.assert_allclose(p.grad_mnist, s * (1 - s), rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(p.grad_bce, 1 - s, rtol=1e-4, atol=1e-7)
    wrong = p.margin < -5  # confidently wrong
    assert wrong.sum() > 10
    assert p.grad_mnist[wrong].max() < 0.01 < 0.99 < p.grad_bce[wrong].min()
    np.testing.assert_array_equal(p.margin < 0, ~p.right)  # threshold 0: the wrong side is m < 0


def test_overshoot_says_why_the_loss_went_up(ds):
    calm = preview(Trainer(TrainConfig(), ds))
    assert calm.loss_after < calm.loss_before and overshoot(calm) is None
    # Cross-entropy at lr 10 on a fresh model: the step jumps past the minimum along its direction.
    # (mnist_loss's gradients are so small here that even lr 10 lowers its loss on the first steps.)
    p = preview(Trainer(TrainConfig(lr=10.0, loss="bce"), ds))
    assert p.loss_after > p.loss_before
    sentence = overshoot(p)
    assert "too large" in sentence and "10" in sentence and sentence.count(". ") == 0
    mnist10 = preview(Trainer(TrainConfig(lr=10.0), ds))
    assert mnist10.loss_after < mnist10.loss_before


def test_a_step_with_a_nan_loss_stops_the_run_as_train_step_does(ds):
    t = Trainer(TrainConfig(std=1e36, loss="bce"), ds)  # finite logits whose mean loss overflows
    p = preview(t)
    assert t.status == "ready" and not p.finite and "no step" in overshoot(p)
    assert take(t, p)  # train_step finds the inf and stops the run, with its message
    assert t.step == 0 and t.status == "diverged" and "Training stopped" in t.message
    assert not take(t, preview(t))  # nothing more to take
    t = Trainer(TrainConfig(std=1e38), ds)  # the start's logits overflow: no step at all
    assert t.status == "diverged" and not take(t, preview(t)) and t.step == 0


def test_fingerprint_tells_weights_apart_bit_for_bit():
    w = np.linspace(-1, 1, 784, dtype=np.float32)
    assert fingerprint(w, 0.5) == fingerprint(w.copy(), np.float32(0.5))
    w2 = w.copy()
    w2[100] = np.nextafter(w2[100], np.float32(2))
    assert fingerprint(w2, 0.5) != fingerprint(w, 0.5) != fingerprint(w, 0.5000001)
