import io
import pickle
import zipfile

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


def w784():
    return torch.from_numpy(params()[0]).view(784, 1)


CONVERTED = {  # layouts and dtypes that hold 784 real numbers: loaded as float32
    "sparse COO": lambda: w784().to_sparse(),
    "sparse CSR": lambda: w784().to_sparse_csr(),
    "quantized": lambda: torch.quantize_per_tensor(w784(), 0.01, 0, torch.qint8),
    "int64": lambda: torch.arange(784, dtype=torch.int64).view(784, 1),
    "uint8": lambda: torch.arange(784, dtype=torch.int64).view(784, 1).to(torch.uint8),
    "float16": lambda: w784().half(),
    "bfloat16": lambda: w784().bfloat16(),
    "float64": lambda: w784().double(),
    "float8": lambda: w784().to(torch.float8_e4m3fn),
    "non-contiguous": lambda: w784().view(1, 784).t().contiguous().t().t(),
    "a (784,) view of a bigger storage": lambda: torch.randn(3, 784, generator=torch.Generator().manual_seed(0))[1],
    "Parameter": lambda: torch.nn.Parameter(w784()),
}


@pytest.mark.parametrize("kind", sorted(CONVERTED))
def test_odd_layouts_and_dtypes_of_real_numbers_are_converted(kind):
    import warnings
    with warnings.catch_warnings():  # quantized tensors are deprecated in torch
        warnings.simplefilter("ignore")
        w = CONVERTED[kind]()
    for bias in (torch.tensor([0.5]), torch.tensor(0.5), torch.tensor([0.5]).to_sparse()):
        w2, b2, _ = W.from_bytes(torch_bytes({"weights": w, "bias": bias}), "odd.pt")
        expected = (w.dequantize() if w.is_quantized else w.to_dense() if w.layout != torch.strided else w)
        assert w2.dtype == np.float32 and w2.shape == (784,)
        assert np.array_equal(w2, expected.detach().float().numpy().reshape(784)) and b2 == 0.5


REFUSED = {  # each: (weights, bias, words of the one sentence)
    "meta": (torch.empty(784, 1, device="meta"), torch.zeros(1), "meta device"),
    "meta bias": (torch.zeros(784, 1), torch.empty(1, device="meta"), "'bias' is a tensor on the meta"),
    "complex": (torch.randn(784, 1, dtype=torch.complex64), torch.zeros(1), "complex"),
    "complex bias": (torch.zeros(784, 1), torch.ones(1, dtype=torch.complex128), "'bias' holds torch.complex128"),
    "bool": (torch.ones(784, 1, dtype=torch.bool), torch.zeros(1), "torch.bool"),
    "nested": (torch.nested.nested_tensor([torch.zeros(784), torch.zeros(3)]), torch.zeros(1), "nested"),
    "sparse, wrong shape": (torch.sparse_coo_tensor(torch.zeros(2, 0, dtype=torch.long), torch.zeros(0),
                                                    (10**9, 10**9)), torch.zeros(1), r"shape \(1000000000, 1000000000\)"),
    "beyond float32": (torch.full((784, 1), 1e300, dtype=torch.float64), torch.zeros(1), "beyond float32"),
    "not a tensor": ([0.0] * 784, torch.zeros(1), "must be tensors"),
}


@pytest.mark.parametrize("kind", sorted(REFUSED))
def test_tensors_that_are_not_784_real_numbers_are_refused_in_one_sentence(kind):
    w, b, words = REFUSED[kind]
    with pytest.raises(W.WeightsError, match=words) as e:
        W.from_bytes(torch_bytes({"weights": w, "bias": b}), "odd.pt")
    assert "\n" not in str(e.value) and str(e.value).startswith("odd.pt")


