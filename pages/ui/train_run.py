"""The Train page's run: the buttons' actions, live training in slices or on a thread, and what
"train for this threshold" started from. The rules (what Train may do now, an epoch past the end)
are the Trainer's own (mnist37.train); this module holds them in the session."""
from __future__ import annotations

import streamlit as st

from mnist37.jobs import SYNC_BUDGET, step_cost
from mnist37.metrics import class_midpoint
from pages.ui.clicks import Clicks
from pages.ui.session import RUNNING, background, get_trainer, pause, reset_trainer, stop_background
from pages.ui.train_compare import keep

FASTEST = "fastest"
SPEEDS = (1, 2, 5, 10, 20, 50, FASTEST)  # mini-batch steps per redraw
DEFAULT_SPEED = 5  # 20 steps/s: the lesson's 20 epochs (140 steps) in about 7 seconds

SPEED = "train_speed"  # the speed, kept across page switches
NOTICE = "train_notice"  # a one-off message (what reset, and why)
CLICKS = "train_clicks"  # the page's Clicks (recorded by the buttons, applied by the script)
FIT_FROM = "train_fit_from"  # (step, bias, midpoint) when "train for this threshold" began
EPOCH_END = "train_epoch_end"  # the epoch an Epoch click too large for one page view trains up to, live


def fit_start(t) -> tuple:
    """(step, bias, midpoint of the two digits' mean logits) now: the 'before' of train-for-threshold."""
    return t.step, t.params()[1], class_midpoint(t.valid_logits().numpy(), t.valid_y.numpy())


def clicks() -> Clicks:
    """The page's clicks (one object per session, so every button's callback records into it)."""
    return st.session_state.setdefault(CLICKS, Clicks())


def act(action: str) -> None:
    """What a click on Train, Pause, Step, Epoch or Reset does. Clicks.apply may stop this at any
    st.* call and run it again from the start; pause, train and reset are safe to redo, and a
    step or an epoch comes after the last st.* call, so it happens once per click."""
    st.session_state.pop(EPOCH_END, None)
    if action == "pause":
        pause()
    elif action == "train":
        why_not = get_trainer().refusal()
        if why_not:
            st.session_state[NOTICE] = why_not
        else:
            st.session_state[RUNNING] = True
    elif action == "step":
        pause().train_step()  # one mini-batch, also past the last epoch
    elif action == "epoch":
        t = pause()
        if t.steps_left_in_epoch * step_cost(t.cfg.bs) > SYNC_BUDGET and t.status != "diverged":
            st.session_state[EPOCH_END] = t.epoch + 1  # too much for one page view: live, a budget per redraw
            st.session_state[RUNNING] = True
        else:
            t.advance_epoch()
    elif action == "reset":
        keep(pause())  # an earlier run to compare with (safe to redo: repeats are skipped)
        st.session_state[FIT_FROM] = fit_start(reset_trainer())
    else:
        raise ValueError(f"unknown button action {action!r}")


def train_slice(t) -> int:
    """While running: at the fastest speed keep the background thread training between redraws, or,
    for an Epoch click too large for one page view, take the rest of the epoch in slices of the
    budget; at the other speeds return the `speed` steps of this redraw, which the live views take
    on the torch thread together with their reading of the model (`steps_then_logits`)."""
    speed = st.session_state.get(SPEED, DEFAULT_SPEED)
    if EPOCH_END in st.session_state:
        stop_background()
        if t.epoch < st.session_state[EPOCH_END] and t.status != "diverged":
            t.advance_epoch(max_steps=SYNC_BUDGET // step_cost(t.cfg.bs))
        if t.epoch >= st.session_state[EPOCH_END] or t.status == "diverged":
            del st.session_state[EPOCH_END]
            st.session_state[RUNNING] = False
            st.rerun()  # the whole page: Pause turns back into Train
    elif speed == FASTEST:
        bg = background()
        bg.start()  # starts it, or tells it the page is still watching
        if bg.error is not None:
            stop_background()
            st.session_state[RUNNING] = False
            st.session_state[NOTICE] = f"Training stopped on an error: {bg.error}"
            st.rerun()
    else:
        stop_background()
        return speed
    return 0


def steps_then_logits(t, steps: int):
    """On the torch thread: `steps` SGD steps, then the valid logits (one trip through its queue)."""
    t.advance(n_steps=steps)
    return t.valid_logits()
