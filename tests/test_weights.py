import io
import pickle

import numpy as np
import pytest
import torch

from mnist37 import weights as W
from mnist37.train import TrainConfig


def params():
    rng = np.random.default_rng(0)
    return rng.standard_normal(784).astype(np.float32), -0.25


def test_round_trip_keeps_weights_bias_and_config(tmp_path):
    w, b = params()
    cfg = TrainConfig(lr=0.5, positive=7)
    W.save(tmp_path / "m.pt", w, b, cfg)
    w2, b2, cfg2 = W.load(tmp_path / "m.pt")
    assert np.array_equal(w, w2) and b2 == pytest.approx(b) and cfg2 == cfg
    # a plain torch.load with weights_only=True reads it: it is a state file, not a pickle of objects
    state = torch.load(tmp_path / "m.pt", weights_only=True)
    assert state["weights"].shape == (784, 1) and state["bias"].shape == (1,)


def test_npz_and_csv():
    w, b = params()
    w2, b2, cfg = W.from_bytes(W.to_npz(w, b), "m.npz")
    assert np.array_equal(w, w2) and b2 == pytest.approx(b) and cfg is None
    rows = W.to_csv(w).decode().strip().splitlines()
    assert len(rows) == 28 and all(len(r.split(",")) == 28 for r in rows)
    assert np.allclose(np.loadtxt(io.StringIO("\n".join(rows)), delimiter=",").ravel(), w, rtol=1e-6)


def torch_bytes(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


class RunsCode:
    def __reduce__(self):
        import os
        return (os.system, ("touch /tmp/mnist37-pwned",))


@pytest.mark.parametrize("raw, message", [
    (torch_bytes({"weights": torch.zeros(10, 1), "bias": torch.zeros(1)}), r"expected \(784, 1\)"),
    (torch_bytes({"weights": torch.zeros(784, 1), "bias": torch.zeros(3)}), "bias has shape"),
    (torch_bytes({"weights": torch.full((784, 1), float("nan")), "bias": torch.zeros(1)}), "NaN"),
    (torch_bytes({"weights": torch.zeros(784, 1), "bias": torch.tensor([float("inf")])}), "NaN or infinity"),
    (torch_bytes({"w": torch.zeros(784, 1)}), "no 'weights' and 'bias'"),
    (b"hello, this is not a model", "not a torch weights file"),
    (pickle.dumps(RunsCode()), "not a torch weights file"),
    (torch_bytes({"weights": RunsCode(), "bias": torch.zeros(1)}), "refused without running it"),
])
def test_bad_files_get_one_clear_sentence(raw, message, tmp_path):
    marker = "/tmp/mnist37-pwned"
    import os
    if os.path.exists(marker):
        os.remove(marker)
    with pytest.raises(W.WeightsError, match=message) as e:
        W.from_bytes(raw, "up.pt")
    assert "\n" not in str(e.value)
    assert not os.path.exists(marker), "loading ran code from the file"
