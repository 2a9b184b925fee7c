"""The Train page's live views: the four numbers, the progress bar and the three charts, redrawn by
a fragment several times a second while training (one slice of training per redraw).

A redraw sends as few elements as it can: the numbers in one row, one progress bar and one element
holding the three charts with their captions (pages.ui.live_chart). What does not change while
training (the lesson's code, the weights toggle) is drawn outside the fragment, once per page run.
All sessions of a server share one pacer (mnist37.pacing): when the server is busy every live view
redraws less often, and training goes on between redraws.
"""
from __future__ import annotations

import time

import numpy as np
import streamlit as st
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.scriptrunner_utils.script_run_context import ThreadState, enqueue_message

from mnist37 import figures
from mnist37.metrics import EpochAccuracy, accuracy_sweep, class_midpoint, confusion, logit_span
from mnist37.model import accuracy, other_digit
from mnist37.pacing import PACER
from pages.ui.classmode import push_due
from pages.ui.lesson_code import (ACCURACY_CODE, FIT_CODE, HISTOGRAM_CODE, LOSS_CODE, SWEEP_CODE, WEIGHTS_CODE,
                                  lesson_code)
from pages.ui.live_chart import live_charts
from pages.ui.present import fig_height
from pages.ui.session import RUNNING, get_config, get_trainer, holding_trainer
from pages.ui.train_run import EPOCH_END, FIT_FROM, act, clicks, train_slice

SWEEP_POINTS = 401  # thresholds on the accuracy-vs-threshold curve
ACCURACY = "train_accuracy_cache"  # session_state: EpochAccuracy for (trainer, threshold)
INTERVAL = "train_interval"  # session_state: the redraw interval the browser's timer was last given
CHANGE = "weights_change"
FLUSH_SECONDS = 0.01  # idle time at the end of each live redraw (no CPU), see live_views  # the "Show what training changed" toggle's key


def epoch_accuracy(t, threshold: float) -> EpochAccuracy:
    acc = st.session_state.get(ACCURACY)
    if acc is None or acc.trainer is not t or acc.threshold != threshold:
        acc = st.session_state[ACCURACY] = EpochAccuracy(t, threshold)
    return acc.update()


def _session() -> int:
    """This session, for the pacer's count of sessions redrawing."""
    return id(st.session_state[INTERVAL + "_session"]) if INTERVAL + "_session" in st.session_state else \
        id(st.session_state.setdefault(INTERVAL + "_session", object()))


def redraw_interval() -> float:
    """The live views' interval now (every session of the server shares it); remembered as the
    one the browser's timer runs at when the fragment is registered with it."""
    st.session_state[INTERVAL] = PACER.interval(_session())
    return st.session_state[INTERVAL]


def _follow_pacer() -> None:
    """Inside a fragment rerun: when the shared interval has moved, send the browser the new one
    (the message st.fragment sends when it registers a `run_every`; the browser then resets its
    timer for this fragment)."""
    interval = PACER.interval(_session())
    if interval != st.session_state.get(INTERVAL):
        msg = ForwardMsg()
        msg.auto_rerun.interval = interval
        msg.auto_rerun.fragment_id = ThreadState.get().fragment_id
        enqueue_message(msg)
        st.session_state[INTERVAL] = interval


