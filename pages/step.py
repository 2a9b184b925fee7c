"""One SGD step, up close: the next mini-batch of the session's model, the lesson's loop line by line
with its numbers filled in, and a button that takes exactly that step.

The step is worked out by mnist37.sgd_step on copies of the weights; "Take this step" calls the
session Trainer's own train_step (the Train page's Step), only while the model is where the shown
step was worked out. Its click is recorded and acted on by the script (pages.ui.clicks.Clicks).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import streamlit as st

from mnist37 import figures
from mnist37.model import other_digit
from mnist37.sgd_step import overshoot, preview, state_key, take
from mnist37.config import LR_GRID, spec
from pages.ui.charts import chart
from pages.ui.clicks import Clicks
from pages.ui.layout import wrapping_columns
from pages.ui.present import fig_height
from pages.ui.routing import route_through_app
from pages.ui.session import get_config, holding_trainer, pause, seed_widget, set_config

CLICKS = "step_clicks"  # session_state: this page's Clicks
SHOWN = "step_shown"  # session_state: the StepPreview the button was drawn with
TAKEN = "step_taken"  # session_state: the last StepPreview taken here
NOTICE = "step_notice"  # session_state: a one-off message

BATCH_CODE = """
for xb,yb in dl:   # the next (xb, yb)
    preds = linear1(xb).sigmoid()   # P({pos})
"""
LOSS_CODE = {"mnist": """
def mnist_loss(predictions, targets):
    predictions = predictions.sigmoid()
    return torch.where(targets==1, 1-predictions, predictions).mean()

loss = mnist_loss(linear1(xb), yb)
loss.backward()   # fills p.grad
""", "bce": """
loss = F.binary_cross_entropy_with_logits(
    linear1(xb), yb)
loss.backward()   # fills p.grad
"""}
STEP_CODE = """
for p in weights, bias:
    p.data -= p.grad*lr
    p.grad.zero_()
