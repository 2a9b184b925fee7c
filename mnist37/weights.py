"""The model is 785 numbers: save them, and load them back safely.

The weights file is a torch state file: {"weights": (784, 1) float32, "bias": (1,) float32,
"config": {...}} read with `torch.load(..., weights_only=True)`, so a pickle that would run code
is refused, not run. Also .npz (numpy) and a 28x28 CSV (a spreadsheet's view of the weights).
"""
from __future__ import annotations

import io
import warnings
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from .model import N_PIXELS
from .config import FIELDS, TrainConfig


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


def _check(w, b, what: str):
    try:
        w = np.asarray(w, dtype=np.float32)
        b = np.asarray(b, dtype=np.float32)
    except (TypeError, ValueError) as e:
        raise WeightsError(f"{what}: weights and bias must be numbers") from e
    if w.size != N_PIXELS or w.shape not in ((N_PIXELS, 1), (N_PIXELS,), (28, 28)):
        raise WeightsError(f"{what}: weights have shape {tuple(w.shape)}; expected (784, 1)")
    if b.size != 1:
        raise WeightsError(f"{what}: bias has shape {tuple(b.shape)}; expected (1,)")
    if not (np.isfinite(w).all() and np.isfinite(b).all()):
        raise WeightsError(f"{what}: the weights contain NaN or infinity")
    return w.reshape(N_PIXELS).copy(), float(b.reshape(()))


def _config_from(d) -> TrainConfig | None:
    if not isinstance(d, dict):
        return None
    try:
        return TrainConfig(**{k: v for k, v in d.items() if k in FIELDS})
    except (TypeError, ValueError):
        return None


def from_bytes(raw: bytes, name: str = "the file") -> tuple[np.ndarray, float, TrainConfig | None]:
    """Load weights from a torch state file or .npz; returns ((784,) weights, bias, config or None).

    Raises WeightsError with one sentence for anything that is not exactly that.
    """
    if raw[:4] == b"PK\x03\x04" and b"weights.npy" in raw[:4096]:  # .npz (also a zip, like torch files)
        try:
            with np.load(io.BytesIO(raw), allow_pickle=False) as z:
                if "weights" not in z or "bias" not in z:
                    raise WeightsError(f"{name}: an .npz needs arrays named 'weights' and 'bias'")
                return (*_check(z["weights"], z["bias"], name), None)
        except (OSError, ValueError) as e:
            if isinstance(e, WeightsError):
                raise
            raise WeightsError(f"{name} is not a readable .npz file") from e
    try:
        with warnings.catch_warnings():  # torch warns about pickle protocols before refusing
            warnings.simplefilter("ignore")
            state = torch.load(io.BytesIO(raw), weights_only=True, map_location="cpu")
    except Exception as e:  # UnpicklingError for code-running pickles, RuntimeError for junk
        if "GLOBAL" in str(e):  # the weights-only unpickler met a class or function to call
            raise WeightsError(f"{name} holds Python objects that a weights file must not contain; "
                               "it was refused without running it") from e
        raise WeightsError(f"{name} is not a torch weights file") from e
    if not isinstance(state, dict) or "weights" not in state or "bias" not in state:
        raise WeightsError(f"{name} has no 'weights' and 'bias' entries")
    w, b = state["weights"], state["bias"]
    if not (isinstance(w, torch.Tensor) and isinstance(b, torch.Tensor)):
        raise WeightsError(f"{name}: 'weights' and 'bias' must be tensors")
    return (*_check(w.detach().float().numpy(), b.detach().float().numpy(), name),
            _config_from(state.get("config")))


def load(path: str | Path):
    """`from_bytes` on a file; a missing file is a WeightsError too."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise WeightsError(f"cannot read {p}: {e.strerror or e}") from e
    return from_bytes(raw, name=str(p))
