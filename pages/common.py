"""What the pages share: cached data and default model (once per server), and each session's
own config, trainer and current model (in st.session_state).

Streamlit reruns a page top to bottom on every widget change: everything expensive here is cached
or kept in the session, so a rerun only redraws.
"""
from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

import streamlit as st
import torch

from mnist37 import data as datamod
from mnist37.background import BackgroundTraining
from mnist37.train import FIELDS, TrainConfig, Trainer, from_strings, to_strings

# One intra-op thread per torch call: a (256, 784) matmul gains nothing from more, and on a server
# the sessions already run in parallel threads (measured here: on a busy 2-core machine one thread
# trained 7x faster than two). Set once, for the server process.
torch.set_num_threads(1)

REDRAW_SECONDS = 0.2  # the Train page's live views redraw 5 times a second while training
CONFIG = "config"  # session_state key of the session's TrainConfig (the one source of settings)
TRAINER = "trainer"  # session_state key of the session's Trainer
BACKGROUND = "trainer_background"  # session_state key of its BackgroundTraining (the fastest speed)
UPLOADED = "uploaded_model"  # session_state key of an uploaded Model
NOTICES = "config_notices"


@st.cache_resource(show_spinner="Loading MNIST 3s and 7s…")
def get_dataset(source: str) -> datamod.Dataset:
    """The dataset, loaded once per server and shared read-only by every session.

    "mnist" falls back to the embedded sample when it cannot be downloaded (`Dataset.notice`).
    """
    return datamod.load(source)


@dataclass(frozen=True)
class Model:
    """The 785 numbers a prediction needs, the digit that label 1 stands for, and where they came from."""

    weights: np.ndarray  # (784,)
    bias: float
    positive: int
    description: str


def dataset_or_stop(source: str) -> datamod.Dataset:
    """The dataset for a page; when the source cannot be read, say so in one sentence and stop the page."""
    try:
        return get_dataset(source)
    except Exception as e:  # a folder that vanished, a bad file: one sentence, no traceback
        st.error(f"The data source {source!r} cannot be read: {e}")
        st.stop()


@st.cache_resource(show_spinner="Training the default model once for this server…")
def default_model(positive: int = 3) -> Model:
    """The lesson's model trained once per server on the embedded sample with the lesson's
    settings (for either positive digit). Shared read-only."""
    cfg = TrainConfig(positive=positive)
    trainer = Trainer(cfg, get_dataset(cfg.source)).run()
    w, b = trainer.params()
    w.setflags(write=False)
    return Model(w, b, positive,
                 f"the default model: the lesson's settings trained once on the embedded sample "
                 f"(valid accuracy {trainer.valid_accuracy():.1%}); train your own on the Train page")


def get_config() -> TrainConfig:
    """The session's settings; on a session's first run they come from the URL (bad values fall
    back to defaults, with notices kept in session_state[NOTICES])."""
    if CONFIG not in st.session_state:
        cfg, notices = config_from_url({k: st.query_params[k] for k in st.query_params})
        st.session_state[CONFIG] = cfg
        st.session_state[NOTICES] = notices
    return st.session_state[CONFIG]


def set_config(cfg: TrainConfig) -> None:
    st.session_state[CONFIG] = cfg


def update_config(**changes) -> TrainConfig:
    cfg = replace(get_config(), **changes)
    set_config(cfg)
    return cfg


def get_trainer() -> Trainer:
    """The session's Trainer, made from the session's config on first use."""
    cfg = get_config()
    t = st.session_state.get(TRAINER)
    if t is None:
        t = Trainer(cfg, get_dataset(cfg.source))
        st.session_state[TRAINER] = t
    return t


def reset_trainer() -> Trainer:
    """Fresh random weights from the config's seed (and its data source)."""
    stop_background()
    st.session_state.pop(TRAINER, None)
    return get_trainer()


def background() -> BackgroundTraining:
    """The thread that trains the session's Trainer at the fastest speed (made on first use).

    While session_state holds one, it trains session_state[TRAINER]: reset_trainer, the only place
    that replaces the trainer, stops and removes it first."""
    if BACKGROUND not in st.session_state:
        st.session_state[BACKGROUND] = BackgroundTraining(get_trainer())
    return st.session_state[BACKGROUND]


def stop_background() -> None:
    """Stop training on the thread (if it runs): from here on only this script changes the trainer."""
    bg = st.session_state.pop(BACKGROUND, None)
    if bg is not None:
        bg.stop()


def holding_trainer():
    """`with holding_trainer() as t:` the session's Trainer, which a background thread may be
    training: inside, the thread waits, so what is read together belongs together."""
    bg = st.session_state.get(BACKGROUND)
    return bg.holding() if bg is not None else nullcontext(get_trainer())


def current_model() -> Model:
    """The model the Draw page uses. Uploaded weights win; then the model trained in this session
    (once it has taken a step); else the default model trained at server start."""
    up = st.session_state.get(UPLOADED)
    if up is not None:
        return up
    t = st.session_state.get(TRAINER)
    if t is not None and t.step > 0:
        w, b = t.params()
        return Model(w, b, t.cfg.positive,
                     f"the model you trained on the Train page (epoch {t.epoch}, step {t.step})")
    return default_model(get_config().positive)