"""
WHY_CODE = """
# |d loss/d logit|, m = logit toward truth
mnist_loss:    sigmoid(m)*(1-sigmoid(m))
cross-entropy: 1-sigmoid(m)
# at m = -10: 0.000045 against 0.99995
"""


def act(action: str) -> None:
    """'Take this step': the step the button was drawn with, if the model is still where it was worked
    out. The step comes after the last st.* call, so it happens once per click (see Clicks)."""
    shown = st.session_state.get(SHOWN)
    t = pause()
    if shown is None or action != f"take:{shown.key}" or state_key(t) != shown.key or t.status == "diverged":
        st.session_state[NOTICE] = "The model changed before that step was taken; here is its next step."
        return
    st.session_state[TAKEN] = shown
    take(t, shown)


def choose_lr() -> None:
    """The learning-rate slider (the Train page's, keyed "lr"); a new lr applies to the session's model."""
    cfg = get_config()
    seed_widget("lr")
    lr = st.select_slider("Learning rate (lr)", options=sorted({*LR_GRID, cfg.lr}), key="lr",
                          format_func=lambda v: f"{v:g}", help=spec("lr")["help"].capitalize() + ".")
    if float(lr) != cfg.lr:
        new = replace(cfg, lr=float(lr))
        set_config(new)
        with holding_trainer() as t:
            t.update(new)


def code(text: str) -> None:
    st.code(text.strip(), language="python", wrap_lines=True)


def figure_and_code(row: str, widths, key: str, figure, text: str):
    """A figure beside the lesson's code; returns the code's column for the caption under it."""
    left, right = wrapping_columns(row, widths)
    with left:
        chart(figure, key=key)
    with right:
        code(text)
    return right


route_through_app()  # before anything is drawn
st.title("One SGD step, up close")
st.markdown(
    "Training repeats one step: take a mini-batch, predict, measure the loss, let `loss.backward()` say "
    "which way each of the 785 numbers should move, and move them a little: `p.data -= p.grad*lr`. "
    "Here is your model's **next** step, worked out before it is taken. Take it, and the model on the "
    "Train page moves by exactly this much.")

choose_lr()
clicks = st.session_state.setdefault(CLICKS, Clicks())
clicks.apply(act)
with holding_trainer() as t:  # read together: the step shown is this state's next step
    p = preview(t)
    step, status, message, n_train, cfg = t.step, t.status, t.message, len(t.train_x), t.cfg
st.session_state[SHOWN] = p
pos, other = cfg.positive, other_digit(cfg.positive)
loss_name = {"mnist": "mnist_loss", "bce": "cross-entropy"}[cfg.loss]

drawn = clicks.draw()
m = wrapping_columns("step_numbers", [(1, 7), (1, 8), (1, 8), (1.3, 10)], vertical_alignment="center")
m[0].metric("Step", f"{step}", help="Mini-batch steps the session's model has taken (the Train page's Step)")
m[1].metric("Loss before", f"{p.loss_before:.4f}", help=f"{loss_name} of this mini-batch with the weights as they are")
m[2].metric("Loss after", f"{p.loss_after:.4f}", delta=f"{p.loss_after - p.loss_before:+.4f}",
            delta_color="inverse", help=f"{loss_name} of the same mini-batch after this step, at lr {p.lr:g}")
m[3].button("Take this step", key="take_step", type="primary", width="stretch", on_click=clicks.record,
            args=(f"take:{p.key}", drawn), disabled=status == "diverged",
            help="Apply exactly this step to your model: the same as Step on the Train page")
if NOTICE in st.session_state:
    st.info(st.session_state.pop(NOTICE), icon="🔄")
taken = st.session_state.get(TAKEN)
if taken is not None and taken.step + 1 == step:
    st.success(f"Step {step} taken: the loss of its mini-batch went from {taken.loss_before:.4f} to "
               f"{taken.loss_after:.4f}. Below is the next step.", icon="✅")
if status == "diverged":
    st.warning(message, icon="⚠️")
elif why := overshoot(p):
    st.warning(why, icon="📈")

st.subheader("1 · The mini-batch and its predictions")
chart(figures.batch_strip(p.images, p.right, p.targets, p.logits, pos), key="step_batch")
a, b = wrapping_columns("step_batch_row", [(1, 16), (1, 16)])
with a:
    code(BATCH_CODE.format(pos=pos))
with b:
    st.caption(f"The next {len(p.targets)} of the {n_train} training digits, in the shuffled order the "
               f"Train page would take them. At threshold {p.threshold:g} the model gets **{p.n_wrong}** "
               f"wrong (vermillion frame, ×) and {len(p.targets) - p.n_wrong} right (green). Hover a digit "
               f"for its logit and probability.")

st.subheader("2 · The loss, and its gradient")
with figure_and_code("step_grad_row", [(1, 16), (1.1, 16)], "step_grad",
                     figures.gradient_map(p.weights_grad, height=fig_height(330)), LOSS_CODE[cfg.loss]):
    st.caption(f"**{loss_name} = {p.loss_before:.4f}**. The gradient says how the loss changes as each "
               f"weight grows: blue pixels raise the loss, red ones lower it, so SGD moves each weight "
               f"the other way. Only pixels inked in some digit of the batch have a gradient. The bias's "
               f"gradient: **{p.bias_grad:+.6f}**.")

st.subheader("3 · The step")
with figure_and_code("step_update_row", [(1, 16), (1.1, 16)], "step_update",
                     figures.update_map(p.update, pos, height=fig_height(330)), STEP_CODE):
    st.caption(f"−lr × grad at lr {p.lr:g}: blue weights go up (toward {pos}), red ones down (toward "
               f"{other}). The largest change is {np.abs(p.update).max():.2e}; the weights are about "
               f"{np.abs(p.weights_before.astype(np.float64)).mean():.2f} in size, so one step barely shows in them.")
big = np.argsort(-np.abs(p.update))[:3]
st.dataframe({"weight": [f"row {i // 28}, col {i % 28}" for i in big] + ["bias"],
              "before": [f"{p.weights_before[i]:.9g}" for i in big] + [f"{p.bias_before:.9g}"],
              "−lr × grad": [f"{p.update[i]:.9g}" for i in big] + [f"{p.bias_update:.9g}"],
              "after": [f"{p.weights_after[i]:.9g}" for i in big] + [f"{p.bias_after:.9g}"]},
             hide_index=True, key="step_check")
st.caption(f"Check it: after = before − lr × grad, for the three weights that change most and the bias (float32, "
           f"all digits). All 785 numbers as one fingerprint: now `{p.fingerprint_before}`, after this step "
           f"`{p.fingerprint_after}`.")
chart(figures.weights_before_after(p.weights_before, p.weights_after, pos, height=fig_height(300)),
      key="step_before_after")
st.caption(f"The weights before and after, on one scale. The loss on this batch goes from {p.loss_before:.4f} to "
           f"{p.loss_after:.4f}: " + ("a small step downhill. Too large a learning rate jumps past the bottom, and "
                                      "the loss goes up." if p.loss_after <= p.loss_before else
                                      "uphill, past the bottom: a smaller learning rate would go down."))

st.subheader("4 · Which digits teach? mnist_loss against cross-entropy")
with figure_and_code("step_sizes_row", [(1.6, 18), (1, 14)], "step_sizes",
                     figures.gradient_sizes(p.margin, p.grad_mnist, p.grad_bce, height=fig_height(320)), WHY_CODE):
    sure = p.margin < -4
    st.caption(
        f"Each digit of this batch, twice: how hard it pulls on the weights under each loss (its gradient on "
        f"the weights is this number times its pixels). {int(sure.sum())} digits are confidently wrong "
        f"(logit more than 4 on the wrong side): under mnist_loss they pull "
        f"{p.grad_mnist[sure].mean() if sure.any() else 0:.4f} on average, under cross-entropy "
        f"{p.grad_bce[sure].mean() if sure.any() else 0:.3f}. mnist_loss's sigmoid is flat out there, so "
        f"its gradient vanishes: the model learns least from its worst mistakes.")