def live_views() -> None:
    """One slice of training (while running), then every view that depends on the weights."""
    clicks().apply(act)  # a click this timed rerun carried (see pages.ui.clicks)
    cfg = get_config()
    running = bool(st.session_state.get(RUNNING))
    if running:
        _follow_pacer()
        train_slice(get_trainer())
        if push_due():
            st.rerun()  # the whole page, whose top shows the teacher's suggested settings
    with holding_trainer() as t:  # what the views show is one state of the model, read together
        if t.finished and running and EPOCH_END not in st.session_state:
            # done or diverged: a full rerun turns Pause back into Train, stops the timer and keeps the run
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

    positive, other = cfg.positive, other_digit(cfg.positive)
    valid_acc = accuracy(logits, targets, cfg.threshold)
    row = st.container(horizontal=True, gap="medium")
    row.metric("Valid accuracy", f"{valid_acc:.1%}")
    row.metric("Train loss", f"{np.mean(recent):.4f}" if recent else "—",
               help="Mean loss of the last epoch's worth of mini-batches")
    row.metric("Epoch", f"{epoch} / {cfg.epochs}")
    row.metric("Step", f"{step}")
    st.progress(min(1.0, step / total), text=f"epoch {epoch} of {cfg.epochs} · step {step} of {total}"
                + (" · finished" if status == "done" else ""))
    if step == 0:
        st.info(f"The weights are random, so the model is guessing: accuracy is about 50 % and the "
                f"{positive}s and {other}s overlap in the histogram below. Press Train.", icon="🎲")

    change = bool(st.session_state.get(CHANGE))
    span = logit_span(logits)
    sweep = np.linspace(-span, span, SWEEP_POINTS)
    live_charts([
        figures.learning_curves(step_loss, [r.step for r in epochs], [r.valid_loss for r in epochs], acc.train,
                                acc.valid, "mnist_loss" if cfg.loss == "mnist" else "cross-entropy", cfg.threshold,
                                height=fig_height(260)),
        figures.weight_heatmap_live(w - w0 if change else w, positive, height=fig_height(370),
                                    name="change" if change else "weight"),
        figures.threshold_view(logits, targets == 1, cfg.threshold, positive, sweep,
                               accuracy_sweep(logits, targets, sweep), valid_acc, span=span,
                               height=fig_height(400)),
        figures.confusion_matrix(confusion(logits, targets, cfg.threshold), positive, cfg.threshold,
                                 height=fig_height(260)),
    ], [
        "**Loss** is what SGD pushes down: measured on each mini-batch while training (so it jumps around) and "
        "once per epoch on the valid digits, which the model never trains on. **Accuracy** is what we care "
        "about, but it can't guide SGD: it only changes when a digit crosses the threshold, so its gradient "
        "is almost always 0.",
        f"**The 784 weights** as the 28×28 picture they are. Blue pixels push the logit up (toward {positive}), "
        f"red ones down (toward {other}). The random start (std {cfg.std:g}) hides what SGD adds: switch on "
        f"*Show what training changed* to see the {positive} appear.",
        f"**Each valid digit's logit** (top): right of the dashed threshold the model says {positive}. Training "
        f"pulls the {positive}s right and the {other}s left. **Accuracy at every threshold** (bottom): moving "
        f"the threshold changes decisions, not weights.",
        f"**The valid digits by true digit and decision** at this threshold. Precision: of the digits called "
        f"{positive}, the share that are {positive}s; recall: of the {positive}s, the share called {positive}. "
        f"Raise the threshold and fewer digits are called {positive}: precision goes up, recall down.",
    ], key="live", static=running)  # while training: pictures without hover, cheaper to redraw

    if running:
        # Hand the server a moment to send this redraw: a timer tick that came in meanwhile starts
        # the next run as soon as this one ends, and a run's start drops what is still unsent.
        time.sleep(FLUSH_SECONDS)
    if cfg.fit_threshold:
        step0, bias0, mid0 = st.session_state[FIT_FROM]  # set before the first live view, and on reset
        mid = class_midpoint(logits, targets)
        st.markdown(f"**Training for threshold {cfg.threshold:g}**")
        f = st.container(horizontal=True, gap="medium")
        f.metric(f"Bias at step {step0}", f"{bias0:+.3f}")
        f.metric("Bias now", f"{bias:+.3f}", delta=f"{bias - bias0:+.3f}", delta_color="off")
        f.metric(f"Logit midpoint at step {step0}", f"{mid0:+.2f}",
                 help=f"Halfway between the mean logit of the valid {positive}s and of the {other}s")
        f.metric("Logit midpoint now", f"{mid:+.2f}", delta=f"{mid - mid0:+.2f}", delta_color="off")
        st.caption(f"The loss sees `logit - threshold`, so SGD moves the {positive}s' and {other}s' logits until "
                   f"they straddle {cfg.threshold:g} instead of 0. Most of that shift goes through the weights of "
                   f"inked pixels (each digit has about 150), only a little through the one bias. Accuracy at "
                   f"this threshold ends about as good as an ordinary model's at 0: a non-zero threshold still "
                   f"works.")


def lesson_views() -> None:
    """The lesson's code for each live view (drawn once per page run, outside the fragment)."""
    a, b, c = st.columns(3)
    with a:
        lesson_code(LOSS_CODE + ACCURACY_CODE, "The lesson's code: loss and accuracy")
    with b:
        lesson_code(WEIGHTS_CODE, "The lesson's code: the weights")
    with c:
        lesson_code(HISTOGRAM_CODE + SWEEP_CODE, "The lesson's code: logits and the threshold")
    if get_config().fit_threshold:
        lesson_code(FIT_CODE, "The lesson's code: training for a threshold")
