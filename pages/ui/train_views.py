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
from dataclasses import dataclass

import numpy as np
import streamlit as st
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime.scriptrunner_utils.script_run_context import ThreadState, enqueue_message

from mnist37 import figures, torch_thread
from mnist37.metrics import EpochAccuracy, accuracy_sweep, class_midpoint, confusion, logit_span
from mnist37.model import accuracy, other_digit
from mnist37.pacing import PACER
from pages.ui.classpush import push_due
from pages.ui.layout import wrapping_columns
from pages.ui.lesson_code import (ACCURACY_CODE, FIT_CODE, HISTOGRAM_CODE, LOSS_CODE, SWEEP_CODE, WEIGHTS_CODE,
                                  lesson_code)
from pages.ui.live_chart import charts_spec, live_charts
from pages.ui.present import fig_height, is_presentation
from pages.ui.session import RUNNING, get_config, get_trainer, holding_trainer
from pages.ui.train_run import EPOCH_END, FIT_FROM, act, clicks, steps_then_logits, train_slice

SWEEP_POINTS = 401  # thresholds on the accuracy-vs-threshold curve
ACCURACY = "train_accuracy_cache"  # session_state: EpochAccuracy for (trainer, threshold)
INTERVAL = "train_interval"  # session_state: the redraw interval the browser's timer was last given
CHANGE = "weights_change"  # the "Show what training changed" toggle's key
FLUSH_SECONDS = 0.01  # idle time at the end of each live redraw (no CPU), see live_views
QUEUED = 0.25  # a tick this soon (× the interval) after the last redraw ended queued up behind it
SHOWN = "train_live_shown"  # session_state: the LiveView last drawn (cleared by each full run)
ENDED = "train_live_ended"  # session_state: when the last live redraw ended (perf_counter)


def epoch_accuracy(t, threshold: float) -> EpochAccuracy:
    acc = st.session_state.get(ACCURACY)
    if acc is None or acc.trainer is not t or acc.threshold != threshold:
        acc = st.session_state[ACCURACY] = EpochAccuracy(t, threshold)
    return acc.update()


def _session() -> int:
    """This session, for the pacer's count of sessions redrawing."""
    return id(st.session_state.setdefault(INTERVAL + "_session", object()))


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


@dataclass(frozen=True)
class LiveView:
    """What one redraw shows, computed once: the numbers, the progress, the charts (as sent)."""

    valid_acc: str
    train_loss: str
    epoch: str
    step: str
    progress: float
    progress_text: str
    guessing: str | None  # the note shown before the first step
    charts: str  # pages.ui.live_chart.charts_spec
    fit: tuple | None  # train-for-threshold: (threshold, step0, bias0, bias, mid0, mid, positive, other)


def compute_view(running: bool) -> LiveView:
    """One slice of training (while running), then every number and figure of the live views."""
    cfg = get_config()
    steps = train_slice(get_trainer()) if running else 0
    with holding_trainer() as t:  # what the views show is one state of the model, read together
        logits = torch_thread.run(steps_then_logits, t, steps).numpy().ravel()
        if t.finished and running and EPOCH_END not in st.session_state:
            # done or diverged: a full rerun turns Pause back into Train, stops the timer and keeps the run
            st.session_state[RUNNING] = False
            st.rerun()
        targets = t.valid_y.numpy().ravel()
        acc = epoch_accuracy(t, cfg.threshold)
        recent = t.step_loss[-t.steps_per_epoch:]
        epoch, step, total, status = t.epoch, t.step, max(t.total_steps, t.step, 1), t.status
        step_loss, epochs = list(t.step_loss), list(t.epochs)
        w, bias = t.params()
        w0 = t.snapshots[0][0]

    positive, other = cfg.positive, other_digit(cfg.positive)
    valid_acc = accuracy(logits, targets, cfg.threshold)
    change = bool(st.session_state.get(CHANGE))
    span = logit_span(logits)
    sweep = np.linspace(-span, span, SWEEP_POINTS)
    charts = charts_spec([
        figures.loss_curves(step_loss, [r.step for r in epochs], [r.valid_loss for r in epochs],
                            "mnist_loss" if cfg.loss == "mnist" else "cross-entropy",
                            height=fig_height(260, present=1.1)),
        figures.accuracy_curves(acc.train, acc.valid, cfg.threshold, height=fig_height(260, present=1.1)),
        figures.weight_heatmap_live(w - w0 if change else w, positive, height=fig_height(370),
                                    name="change" if change else "weight"),
        figures.threshold_view(logits, targets == 1, cfg.threshold, positive, sweep,
                               accuracy_sweep(logits, targets, sweep), valid_acc, span=span,
                               height=fig_height(400)),
        figures.confusion_matrix(confusion(logits, targets, cfg.threshold), positive, cfg.threshold,
                                 height=fig_height(260)),
    ], [
        "**Loss** is what SGD pushes down: measured on each mini-batch while training (so it jumps around) and "
        "once per epoch on the valid digits, which the model never trains on.",
        "**Accuracy** is what we care about, but it can't guide SGD: it only changes when a digit crosses the "
        "threshold, so its gradient is almost always 0.",
        f"**The 784 weights** as the 28×28 picture they are. Blue pixels push the logit up (toward {positive}), "
        f"red ones down (toward {other}). The random start (std {cfg.std:g}) hides what SGD adds: switch on "
        f"*Show what training changed* to see the {positive} appear.",
        f"**Each valid digit's logit** (top): right of the dashed threshold the model says {positive}. Training "
        f"pulls the {positive}s right and the {other}s left. **Accuracy at every threshold** (bottom): moving "
        f"the threshold changes decisions, not weights.",
        f"**The valid digits by true digit and decision** at this threshold. Precision: of the digits called "
        f"{positive}, the share that are {positive}s; recall: of the {positive}s, the share called {positive}. "
        f"Raise the threshold and fewer digits are called {positive}: precision goes up, recall down.",
    ], static=running)  # while training: pictures without hover, cheaper to redraw
    fit = None
    if cfg.fit_threshold:
        step0, bias0, mid0 = st.session_state[FIT_FROM]  # set before the first live view, and on reset
        fit = (cfg.threshold, step0, bias0, bias, mid0, class_midpoint(logits, targets), positive, other)
    progress = f"epoch {epoch} of {cfg.epochs} · step {step} of {total}" + (" · finished" if status == "done" else "")
    guessing = (f"The weights are random, so the model is guessing: accuracy is about 50 % and the {positive}s and "
                f"{other}s overlap in the histogram below. Press Train.") if step == 0 else None
    if guessing and is_presentation():  # on a projector, one line instead of a box: room for the charts
        progress, guessing = "🎲 Random weights: the model is guessing. Press Train.", None
    return LiveView(
        f"{valid_acc:.1%}", f"{np.mean(recent):.4f}" if recent else "—", f"{epoch} / {cfg.epochs}", f"{step}",
        min(1.0, step / total), progress, guessing, charts, fit)


