"""mnist37.baseline: the lesson's pixel-similarity model and the views of a trained linear model,
checked against plain numpy written out here."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from mnist37 import baseline
from mnist37.data import load_embedded
from mnist37.train import TrainConfig, Trainer

DATA = load_embedded()


def test_mnist_distance_is_the_lessons_l1():
    a, b = torch.rand(5, 28, 28), torch.rand(28, 28)
    want = np.abs(a.numpy() - b.numpy()).mean(axis=(1, 2))
    assert np.allclose(baseline.mnist_distance(a, b).numpy(), want, atol=1e-6)


def test_pixel_similarity_against_plain_numpy():
    xt, xv = DATA.x_train / 255.0, DATA.x_valid / 255.0
    m3, m7 = xt[DATA.y_train == 3].mean(0), xt[DATA.y_train == 7].mean(0)
    d3, d7 = np.abs(xv - m3).mean((1, 2)), np.abs(xv - m7).mean((1, 2))
    want = np.mean(np.where(d3 < d7, 3, 7) == DATA.y_valid)
    b = baseline.pixel_similarity(DATA)
    assert b.accuracy == pytest.approx(want, abs=1e-9)
    assert 0.85 < b.accuracy < 1.0
    assert np.allclose(b.mean3, m3, atol=1e-6) and np.allclose(b.difference(7), m7 - m3, atol=1e-6)


def test_linear_accuracy_matches_the_trainer():
    t = Trainer(TrainConfig(epochs=3, positive=7, threshold=0.5), DATA).run()
    w, b = t.params()
    assert baseline.linear_accuracy(w, b, DATA, 7, 0.5) == pytest.approx(t.valid_accuracy(), abs=1e-9)
    assert np.allclose(baseline.valid_logits(w, b, DATA), t.valid_logits().numpy().ravel(), atol=1e-4)


def test_misclassified_most_wrong_first():
    logits = np.array([2.0, -3.0, 0.5, -0.1, 4.0, 0.0])
    labels = np.array([3, 3, 7, 7, 7, 3])
    misses = baseline.misclassified(logits, labels, positive=3)
    assert [m.index for m in misses] == [4, 1, 2, 5]  # wrong by 4, 3, 0.5, 0 (logit 0 is not > 0)
    assert [m.predicted for m in misses] == [3, 7, 3, 7]
    assert [m.index for m in baseline.misclassified(logits, labels, positive=3, threshold=1.0)] == [1, 4, 5]  # by 4, 3, 1
    assert len(baseline.misclassified(logits, labels, limit=2)) == 2


def test_init_accuracy_is_the_trainers_starting_point():
    for seed in (0, 5):
        t = Trainer(TrainConfig(seed=seed), DATA)
        assert baseline.init_accuracy(seed, DATA) == pytest.approx(t.valid_accuracy(), abs=1e-9)


def test_compare_losses_trains_both_from_the_same_start():
    cfg = TrainConfig(epochs=2, seed=11)
    res = baseline.compare_losses(cfg, DATA)
    for loss in ("mnist", "bce"):
        t = Trainer(replace(cfg, loss=loss), DATA).run()
        assert res[loss]["accuracy"] == t.valid_accuracy()
        assert np.array_equal(res[loss]["weights"], t.params()[0])
        assert len(res[loss]["history"]["epoch"]) == 2


def test_similarity():
    a = np.random.default_rng(0).normal(size=784)
    assert baseline.similarity(a, 2 * a + 1) == pytest.approx(1.0)
    assert baseline.similarity(a, -a) == pytest.approx(-1.0)
    assert baseline.similarity(a, np.zeros(784)) == 0.0
