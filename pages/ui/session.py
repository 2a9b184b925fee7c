"""One session's own state: its settings, its Trainer (and the thread that trains it at the
fastest speed), uploaded weights, and the current model. Kept in st.session_state; everything
expensive comes from pages.ui.data's caches, so a rerun only redraws."""
from __future__ import annotations

from contextlib import nullcontext
from dataclasses import replace

import streamlit as st

from mnist37 import session as core
from mnist37.background import BackgroundTraining
from mnist37.config import TrainConfig, from_query
from mnist37.train import Trainer
from pages.ui.data import default_model, get_dataset

CONFIG = "config"  # the session's TrainConfig: the one source of settings
TRAINER = "trainer"  # the session's Trainer
BACKGROUND = "trainer_background"  # its BackgroundTraining (the fastest speed)
RUNNING = "train_running"  # is the Train button "on" (live training)?
UPLOADED = "uploaded_model"  # a mnist37.session.Model loaded from a file
NOTICES = "config_notices"  # what was wrong with the link the session was opened with


def get_config() -> TrainConfig:
    """The session's settings; on its first run they come from the link (bad values fall back to
    the defaults, with a notice each in session_state[NOTICES])."""
    if CONFIG not in st.session_state:
        cfg, errors = from_query(st.query_params.to_dict())
        st.session_state[CONFIG] = cfg
        st.session_state[NOTICES] = [e.notice(getattr(cfg, e.name)) for e in errors]
    return st.session_state[CONFIG]


def set_config(cfg: TrainConfig) -> None:
    st.session_state[CONFIG] = cfg


def update_config(**changes) -> TrainConfig:
    cfg = replace(get_config(), **changes)
    set_config(cfg)
    return cfg


def seed_widget(name: str) -> None:
    """Give the widget keyed `name` (a TrainConfig field) the config's value when it has none.

    Streamlit drops a widget's state when its page is not shown; the config is the one source of
    truth, so every page seeds its widgets from it before drawing them.
    """
    if name not in st.session_state:
        st.session_state[name] = getattr(get_config(), name)


def get_trainer() -> Trainer:
    """The session's Trainer, made from the session's config on first use."""
    t = st.session_state.get(TRAINER)
    if t is None:
        cfg = get_config()
        t = st.session_state[TRAINER] = Trainer(cfg, get_dataset(cfg.source))
    return t


def reset_trainer() -> Trainer:
    """Fresh random weights from the config's seed (and its data source)."""
    stop_background()
    st.session_state.pop(TRAINER, None)
    return get_trainer()


def background() -> BackgroundTraining:
    """The thread that trains the session's Trainer at the fastest speed (made on first use).
    reset_trainer, the only place that replaces the trainer, stops and removes it first."""
    if BACKGROUND not in st.session_state:
        st.session_state[BACKGROUND] = BackgroundTraining(get_trainer())
    return st.session_state[BACKGROUND]


def stop_background() -> None:
    """Stop training on the thread (if it runs): from here on only the script changes the trainer."""
    bg = st.session_state.pop(BACKGROUND, None)
    if bg is not None:
        bg.stop()


def holding_trainer():
    """`with holding_trainer() as t:` the session's Trainer, which a background thread may be
    training: inside, the thread waits, so what is read together belongs together."""
    bg = st.session_state.get(BACKGROUND)
    return bg.holding() if bg is not None else nullcontext(get_trainer())


def pause() -> Trainer:
    """Stop live training (the Train page's timer and, at the fastest speed, the thread)."""
    st.session_state[RUNNING] = False
    stop_background()
    return get_trainer()


def current_model() -> core.Model:
    """The model the Draw, Model and Home pages use (mnist37.session.current_model)."""
    return core.current_model(st.session_state.get(UPLOADED), st.session_state.get(TRAINER),
                              lambda: default_model(get_config().positive))
