"""Real MNIST 3s and 7s from three sources, as one `Dataset` of uint8 28x28 images.

- "embedded": the sample committed in assets/ (real MNIST, ~1,000 of each digit; works offline);
- "mnist":    full MNIST through torchvision (train 3s/7s for training, test 3s/7s for validation,
              the same 12,396 / 2,038 as fastai's MNIST_SAMPLE), cached in $MNIST37_DATA;
- a path:     a folder in fastai's MNIST_SAMPLE layout: train/3, train/7, valid/3, valid/7 of PNGs.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import torch

DIGITS = (3, 7)
ASSET = Path(__file__).resolve().parent.parent / "assets" / "mnist_3_7_sample.npz"
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif"}


class DataError(ValueError):
    """A data source that cannot be read; the message is one clear sentence."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """Images `x_*` are (n, 28, 28) uint8, labels `y_*` are (n,) uint8 digits (3 or 7)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_valid: np.ndarray
    y_valid: np.ndarray
    source: str  # "embedded", "mnist" or the folder path
    notice: str = field(default="")  # set when a fallback happened, e.g. no network

    @property
    def n_train(self) -> int:
        return len(self.y_train)

    @property
    def n_valid(self) -> int:
        return len(self.y_valid)

    def tensors(self, positive: int = 3):
        """The lesson's tensors: x (n, 784) float in [0, 1] (`/255`), y (n, 1) float, 1 = `positive`.

        Returns (train_x, train_y, valid_x, valid_y).
        """
        if positive not in DIGITS:
            raise ValueError(f"positive digit must be 3 or 7, not {positive!r}")

        def target(y):
            return torch.from_numpy((y == positive).astype(np.float32)).unsqueeze(1)

        return self.train_pixels, target(self.y_train), self.valid_pixels, target(self.y_valid)

    # The images as the lesson's float tensors, made once per dataset and shared read-only by every
    # Trainer and baseline that uses it (full MNIST's training images are 39 MB as float32).
    @cached_property
    def train_pixels(self) -> torch.Tensor:
        """(n_train, 784) float32 in [0, 1]: x_train / 255."""
        return torch.from_numpy(self.x_train).float().view(-1, 28 * 28) / 255

    @cached_property
    def valid_pixels(self) -> torch.Tensor:
        """(n_valid, 784) float32 in [0, 1]: x_valid / 255."""
        return torch.from_numpy(self.x_valid).float().view(-1, 28 * 28) / 255

    def __repr__(self) -> str:
        return f"Dataset({self.source!r}, train={self.n_train}, valid={self.n_valid})"


def load_embedded() -> Dataset:
    """The committed sample (see assets/README.md for provenance and the fixed split)."""
    with np.load(ASSET) as z:
        return Dataset(z["x_train"], z["y_train"], z["x_valid"], z["y_valid"], source="embedded")


def default_data_dir() -> Path:
    """$MNIST37_DATA, else the user's cache dir (~/.cache/mnist37)."""
    env = os.environ.get("MNIST37_DATA")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mnist37"


def _keep_37(images: torch.Tensor, targets: torch.Tensor):
    keep = (targets == DIGITS[0]) | (targets == DIGITS[1])
    return images[keep].numpy().astype(np.uint8), targets[keep].numpy().astype(np.uint8)


def load_torchvision(root: str | Path | None = None, download: bool = True) -> Dataset:
    """Full MNIST via torchvision: train 3s/7s -> train, test 3s/7s -> valid.

    Raises DataError when the files are missing and cannot be downloaded, or are damaged.
    """
    from torchvision.datasets import MNIST  # import here: torchvision is slow to import

    root = Path(root) if root else default_data_dir()
    try:
        train = MNIST(root, train=True, download=download)
        test = MNIST(root, train=False, download=download)
    # A failed download: RuntimeError, URLError (an OSError). Damaged IDX files: RuntimeError
    # (a shape that does not fit the data), AssertionError or ValueError from the header.
    except (RuntimeError, OSError, ValueError, AssertionError) as e:
        raise DataError(f"could not download full MNIST into {root}") from e
    for part in (train, test):
        if part.data.shape[1:] != (28, 28) or part.targets.shape != part.data.shape[:1]:
            raise DataError(f"the full MNIST files in {root} are damaged: {tuple(part.data.shape)} "
                            f"images of {tuple(part.targets.shape)} labels; delete them to download again")
    x_train, y_train = _keep_37(train.data, train.targets)
    x_valid, y_valid = _keep_37(test.data, test.targets)
    return Dataset(x_train, y_train, x_valid, y_valid, source="mnist")


def _read_image(f: Path) -> np.ndarray:
    """One image file -> (28, 28) uint8 grey levels, read with the uploads' limits and PIL modes."""
    from PIL import Image

    from . import preprocess as pp

    try:
        lum, _ = pp.luminance(pp.read_image(pp.read_file(f)))
    except pp.PreprocessError as e:
        raise DataError(f"{f} is not a readable image: {e}") from e
    except OSError as e:
        raise DataError(f"{f} is not a readable image: {e.strerror or e}") from e
    if lum.shape != (28, 28):
        lum = np.asarray(Image.fromarray(lum, mode="F").resize((28, 28), Image.Resampling.LANCZOS))
    return np.clip(np.round(lum), 0, 255).astype(np.uint8)


def _read_images(folder: Path) -> np.ndarray:
    """Every image file in `folder` (not its subfolders or hidden files) -> (n, 28, 28) uint8."""
    try:
        files = sorted(p for p in folder.iterdir()
                       if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".") and p.is_file())
    except OSError as e:
        raise DataError(f"cannot list {folder}: {e.strerror or e}") from e
    if not files:
        raise DataError(f"{folder} holds no images")
    return np.stack([_read_image(f) for f in files])


def load_folder(path: str | Path) -> Dataset:
    """A folder in fastai's MNIST_SAMPLE layout: train/3, train/7, valid/3, valid/7 of images."""
    path = Path(path).expanduser()
    if not path.is_dir():
        raise DataError(f"no such folder: {path}")
    missing = [f"{s}/{d}" for s in ("train", "valid") for d in DIGITS if not (path / s / str(d)).is_dir()]
    if missing:
        raise DataError(
            f"{path} is not in the MNIST_SAMPLE layout (train/3, train/7, valid/3, valid/7): "
            f"missing {', '.join(missing)}")
    parts = {}
    for split in ("train", "valid"):
        xs = [_read_images(path / split / str(d)) for d in DIGITS]
        parts[split] = (np.concatenate(xs),
                        np.concatenate([np.full(len(x), d, np.uint8) for x, d in zip(xs, DIGITS)]))
    return Dataset(*parts["train"], *parts["valid"], source=str(path))


def load(source: str = "embedded", root: str | Path | None = None, fallback: bool = True) -> Dataset:
    """Load a source by name ("embedded", "mnist") or folder path.

    For "mnist", a failed download falls back to the embedded sample (when `fallback`), with
    `Dataset.notice` saying so in one sentence. A bad folder raises DataError.
    """
    if source == "embedded":
        return load_embedded()
    if source == "mnist":
        try:
            return load_torchvision(root)
        except DataError as e:
            if not fallback:
                raise
            ds = load_embedded()
            return Dataset(ds.x_train, ds.y_train, ds.x_valid, ds.y_valid, source="embedded",
                           notice=f"{str(e)[:1].upper()}{str(e)[1:]} (no network?), so this uses the embedded "
                                  f"sample of {ds.n_train + ds.n_valid:,} real MNIST digits instead.")
    return load_folder(source)