def draw_view(v: LiveView) -> None:
    row = st.container(horizontal=True, gap="medium")
    row.metric("Valid accuracy", v.valid_acc)
    row.metric("Train loss", v.train_loss, help="Mean loss of the last epoch's worth of mini-batches")
    row.metric("Epoch", v.epoch)
    row.metric("Step", v.step)
    st.progress(v.progress, text=v.progress_text)
    if v.guessing:
        st.info(v.guessing, icon="🎲")
    live_charts(v.charts, key="live")
    if v.fit:
        threshold, step0, bias0, bias, mid0, mid, positive, other = v.fit
        st.markdown(f"**Training for threshold {threshold:g}**")
        f = st.container(horizontal=True, gap="medium")
        f.metric(f"Bias at step {step0}", f"{bias0:+.3f}")
        f.metric("Bias now", f"{bias:+.3f}", delta=f"{bias - bias0:+.3f}", delta_color="off")
        f.metric(f"Logit midpoint at step {step0}", f"{mid0:+.2f}",
                 help=f"Halfway between the mean logit of the valid {positive}s and of the {other}s")
        f.metric("Logit midpoint now", f"{mid:+.2f}", delta=f"{mid - mid0:+.2f}", delta_color="off")
        st.caption(f"The loss sees `logit - threshold`, so SGD moves the {positive}s' and {other}s' logits until "
                   f"they straddle {threshold:g} instead of 0. Most of that shift goes through the weights of "
                   f"inked pixels (each digit has about 150), only a little through the one bias. Accuracy at "
                   f"this threshold ends about as good as an ordinary model's at 0: a non-zero threshold still "
                   f"works.")


def live_views() -> None:
    """The live views: one slice of training and a fresh view, or, for a timer tick that queued
    up while the last redraw was being made, that redraw again."""
    began = time.perf_counter()
    clicks().apply(act)  # a click this timed rerun carried (see pages.ui.clicks)
    running = bool(st.session_state.get(RUNNING))
    if running:
        _follow_pacer()
        if push_due():
            st.rerun()  # the whole page, whose top shows the teacher's suggested settings
    last, ended = st.session_state.get(SHOWN), st.session_state.get(ENDED, float("-inf"))
    if running and last is not None and began - ended < QUEUED * st.session_state.get(INTERVAL, PACER.base):
        # A tick the browser sent while the last redraw was being made: this run starts at once and
        # the server drops whatever of the last redraw it had not sent yet, so send that again.
        view = last
    else:
        view = st.session_state[SHOWN] = compute_view(running)
    draw_view(view)
    if running:
        PACER.took(time.perf_counter() - began)
        # Hand the server a moment to send this redraw before a queued tick's run begins.
        time.sleep(FLUSH_SECONDS)
    st.session_state[ENDED] = time.perf_counter()


def lesson_views() -> None:
    """The lesson's code for each live view (drawn once per page run, outside the fragment)."""
    a, b, c = wrapping_columns("train_code_row", [(1, 13)] * 3)
    with a:
        lesson_code(LOSS_CODE + ACCURACY_CODE, "The lesson's code: loss and accuracy")
    with b:
        lesson_code(WEIGHTS_CODE, "The lesson's code: the weights")
    with c:
        lesson_code(HISTOGRAM_CODE + SWEEP_CODE, "The lesson's code: logits and the threshold")
    if get_config().fit_threshold:
        lesson_code(FIT_CODE, "The lesson's code: training for a threshold")
