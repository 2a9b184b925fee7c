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


# --- Model and Home pages (issue 5) ---------------------------------------------------------------

def weight_replay(snapshots: list, positive: int = 3, height: int = 420) -> go.Figure:
    """The weights after each epoch as animation frames (a slider and a play button).

    `snapshots` is Trainer.snapshots: [(weights (784,), bias)], index 0 = the initial weights. One
    colour scale for every frame (the largest |weight| of the run), so colours compare across epochs.
    """
    zmax = float(max(max(np.abs(w).max() for w, _ in snapshots), 1e-12))
    fig = weight_heatmap(snapshots[0][0], positive, zmax=zmax, height=height)
    names = [f"epoch {e}" for e in range(len(snapshots))]
    fig.frames = [go.Frame(name=n, data=[go.Heatmap(z=np.asarray(w, np.float64).reshape(28, 28))],
                           layout=dict(title=dict(text=f"{n}: bias {b:+.3f}")))
                  for n, (w, b) in zip(names, snapshots)]
    step = lambda n: dict(method="animate", label=n.split()[1],
                          args=[[n], dict(mode="immediate", frame=dict(duration=0, redraw=True),
                                          transition=dict(duration=0))])
    fig.update_layout(
        title=dict(text=f"epoch 0: bias {snapshots[0][1]:+.3f}"),
        margin=dict(l=10, r=10, t=40, b=10),
        updatemenus=[dict(type="buttons", direction="left", x=0, y=-0.02, xanchor="left", yanchor="top",
                          pad=dict(t=30, r=10), showactive=False, buttons=[
                              dict(label="▶ play", method="animate",
                                   args=[None, dict(frame=dict(duration=350, redraw=True),
                                                    transition=dict(duration=0), fromcurrent=True)]),
                              dict(label="❚❚ pause", method="animate",
                                   args=[[None], dict(mode="immediate", frame=dict(duration=0, redraw=False))])])],
        sliders=[dict(active=0, x=0.25, len=0.75, y=-0.02, yanchor="top", pad=dict(t=20),
                      currentvalue=dict(prefix="epoch ", visible=True),
                      steps=[step(n) for n in names])])
    fig.update_layout(height=height + 90)
    return fig


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


