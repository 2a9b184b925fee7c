"""mnist37.metrics.confusion and precision_recall: the threshold's trade-offs, counted as the
lesson's accuracy counts them."""
import numpy as np
import pytest
import torch

from mnist37 import data
from mnist37.metrics import confusion, precision_recall
from mnist37.model import accuracy
from mnist37.train import TrainConfig, Trainer


@pytest.fixture(scope="module")
def trained():
    torch.set_num_threads(1)
    return Trainer(TrainConfig(epochs=3), data.load_embedded()).run()


def test_confusion_sums_to_the_valid_count_and_its_diagonal_is_the_accuracy(trained):
    z, y = trained.valid_logits(), trained.valid_y
    for t in (-10.0, -2.5, 0.0, 0.1, 1.0, 3.7, 10.0):
        c = confusion(z.numpy(), y.numpy(), t)
        assert sum(c.values()) == trained.data.n_valid == 420
        assert (c["tp"] + c["tn"]) / 420 == accuracy(z, y, t) == trained.valid_accuracy(t)
        assert c["tp"] + c["fn"] == int((trained.data.y_valid == 3).sum())  # the true 3s, in the first row


def test_confusion_counts_each_cell_as_written_plainly():
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(300, 1, generator=gen) * 3
    z[::17] = float("nan")  # called the other digit, as model.predict calls it
    y = (torch.rand(300, 1, generator=gen) > 0.5).float()
    for t in (-1.0, 0.0, float(z[3]), 2.0):  # including a logit exactly at the threshold
        c = confusion(z, y, t)
        called, pos = (z > t).view(-1).tolist(), (y == 1).view(-1).tolist()
        plain = {"tp": 0, "fp": 0, "tn": 0, "fn": 0}
        for k, p in zip(called, pos):
            plain[("t" if k == p else "f") + ("p" if k else "n")] += 1
        assert c == plain
        assert (c["tp"] + c["tn"]) / 300 == accuracy(z, y, t)


def test_precision_and_recall():
    assert precision_recall({"tp": 8, "fp": 2, "tn": 5, "fn": 4}) == (0.8, 8 / 12)
    assert precision_recall({"tp": 0, "fp": 0, "tn": 5, "fn": 4}) == (None, 0.0)  # nothing called positive
    assert precision_recall({"tp": 0, "fp": 3, "tn": 5, "fn": 0}) == (0.0, None)  # no positive digit


def test_a_higher_threshold_trades_recall_for_precision(trained):
    z, y = trained.valid_logits().numpy(), trained.valid_y.numpy()
    p_low, r_low = precision_recall(confusion(z, y, -3.0))
    p_high, r_high = precision_recall(confusion(z, y, 3.0))
    assert r_low > r_high and p_high > p_low
    assert confusion(z, y, 1e9) == {"tp": 0, "fp": 0, "tn": int((y == 0).sum()), "fn": int((y == 1).sum())}
    assert confusion(np.array([0.5]), np.array([1]), 0.5) == {"tp": 0, "fp": 0, "tn": 0, "fn": 1}  # > not >=
