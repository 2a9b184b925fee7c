"""The few lines of fastbook chapter 4 that each view shows, in an expander beside it."""
from __future__ import annotations

import streamlit as st

# The few lines of fastbook chapter 4 that each view shows.
LOSS_CODE = """
def mnist_loss(predictions, targets):
    predictions = predictions.sigmoid()
    return torch.where(targets==1, 1-predictions, predictions).mean()

def calc_grad(xb, yb, model):
    preds = model(xb)
    loss = mnist_loss(preds, yb)   # or F.binary_cross_entropy_with_logits
    loss.backward()

def train_epoch(model, lr, params):
    for xb,yb in dl:
        calc_grad(xb, yb, model)
        for p in params:
            p.data -= p.grad*lr
            p.grad.zero_()
"""
ACCURACY_CODE = """

def batch_accuracy(xb, yb):
    preds = xb.sigmoid()
    correct = (preds>0.5) == yb
    return correct.float().mean()

def validate_epoch(model):
    accs = [batch_accuracy(model(xb), yb) for xb,yb in valid_dl]
    return round(torch.stack(accs).mean().item(), 4)
"""
WEIGHTS_CODE = """
def init_params(size, std=1.0): return (torch.randn(size)*std).requires_grad_()

weights = init_params((28*28,1))
bias = init_params(1)

def linear1(xb): return xb@weights + bias
"""
HISTOGRAM_CODE = """
preds = linear1(valid_x)                      # one logit per valid image
corrects = (preds>0.0).float() == valid_y     # logit > 0  <=>  sigmoid(logit) > 0.5
corrects.float().mean().item()
"""
SWEEP_CODE = """

for t in torch.linspace(-10, 10, 401):        # every threshold on the slider
    acc = ((preds>t).float() == valid_y).float().mean()
"""
FIT_CODE = """
preds = linear1(xb)
loss = mnist_loss(preds - threshold, yb)      # the loss sees logit - threshold
"""


def lesson_code(code: str, title: str = "The lesson's code") -> None:
    with st.expander(title):
        st.code(code.strip(), language="python")
