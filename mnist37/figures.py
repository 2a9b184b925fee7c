"""Every plotly figure the app draws, built from plain arrays. Pages never build figures.

Weights and contributions share one diverging, colour-blind-safe palette (ColorBrewer RdBu:
red <-> blue, distinguishable with every common colour-vision deficiency) centred at 0: blue
pushes the logit up (toward the positive digit), red pushes it down (toward the other digit).
Figures use transparent backgrounds so they read in Streamlit's light and dark themes.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

DIVERGING = "RdBu"  # low = red, high = blue; ColorBrewer marks it colour-blind safe
POS_COLOUR, NEG_COLOUR = "#2166ac", "#b2182b"  # the palette's blue and red ends
GREYS = [[0, "#000000"], [1, "#ffffff"]]  # MNIST as it is: white ink on black


def _layout(fig: go.Figure, title: str | None = None, height: int = 320, **kw) -> go.Figure:
    fig.update_layout(title=title, height=height, margin=dict(l=10, r=10, t=40 if title else 10, b=10),
                      paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)", **kw)
    return fig


def _square(fig: go.Figure) -> go.Figure:
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, constrain="domain")
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, autorange="reversed",
                     scaleanchor="x", constrain="domain")
    return fig


def diverging_heatmap(values28: np.ndarray, positive: int = 3, title: str | None = None,
                      zmax: float | None = None, name: str = "weight", height: int = 320) -> go.Figure:
    """A 28x28 map on the diverging palette centred at 0; hover shows (row, col) and the value.

    The colour bar says which colour pushes toward which digit.
    """
    v = np.asarray(values28, dtype=np.float64).reshape(28, 28)
    zmax = float(zmax if zmax is not None else max(np.abs(v).max(), 1e-12))
    other = 7 if positive == 3 else 3
    fig = go.Figure(go.Heatmap(
        z=v, zmin=-zmax, zmax=zmax, zmid=0, colorscale=DIVERGING,
        hovertemplate="row %{y}, col %{x}<br>" + name + " %{z:.4f}<extra></extra>",
        colorbar=dict(title=dict(text=f"{name}<br>blue → {positive}<br>red → {other}", side="top"),
                      thickness=12, len=0.9)))
    return _square(_layout(fig, title, height=height))


def weight_heatmap(weights: np.ndarray, positive: int = 3, title: str | None = None,
                   zmax: float | None = None, height: int = 320) -> go.Figure:
    """The 784 weights as the 28x28 picture they are."""
    return diverging_heatmap(weights, positive, title, zmax, "weight", height)


def digit_image(x28: np.ndarray, title: str | None = None, height: int = 260) -> go.Figure:
    """A 28x28 image (uint8 0..255 or float 0..1) in MNIST's colours; hover shows the pixel value."""
    x = np.asarray(x28, dtype=np.float64).reshape(28, 28)
    if x.max() > 1.0:
        x = x / 255
    fig = go.Figure(go.Heatmap(z=x, zmin=0, zmax=1, colorscale=GREYS, showscale=False,
                               hovertemplate="row %{y}, col %{x}<br>pixel %{z:.3f}<extra></extra>"))
    return _square(_layout(fig, title, height=height))