def npz_bytes(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def test_npz_without_weights_or_bias_says_what_is_missing():
    with pytest.raises(W.WeightsError, match=r"no 'bias' \(it holds w, weights\)"):
        W.from_bytes(npz_bytes(weights=np.zeros((784, 1)), w=np.zeros(3)), "m.npz")
    with pytest.raises(W.WeightsError, match="no 'weights' or 'bias'"):
        W.from_bytes(npz_bytes(x=np.zeros(3)), "m.npz")


def test_npz_is_recognised_wherever_its_arrays_start():
    w, b = params()
    raw = npz_bytes(notes=np.zeros(2000), weights=w.reshape(784, 1), bias=np.array([b]))  # weights after 16 kB
    assert b"weights.npy" not in raw[:4096]
    w2, b2, cfg = W.from_bytes(raw, "m.npz")
    assert np.array_equal(w2, w) and b2 == pytest.approx(b) and cfg is None


@pytest.mark.parametrize("weights, words", [
    (np.zeros((784, 1), np.complex64), "complex64"),
    (np.zeros((784, 1), bool), "bool"),
    (np.array(["1.0"] * 784), "<U3"),
    (np.zeros((784, 1), "datetime64[s]"), "datetime64"),
])
def test_npz_arrays_of_anything_but_real_numbers_are_refused(weights, words):
    with pytest.raises(W.WeightsError, match=words):
        W.from_bytes(npz_bytes(weights=weights, bias=np.zeros(1)), "m.npz")


def test_npz_whose_header_declares_a_huge_array_is_refused():
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**13,)})
    bias = io.BytesIO()
    np.lib.format.write_array(bias, np.zeros(1))
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w") as z:
        z.writestr("weights.npy", header.getvalue() + bytes(64))
        z.writestr("bias.npy", bias.getvalue())
    with pytest.raises(W.WeightsError, match="more values than fit in memory"):
        W.from_bytes(raw.getvalue(), "m.npz")


def test_a_zip_that_unpacks_to_too_much_is_refused_before_reading(monkeypatch):
    monkeypatch.setattr(W, "MAX_UNPACKED", 2**20)
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("archive/data.pkl", bytes(2 * 2**20))  # 2 MB of zeros, a few kB packed
    assert len(raw.getvalue()) < 2**16
    with pytest.raises(W.WeightsError, match="unpacks to 2 MB"):
        W.from_bytes(raw.getvalue(), "bomb.pt")


def test_files_beyond_the_size_limit_are_refused_unread(tmp_path):
    with pytest.raises(W.WeightsError, match="MB"):
        W.from_bytes(bytes(W.MAX_BYTES + 1), "big.pt")
    with pytest.raises(W.WeightsError, match="MB"):
        W.load("/dev/zero")  # endless: read whole, it would never finish


def test_a_config_of_odd_values_is_dropped_and_the_weights_still_load():
    w, b = params()
    for config in ({"bs": torch.zeros(3)}, {"lr": torch.tensor(0.5)}, {"positive": [3]}, "lr=1", {"epochs": 1e300}):
        w2, _, cfg = W.from_bytes(torch_bytes({"weights": torch.from_numpy(w), "bias": torch.tensor([b]),
                                               "config": config}), "m.pt")
        assert cfg is None and np.array_equal(w2, w)


def mutations(raw: bytes, n: int, seed: int):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        data = bytearray(raw)
        if rng.random() < 0.3:
            data = data[:rng.integers(1, len(data))]
        for _ in range(rng.integers(1, 8)):
            data[rng.integers(len(data))] = rng.integers(256)
        yield bytes(data)


def test_damaged_files_give_a_weights_error_and_nothing_else():
    """Mutated torch files (zip and legacy) and .npz files: torch.load and np.load raise a dozen
    kinds of exceptions on them; every one becomes a one-sentence WeightsError."""
    w, b = params()
    good = {"zip": W.to_bytes(w, b, TrainConfig()), "npz": W.to_npz(w, b)}
    buf = io.BytesIO()
    torch.save({"weights": torch.from_numpy(w), "bias": torch.tensor([b])}, buf, _use_new_zipfile_serialization=False)
    good["legacy"] = buf.getvalue()
    buf = io.BytesIO()
    np.savez_compressed(buf, weights=w, bias=np.array([b]))
    good["npz, compressed"] = buf.getvalue()
    for seed, raw in enumerate(good.values()):
        for data in mutations(raw, 300, seed):
            try:
                W.from_bytes(data, "m.pt")
            except W.WeightsError as e:
                assert "\n" not in str(e)
