"""Below the Train page's live views: the session's earlier runs side by side, and the
learning-rate sweep of the current settings."""
from __future__ import annotations

from dataclasses import replace

import streamlit as st

from mnist37 import figures
from mnist37 import jobs as jobs_core
from mnist37.config import LR_GRID
from mnist37.runs import RunHistory, describe
from mnist37.sweep import best
from mnist37.train import Trainer
from pages.ui import jobs
from pages.ui.data import get_dataset
from pages.ui.present import fig_height
from pages.ui.session import get_config

RUNS = "train_runs"  # session_state: the RunHistory of this session's finished or reset runs
SWEEP_ASKED = "train_sweep_asked"  # session_state: the settings the Sweep button was pressed for


def history() -> RunHistory:
    return st.session_state.setdefault(RUNS, RunHistory())


def keep(t: Trainer) -> None:
    """Remember a finished run, or one about to be reset (untrained runs and repeats are skipped)."""
    history().add_trainer(t, get_config().threshold)


def runs_section(t: Trainer) -> None:
    """Earlier runs faded, this one bold, and a table of their settings and results."""
    runs = history()
    if not len(runs):
        return
    st.subheader("Runs side by side")
    acc = [r.final_accuracy for r in runs]
    st.plotly_chart(figures.runs_curves([(r.label, r.valid_accuracy) for r in runs],
                                        (f"now: {describe(t.cfg)}", t.history()["valid_accuracy"]),
                                        height=fig_height(300)), key="runs_fig", config={"displayModeBar": False})
    st.dataframe(runs.rows(), hide_index=True, key="runs_table",
                 column_config={"valid accuracy": st.column_config.NumberColumn(format="percent")})
    st.caption(f"Your last {len(runs)} finished or reset runs (up to {runs.runs.maxlen}), best {max(acc):.1%}. "
               "A run is kept when it finishes and when you reset it.")
    st.button("Clear the runs", key="clear_runs", on_click=runs.clear)


def sweep_section() -> None:
    """One button trains the current settings at every learning rate of the slider, from the same seed."""
    cfg = get_config()
    base = replace(cfg, lr=1.0)  # the sweep does not depend on the learning rate
    st.subheader("Which learning rate?")
    st.markdown(f"Train these settings at each of the slider's {len(LR_GRID)} learning rates, each for "
                f"{cfg.epochs} epochs from seed {cfg.seed} (the same start and the same batches), and see where "
                "accuracy peaks and where SGD overshoots.")
    if st.button("Sweep the learning rate", key="sweep_button", icon=":material/tune:"):
        st.session_state[SWEEP_ASKED] = base
    if st.session_state.get(SWEEP_ASKED) != base:
        return
    data = get_dataset(cfg.source)
    runs = jobs.result(("sweep", base), jobs_core.lr_sweep(base, data), jobs_core.sweep_cost(base, data.n_train),
                       f"Training at {len(LR_GRID)} learning rates")
    if runs is None:
        return
    st.plotly_chart(figures.sweep_plot([r.lr for r in runs], [r.valid_accuracy for r in runs],
                                       [r.valid_loss for r in runs], [r.diverged for r in runs],
                                       "mnist_loss" if cfg.loss == "mnist" else "cross-entropy", current_lr=cfg.lr,
                                       height=fig_height(300)), key="sweep_fig", config={"displayModeBar": False})
    top = best(runs)
    diverged = [f"{r.lr:g}" for r in runs if r.diverged]
    st.caption((f"Best: lr {top.lr:g}, {top.valid_accuracy:.1%}. " if top else "")
               + (f"Diverged (×): lr {', '.join(diverged)}. " if diverged else "")
               + "Too small a rate learns little in the epochs given; too large a one overshoots.")
