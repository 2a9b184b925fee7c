"""Train: watch the lesson's model learn, and steer it while it learns.

The settings live in the sidebar (each widget keyed by its TrainConfig field); the buttons, the
numbers and the figures in the main area. While training runs, a fragment with `run_every` redraws
only the live views (pages.ui.train_views), so every widget stays responsive.
"""
from __future__ import annotations

from dataclasses import replace

import streamlit as st

from mnist37.config import FIELDS, LR_GRID, TrainConfig, spec
from mnist37.data import DataError
from mnist37.inference import sigmoid
from pages.ui import classmode
from pages.ui.live_chart import preload_plotly
from pages.ui.present import is_presentation
from pages.ui.routing import route_through_app
from pages.ui.session import (RUNNING, get_config, get_trainer, holding_trainer, pause, reset_trainer, seed_widget,
                              set_config)
from pages.ui.train_run import DEFAULT_SPEED, EPOCH_END, FIT_FROM, NOTICE, SPEED, SPEEDS, act, clicks, fit_start
from pages.ui.train_compare import keep, runs_section, sweep_section
from pages.ui.train_views import CHANGE, SHOWN, lesson_views, live_views, redraw_interval

LABELS = {"source": "data source", "std": "init std", "seed": "seed", "loss": "loss", "positive": "positive digit"}


def controls(cfg: TrainConfig) -> dict:
    """Draw the settings in the sidebar; return the values of the ones drawn in this run."""
    drawn = []

    def widget(name, draw, *args, **kw):
        seed_widget(name)
        draw(*args, key=name, help=spec(name)["help"].capitalize() + ".", **kw)
        drawn.append(name)

    with st.sidebar:
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
        keep(pause())
        t = reset_trainer()
        what = ", ".join(f"the {LABELS[n]} ({getattr(cfg, n)} → {getattr(new, n)})" for n in changed)
        st.session_state[NOTICE] = (f"Reset to fresh random weights (seed {new.seed}): you changed {what}, "
                                    f"which makes it a different experiment.")
    if new.fit_threshold and (changed or not cfg.fit_threshold):
        with holding_trainer() as t:
            st.session_state[FIT_FROM] = fit_start(t)


route_through_app()  # before anything is drawn
preload_plotly()
st.title("Train: watch the model learn")
if not is_presentation():  # on a projector the teacher says it, and the charts need the room
    st.markdown(
        "Press **Train** and watch 784 random weights and a bias become a 3-vs-7 detector, one mini-batch "
        "at a time: the loss falls, accuracy climbs from about 50 %, and the weights take the shape of the "
        "digits. Drag the learning rate or the threshold while it runs.")

cfg = get_config()
apply(cfg, controls(cfg))
buttons = clicks()
try:
    buttons.apply(act)  # what the buttons recorded (see pages.ui.clicks)
    trainer = get_trainer()
except DataError as e:
    st.error(f"{e} The embedded sample is used instead.")
    set_config(replace(get_config(), source="embedded"))
    trainer = reset_trainer()
if FIT_FROM not in st.session_state:
    st.session_state[FIT_FROM] = fit_start(trainer)
if trainer.finished:
    keep(trainer)
    classmode.share_run(trainer)  # in a class: the finished run goes to the teacher's view
running = bool(st.session_state.get(RUNNING)) and (not trainer.finished or EPOCH_END in st.session_state)
st.session_state[RUNNING] = running

record, drawn = buttons.record, buttons.draw()  # one click, one action (see pages.ui.clicks)
with st.container(horizontal=True, vertical_alignment="center", key="train_buttons"):  # wraps on a narrow screen
    st.button("Pause" if running else "Train", key="train_button", type="primary", on_click=record,
              args=("pause" if running else "train", drawn),
              help="Run the lesson's training loop, redrawing as it goes")
    st.button("Step", key="step_button", on_click=record, args=("step", drawn), help="Train on one mini-batch")
    st.button("Epoch", key="epoch_button", on_click=record, args=("epoch", drawn), help="Train one epoch")
    st.button("Reset", key="reset_button", on_click=record, args=("reset", drawn),
              help="Fresh random weights from the seed")
    with st.container(width="content", gap=None):
        st.toggle("Show what training changed", key=CHANGE,
                  help="The weights minus the random ones they started from")
        if not is_presentation():  # the sidebar links to it too
            st.page_link("pages/step.py", label="One step, up close: the gradient and -lr × grad",
                         icon=":material/footprint:")
if trainer.data.notice:
    st.info(trainer.data.notice)
if NOTICE in st.session_state:
    st.info(st.session_state.pop(NOTICE), icon="🔄")
if trainer.status == "diverged":
    st.warning(trainer.message, icon="⚠️")
    st.button("Reset to fresh random weights", key="reset_after_divergence", on_click=record,
              args=("reset", drawn))

st.session_state.pop(SHOWN, None)  # a full run always draws a fresh view
st.fragment(run_every=redraw_interval() if running else None)(live_views)()
lesson_views()
runs_section(trainer)
sweep_section()
