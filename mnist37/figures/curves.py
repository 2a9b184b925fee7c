"""Curves over training: loss and accuracy per step and per epoch, and two losses side by side."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .style import POS_COLOUR, TRAIN_COLOUR, VALID_COLOUR, _f32, _fast, _layout


def learning_curves(step_loss, epoch_steps, valid_loss, train_accuracy, valid_accuracy,
                    loss_name: str = "loss", threshold: float = 0.0, max_points: int = 300,
                    max_markers: int = 41, height: int = 260) -> dict:
    """Two panels. Left: train loss per step (thinned to `max_points` means when longer) and valid
    loss per epoch, against the step. Right: train and valid accuracy per epoch (read at
    `threshold`), starting at epoch 0 = the random weights. Per-epoch points get markers while
    there are at most `max_markers` of them (the lesson's 20 epochs); a long run draws lines only:
    hundreds of markers are clutter, and each is an SVG element the browser redraws every time."""
    from ..metrics import thin

    x, y = thin(step_loss, max_points)
    epochs = np.arange(len(valid_accuracy), dtype=np.float32)
    mode = "lines+markers" if len(epochs) <= max_markers else "lines"
    data = [
        dict(type="scatter", x=_f32(x), y=_f32(y), mode="lines", name="train", legendgroup="train",
             line=dict(color=TRAIN_COLOUR, width=1.5),
             hovertemplate="step %{x:.0f}<br>train loss %{y:.4f} (mini-batch)<extra></extra>"),
        dict(type="scatter", x=_f32(epoch_steps), y=_f32(valid_loss), mode=mode, name="valid",
             legendgroup="valid", line=dict(color=VALID_COLOUR, width=2), marker=dict(size=5),
             hovertemplate="step %{x}<br>valid loss %{y:.4f}<extra></extra>"),
        dict(type="scatter", x=_f32(epochs), y=_f32(train_accuracy), mode=mode, name="train",
             legendgroup="train", showlegend=False, xaxis="x2", yaxis="y2",
             line=dict(color=TRAIN_COLOUR, width=2), marker=dict(size=4, symbol="square"),
             hovertemplate="epoch %{x}<br>train accuracy %{y:.1%}<extra></extra>"),
        dict(type="scatter", x=_f32(epochs), y=_f32(valid_accuracy), mode=mode, name="valid",
             legendgroup="valid", showlegend=False, xaxis="x2", yaxis="y2",
             line=dict(color=VALID_COLOUR, width=2), marker=dict(size=5),
             hovertemplate="epoch %{x}<br>valid accuracy %{y:.1%}<extra></extra>")]
    layout = dict(
        xaxis=dict(domain=[0, 0.44], title=dict(text="step"), rangemode="tozero"),
        yaxis=dict(title=dict(text=loss_name), rangemode="tozero"),
        xaxis2=dict(domain=[0.56, 1], anchor="y2", title=dict(text="epoch"), rangemode="tozero"),
        yaxis2=dict(anchor="x2", title=dict(text=f"accuracy (threshold {threshold:g})"), tickformat=".0%",
                    range=[0, 1.03]),
        legend=dict(orientation="h", x=1, xanchor="right", y=1.02, yanchor="bottom"),
        annotations=[dict(text="<b>loss</b>", x=0, xref="paper", y=1.02, yref="paper", xanchor="left",
                          yanchor="bottom", showarrow=False),
                     dict(text="<b>accuracy</b>", x=0.56, xref="paper", y=1.02, yref="paper", xanchor="left",
                          yanchor="bottom", showarrow=False)])
    return _fast(data, layout, height)


def loss_comparison(results: dict, height: int = 300) -> go.Figure:
    """`mnist37.baseline.compare_losses` output: each loss's train/valid curve, and both losses'
    validation accuracy per epoch (each loss on its own scale: they measure different things)."""
    from plotly.subplots import make_subplots

    names = {"mnist": "mnist_loss", "bce": "binary cross-entropy"}
    fig = make_subplots(rows=1, cols=3, horizontal_spacing=0.08,
                        subplot_titles=[f"{names['mnist']} (loss)", f"{names['bce']} (loss)",
                                        "validation accuracy"])
    colours = {"mnist": POS_COLOUR, "bce": "#e08214"}  # blue and orange: safe for colour-blind eyes
    for col, loss in enumerate(("mnist", "bce"), start=1):
        h = results[loss]["history"]
        fig.add_trace(go.Scatter(x=h["epoch"], y=h["train_loss"], name="train", mode="lines",
                                 line=dict(color=colours[loss]), legendgroup="t", showlegend=col == 1,
                                 hovertemplate="epoch %{x}<br>train loss %{y:.4f}<extra></extra>"), 1, col)
        fig.add_trace(go.Scatter(x=h["epoch"], y=h["valid_loss"], name="valid", mode="lines",
                                 line=dict(color=colours[loss], dash="dot"), legendgroup="v",
                                 showlegend=col == 1,
                                 hovertemplate="epoch %{x}<br>valid loss %{y:.4f}<extra></extra>"), 1, col)
        fig.add_trace(go.Scatter(x=h["epoch"], y=h["valid_accuracy"], name=names[loss], mode="lines+markers",
                                 marker=dict(size=4, symbol="circle" if loss == "mnist" else "square"),
                                 line=dict(color=colours[loss]),
                                 hovertemplate=names[loss] + "<br>epoch %{x}<br>accuracy %{y:.1%}<extra></extra>"),
                      1, 3)
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(tickformat=".0%", row=1, col=3)
    return _layout(fig, height=height, legend=dict(orientation="h", y=-0.25))
