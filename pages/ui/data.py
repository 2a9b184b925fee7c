"""What every session shares, made once per server process and read-only: the datasets, the
default model and the Home page's demos. `warm_up` fills them before the server takes its first
visitor (server.py)."""
from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from mnist37 import baseline, lessons
from mnist37 import data as datamod
from mnist37.config import TrainConfig
from mnist37.session import Model
from mnist37.train import Trainer

# One intra-op thread per torch call: a (256, 784) matmul gains nothing from more, and the
# server's sessions already run in parallel threads.
torch.set_num_threads(1)


@st.cache_resource(show_spinner="Loading MNIST 3s and 7s…")
def get_dataset(source: str) -> datamod.Dataset:
    """The dataset, loaded once per server and shared read-only by every session.

    "mnist" falls back to the embedded sample when it cannot be downloaded (`Dataset.notice`).
    """
    return datamod.load(source)


def dataset_or_stop(source: str) -> datamod.Dataset:
    """The dataset for a page; when the source cannot be read, say so in one sentence and stop the page."""
    try:
        return get_dataset(source)
    except datamod.DataError as e:
        st.error(f"The data source {source!r} cannot be read: {e}")
        st.stop()


@st.cache_resource(show_spinner="Training the default model once for this server…")
def default_model(positive: int = 3) -> Model:
    """The lesson's model trained once per server on the embedded sample with the lesson's
    settings (for either positive digit). Shared read-only."""
    cfg = TrainConfig(positive=positive)
    trainer = Trainer(cfg, get_dataset(cfg.source)).run()
    return Model.from_trainer(trainer, f"the default model: the lesson's settings trained once on the embedded "
                                       f"sample (valid accuracy {trainer.valid_accuracy():.1%}); train your own "
                                       f"on the Train page")


@st.cache_data(show_spinner=False, max_entries=256)
def random_accuracy(seed: int, source: str, positive: int) -> float:
    """Validation accuracy of init_params weights, before any training."""
    return baseline.init_accuracy(seed, get_dataset(source), positive=positive)


@st.cache_data(show_spinner="Training for this threshold…", max_entries=32)
def threshold_demo(threshold: float) -> dict:
    return lessons.threshold_demo(threshold, get_dataset("embedded"), default_model(3))


@st.cache_data(show_spinner="Training…", max_entries=2)
def flip_model(positive: int) -> tuple[np.ndarray, float, float]:
    return lessons.flip_demo(positive, get_dataset("embedded"))


HOME_SEED, HOME_THRESHOLD = 42, 4.0  # the Home page's sliders start there


def warm_up() -> None:
    """Everything a first visitor's pages would otherwise compute (a second or two): the embedded
    sample, the default model for each positive digit, the Home page's demos at their first values."""
    data = get_dataset("embedded")
    for positive in (3, 7):
        default_model(positive)
        flip_model(positive)
        random_accuracy(HOME_SEED, data.source, positive)
    threshold_demo(HOME_THRESHOLD)

