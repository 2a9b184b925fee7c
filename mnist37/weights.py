"""The model is 785 numbers: save them, and load them back safely.

The weights file is a torch state file: {"weights": (784, 1) float32, "bias": (1,) float32,
"config": {...}} read with `torch.load(..., weights_only=True)`, so a pickle that would run code
is refused, not run. Also .npz (numpy) and a 28x28 CSV (a spreadsheet's view of the weights).
"""
from __future__ import annotations

import io
import math
import pickle
import struct
import warnings
import zipfile
import zlib
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from .model import N_PIXELS
from .config import FIELDS, TrainConfig


MAX_BYTES = 10 * 1024 * 1024  # a weights file is about 4 kB; larger files are refused unread
MAX_UNPACKED = 64 * 1024 * 1024  # a zip whose members unpack to more is refused (zip bombs)


class WeightsError(ValueError):
    """A weights file that cannot be used; the message is one clear sentence."""


def _config_dict(cfg: TrainConfig | None) -> dict:
    return asdict(cfg) if cfg is not None else {}


def to_bytes(weights: np.ndarray, bias: float, cfg: TrainConfig | None = None) -> bytes:
    """The torch state file as bytes (for a download button or a file)."""
    state = {
        "weights": torch.as_tensor(np.asarray(weights, dtype=np.float32).reshape(N_PIXELS, 1)),
        "bias": torch.tensor([float(bias)], dtype=torch.float32),
        "config": _config_dict(cfg),
    }
    buf = io.BytesIO()
    torch.save(state, buf)
    return buf.getvalue()


def to_npz(weights: np.ndarray, bias: float) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, weights=np.asarray(weights, np.float32).reshape(N_PIXELS, 1),
             bias=np.array([bias], np.float32))
    return buf.getvalue()


def to_csv(weights: np.ndarray) -> bytes:
    """28 rows of 28 comma-separated weights, in the image's layout."""
    buf = io.StringIO()
    np.savetxt(buf, np.asarray(weights, np.float64).reshape(28, 28), delimiter=",", fmt="%.8g")
    return buf.getvalue().encode()


def save(path: str | Path, weights, bias, cfg: TrainConfig | None = None) -> None:
    Path(path).write_bytes(to_bytes(weights, bias, cfg))


# What torch.load raises for damaged or foreign files (tests/test_weights.py feeds it mutated ones):
# the weights-only unpickler's UnpicklingError, the zip reader's RuntimeError, and the plain errors
# of a pickle stream that ends early or holds nonsense.
_TORCH_LOAD_ERRORS = (pickle.UnpicklingError, RuntimeError, ValueError, TypeError, KeyError, IndexError,
                      AttributeError, AssertionError, EOFError, struct.error, OverflowError, OSError)


def _numbers(t, what: str, name: str) -> np.ndarray:
    """A loaded tensor or array -> float64 array of its values, or WeightsError in one sentence.

    Sparse tensors are made dense and quantized ones dequantized; meta, nested, complex and boolean
    tensors, and arrays of anything but real numbers, are refused."""
    if isinstance(t, torch.Tensor):
        if t.is_nested:
            raise WeightsError(f"{name}: '{what}' is a nested tensor; expected one tensor of real numbers")
        if t.device.type == "meta":
            raise WeightsError(f"{name}: '{what}' is a tensor on the meta device, a shape with no values")
        if t.is_complex() or t.dtype == torch.bool:
            raise WeightsError(f"{name}: '{what}' holds {t.dtype} values; expected real numbers")
        _check_shape(tuple(t.shape), what, name)  # before to_dense: a sparse shape may be huge
        if t.layout != torch.strided:
            t = t.to_dense()
        if t.is_quantized:
            t = t.dequantize()
        return t.detach().to(torch.float64).numpy()
    if isinstance(t, np.ndarray):
        if t.dtype.kind not in "fiu":
            raise WeightsError(f"{name}: '{what}' holds {t.dtype} values; expected real numbers")
        _check_shape(t.shape, what, name)
        return t.astype(np.float64)
    raise WeightsError(f"{name}: '{what}' must be a tensor, not {type(t).__name__}")


def _check_shape(shape: tuple, what: str, name: str) -> None:
    size = math.prod(shape)
    if what == "weights" and (size != N_PIXELS or shape not in ((N_PIXELS, 1), (N_PIXELS,), (28, 28))):
        raise WeightsError(f"{name}: weights have shape {shape}; expected (784, 1)")
    if what == "bias" and size != 1:
        raise WeightsError(f"{name}: bias has shape {shape}; expected (1,)")


