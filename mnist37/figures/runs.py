"""Runs compared: earlier runs' curves beside the current one, and the learning-rate sweep."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .style import MARK_COLOUR, RUN_COLOURS, VALID_COLOUR, WRONG_COLOUR, _layout


def runs_curves(runs, current=None, height: int = 320) -> go.Figure:
    """Valid accuracy per epoch (epoch 0 = the random start): each earlier run (label, accuracies)
    faded in its own colour and labelled at its end, the current run (label, accuracies) bold."""
    traces, notes = [], []
    for i, (label, acc) in enumerate(runs):
        a = np.asarray(acc, np.float64)
        colour = RUN_COLOURS[i % len(RUN_COLOURS)]
        traces.append(go.Scatter(x=np.arange(len(a)), y=a, mode="lines", name=label, opacity=0.45,
                                 line=dict(color=colour, width=1.5),
                                 hovertemplate=f"{label}<br>epoch %{{x}}<br>valid accuracy %{{y:.1%}}<extra></extra>"))
        if len(a):
            notes.append(dict(x=len(a) - 1, y=a[-1], text=label.split(":")[0], showarrow=False, xanchor="left",
                              xshift=4, font=dict(size=11, color=colour)))
    if current is not None:
        label, acc = current
        a = np.asarray(acc, np.float64)
        traces.append(go.Scatter(x=np.arange(len(a)), y=a, mode="lines+markers", name=label,
                                 line=dict(color=VALID_COLOUR, width=4), marker=dict(size=5),
                                 hovertemplate=f"{label}<br>epoch %{{x}}<br>valid accuracy %{{y:.1%}}<extra></extra>"))
    fig = go.Figure(traces)
    fig.add_hline(y=0.9, line=dict(color=MARK_COLOUR, dash="dash", width=1), annotation_text="90 %",
                  annotation_position="bottom right")
    fig.update_xaxes(title_text="epoch", rangemode="tozero")
    fig.update_yaxes(title_text="valid accuracy", tickformat=".0%", range=[0.4, 1.01])
    fig.layout.annotations = list(fig.layout.annotations) + notes  # (update_layout would merge by index)
    _layout(fig, height=height, legend=dict(orientation="h", x=0, y=-0.2, yanchor="top"))
    return fig.update_layout(margin=dict(l=10, r=30, t=10, b=10))


def sweep_plot(lrs, valid_accuracy, valid_loss, diverged, loss_name: str = "loss",
               current_lr: float | None = None, height: int = 320) -> go.Figure:
    """Final valid accuracy (left) and final valid loss (right) against the learning rate on a log
    axis; diverged runs are marked ×, a loss that is not a number is drawn at the top edge."""
    lr = np.asarray(lrs, np.float64)
    acc = np.asarray(valid_accuracy, np.float64)
    loss = np.asarray(valid_loss, np.float64)
    bad = np.asarray(diverged, bool)
    fin = loss[np.isfinite(loss)]
    top = float(fin.max() * 1.1) if len(fin) else 1.0
    shown_loss = np.where(np.isfinite(loss), loss, top)
    loss_text = [f"{v:.4f}" if np.isfinite(v) else str(v) for v in loss]
    traces = []
    for col, y, text, name in ((1, acc, [f"{v:.1%}" for v in acc], "valid accuracy"),
                               (2, shown_loss, loss_text, f"valid {loss_name}")):
        axes = dict(xaxis="x" if col == 1 else "x2", yaxis="y" if col == 1 else "y2")
        hover = "lr %{x:g}<br>" + name + " %{customdata}<extra></extra>"
        traces.append(go.Scatter(x=lr, y=y, customdata=text, mode="lines+markers", name=name, showlegend=False,
                                 line=dict(color=VALID_COLOUR, width=2), marker=dict(size=7),
                                 hovertemplate=hover, **axes))
        if bad.any():
            traces.append(go.Scatter(x=lr[bad], y=y[bad], customdata=np.asarray(text)[bad], mode="markers",
                                     name="diverged", showlegend=col == 1, hovertemplate="diverged<br>" + hover,
                                     marker=dict(symbol="x", size=12, color=WRONG_COLOUR), **axes))
    log = dict(type="log", title=dict(text="learning rate (log scale)"), dtick=1)
    shapes = [] if current_lr is None else [
        dict(type="line", xref=x, yref="paper", x0=current_lr, x1=current_lr, y0=0, y1=1,
             line=dict(color=MARK_COLOUR, dash="dash", width=1.5)) for x in ("x", "x2")]
    fig = go.Figure(traces, layout=dict(
        xaxis={**log, "domain": [0, 0.45]}, xaxis2={**log, "domain": [0.55, 1], "anchor": "y2"},
        yaxis=dict(title=dict(text="final valid accuracy"), tickformat=".0%", range=[0, 1.03]),
        yaxis2=dict(title=dict(text=f"final valid {loss_name}"), anchor="x2", rangemode="tozero"),
        shapes=shapes, legend=dict(orientation="h", x=1, xanchor="right", y=1.02, yanchor="bottom")))
    if current_lr is not None:
        fig.add_annotation(x=np.log10(current_lr), y=1, xref="x", yref="paper", yanchor="bottom",
                           text=f"lr {current_lr:g}", showarrow=False, font=dict(size=11))
    _layout(fig, height=height)
    return fig.update_layout(margin=dict(l=10, r=10, t=30, b=10))