def digit_gallery(images: list, titles: list, cols: int = 6, height_per_row: int = 150) -> go.Figure:
    """Small 28x28 digits in a grid, each with a short title (e.g. its label and logit)."""
    from plotly.subplots import make_subplots

    n = max(1, len(images))
    rows = (n + cols - 1) // cols
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=list(titles) + [""] * (rows * cols - n),
                        horizontal_spacing=0.02, vertical_spacing=0.12 / max(1, rows) + 0.04)
    for i, (img, t) in enumerate(zip(images, titles)):
        x = np.asarray(img, np.float64).reshape(28, 28)
        x = x / 255 if x.max() > 1.0 else x
        fig.add_trace(go.Heatmap(z=x, zmin=0, zmax=1, colorscale=GREYS, showscale=False,
                                 hovertemplate=t.replace("<br>", ", ") + "<extra></extra>"),
                      i // cols + 1, i % cols + 1)
    fig.update_annotations(font_size=11)
    fig = _square(_layout(fig, height=rows * height_per_row + 20))
    fig.update_layout(margin=dict(l=5, r=5, t=40, b=5))
    for i in range(rows * cols):  # each subplot square, like the big heatmaps
        fig.update_yaxes(scaleanchor="x" if i == 0 else f"x{i + 1}", row=i // cols + 1, col=i % cols + 1)
    return fig


def sigmoid_curve(logit: float | None = None, threshold: float = 0.0, positive: int = 3,
                  height: int = 260) -> go.Figure:
    """sigmoid(z) = 1/(1+exp(-z)); a logit's point on it and the threshold line."""
    z = np.linspace(-10, 10, 201)
    fig = go.Figure(go.Scatter(x=z, y=1 / (1 + np.exp(-z)), mode="lines", line=dict(color="#888888"),
                               hovertemplate="logit %{x:.2f}<br>sigmoid %{y:.3f}<extra></extra>", name="sigmoid"))
    fig.add_vline(x=threshold, line=dict(color="#888888", dash="dot"),
                  annotation_text=f"threshold {threshold:g}", annotation_position="top left")
    if logit is not None:
        zc = float(np.clip(logit, -10, 10))
        p = 1 / (1 + np.exp(-float(logit)))
        colour = POS_COLOUR if logit > threshold else NEG_COLOUR
        fig.add_trace(go.Scatter(x=[zc], y=[p], mode="markers", marker=dict(size=14, color=colour),
                                 name="this digit",
                                 hovertemplate=f"logit {logit:.2f}<br>sigmoid {p:.3f}<extra></extra>"))
    fig.update_xaxes(title_text="logit", range=[-10, 10])
    fig.update_yaxes(title_text=f"P({positive})", range=[-0.05, 1.05])
    return _layout(fig, height=height, showlegend=False)


# --- Draw page (issue 4) --------------------------------------------------------------------------
# Built in one go.Figure(data, layout) call: plotly validates every update_*/add_* call separately,
# and these redraw on every stroke (one call: ~5 ms; the same figure step by step: ~80 ms).

def _square_map(traces: list, height: int, title: str | None = None) -> go.Figure:
    axis = dict(showticklabels=False, showgrid=False, zeroline=False, constrain="domain", range=[-0.5, 27.5])
    return go.Figure(traces, layout=dict(
        height=height, title=dict(text=title) if title else None, showlegend=False,
        margin=dict(l=5, r=5, t=30 if title else 5, b=5), paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)", xaxis=axis, yaxis={**axis, "range": [27.5, -0.5], "scaleanchor": "x"}))


def model_input(x28: np.ndarray, title: str | None = None, height: int = 300) -> go.Figure:
    """The 28x28 pixels the model sees (0..1, MNIST's white on black); hover shows x."""
    x = np.asarray(x28, np.float64).reshape(28, 28)
    return _square_map([go.Heatmap(z=x, zmin=0, zmax=1, colorscale=GREYS, showscale=False,
                                   hovertemplate="row %{y}, col %{x}<br>x %{z:.3f}<extra></extra>")],
                       height, title)


def contribution_heatmap(x28: np.ndarray, weights: np.ndarray, positive: int = 3, marks=((), ()),
                         title: str | None = None, height: int = 300) -> go.Figure:
    """The 784 products x·w as a 28x28 map on the weights' own diverging scale (zmax = max |w|,
    as in weight_heatmap): a fully-inked pixel shows exactly its weight's colour, background
    pixels are 0 (white).

    `marks` = (up, down): inference.Contribution lists, called out on the map as ▲1.. and ▼1..
    """
    x = np.asarray(x28, np.float64).reshape(28, 28)
    w = np.asarray(weights, np.float64).reshape(28, 28)
    zmax = float(max(np.abs(w).max(), 1e-12))
    other = 7 if positive == 3 else 3
    traces = [go.Heatmap(
        z=x * w, zmin=-zmax, zmax=zmax, zmid=0, colorscale=DIVERGING, customdata=np.dstack([x, w]),
        hovertemplate=("row %{y}, col %{x}<br>x %{customdata[0]:.3f} × w %{customdata[1]:+.3f}"
                       "<br>x·w %{z:+.4f}<extra></extra>"),
        colorbar=dict(title=dict(text=f"x·w<br>blue → {positive}<br>red → {other}", side="top"),
                      thickness=10, len=0.9))]
    for sign, cs in (("▲", marks[0]), ("▼", marks[1])):
        if cs:
            traces.append(go.Scatter(
                x=[c.col for c in cs], y=[c.row for c in cs], mode="markers+text",
                text=[f"{sign}{i + 1}" for i in range(len(cs))], textposition="middle right",
                textfont=dict(size=12, color="#000000"), hoverinfo="skip",
                marker=dict(symbol="square-open", size=10, line=dict(width=2, color="#000000"))))
    return _square_map(traces, height, title)


def sigmoid_decision(logit: float | None, threshold: float = 0.0, positive: int = 3,
                     height: int = 260) -> go.Figure:
    """sigmoid(z) over the logit axis, split at the threshold into the other digit's side (red,
    left) and the positive digit's (blue, right), with this digit's point (logit, sigmoid(logit)).

    The axis widens to show the point; a logit beyond ±30 is drawn at the edge, labelled with its value.
    """
    other = 7 if positive == 3 else 3
    reach = max(6.0, abs(threshold) + 2.0, min(abs(logit) * 1.15, 30.0) if logit is not None else 0.0)
    z = np.linspace(-reach, reach, 241)
    traces = [go.Scatter(x=z, y=1 / (1 + np.exp(-z)), mode="lines", line=dict(color="#777777", width=2),
                         hovertemplate="logit %{x:.2f}<br>sigmoid %{y:.3f}<extra></extra>")]
    band = dict(type="rect", xref="x", yref="paper", y0=0, y1=1, opacity=0.12, line_width=0, layer="below")
    shapes = [{**band, "x0": -reach, "x1": threshold, "fillcolor": NEG_COLOUR},
              {**band, "x0": threshold, "x1": reach, "fillcolor": POS_COLOUR},
              dict(type="line", xref="x", yref="paper", x0=threshold, x1=threshold, y0=0, y1=1,
                   line=dict(color="#555555", dash="dash", width=1.5))]
    notes = [dict(x=-reach, y=1, xref="x", yref="paper", text=f"<b>→ {other}</b>", showarrow=False,
                  xanchor="left", yanchor="top", font=dict(color=NEG_COLOUR, size=15)),
             dict(x=reach, y=0, xref="x", yref="paper", text=f"<b>→ {positive}</b>", showarrow=False,
                  xanchor="right", yanchor="bottom", font=dict(color=POS_COLOUR, size=15)),
             dict(x=threshold, y=1, xref="x", yref="paper", text=f"threshold {threshold:g}", showarrow=False,
                  xanchor="left", yanchor="top", xshift=3, font=dict(size=11, color="#555555"))]
    if logit is not None:
        p = float(1 / (1 + np.exp(-np.clip(logit, -700, 700))))
        shown = float(np.clip(logit, -reach, reach))
        colour = POS_COLOUR if logit > threshold else NEG_COLOUR
        traces.append(go.Scatter(x=[shown], y=[p], mode="markers",
                                 marker=dict(size=15, color=colour, line=dict(width=2, color="#ffffff")),
                                 hovertemplate=f"logit {logit:.3f}<br>sigmoid {p:.4f}<extra></extra>"))
        notes.append(dict(x=shown, y=p, text=f"σ({logit:.2f}) = {p:.3f}", showarrow=True, arrowhead=0,
                          ax=-70 if shown > 0 else 70, ay=30 if p > 0.5 else -30,
                          font=dict(size=13, color=colour)))
    return go.Figure(traces, layout=dict(
        height=height, showlegend=False, shapes=shapes, annotations=notes,
        margin=dict(l=10, r=10, t=10, b=10), paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        xaxis=dict(title=dict(text="logit", standoff=4), range=[-reach, reach], zeroline=False, showgrid=False),
        yaxis=dict(title=dict(text=f"P({positive}) = σ(logit)", standoff=4), range=[-0.04, 1.04],
                   tickvals=[0, 0.5, 1], showgrid=False, zeroline=False)))
