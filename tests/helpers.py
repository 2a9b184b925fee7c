"""Small real-format fixtures the tests write themselves (no network): IDX files, PNG folders."""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
from PIL import Image

from mnist37.data import load_embedded


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write an uint8 array in MNIST's IDX format (magic 0x08 = ubyte, then big-endian dims)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def write_tiny_mnist(root: Path, n_train: int = 30, n_test: int = 12) -> dict:
    """torchvision's raw MNIST files under root/MNIST/raw, with real digits 3/7 and some others.

    Returns the counts of 3s and 7s written per split.
    """
    ds = load_embedded()
    rng = np.random.default_rng(0)
    counts = {}
    for split, n, prefix in (("train", n_train, "train"), ("test", n_test, "t10k")):
        xs, ys = (ds.x_train, ds.y_train) if split == "train" else (ds.x_valid, ds.y_valid)
        pick = np.concatenate([np.flatnonzero(ys == 3)[:n // 2], np.flatnonzero(ys == 7)[:n - n // 2]])
        x, y = xs[pick], ys[pick]
        # also other digits (any labels but 3/7) that the loader must drop
        others = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
        x = np.concatenate([x, others])
        y = np.concatenate([y, np.array([0, 1, 2, 8, 9], np.uint8)])
        write_idx(root / "MNIST" / "raw" / f"{prefix}-images-idx3-ubyte", x)
        write_idx(root / "MNIST" / "raw" / f"{prefix}-labels-idx1-ubyte", y)
        counts[split] = {d: int((y == d).sum()) for d in (3, 7)}
    return counts


def write_sample_folder(root: Path, n: int = 6) -> Path:
    """A folder in fastai's MNIST_SAMPLE layout (train/3, train/7, valid/3, valid/7) of real PNGs."""
    ds = load_embedded()
    for split, x, y in (("train", ds.x_train, ds.y_train), ("valid", ds.x_valid, ds.y_valid)):
        for d in (3, 7):
            folder = root / split / str(d)
            folder.mkdir(parents=True, exist_ok=True)
            for i, img in enumerate(x[y == d][:n]):
                Image.fromarray(img).save(folder / f"{i}.png")
    return root
