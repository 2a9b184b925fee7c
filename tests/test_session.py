"""mnist37.session: which model a session uses; and the Trainer's rules for the Train page's buttons."""
import numpy as np
import pytest
import torch

from mnist37 import data, lessons
from mnist37.baseline import linear_accuracy
from mnist37.config import TrainConfig
from mnist37.session import Model, current_model
from mnist37.train import Trainer


@pytest.fixture(scope="module")
def ds():
    torch.set_num_threads(1)
    return data.load_embedded()


def test_uploaded_weights_win_then_a_trained_model_then_the_default(ds):
    default = Model(np.zeros(784), 0.0, 3, "default", TrainConfig())
    calls = []

    def make_default():
        calls.append(1)
        return default

    t = Trainer(TrainConfig(seed=5), ds)
    assert current_model(None, None, make_default) is default
    assert current_model(None, t, make_default) is default  # no step taken yet
    t.train_step()
    m = current_model(None, t, make_default)
    assert m.cfg == t.cfg and m.weights.tolist() == t.params()[0].tolist() and "step 1" in m.description
    assert not m.weights.flags.writeable  # shared read-only
    up = Model(np.ones(784), 1.0, 7, "uploaded")
    assert current_model(up, t, make_default) is up
    assert len(calls) == 2  # the default is only made when it is the answer


def test_train_is_refused_once_done_or_diverged_and_says_why(ds):
    t = Trainer(TrainConfig(epochs=1, bs=512), ds)
    assert t.refusal() is None
    t.run()
    assert t.status == "done" and "Finished 1 epochs" in t.refusal()
    t.advance_epoch()  # Epoch past the end: one more, and the run stays done
    assert t.epoch == 2 and t.status == "done"
    t.status = "diverged"
    step = t.step
    t.train_step()
    t.advance_epoch()
    assert t.step == step and "Reset" in t.refusal()


def test_the_home_pages_threshold_and_flip_demos(ds):
    d = Trainer(TrainConfig(), ds).run()
    default = Model.from_trainer(d, "default")
    r = lessons.threshold_demo(4.0, ds, default)
    w, b = d.params()
    assert r["default"] == linear_accuracy(w, b, ds, 3, 4.0)
    assert r["default_shifted"] == pytest.approx(d.valid_accuracy(0.0), abs=1 / ds.n_valid)  # bias + t, threshold t
    assert r["trained"] > r["default"] and r["shift"] > 1.0
    w3, b3, a3 = lessons.flip_demo(3, ds)
    w7, b7, a7 = lessons.flip_demo(7, ds)
    assert np.allclose(w3, -w7, atol=1e-5) and b3 == pytest.approx(-b7, abs=1e-5) and a3 == pytest.approx(a7)
