"""Train: watch the lesson's model learn, and steer it while it learns.

The settings live in the sidebar (each widget keyed by its TrainConfig field); the buttons, the
numbers and the figures live in the main area. While training runs, a fragment with `run_every`
redraws only the live views, so the rest of the page (and every widget) stays responsive. At a
speed of N steps per redraw the fragment takes the N steps itself; at the fastest speed a
background thread (mnist37.background) trains between redraws and each redraw reads the model
under its lock. Streamlit reruns this script top to bottom on every widget change; nothing here
trains or loads data except through the cached helpers in pages/common.py and `train_slice`.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import streamlit as st

from mnist37 import figures
from mnist37.data import DataError
from mnist37.inference import sigmoid
from mnist37.metrics import EpochAccuracy, accuracy_sweep, class_midpoint, logit_span
from mnist37.model import other_digit
from mnist37.train import FIELDS, LR_GRID, TrainConfig, spec
from pages.common import (REDRAW_SECONDS, Clicks, background, fig_height, get_config, get_trainer,
                          holding_trainer, is_presentation, reset_trainer, route_through_app, seed_widget,
                          set_config, stop_background)
from pages.live_chart import live_plotly_chart

FASTEST = "fastest"
SPEEDS = (1, 2, 5, 10, 20, 50, FASTEST)  # mini-batch steps per redraw
DEFAULT_SPEED = 5  # 20 steps/s: the lesson's 20 epochs (140 steps) in about 7 seconds
SWEEP_POINTS = 401  # thresholds on the accuracy-vs-threshold curve

RUNNING = "train_running"  # session_state: is the Train button "on"?
SPEED = "train_speed"  # session_state: the speed, kept across page switches
NOTICE = "train_notice"  # session_state: a one-off message (what reset, and why)
CLICKS = "train_clicks"  # session_state: the page's Clicks (recorded by the buttons, applied by the script)
FIT_FROM = "train_fit_from"  # session_state: (step, bias, midpoint) when "train for this threshold" began
ACCURACY = "train_accuracy_cache"  # session_state: EpochAccuracy for (trainer, threshold)
LABELS = {"source": "data source", "std": "init std", "seed": "seed", "loss": "loss", "positive": "positive digit"}


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

def fit_start(t) -> tuple:
    """(step, bias, midpoint of the two digits' mean logits) now: the 'before' of train-for-threshold."""
    return t.step, t.params()[1], class_midpoint(t.valid_logits().numpy(), t.valid_y.numpy())


def lesson_code(code: str) -> None:
    with st.expander("The lesson's code"):
        st.code(code.strip(), language="python")


# --- buttons: their callbacks only record the click; `act` does what it asks (see Clicks) ---------
def pause():
    """Stop live training (the timer and, at the fastest speed, the thread); return the trainer."""
    st.session_state[RUNNING] = False
    stop_background()
    return get_trainer()


def act(action: str) -> None:
    """What a click on Train, Pause, Step, Epoch or Reset does. Clicks.apply may stop this at any
    st.* call and run it again from the start; pause, train and reset are safe to redo, and a
    step or an epoch comes after the last st.* call, so it happens once per click."""
    if action == "pause":
        pause()
    elif action == "train":
        t = get_trainer()
        if t.status == "diverged":
            st.session_state[NOTICE] = "Training stopped on a NaN/inf: press Reset to start again."
        elif t.status == "done":
            st.session_state[NOTICE] = (f"Finished {t.epoch} epochs. Raise Epochs to train on, or press "
                                        f"Reset to start again from fresh random weights.")
        else:
            st.session_state[RUNNING] = True
    elif action in ("step", "epoch"):
        t = pause()
        if t.status == "diverged":
            return
        if action == "step":
            t.train_step()  # one mini-batch, also past the last epoch
        else:
            if t.status == "done":
                t.status = "training"  # one more epoch past the end: the Trainer stops at the next boundary
            t.advance_epoch()
    elif action == "reset":
        pause()
        st.session_state[FIT_FROM] = fit_start(reset_trainer())
    else:
        raise ValueError(f"unknown button action {action!r}")


def clicks() -> Clicks:
    """The page's clicks (one object for the session, so the buttons' callbacks all record into it)."""
    return st.session_state.setdefault(CLICKS, Clicks())


# --- controls ------------------------------------------------------------------------------------
def controls(cfg: TrainConfig) -> dict:
    """Draw the settings in the sidebar; return the values of the ones drawn in this run."""
    drawn = []

    def widget(name, draw, *args, **kw):
        seed_widget(name)
        draw(*args, key=name, help=spec(name)["help"].capitalize() + ".", **kw)
        drawn.append(name)

    sb = st.sidebar
    with sb:
        st.subheader("Training settings")
        widget("lr", st.select_slider, "Learning rate (lr)", options=sorted({*LR_GRID, cfg.lr}),
               format_func=lambda v: f"{v:g}")
        widget("threshold", st.slider, "Threshold on the logit", min_value=-10.0, max_value=10.0, step=0.1)
        t = float(st.session_state["threshold"])
        p = sigmoid(t)
        st.caption(f"sigmoid({t:g}) = **{p:.3f}**: the model says {cfg.positive} when "
                   f"its logit is above {t:g}, i.e. its probability is above {p:.3f}.")
        widget("fit_threshold", st.toggle, "Train for this threshold")
        if "speed" not in st.session_state:  # the slider's own state goes when the page is left
            st.session_state["speed"] = st.session_state.get(SPEED, DEFAULT_SPEED)
        st.select_slider("Speed (steps per redraw)", SPEEDS, key="speed",
                         help="Mini-batch steps between two redraws (5 redraws a second): 1 to watch every "
                              "step, 'fastest' to train as fast as the page can while still redrawing.")
        st.session_state[SPEED] = st.session_state["speed"]  # for the live views, and the next visit
        widget("epochs", st.number_input, "Epochs", min_value=1, max_value=200, step=1)
        widget("loss", st.radio, "Loss", options=("mnist", "bce"), horizontal=True,
               format_func=lambda v: {"mnist": "mnist_loss", "bce": "cross-entropy"}[v])
        widget("positive", st.radio, "Positive digit (label 1)", options=(3, 7), horizontal=True)
        if not is_presentation():
            st.subheader("Advanced")
            widget("bs", st.number_input, "Batch size (bs)", min_value=1, max_value=4096, step=1)
            widget("std", st.number_input, "Init std", min_value=0.0, max_value=1e38, step=0.1, format="%g")
            widget("seed", st.number_input, "Seed", min_value=0, max_value=2**31 - 1, step=1)
            sources = ("embedded", "mnist") + (() if cfg.source in ("embedded", "mnist") else (cfg.source,))
            widget("source", st.selectbox, "Data", options=sources,
                   format_func=lambda v: {"embedded": "embedded sample (2,102 digits)",
                                          "mnist": "full MNIST (downloads once)"}.get(v, v))
    return {name: st.session_state[name] for name in drawn}


def apply(cfg: TrainConfig, values: dict) -> None:
    """Write widget changes to the config and the trainer; reset (and say so) when they must."""
    kinds = {n: type(FIELDS[n].default) for n in values}
    try:
        new = replace(cfg, **{n: kinds[n](v) for n, v in values.items()})
    except ValueError as e:
        st.error(f"That setting was not applied: {e}.")
        return
    if new == cfg:
        return
    set_config(new)
    with holding_trainer() as t:  # a new lr (or threshold, ...) applies from the next step
        changed = t.update(new)
    if changed:
        pause()
        t = reset_trainer()
        what = ", ".join(f"the {LABELS[n]} ({getattr(cfg, n)} → {getattr(new, n)})" for n in changed)
        st.session_state[NOTICE] = (f"Reset to fresh random weights (seed {new.seed}): you changed {what}, "
                                    f"which makes it a different experiment.")
    if new.fit_threshold and (changed or not cfg.fit_threshold):
        with holding_trainer() as t:
            st.session_state[FIT_FROM] = fit_start(t)


# --- the live views ------------------------------------------------------------------------------
def epoch_accuracy(t, threshold: float) -> EpochAccuracy:
    acc = st.session_state.get(ACCURACY)
    if acc is None or acc.trainer is not t or acc.threshold != threshold:
        acc = st.session_state[ACCURACY] = EpochAccuracy(t, threshold)
    return acc.update()


def train_slice(t) -> None:
    """While running: `speed` steps per redraw, or at the fastest speed keep the background thread
    training (pages.common.background) between redraws."""
    speed = st.session_state.get(SPEED, DEFAULT_SPEED)
    if speed == FASTEST:
        bg = background()
        bg.start()  # starts it, or tells it the page is still watching
        if bg.error is not None:
            stop_background()
            st.session_state[RUNNING] = False
            st.session_state[NOTICE] = f"Training stopped on an error: {bg.error}"
            st.rerun()
    else:
        stop_background()
        t.advance(n_steps=speed)


def live_views() -> None:
    """One slice of training (while running), then every view that depends on the weights."""
    clicks().apply(act)  # a click this timed rerun carried (see Clicks)
    cfg = get_config()
    if st.session_state.get(RUNNING):
        train_slice(get_trainer())
    with holding_trainer() as t:  # what the views show is one state of the model, read together
        if t.finished and st.session_state.get(RUNNING):
            # done or diverged: a full rerun turns Pause back into Train and stops the timer
            st.session_state[RUNNING] = False
            st.rerun()
        logits = t.valid_logits().numpy().ravel()
        targets = t.valid_y.numpy().ravel()
        acc = epoch_accuracy(t, cfg.threshold)
        recent = t.step_loss[-t.steps_per_epoch:]
        epoch, step, total, status = t.epoch, t.step, max(t.total_steps, t.step, 1), t.status
        step_loss, epochs = list(t.step_loss), list(t.epochs)
        w, bias = t.params()
        w0 = t.snapshots[0][0]

    h = fig_height(260)
    positive, other = cfg.positive, other_digit(cfg.positive)
    valid_acc = float(accuracy_sweep(logits, targets, [cfg.threshold])[0])

    m = st.columns(4)
    m[0].metric("Valid accuracy", f"{valid_acc:.1%}")
    m[1].metric("Train loss", f"{np.mean(recent):.4f}" if recent else "—",
                help="Mean loss of the last epoch's worth of mini-batches")
    m[2].metric("Epoch", f"{epoch} / {cfg.epochs}")
    m[3].metric("Step", f"{step}")
    st.progress(min(1.0, step / total), text=f"epoch {epoch} of {cfg.epochs} · step {step} of {total}"
                + (" · finished" if status == "done" else ""))
    if step == 0:
        st.info(f"The weights are random, so the model is guessing: accuracy is about 50 % and the "
                f"{positive}s and {other}s overlap in the histogram below. Press Train.", icon="🎲")

    # Live charts update in place (pages/live_chart.py); while training they are static pictures
    # (no hover), which costs the browser less on every redraw.
    static = bool(st.session_state.get(RUNNING))
    live_plotly_chart(figures.learning_curves(
        step_loss, [r.step for r in epochs], [r.valid_loss for r in epochs], acc.train, acc.valid,
        "mnist_loss" if cfg.loss == "mnist" else "cross-entropy", cfg.threshold, height=h), "live_curves", static)
    st.caption("**Loss** is what SGD pushes down: measured on each mini-batch while training (so it jumps "
               "around) and once per epoch on the valid digits, which the model never trains on. **Accuracy** "
               "is what we care about, but it can't guide SGD: it only changes when a digit crosses the "
               "threshold, so its gradient is almost always 0.")
    lesson_code(LOSS_CODE + ACCURACY_CODE)

    left, right = st.columns([1, 1.15])
    with left:
        change = st.toggle("Show what training changed", key="weights_change",
                           help="The weights minus the random ones they started from")
        live_plotly_chart(figures.weight_heatmap_live(w - w0 if change else w, positive, height=fig_height(370),
                                                      name="change" if change else "weight"), "live_weights", static)
        st.caption(f"**The 784 weights** as the 28×28 picture they are. Blue pixels push the logit up "
                   f"(toward {positive}), red ones down (toward {other}). The random start (std {cfg.std:g}) "
                   f"hides what SGD adds: switch on *what training changed* to see the {positive} appear.")
        lesson_code(WEIGHTS_CODE)
    with right:
        span = logit_span(logits)
        sweep = np.linspace(-span, span, SWEEP_POINTS)
        live_plotly_chart(figures.threshold_view(logits, targets == 1, cfg.threshold, positive, sweep,
                                                 accuracy_sweep(logits, targets, sweep), valid_acc, span=span,
                                                 height=fig_height(400)), "live_logits", static)
        st.caption(f"**Each valid digit's logit** (top): right of the dashed threshold the model says "
                   f"{positive}. Training pulls the {positive}s right and the {other}s left. **Accuracy at "
                   f"every threshold** (bottom): moving the threshold changes decisions, not weights.")
        lesson_code(HISTOGRAM_CODE + SWEEP_CODE)

    if cfg.fit_threshold:
        step0, bias0, mid0 = st.session_state[FIT_FROM]  # set before the first live view, and on reset
        mid = class_midpoint(logits, targets)
        st.markdown(f"**Training for threshold {cfg.threshold:g}**")
        f = st.columns(4)
        f[0].metric(f"Bias at step {step0}", f"{bias0:+.3f}")
        f[1].metric("Bias now", f"{bias:+.3f}", delta=f"{bias - bias0:+.3f}", delta_color="off")
        f[2].metric(f"Logit midpoint at step {step0}", f"{mid0:+.2f}",
                    help=f"Halfway between the mean logit of the valid {positive}s and of the {other}s")
        f[3].metric("Logit midpoint now", f"{mid:+.2f}", delta=f"{mid - mid0:+.2f}", delta_color="off")
        st.caption(f"The loss sees `logit - threshold`, so SGD moves the {positive}s' and {other}s' logits until "
                   f"they straddle {cfg.threshold:g} instead of 0. Most of that shift goes through the weights of "
                   f"inked pixels (each digit has about 150), only a little through the one bias. Accuracy at "
                   f"this threshold ends about as good as an ordinary model's at 0: a non-zero threshold still "
                   f"works.")
        lesson_code(FIT_CODE)


# --- the page ------------------------------------------------------------------------------------
route_through_app()  # before anything is drawn: see pages.common
st.title("Train: watch the model learn")
st.markdown(
    "Press **Train** and watch 784 random weights and a bias become a 3-vs-7 detector, one mini-batch "
    "at a time: the loss falls, accuracy climbs from about 50 %, and the weights take the shape of the "
    "digits. Drag the learning rate or the threshold while it runs.")

cfg = get_config()
apply(cfg, controls(cfg))
buttons = clicks()
try:
    buttons.apply(act)  # what the buttons recorded (see Clicks)
    trainer = get_trainer()
except DataError as e:
    st.error(f"{e} The embedded sample is used instead.")
    set_config(replace(get_config(), source="embedded"))
    trainer = reset_trainer()
if FIT_FROM not in st.session_state:
    st.session_state[FIT_FROM] = fit_start(trainer)
running = bool(st.session_state.get(RUNNING)) and not trainer.finished
st.session_state[RUNNING] = running

record, drawn = buttons.record, buttons.draw()  # one click, one action (see Clicks)
b = st.columns([1.2, 1, 1, 1, 4])
b[0].button("Pause" if running else "Train", key="train_button", type="primary", on_click=record,
            args=("pause" if running else "train", drawn), width="stretch",
            help="Run the lesson's training loop, redrawing as it goes")
b[1].button("Step", key="step_button", on_click=record, args=("step", drawn), width="stretch",
            help="Train on one mini-batch")
b[2].button("Epoch", key="epoch_button", on_click=record, args=("epoch", drawn), width="stretch",
            help="Train one epoch")
b[3].button("Reset", key="reset_button", on_click=record, args=("reset", drawn), width="stretch",
            help="Fresh random weights from the seed")
if trainer.data.notice:
    st.info(trainer.data.notice)
if NOTICE in st.session_state:
    st.info(st.session_state.pop(NOTICE), icon="🔄")
if trainer.status == "diverged":
    st.warning(trainer.message, icon="⚠️")
    st.button("Reset to fresh random weights", key="reset_after_divergence", on_click=record,
              args=("reset", drawn))

st.fragment(run_every=REDRAW_SECONDS if running else None)(live_views)()