def _check(w, b, name: str):
    """Weights and bias (tensors or arrays) -> ((784,) float32 weights, bias), checked."""
    w, b = _numbers(w, "weights", name), _numbers(b, "bias", name)
    if not (np.isfinite(w).all() and np.isfinite(b).all()):
        raise WeightsError(f"{name}: the weights contain NaN or infinity")
    top = max(float(np.abs(w).max()), float(np.abs(b).max()))
    if top > np.finfo(np.float32).max:
        raise WeightsError(f"{name}: a weight of {top:.3g} is beyond float32's range (±3.4e38)")
    return w.astype(np.float32).reshape(N_PIXELS), float(np.float32(b.reshape(())))


def _config_from(d) -> TrainConfig | None:
    """The saved settings, if they make a valid TrainConfig of plain values; else None."""
    if not isinstance(d, dict):
        return None
    kw = {k: v for k, v in d.items() if k in FIELDS}
    if not all(type(v) in (int, float, str, bool) for v in kw.values()):
        return None
    try:
        return TrainConfig(**kw)
    except (TypeError, ValueError):
        return None


def _zip_members(raw: bytes, name: str) -> dict[str, int] | None:
    """{member: unpacked size} of a zip file (torch files and .npz are zips), or None if not a zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            members = {i.filename: i.file_size for i in z.infolist()}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, ValueError, OSError, EOFError):
        return None  # not a zip (a legacy torch file, or junk for torch.load to refuse)
    total = sum(members.values())
    if total > MAX_UNPACKED:
        raise WeightsError(f"{name} unpacks to {total / 2**20:,.0f} MB; a weights file unpacks to a "
                           "few kB, so it was refused")
    return members


def _from_npz(raw: bytes, members: dict[str, int], name: str):
    arrays = sorted(m.removesuffix(".npy") for m in members)
    missing = [a for a in ("weights", "bias") if a not in arrays]
    if missing:
        raise WeightsError(f"{name}: an .npz needs arrays named 'weights' and 'bias'; it has no "
                           f"{' or '.join(repr(m) for m in missing)} (it holds {', '.join(arrays) or 'nothing'})")
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as z:
            w, b = z["weights"], z["bias"]
    except MemoryError as e:  # an .npy header can declare any shape
        raise WeightsError(f"{name}: an array in the .npz declares more values than fit in memory") from e
    # np.load's and zipfile's errors for damaged members (encrypted or unknown compression too)
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error, RuntimeError,
            NotImplementedError) as e:
        raise WeightsError(f"{name} is not a readable .npz file ({e})") from e
    return (*_check(w, b, name), None)


def from_bytes(raw: bytes, name: str = "the file") -> tuple[np.ndarray, float, TrainConfig | None]:
    """Load weights from a torch state file or .npz; returns ((784,) weights, bias, config or None).

    Raises WeightsError with one sentence for anything that is not exactly that.
    """
    if len(raw) > MAX_BYTES:
        raise WeightsError(f"{name} is {len(raw) / 2**20:.1f} MB; a weights file is a few kB "
                           f"(at most {MAX_BYTES // 2**20} MB are read)")
    members = _zip_members(raw, name)
    if members and all(m.endswith(".npy") for m in members):  # .npz: a zip of .npy files
        return _from_npz(raw, members, name)
    try:
        with warnings.catch_warnings():  # torch warns about pickle protocols before refusing
            warnings.simplefilter("ignore")
            state = torch.load(io.BytesIO(raw), weights_only=True, map_location="cpu")
    except _TORCH_LOAD_ERRORS as e:
        if "GLOBAL" in str(e):  # the weights-only unpickler met a class or function to call
            raise WeightsError(f"{name} holds Python objects that a weights file must not contain; "
                               "it was refused without running it") from e
        raise WeightsError(f"{name} is not a torch weights file") from e
    if not isinstance(state, dict) or "weights" not in state or "bias" not in state:
        raise WeightsError(f"{name} has no 'weights' and 'bias' entries")
    w, b = state["weights"], state["bias"]
    if not (isinstance(w, torch.Tensor) and isinstance(b, torch.Tensor)):
        raise WeightsError(f"{name}: 'weights' and 'bias' must be tensors")
    return (*_check(w, b, name), _config_from(state.get("config")))


def load(path: str | Path):
    """`from_bytes` on a file; a missing file is a WeightsError too."""
    p = Path(path)
    try:
        with open(p, "rb") as f:
            raw = f.read(MAX_BYTES + 1)  # no more: a device or a huge file is refused, not read whole
    except OSError as e:
        raise WeightsError(f"cannot read {p}: {e.strerror or e}") from e
    return from_bytes(raw, name=str(p))
