"""mnist37.fool: the fewest pixels to add or erase to flip the decision, checked minimal by brute force."""
import itertools

import numpy as np
import pytest
import torch

from mnist37 import data
from mnist37.fool import fool
from mnist37.inference import infer
from mnist37.train import TrainConfig, Trainer


@pytest.fixture(scope="module")
def model():
    torch.set_num_threads(1)
    ds = data.load_embedded()
    return ds, *Trainer(TrainConfig(), ds).run().params()


def fewest_by_brute_force(x, w, b, threshold, positive, pixels):
    """Try every way to set each of `pixels` to 0, to 1 or leave it: the fewest changed that flip."""
    start = infer(x, w, b, threshold, positive).decision
    best = None
    for choice in itertools.product((None, 0.0, 1.0), repeat=len(pixels)):
        xa = x.copy()
        changed = 0
        for i, v in zip(pixels, choice):
            if v is not None and xa[i] != v:
                xa[i], changed = v, changed + 1
        if (best is None or changed < best) and infer(xa, w, b, threshold, positive).decision != start:
            best = changed
    return best


@pytest.mark.parametrize("seed", range(12))
def test_greedy_is_as_few_as_brute_force_on_a_small_model(seed):
    """A model with 9 non-zero weights (the rest cannot move the logit), random inputs, bias and
    threshold: the greedy count equals the exhaustive minimum, or both say it cannot flip."""
    rng = np.random.default_rng(seed)
    pixels = rng.choice(784, 9, replace=False)
    w = np.zeros(784)
    w[pixels] = rng.normal(0, 1, 9)
    x = np.zeros(784)
    x[pixels] = rng.choice([0.0, 1.0, 0.3, 0.7], 9)
    b, threshold = rng.normal(0, 1.5), rng.normal(0, 1)
    f = fool(x, w, b, threshold, positive=3)
    assert f.count == fewest_by_brute_force(x, w, b, threshold, 3, pixels)
    assert f.flipped == (f.count is not None)
    after = infer(f.x_after, w, b, threshold, 3)
    assert after.logit == pytest.approx(f.logit_after) and after.decision == f.decision_after


def test_on_real_digits_it_flips_and_one_pixel_fewer_never_does(model):
    ds, w, b = model
    for i in range(0, 420, 21):
        x = ds.x_valid[i] / 255
        for threshold, positive in ((0.0, 3), (2.0, 3), (-1.0, 7)):
            wp = w if positive == 3 else -w  # the same model with label 1 = 7 (its weights flip)
            f = fool(x, wp, b if positive == 3 else -b, threshold, positive)
            assert f.flipped and f.count == len(f.changes) >= 1
            assert infer(f.x_after, wp, b if positive == 3 else -b, threshold, positive).decision == f.decision_after
            # the largest k-1 moves do not cross: and no k-1 pixels move the logit further than they do
            moves = sorted((abs(c.delta) for c in f.changes), reverse=True)
            gap = abs(f.logit_before - threshold)
            assert sum(moves[:-1]) < gap + 1e-9 and ((f.logit_after > threshold) != (f.logit_before > threshold))
            assert all(c.new in (0.0, 1.0) and c.new != c.old for c in f.changes)
            assert np.array_equal(np.flatnonzero(f.x_after.ravel() != x.ravel()),
                                  np.sort([c.row * 28 + c.col for c in f.changes]))


def test_cannot_flip_when_every_pixel_together_is_not_enough():
    w = np.full(784, 0.001)
    f = fool(np.zeros(784), w, bias=-5.0, threshold=0.0)  # adding all ink moves the logit by 0.784
    assert not f.flipped and f.count is None and f.decision_after == f.decision_before == 7
    assert len(f.changes) == 784 and f.logit_after == pytest.approx(-5.0 + 0.784)