class Clicks:
    """A page's button clicks: the buttons' callbacks record them, the page's script acts on them.

    Why the callbacks do not act themselves: Streamlit stops a callback, silently, at its first
    st.* call (reading or writing st.session_state included) when a rerun request has arrived since
    the callbacks began, and it does not deliver that click again (Streamlit 1.67; see
    tests/test_page_train.py). On the Train page such a request is routine: a click that lands as the
    live fragment's timer fires reaches the server twice, in the timed rerun and in the click's own
    rerun, and the second can arrive while the first one's callback runs. A Pause was lost that way
    and training ran on to the end. So `record`, the callback, only appends to a plain list (there
    is no st.* call in it to stop at), and `apply`, called by the script, acts on the clicks.

    One click, one action: take `drawn = clicks.draw()` once per full run and draw each button with
    `on_click=clicks.record, args=(action, drawn)`; both deliveries of a click carry the number of
    the run that drew its button, and the second is dropped. (Two genuine clicks before the first
    one's rerun has redrawn the buttons count once.)
    """

    def __init__(self) -> None:
        self.runs = 0  # full runs of the page that drew its buttons
        self.pending: list[tuple[str, int]] = []  # (action, drawn by run) not acted on yet
        self.acted: dict[str, int] = {}  # action -> the run whose button it last acted for

    def draw(self) -> int:
        """Count a full run that draws the buttons; the buttons carry the number."""
        self.runs += 1
        return self.runs

    def record(self, action: str, drawn_by: int) -> None:
        """The buttons' on_click: no st.* call, so no rerun can stop it halfway."""
        self.pending.append((action, drawn_by))

    def apply(self, act: Callable[[str], None]) -> None:
        """`act(action)` for each recorded click, oldest first, once per click.

        The script too stops at any st.* call when a rerun request arrives: the click then stays
        pending and the next run acts on it again, from the start. So `act` must be safe to redo
        after being stopped at any of its st.* calls: what must happen once per click (a training
        step) has to come after its last st.* call. Between that and the click's removal here there
        is no st.* call.
        """
        while self.pending:
            action, drawn_by = self.pending[0]
            if self.acted.get(action) != drawn_by:
                try:
                    act(action)  # a rerun stops it with a BaseException: the click stays pending
                except Exception:
                    self.pending.pop(0)  # an action that fails is shown once, not retried on every run
                    raise
                self.acted[action] = drawn_by
            self.pending.pop(0)


PRESENTATION = "presentation"  # session_state key of the presentation-mode toggle


def is_presentation() -> bool:
    """Presentation mode: larger text and figures, advanced controls hidden."""
    return bool(st.session_state.get(PRESENTATION, False))


def seed_widget(name: str) -> None:
    """Give the widget keyed `name` (a TrainConfig field) the config's value when it has none.

    Streamlit drops a widget's state when its page is not shown; the config in the session is the
    one source of truth, so every page seeds its widgets from it before drawing them.
    """
    if name not in st.session_state:
        st.session_state[name] = getattr(get_config(), name)


# --- Shareable settings: the URL mirrors the session's config (issue 5) ---------------------------
URL_FIELDS = ("lr", "threshold", "bs", "epochs", "std", "seed", "loss", "positive", "source")
PRESENT_PARAM = "present"  # ?present=1 opens the app in presentation mode


def config_from_url(params: dict) -> tuple[TrainConfig, list[str]]:
    """A config from URL query parameters: unknown keys are ignored, a bad or out-of-range value
    keeps the default and adds a one-sentence notice. A link may name the embedded sample or full
    MNIST, never a folder on the server."""
    cfg, notices = TrainConfig(), []
    for name in FIELDS:
        if name not in params:
            continue
        raw, default = params[name], getattr(cfg, name)
        if name == "source" and raw not in FIELDS["source"].metadata["choices"]:
            bad = ["source must be embedded or mnist"]
        else:
            cfg, bad = from_strings({name: raw}, cfg)
        if bad:
            kind = {bool: "0 or 1", int: "a whole number", float: "a number"}.get(type(default), "valid")
            why = bad[0] if " must " in bad[0] else f"{name} must be {kind}"
            why = why.split(", not ")[0]
            notices.append(f"The link's {name}={raw!r} was ignored ({why}); using {name}={default}.")
    return cfg, notices


def url_params(cfg: TrainConfig, presentation: bool = False) -> dict[str, str]:
    """The query parameters that describe `cfg` (and presentation mode), for a shareable link."""
    s = to_strings(cfg)
    out = {k: s[k] for k in URL_FIELDS if k != "source" or cfg.source in FIELDS["source"].metadata["choices"]}
    if cfg.fit_threshold:
        out["fit_threshold"] = "1"
    if presentation:
        out[PRESENT_PARAM] = "1"
    return out


def sync_url() -> None:
    """Write the session's settings into the address bar (st.query_params), so the URL is always a
    shareable link. Called by streamlit_app.py before and after every page run: Streamlit drops
    the query string when the user switches pages, and this puts it back."""
    want = url_params(get_config(), is_presentation())
    if st.query_params.to_dict() != want:
        st.query_params.from_dict(want)


def show_config_notices() -> None:
    """Show, once, what was wrong with the settings in the link the session was opened with."""
    for n in st.session_state.pop(NOTICES, None) or []:
        st.warning(n, icon="🔗")


def fig_height(base: int) -> int:
    """A figure's height, larger in presentation mode."""
    return int(base * 1.4) if is_presentation() else base


def route_through_app() -> None:
    """Make sure streamlit_app.py's st.navigation routes this run; every page calls it first.

    Streamlit 1.67 sees the `pages/` folder and runs sessions in its legacy pages-folder mode
    (every .py in pages/ a page, streamlit_app.py not run first) until st.navigation has been
    called once in the server process. When the first request after a start is a link to a
    sub-page (a teacher's shared link), it never would be: that run is switched to st.navigation
    mode and rerun, routed by streamlit_app.py. Once routed this is one attribute read.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
