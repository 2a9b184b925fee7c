"""One SGD step in pictures: the mini-batch (right or wrong), the gradient and the update as 28x28
maps, the weights before and after, and each digit's gradient under mnist_loss and cross-entropy."""
from __future__ import annotations

import base64
import io

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from ..model import other_digit
from .maps import diverging_heatmap
from .style import (BCE_COLOUR, DIVERGING, MARK_COLOUR, MNIST_COLOUR, RIGHT_COLOUR, WRONG_COLOUR, _finite,
                    _layout, _square, rgba)

TILE, FRAME = 32, 2  # each digit: 28 pixels in a 2-pixel frame coloured right or wrong
GREY_LEVELS, RIGHT_INDEX, WRONG_INDEX = 254, 254, 255  # the strip's palette


def _hex_rgb(colour: str) -> np.ndarray:
    return np.array(rgba(colour)[:3], np.uint8)


def batch_strip(images, right, targets, logits, positive: int = 3, cols: int = 32, max_digits: int = 256,
                height: int | None = None) -> go.Figure:
    """The mini-batch's digits in rows of `cols`, each framed green when the model gets it right and
    vermillion with a × when wrong; hover shows the digit, its logit and probability. images (n, 28,
    28) in [0, 1], right (n,) bool, targets (n,) 1 = positive, logits (n,). Shows the first
    `max_digits` (one PNG, so a whole batch stays small)."""
    x = np.asarray(images, np.float32).reshape(-1, 28, 28)[:max_digits]
    ok = np.asarray(right, bool).ravel()[:len(x)]
    y = np.asarray(targets).ravel()[:len(x)] == 1
    z = np.asarray(logits, np.float64).ravel()[:len(x)]
    n, other = len(x), other_digit(positive)
    cols = max(1, min(cols, n))
    rows = -(-n // cols)
    # A palette image (a third the size of RGB): 254 greys for the pixels, then the two frame colours.
    canvas = np.zeros((rows * TILE, cols * TILE), np.uint8)
    for i in range(n):
        r, c = divmod(i, cols)
        tile = canvas[r * TILE:(r + 1) * TILE, c * TILE:(c + 1) * TILE]
        tile[:] = RIGHT_INDEX if ok[i] else WRONG_INDEX
        tile[FRAME:FRAME + 28, FRAME:FRAME + 28] = np.rint(np.clip(x[i], 0, 1) * (GREY_LEVELS - 1))
    img = Image.fromarray(canvas, mode="P")
    greys = np.repeat(np.rint(np.linspace(0, 255, GREY_LEVELS)).astype(np.uint8)[:, None], 3, axis=1)
    img.putpalette(np.concatenate([greys, _hex_rgb(RIGHT_COLOUR)[None], _hex_rgb(WRONG_COLOUR)[None]]).tobytes())
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    source = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    r, c = np.divmod(np.arange(n), cols)
    digit = np.where(y, positive, other)
    p = 1 / (1 + np.exp(-np.clip(z, -60, 60)))
    hover = [f"a {d}: logit {v:+.2f}, P({positive}) {q:.3f}<br>{'right' if k else 'wrong'}"
             for d, v, q, k in zip(digit, z, p, ok)]
    traces = [
        go.Image(source=source, x0=0, dx=1, y0=0, dy=1, hoverinfo="skip"),
        go.Scatter(x=c * TILE + TILE / 2, y=r * TILE + TILE / 2, mode="markers", hovertext=hover,
                   hoverinfo="text", showlegend=False, marker=dict(size=10, color="rgba(0,0,0,0)")),
        go.Scatter(x=c[~ok] * TILE + TILE - 6, y=r[~ok] * TILE + 6, mode="markers", hoverinfo="skip",
                   name=f"wrong ({int((~ok).sum())})",
                   marker=dict(symbol="x-thin", size=7, line=dict(width=2, color=WRONG_COLOUR))),
        go.Scatter(x=[None], y=[None], mode="markers", name=f"right ({int(ok.sum())})",
                   marker=dict(symbol="square", size=10, color=RIGHT_COLOUR))]
    fig = go.Figure(traces)
    fig.update_xaxes(range=[0, cols * TILE])
    fig.update_yaxes(range=[rows * TILE, 0])
    height = height or int(40 + rows * TILE * min(1.0, 800 / (cols * TILE)))  # about 800 px wide on a page
    fig = _square(_layout(fig, height=height, legend=dict(orientation="h", x=1, xanchor="right", y=1.02,
                                                         yanchor="bottom")))
    return fig.update_layout(margin=dict(l=0, r=0, t=30, b=0))


def gradient_map(grad, height: int = 320) -> go.Figure:
    """The gradient of the loss with respect to the 784 weights, as 28x28 on a symmetric scale:
    blue where raising the weight raises the loss, red where it lowers it."""
    fig = diverging_heatmap(grad, name="gradient", height=height)
    fig.update_traces(colorbar_title_text="∂loss/∂w<br>blue: loss grows<br>with the weight",
                      hovertemplate="row %{y}, col %{x}<br>∂loss/∂w %{z:+.3e}<extra></extra>")
    return fig


def update_map(update, positive: int = 3, height: int = 320) -> go.Figure:
    """`-lr × grad`, what the step adds to each weight, on a symmetric scale: blue raises a weight
    (pushes toward the positive digit), red lowers it."""
    fig = diverging_heatmap(update, positive, name="−lr × grad", height=height)
    fig.update_traces(hovertemplate="row %{y}, col %{x}<br>−lr × grad %{z:+.3e}<extra></extra>")
    return fig


def weights_before_after(before, after, positive: int = 3, height: int = 300) -> go.Figure:
    """The weights before and after the step side by side, on one colour scale (so a change the
    size of the update shows as the difference it is)."""
    b, a = (np.asarray(v, np.float64).reshape(28, 28) for v in (before, after))
    fin = _finite(np.abs(np.concatenate([b.ravel(), a.ravel()])))
    zmax = float(max(fin.max() if fin.size else 1.0, 1e-12))
    other = other_digit(positive)
    axis = dict(showticklabels=False, ticks="", showgrid=False, zeroline=False, constrain="domain",
                range=[-0.5, 27.5])
    traces = [go.Heatmap(z=v, xaxis=xa, yaxis=ya, showscale=i == 1, zmin=-zmax, zmax=zmax, zmid=0,
                         colorscale=DIVERGING,
                         colorbar=dict(title=dict(text=f"weight<br>blue → {positive}<br>red → {other}", side="top"),
                                       thickness=12, len=0.9),
                         hovertemplate=f"{name}<br>row %{{y}}, col %{{x}}<br>weight %{{z:+.5f}}<extra></extra>")
              for i, (v, xa, ya, name) in enumerate(((b, "x", "y", "before"), (a, "x2", "y2", "after")))]
    return go.Figure(traces, layout=dict(
        height=height, showlegend=False, margin=dict(l=5, r=5, t=30, b=5),
        paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        xaxis={**axis, "domain": [0, 0.44]}, yaxis={**axis, "range": [27.5, -0.5], "scaleanchor": "x"},
        xaxis2={**axis, "domain": [0.48, 0.92]}, yaxis2={**axis, "range": [27.5, -0.5], "scaleanchor": "x2"},
        annotations=[dict(text=f"<b>{t}</b>", x=x, xref="paper", y=1.0, yref="paper", yanchor="bottom",
                          showarrow=False) for t, x in (("before", 0.22), ("after", 0.70))]))


def gradient_sizes(margin, grad_mnist, grad_bce, height: int = 320) -> go.Figure:
    """Each digit of the batch: how strongly it pulls on the weights (|∂loss/∂logit|; its gradient
    on the weights is this times its pixels) under mnist_loss and under cross-entropy, against its
    logit signed toward the truth (left of 0: on the wrong side). The curves are the two losses'
    formulas: σ(m)(1 − σ(m)) vanishes for confidently wrong digits, 1 − σ(m) does not."""
    m = np.asarray(margin, np.float64).ravel()
    reach = float(max(8.0, min(np.nanmax(np.abs(m)) * 1.05 if len(m) else 8.0, 40.0)))
    grid = np.linspace(-reach, reach, 241)
    s = 1 / (1 + np.exp(-grid))
    shown = np.clip(m, -reach, reach)
    hover = "logit toward the truth %{customdata:+.2f}<br>|∂loss/∂logit| %{y:.2e}<extra>%{fullData.name}</extra>"
    traces = [
        go.Scatter(x=grid, y=s * (1 - s), mode="lines", line=dict(color=MNIST_COLOUR, width=1.5, dash="dot"),
                   showlegend=False, hoverinfo="skip"),
        go.Scatter(x=grid, y=1 - s, mode="lines", line=dict(color=BCE_COLOUR, width=1.5, dash="dot"),
                   showlegend=False, hoverinfo="skip"),
        go.Scatter(x=shown, y=np.asarray(grad_mnist, np.float64).ravel(), customdata=m, mode="markers",
                   name="mnist_loss", marker=dict(color=MNIST_COLOUR, size=6), hovertemplate=hover),
        go.Scatter(x=shown, y=np.asarray(grad_bce, np.float64).ravel(), customdata=m, mode="markers",
                   name="cross-entropy", marker=dict(color=BCE_COLOUR, size=6, symbol="square"),
                   hovertemplate=hover)]
    band = dict(type="rect", xref="x", yref="paper", y0=0, y1=1, x0=-reach, x1=0, fillcolor=WRONG_COLOUR,
                opacity=0.08, line_width=0, layer="below")
    notes = [dict(x=-reach, y=0.55, xref="x", yref="paper", xanchor="left", showarrow=False,
                  text="← wrong side"),
             dict(x=reach, y=0.55, xref="x", yref="paper", xanchor="right", showarrow=False,
                  text="right side →")]
    fig = go.Figure(traces)
    fig.update_xaxes(title_text="the loss's logit, signed toward the right answer", range=[-reach, reach],
                     zeroline=True, zerolinecolor=MARK_COLOUR)
    fig.update_yaxes(title_text="|∂loss/∂logit| per digit", range=[-0.03, 1.05])
    _layout(fig, height=height, shapes=[band], annotations=notes,
            legend=dict(orientation="h", x=0.5, xanchor="center", y=1.02, yanchor="bottom"))
    return fig.update_layout(margin=dict(l=10, r=10, t=40, b=10))
