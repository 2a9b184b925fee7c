"""A class's experiments together: every run's learning rate against its final accuracy beside the
runs' accuracy curves, and the class's drawings as one sheet, the model's mistakes first.

Nicknames go into hovers and labels as text; the class store only lets letters, digits, spaces
and - _ . ' into them, so they never carry plotly's HTML-like markup.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ..config import LOSS_NAMES
from .maps import digit_gallery
from .style import NEG_COLOUR, POS_COLOUR, TRAIN_COLOUR, VALID_COLOUR, _layout

LOSS_COLOURS = {"mnist": VALID_COLOUR, "bce": TRAIN_COLOUR}  # Okabe-Ito green and orange


def class_runs(rows: list[dict], curves: list[list[float]], height: int = 340) -> go.Figure:
    """Left: each run's learning rate (log axis) against its final valid accuracy, coloured by its
    loss; hover: nickname, batch size, epochs, seed. Right: the runs' valid accuracy per epoch.
    `rows` as mnist37.classview.runs_table gives them, `curves` in the same order."""
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, column_widths=[0.55, 0.45], horizontal_spacing=0.1,
                        subplot_titles=["learning rate → final valid accuracy", "valid accuracy per epoch"])
    for loss, colour in LOSS_COLOURS.items():
        mine = [r for r in rows if r["loss"] == loss]
        if not mine:
            continue
        fig.add_trace(go.Scatter(
            x=[r["lr"] for r in mine], y=[r["final_accuracy"] for r in mine], mode="markers", name=LOSS_NAMES[loss],
            marker=dict(size=11, color=colour, line=dict(width=1, color="rgba(128,128,128,0.8)")),
            customdata=[[r["nickname"], r["bs"], r["epochs"], r["seed"]] for r in mine],
            hovertemplate=("%{customdata[0]}<br>lr %{x:g} · batch size %{customdata[1]} · %{customdata[2]} epochs · "
                           "seed %{customdata[3]}<br>final valid accuracy %{y:.1%}<extra></extra>")), 1, 1)
    for r, curve in zip(rows, curves):
        fig.add_trace(go.Scatter(
            x=np.arange(1, len(curve) + 1), y=curve, mode="lines", showlegend=False, opacity=0.55,
            line=dict(color=LOSS_COLOURS.get(r["loss"], VALID_COLOUR), width=1.5),
            hovertemplate=f"{r['nickname']} · lr {r['lr']:g}<br>epoch %{{x}}: %{{y:.1%}}<extra></extra>"), 1, 2)
    fig.update_xaxes(type="log", title_text="learning rate", row=1, col=1)
    fig.update_xaxes(title_text="epoch", row=1, col=2)
    fig.update_yaxes(tickformat=".0%", row=1, col=1)
    fig.update_yaxes(tickformat=".0%", row=1, col=2)
    fig.update_annotations(font_size=13)
    return _layout(fig, height=height, legend=dict(orientation="h", x=0, y=-0.22, yanchor="top"))


def drawings_sheet(images: list, labels: list[str], wrong: list[bool | None], cols: int = 8,
                   height_per_row: int = 110) -> go.Figure:
    """The class's drawings tiled into one picture, each labelled; a mistake framed in red, a right
    answer in blue, a drawing whose student did not say which digit it is in grey."""
    frames = [NEG_COLOUR if w else POS_COLOUR if w is False else "#888888" for w in wrong]
    return digit_gallery(images, labels, cols=cols, height_per_row=height_per_row, frames=frames)
