"""Draw-page preprocessing fidelity: validation digits drawn at 280x280 vs raw (goal: <= 2 points lost).

Every validation digit of the embedded sample is upscaled to 280x280 RGBA, white on opaque black
(what the canvas sends), put through mnist37.preprocess, and classified by the default model (the
lesson's settings, TrainConfig(), trained on the embedded sample). Its accuracy is compared with the
same model on the same digits fed raw. Two more rows show why the preprocessing matters: the same
digits drawn at half size in a corner of the canvas, through the preprocessing, and through a naive
resize of the whole canvas to 28x28 (what a demo without MNIST's preprocessing does).
"""
from __future__ import annotations

import time

import numpy as np
from PIL import Image

from mnist37 import data, preprocess as pp
from mnist37.train import TrainConfig, Trainer

CANVAS = 280


def as_canvas(im28: np.ndarray, size: int = CANVAS, at=(0, 0), scale: float = 1.0,
              resample=Image.LANCZOS) -> np.ndarray:
    """A 28x28 uint8 digit drawn on a size x size canvas: RGBA, white ink, opaque black background.
    `scale` < 1 draws it smaller, with its top-left corner at `at` (row, col)."""
    side = round(size * scale)
    big = Image.fromarray(im28).resize((side, side), resample)
    grey = Image.new("L", (size, size), 0)
    grey.paste(big, (at[1], at[0]))
    rgba = np.empty((size, size, 4), np.uint8)
    rgba[..., :3] = np.asarray(grey)[..., None]
    rgba[..., 3] = 255
    return rgba


def naive(rgba: np.ndarray) -> np.ndarray:
    """Resize the whole canvas to 28x28 (no crop, no scaling to 20 px, no centring), /255."""
    return np.asarray(Image.fromarray(rgba[..., 0]).resize((28, 28), Image.LANCZOS), np.float32) / 255


def accuracy(x: np.ndarray, y: np.ndarray, w: np.ndarray, b: float, positive: int = 3) -> float:
    """x: (n, 28, 28) pixels /255; the lesson's decision logit > 0 against label == positive."""
    logits = x.reshape(len(x), -1).astype(np.float64) @ w + b
    return float(((logits > 0) == (y == positive)).mean())


def fidelity(n: int | None = None, cfg: TrainConfig = TrainConfig()) -> dict:
    ds = data.load_embedded()
    w, b = Trainer(cfg, ds).run().params()
    xs, ys = ds.x_valid[:n], ds.y_valid[:n]
    t0 = time.perf_counter()
    drawn = np.stack([pp.preprocess(as_canvas(im)).x for im in xs])
    seconds = time.perf_counter() - t0
    corner = [as_canvas(im, at=(10, 130), scale=0.5) for im in xs]  # top-right, half size
    raw = accuracy(xs.astype(np.float32) / 255, ys, w, b, cfg.positive)
    piped = accuracy(drawn, ys, w, b, cfg.positive)
    return {
        "n_digits": int(len(xs)),
        "raw_accuracy": raw,
        "drawn_accuracy": piped,
        "points_lost": round(100 * (raw - piped), 2),
        "drawn_nearest_accuracy": accuracy(
            np.stack([pp.preprocess(as_canvas(im, resample=Image.NEAREST)).x for im in xs]), ys, w, b,
            cfg.positive),
        "corner_preprocessed_accuracy": accuracy(np.stack([pp.preprocess(c).x for c in corner]), ys, w, b,
                                                 cfg.positive),
        "corner_naive_accuracy": accuracy(np.stack([naive(c) for c in corner]), ys, w, b, cfg.positive),
        "mean_abs_pixel_difference": float(np.abs(drawn * 255 - xs).mean()),
        "preprocess_ms_per_digit": 1000 * seconds / len(xs),
    }


def run() -> dict:
    return fidelity()


def summary(r: dict) -> str:
    return (f"   {r['n_digits']} validation digits, default model: raw {r['raw_accuracy']:.2%}, "
            f"drawn 280x280 + preprocessing {r['drawn_accuracy']:.2%} "
            f"({r['points_lost']:+.2f} points lost; goal <= 2)\n"
            f"   drawn half size in a corner: preprocessing {r['corner_preprocessed_accuracy']:.2%}, "
            f"naive resize of the canvas {r['corner_naive_accuracy']:.2%}; "
            f"nearest-neighbour upscale {r['drawn_nearest_accuracy']:.2%}; "
            f"{r['preprocess_ms_per_digit']:.1f} ms per digit")
