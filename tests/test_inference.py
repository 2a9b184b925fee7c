"""mnist37.inference: one image through the lesson's model, step by step, against model.linear1."""
import math

import numpy as np
import torch

from mnist37 import model
from mnist37.inference import infer, probability_relation, probability_text, sigmoid, top_contributions


def params(seed=0):
    g = np.random.default_rng(seed)
    return g.random((28, 28)).astype(np.float32), g.normal(size=784).astype(np.float32), float(g.normal())


def test_logit_matches_linear1_and_the_parts_add_up():
    x, w, b = params()
    inf = infer(x, w, b, threshold=0.0, positive=3)
    ref = model.linear1(torch.tensor(x).view(-1, 28 * 28), torch.tensor(w).view(784, 1), torch.tensor([b]))
    assert ref.shape == (1, 1)
    assert math.isclose(inf.logit, float(ref), rel_tol=1e-5, abs_tol=1e-4)
    plus, minus = inf.sums()
    assert math.isclose(plus + minus + inf.bias, inf.logit, rel_tol=1e-12, abs_tol=1e-9)
    assert plus > 0 > minus and sum(inf.n_pushing) == int((x * w.reshape(28, 28) != 0).sum())
    np.testing.assert_allclose(inf.contributions, x.ravel().astype(np.float64) * w)


def test_probability_is_the_sigmoid_of_the_logit():
    x, w, b = params(1)
    inf = infer(x, w, b)
    assert math.isclose(inf.probability, float(torch.sigmoid(torch.tensor(inf.logit, dtype=torch.float64))),
                        rel_tol=1e-12)
    assert sigmoid(800.0) == 1.0 and sigmoid(-800.0) == 0.0 and sigmoid(0.0) == 0.5  # no overflow


def test_decision_uses_the_threshold_and_the_positive_digit():
    x, w, b = params(2)
    logit = infer(x, w, b).logit
    for positive in (3, 7):
        for t in (logit - 0.5, logit + 0.5, logit):
            d = infer(x, w, b, threshold=t, positive=positive).decision
            assert d == model.decide(logit, t, positive)
            assert d == (positive if logit > t else model.other_digit(positive))


def test_top_contributions_are_the_largest_terms_each_way():
    x, w, b = params(3)
    x[0, :5] = 0  # background pixels are never listed
    up, down = top_contributions(x, w, k=3)
    c = (x.ravel().astype(np.float64) * w)
    assert [u.value for u in up] == sorted(c, reverse=True)[:3]
    assert [d.value for d in down] == sorted(c)[:3]
    assert all(c[u.row * 28 + u.col] == u.value for u in up + down)
    blank = np.zeros((28, 28))
    assert top_contributions(blank, w) == ([], [])
    only_positive = np.where(w > 0, 1.0, 0.0)
    up, down = top_contributions(only_positive, w, k=5)
    assert len(up) == 5 and down == []


def test_probability_text_never_rounds_to_certainty():
    assert probability_text(0.5) == "0.500"
    assert probability_text(1e-9) == "<0.001" and probability_text(1 - 1e-9) == ">0.999"
    assert probability_text(0.0004) == "<0.001" and probability_text(0.0006) == "0.001"


def test_probability_relation_reads_after_p():
    assert [probability_relation(p) for p in (0.5, 1e-9, 1 - 1e-9)] == ["= 0.500", "< 0.001", "> 0.999"]
