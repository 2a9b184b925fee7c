"""Numbers the Train page reads off a model, as plain numpy: accuracy at every threshold, the
confusion matrix with precision and recall at one, and a long per-step curve thinned to a few
hundred points.

Accuracy follows the lesson's rule, as `mnist37.model.accuracy` does: an image is called the
positive digit when its logit is above the threshold (`batch_accuracy`), so a NaN logit is called
the other digit.
"""
from __future__ import annotations

import numpy as np


def accuracy_sweep(logits, targets, thresholds) -> np.ndarray:
    """Accuracy at each threshold: (n,) logits, (n,) targets (1 = positive digit), (k,) thresholds
    -> (k,) fractions correct. Sorting once makes the whole sweep O((n + k) log n)."""
    z = np.asarray(logits).ravel()
    z = z if np.issubdtype(z.dtype, np.floating) else z.astype(np.float64)
    y = np.asarray(targets).ravel() == 1
    t = np.asarray(thresholds, dtype=z.dtype)  # compared in the logits' precision, as torch does
    pos, neg = z[y], z[~y]
    nan_neg = int(np.isnan(neg).sum())  # NaN > t is False: called the other digit, right for the others
    pos, neg = np.sort(pos[~np.isnan(pos)]), np.sort(neg[~np.isnan(neg)])
    right_pos = len(pos) - np.searchsorted(pos, t, side="right")  # positives with logit > t
    right_neg = np.searchsorted(neg, t, side="right") + nan_neg  # others with logit <= t (or NaN)
    return (right_pos + right_neg) / max(1, len(z))


def confusion(logits, targets, threshold: float = 0.0) -> dict[str, int]:
    """The 2x2 confusion matrix at a threshold, for the positive digit (label 1): (n,) or (n, 1)
    logits and targets -> {"tp", "fp", "tn", "fn"} counts. The decision is the lesson's rule
    (positive where logit > threshold; a NaN logit is called the other digit), so
    (tp + tn) / n is `mnist37.model.accuracy` at that threshold."""
    z = np.asarray(logits).ravel()
    z = z if np.issubdtype(z.dtype, np.floating) else z.astype(np.float64)
    called = z > np.asarray(threshold, dtype=z.dtype)  # in the logits' precision, as torch compares
    y = np.asarray(targets).ravel() == 1
    return {"tp": int((called & y).sum()), "fp": int((called & ~y).sum()),
            "tn": int((~called & ~y).sum()), "fn": int((~called & y).sum())}


def precision_recall(conf: dict) -> tuple[float | None, float | None]:
    """Precision tp / (tp + fp) (of the digits called positive, the share that are) and recall
    tp / (tp + fn) (of the positive digits, the share called so); None where nothing is counted."""
    called, actual = conf["tp"] + conf["fp"], conf["tp"] + conf["fn"]
    return (conf["tp"] / called if called else None, conf["tp"] / actual if actual else None)


def thin(values, max_points: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """A per-step curve as at most `max_points` points: (x, y) where x is the 1-based step and,
    when the curve is longer, y is the mean of each run of consecutive steps (x its middle)."""
    v = np.asarray(values, dtype=np.float64).ravel()
    n = len(v)
    if n <= max_points:
        return np.arange(1, n + 1, dtype=np.float64), v
    edges = np.linspace(0, n, max_points + 1).astype(int)
    sums = np.add.reduceat(v, edges[:-1])
    counts = np.diff(edges)
    return (edges[:-1] + edges[1:] + 1) / 2, sums / counts


class EpochAccuracy:
    """A Trainer's train and valid accuracy per epoch, read at one threshold, with epoch 0 (the
    random initial weights) first. `update()` only reads the epochs finished since its last call,
    so a page can redraw the curve many times a second while training runs for hundreds of epochs.

    Train accuracy of epoch e (e >= 1) is over each image's logit when its mini-batch was trained,
    as in `Trainer.history`.
    """

    def __init__(self, trainer, threshold: float):
        import torch

        from .model import accuracy, linear1

        self.trainer, self.threshold = trainer, float(threshold)
        w0, b0 = trainer.snapshots[0]
        w, b = torch.from_numpy(np.asarray(w0, np.float32)).view(-1, 1), torch.tensor([b0], dtype=torch.float32)
        with torch.no_grad():
            self.train = [accuracy(linear1(trainer.train_x, w, b), trainer.train_y, self.threshold)]
            self.valid = [accuracy(linear1(trainer.valid_x, w, b), trainer.valid_y, self.threshold)]

    def update(self) -> "EpochAccuracy":
        from .model import accuracy

        t = self.trainer
        for r in t.epochs[len(self.valid) - 1:]:
            self.train.append(accuracy(r.train_logits, r.train_targets, self.threshold))
            self.valid.append(accuracy(r.valid_logits, t.valid_y, self.threshold))
        return self

    @property
    def epochs(self) -> list[int]:
        return list(range(len(self.valid)))


def logit_span(logits, minimum: float = 10.0) -> float:
    """A round half-width for a logit axis: at least `minimum` (the threshold slider's reach) and
    wide enough for every finite logit, rounded up to 1, 2 or 5 times a power of ten."""
    z = np.asarray(logits, dtype=np.float64).ravel()
    z = np.abs(z[np.isfinite(z)])
    top = float(z.max()) if len(z) else 0.0
    if top <= minimum:
        return float(minimum)
    power = 10.0 ** np.floor(np.log10(top))
    for m in (1, 2, 5, 10):
        if m * power >= top:
            return float(m * power)
    return top


def class_midpoint(logits, targets) -> float:
    """Halfway between the mean logit of the positive digit's images and the other digit's: where
    the two clouds of logits meet, i.e. the threshold they are best split at (roughly)."""
    z = np.asarray(logits, dtype=np.float64).ravel()
    y = np.asarray(targets).ravel() == 1
    means = [z[m][np.isfinite(z[m])].mean() if np.isfinite(z[m]).any() else np.nan for m in (y, ~y)]
    return float((means[0] + means[1]) / 2)
