"""One SGD step, up close: what the Trainer's next `train_step` would compute, without taking it.

For the next mini-batch (the same indices `train_step` takes; the trainer is not changed):
`preds = linear1(xb).sigmoid()`, the loss, after `loss.backward()` the gradient of the 784
weights and the bias, the update `-lr * grad`, the weights after `p.data -= p.grad*lr`, and the
loss on the same batch after the step; per digit, right or wrong at the threshold, and how large
its gradient is under `mnist_loss` and under cross-entropy.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np
import torch

from .model import bce_loss, linear1, mnist_loss, predict


def fingerprint(weights, bias) -> str:
    """A short hash of the model's float32 numbers: equal fingerprints mean equal weights, bit for bit."""
    w = np.ascontiguousarray(np.asarray(weights, dtype=np.float32).ravel())
    b = np.asarray([bias], dtype=np.float32).ravel()
    return hashlib.sha256(w.tobytes() + b.tobytes()).hexdigest()[:16]


def state_key(trainer) -> str:
    """What a preview depends on: step, learning rate, batch size and the weights themselves."""
    w, b = trainer.params()
    return f"{trainer.step}:{trainer.cfg.lr!r}:{trainer.cfg.bs}:{fingerprint(w, b)}"


@dataclass(frozen=True)
class StepPreview:
    """The next SGD step of a trainer, worked out in full. Arrays are numpy; n = the batch's size."""

    key: str  # state_key of the trainer it was made from
    step: int  # the trainer's step count before this step
    lr: float
    loss_name: str  # "mnist" or "bce"
    threshold: float
    indices: np.ndarray  # (n,) rows of the training set
    images: np.ndarray  # (n, 28, 28) pixels in [0, 1]
    targets: np.ndarray  # (n,) 1 = the positive digit
    logits: np.ndarray  # (n,) linear1(xb)
    preds: np.ndarray  # (n,) linear1(xb).sigmoid()
    right: np.ndarray  # (n,) bool: the decision (logit > threshold) agrees with the label
    loss_before: float
    loss_after: float  # on the same batch, with the weights after the step
    weights_before: np.ndarray  # (784,) float32
    bias_before: float
    weights_grad: np.ndarray  # (784,) d loss / d weights
    bias_grad: float
    weights_after: np.ndarray  # (784,) float32: weights - grad*lr, as train_step computes it
    bias_after: float
    margin: np.ndarray  # (n,) the loss's logit signed toward the truth (< 0: on the wrong side)
    grad_mnist: np.ndarray  # (n,) |d loss_i / d logit_i| under mnist_loss
    grad_bce: np.ndarray  # (n,) the same under binary cross-entropy

    @property
    def update(self) -> np.ndarray:
        """(784,) `-lr * grad`: what the step adds to each weight."""
        return -(self.weights_grad.astype(np.float32) * np.float32(self.lr))

    @property
    def bias_update(self) -> float:
        """`-lr * grad` of the bias, in float32 as the step computes it."""
        return float(-(np.float32(self.bias_grad) * np.float32(self.lr)))

    @property
    def fingerprint_before(self) -> str:
        return fingerprint(self.weights_before, self.bias_before)

    @property
    def fingerprint_after(self) -> str:
        """`fingerprint` of the weights and bias after the step."""
        return fingerprint(self.weights_after, self.bias_after)

    @property
    def finite(self) -> bool:
        """False when the loss is NaN or inf: train_step then stops the run instead of stepping."""
        return math.isfinite(self.loss_before)

    @property
    def n_wrong(self) -> int:
        return int((~self.right).sum())


def per_digit_gradients(logits: torch.Tensor, targets: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """|d loss_i / d logit_i| for each digit, under mnist_loss and under cross-entropy, from autograd:
    both losses are means, so n times the gradient of the mean is each digit's own gradient. A digit's
    gradient on the weights is this number times its pixels. (n, 1) logits and targets -> two (n,)."""
    n = len(logits)
    out = []
    for loss in (mnist_loss, bce_loss):
        z = logits.detach().clone().requires_grad_()
        (loss(z, targets) * n).backward()
        out.append(z.grad.abs().view(-1).numpy())
    return out[0], out[1]


def preview(trainer, lr: float | None = None) -> StepPreview:
    """The step `trainer.train_step()` would take next (at `lr`, default the trainer's), computed on
    copies of its weights: the trainer, its generator and its gradients are left as they were."""
    lr = trainer.cfg.lr if lr is None else float(lr)
    idx = trainer.peek_batch()
    xb, yb = trainer.train_x[idx], trainer.train_y[idx]
    w = trainer.weights.detach().clone().requires_grad_()
    b = trainer.bias.detach().clone().requires_grad_()
    logits = linear1(xb, w, b)
    loss = trainer._loss(logits, yb)  # the trainer's loss (mnist_loss or BCE, of logit - threshold if fit)
    loss.backward()
    with torch.no_grad():
        w_after, b_after = w - w.grad * lr, b - b.grad * lr  # p.data -= p.grad*lr, on copies
        loss_after = float(trainer._loss(linear1(xb, w_after, b_after), yb))
    z = trainer.loss_input(logits.detach())
    grad_mnist, grad_bce = per_digit_gradients(z, yb)
    is_pos = yb.view(-1) == 1
    zf = logits.detach().view(-1)
    return StepPreview(
        key=state_key(trainer), step=trainer.step, lr=lr, loss_name=trainer.cfg.loss,
        threshold=trainer.cfg.threshold, indices=idx.numpy().copy(),
        images=xb.view(-1, 28, 28).numpy().copy(), targets=yb.view(-1).numpy().copy(),
        logits=zf.numpy().copy(), preds=zf.sigmoid().numpy(),
        right=(predict(zf, trainer.cfg.threshold) == is_pos).numpy(),
        loss_before=float(loss.detach()), loss_after=loss_after,
        weights_before=w.detach().view(-1).numpy().copy(), bias_before=float(b.detach()),
        weights_grad=w.grad.view(-1).numpy().copy(), bias_grad=float(b.grad),
        weights_after=w_after.view(-1).numpy().copy(), bias_after=float(b_after),
        margin=torch.where(is_pos, z.view(-1), -z.view(-1)).numpy(), grad_mnist=grad_mnist, grad_bce=grad_bce)


def take(trainer, shown: StepPreview) -> bool:
    """Take the step `shown` previewed: `trainer.train_step()`, the same as the Train page's Step
    (a NaN/inf loss stops the run there, with its message), if the trainer is still where the
    preview was made (same step, lr, batch size and weights). Returns False, and changes nothing,
    when it has moved on or has already stopped on a NaN/inf."""
    if trainer.status == "diverged" or shown.lr != trainer.cfg.lr or state_key(trainer) != shown.key:
        return False
    trainer.train_step()
    return True


def overshoot(p: StepPreview) -> str | None:
    """One sentence when the step makes the loss on its own batch higher (None otherwise)."""
    if not p.finite:
        return (f"The loss is {p.loss_before} on this mini-batch, so there is no step to take: "
                f"lower the learning rate or the init std and reset.")
    if not math.isfinite(p.loss_after) or p.loss_after > p.loss_before:
        return (f"The loss went up ({p.loss_before:.4f} → {p.loss_after:.4f}) because the learning rate "
                f"{p.lr:g} is too large: the step overshoots, jumping past the bottom of the valley the "
                f"gradient points down into.")
    return None
