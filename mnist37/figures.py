"""Every plotly figure the app draws, built from plain arrays. Pages never build figures.

Weights and contributions share one diverging, colour-blind-safe palette (ColorBrewer RdBu:
red <-> blue, distinguishable with every common colour-vision deficiency) centred at 0: blue
pushes the logit up (toward the positive digit), red pushes it down (toward the other digit).
Figures use transparent backgrounds so they read in Streamlit's light and dark themes.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from _plotly_utils.utils import to_typed_array_spec

from .inference import probability_relation, sigmoid
from .model import other_digit

DIVERGING = "RdBu"  # low = red, high = blue; ColorBrewer marks it colour-blind safe
POS_COLOUR, NEG_COLOUR = "#2166ac", "#b2182b"  # the palette's blue and red ends
GREYS = [[0, "#000000"], [1, "#ffffff"]]  # MNIST as it is: white ink on black


def _layout(fig: go.Figure, title: str | None = None, height: int = 320, **kw) -> go.Figure:
    fig.update_layout(title=title, height=height, margin=dict(l=10, r=10, t=40 if title else 10, b=10),
                      paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)", **kw)
    return fig


def _square(fig: go.Figure) -> go.Figure:
    fig.update_xaxes(showticklabels=False, ticks="", showgrid=False, zeroline=False, constrain="domain")
    fig.update_yaxes(showticklabels=False, ticks="", showgrid=False, zeroline=False, autorange="reversed",
                     scaleanchor="x", constrain="domain")
    return fig


def diverging_heatmap(values28: np.ndarray, positive: int = 3, title: str | None = None,
                      zmax: float | None = None, name: str = "weight", height: int = 320) -> go.Figure:
    """A 28x28 map on the diverging palette centred at 0; hover shows (row, col) and the value.

    The colour bar says which colour pushes toward which digit.
    """
    v = np.asarray(values28, dtype=np.float64).reshape(28, 28)
    zmax = float(zmax if zmax is not None else max(np.abs(v).max(), 1e-12))
    other = other_digit(positive)
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

def weight_replay(snapshots: list, positive: int = 3, height: int = 420, change: bool = False) -> go.Figure:
    """The weights after each epoch as animation frames (a slider and a play button).

    `snapshots` is Trainer.snapshots: [(weights (784,), bias)], index 0 = the initial weights;
    `change=True` draws each epoch's weights minus the initial ones (what training added). One
    colour scale for every frame (the largest |value| of the run), so colours compare across epochs.
    """
    if change:
        w0 = np.asarray(snapshots[0][0], np.float64)
        snapshots = [(np.asarray(w, np.float64) - w0, b) for w, b in snapshots]
    zmax = float(max(max(np.abs(w).max() for w, _ in snapshots), 1e-12))
    last = len(snapshots) - 1  # open on the last epoch (with change=True epoch 0 is blank); play runs from 0
    fig = diverging_heatmap(snapshots[last][0], positive, zmax=zmax, height=height,
                            name="weight − initial" if change else "weight")
    names = [f"epoch {e}" for e in range(len(snapshots))]
    fig.frames = [go.Frame(name=n, data=[go.Heatmap(z=np.asarray(w, np.float64).reshape(28, 28))],
                           layout=dict(title=dict(text=f"{n}: bias {b:+.3f}")))
                  for n, (w, b) in zip(names, snapshots)]
    step = lambda n: dict(method="animate", label=n.split()[1],
                          args=[[n], dict(mode="immediate", frame=dict(duration=0, redraw=True),
                                          transition=dict(duration=0))])
    fig.update_layout(
        title=dict(text=f"epoch {last}: bias {snapshots[last][1]:+.3f}"),
        margin=dict(l=10, r=10, t=40, b=10),
        updatemenus=[dict(type="buttons", direction="left", x=0, y=-0.02, xanchor="left", yanchor="top",
                          pad=dict(t=30, r=10), showactive=False, buttons=[
                              dict(label="▶ play", method="animate",
                                   args=[names, dict(frame=dict(duration=350, redraw=True),
                                                     transition=dict(duration=0), mode="immediate")]),
                              dict(label="❚❚ pause", method="animate",
                                   args=[[None], dict(mode="immediate", frame=dict(duration=0, redraw=False))])])],
        sliders=[dict(active=last, x=0.25, len=0.75, y=-0.02, yanchor="top", pad=dict(t=20),
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


def compact(fig: go.Figure) -> go.Figure:
    """A small copy of a map for a narrow column: no colour bar, no title, tight margins (say in a
    caption what the colours mean)."""
    fig = go.Figure(fig)
    fig.update_traces(showscale=False, selector=dict(type="heatmap"))
    fig.update_layout(title=None, margin=dict(l=0, r=0, t=0, b=0))
    return fig


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


# --- Draw page (issue 4) --------------------------------------------------------------------------
# Built in one go.Figure(data, layout) call: plotly validates every update_*/add_* call separately,
# and these redraw on every stroke (one call: ~5 ms; the same figure step by step: ~80 ms).

def _square_map(traces: list, height: int, title: str | None = None) -> go.Figure:
    axis = dict(showticklabels=False, ticks="", showgrid=False, zeroline=False, constrain="domain",
                range=[-0.5, 27.5])
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
                         title: str | None = None, height: int = 300, colorbar: bool = True) -> go.Figure:
    """The 784 products x·w as a 28x28 map on the weights' own diverging scale (zmax = max |w|,
    as in weight_heatmap): a fully-inked pixel shows exactly its weight's colour, background
    pixels are 0 (white).

    `marks` = (up, down): inference.Contribution lists, called out on the map as ▲1.. and ▼1..
    """
    x = np.asarray(x28, np.float64).reshape(28, 28)
    w = np.asarray(weights, np.float64).reshape(28, 28)
    zmax = float(max(np.abs(w).max(), 1e-12))
    other = other_digit(positive)
    traces = [go.Heatmap(
        z=x * w, zmin=-zmax, zmax=zmax, zmid=0, colorscale=DIVERGING, customdata=np.dstack([x, w]),
        hovertemplate=("row %{y}, col %{x}<br>x %{customdata[0]:.3f} × w %{customdata[1]:+.3f}"
                       "<br>x·w %{z:+.4f}<extra></extra>"),
        showscale=colorbar, colorbar=dict(title=dict(text=f"x·w<br>blue → {positive}<br>red → {other}",
                                                     side="top"), thickness=10, len=0.9))]
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
    other = other_digit(positive)
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
                  xanchor="right" if threshold > reach / 2 else "left" if threshold < -reach / 2 else "center",
                  yanchor="bottom", font=dict(size=11, color="#555555"))]
    if logit is not None:
        p = sigmoid(logit)
        shown = float(np.clip(logit, -reach, reach))
        colour = POS_COLOUR if logit > threshold else NEG_COLOUR
        traces.append(go.Scatter(x=[shown], y=[p], mode="markers",
                                 marker=dict(size=15, color=colour, line=dict(width=2, color="#ffffff")),
                                 hovertemplate=f"logit {logit:.3f}<br>sigmoid {p:.4f}<extra></extra>"))
        notes.append(dict(x=shown, y=p, text=f"σ({logit:.2f}) {probability_relation(p)}", showarrow=True, arrowhead=0,
                          ax=-70 if shown > 0 else 70, ay=30 if p > 0.5 else -30,
                          bgcolor="rgba(255,255,255,0.85)", font=dict(size=13, color=colour)))
    return go.Figure(traces, layout=dict(
        height=height, showlegend=False, shapes=shapes, annotations=notes,
        margin=dict(l=10, r=10, t=22, b=10), paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        xaxis=dict(title=dict(text="logit", standoff=4), range=[-reach, reach], zeroline=False, showgrid=False),
        yaxis=dict(title=dict(text=f"P({positive}) = σ(logit)", standoff=4), range=[-0.04, 1.04],
                   tickvals=[0, 0.5, 1], showgrid=False, zeroline=False)))


# --- Train page (issue 3) -------------------------------------------------------------------------
# These figures are redrawn several times a second while a model trains (pages/live_chart.py hands
# each to Plotly.react), so the page draws few figures (several panels each), sends float32 arrays,
# leaves out plotly's default template (the page's own font and grid apply) and returns the figure
# as the plain dict `go.Figure(...)` takes: building plotly's objects (even unvalidated) and
# converting them back to JSON was nearly half of the server's time in the live views (py-spy).
# tests/test_figures_train.py validates every one of them in full.
TRAIN_COLOUR, VALID_COLOUR, MARK_COLOUR = "#e69f00", "#009e73", "#555555"  # Okabe-Ito orange, green; grey
_NO_TEMPLATE = {"layout": {}}


def _fast(data: list, layout: dict, height: int, top: int = 30) -> dict:
    # Fixed margins that fit the axis titles and tick labels: plotly's `automargin` measures the
    # labels and redraws again whenever they change size, which doubles the cost of a live redraw.
    layout = {"height": height, "margin": dict(l=62, r=10, t=top, b=46), "paper_bgcolor": "rgba(0,0,0,0)",
              "plot_bgcolor": "rgba(0,0,0,0)", "template": _NO_TEMPLATE, **layout}
    return {"data": data, "layout": layout}


def _f32(v):
    """`v` as float32 in plotly.js's typed-array form (base64 bytes), through plotly's own encoder,
    as go.Figure sends a numpy array: a list of decimal numbers is several times longer."""
    return to_typed_array_spec(np.asarray(v, dtype=np.float32))


def _finite(v) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64).ravel()
    return v[np.isfinite(v)]


def learning_curves(step_loss, epoch_steps, valid_loss, train_accuracy, valid_accuracy,
                    loss_name: str = "loss", threshold: float = 0.0, max_points: int = 300,
                    max_markers: int = 41, height: int = 260) -> dict:
    """Two panels. Left: train loss per step (thinned to `max_points` means when longer) and valid
    loss per epoch, against the step. Right: train and valid accuracy per epoch (read at
    `threshold`), starting at epoch 0 = the random weights. Per-epoch points get markers while
    there are at most `max_markers` of them (the lesson's 20 epochs); a long run draws lines only:
    hundreds of markers are clutter, and each is an SVG element the browser redraws every time."""
    from .metrics import thin

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


def threshold_view(logits, is_positive, threshold: float = 0.0, positive: int = 3, sweep=None,
                   sweep_accuracy=None, accuracy: float | None = None, span: float = 10.0, bins: int = 40,
                   height: int = 380) -> dict:
    """Two panels on one logit axis from -span to span (the threshold slider's range). Top:
    histograms of the (n,) logits of the positive digit's images and of the other digit's (logits
    beyond the range are drawn in the edge bins; non-finite ones are left out). Bottom: accuracy
    at every threshold in `sweep` (`sweep_accuracy`). The threshold is a line through both, its
    accuracy a marked point; right of it the model says `positive`."""
    z = np.asarray(logits, dtype=np.float64).ravel()
    pos = np.asarray(is_positive).ravel().astype(bool)
    other = other_digit(positive)
    edges = np.linspace(-span, span, bins + 1)
    centres, width = (edges[:-1] + edges[1:]) / 2, edges[1] - edges[0]
    data, beyond = [], 0
    for digit, mask, colour in ((positive, pos, POS_COLOUR), (other, ~pos, NEG_COLOUR)):
        v = _finite(z[mask])
        beyond += int((np.abs(v) > span).sum())
        counts, _ = np.histogram(np.clip(v, -span, span), bins=edges)
        data.append(dict(type="bar", x=_f32(centres), y=_f32(counts), width=width,
                         name=f"valid {digit}s", marker=dict(color=colour), opacity=0.6,
                         hovertemplate=f"logit %{{x:.2f}}<br>%{{y}} {digit}s<extra></extra>"))
    notes = [dict(x=threshold, y=1, xref="x", yref="paper", yanchor="top", xanchor=anchor, text=text,
                  showarrow=False, xshift=shift, bgcolor="rgba(255,255,255,0.6)")
             for text, anchor, shift in ((f"← called {other}", "right", -4), (f"called {positive} →", "left", 4))]
    if beyond:
        notes.append(dict(x=1, y=0.98, xref="paper", yref="paper", xanchor="right", yanchor="top",
                          showarrow=False, font=dict(size=11), text=f"{beyond} logits beyond ±{span:g} at the edges"))
    if sweep is not None:
        t, a = np.asarray(sweep, np.float64), np.asarray(sweep_accuracy, np.float64)
        acc = float(np.interp(threshold, t, a)) if accuracy is None else accuracy
        data += [dict(type="scatter", x=_f32(t), y=_f32(a), mode="lines", name="accuracy", showlegend=False,
                      xaxis="x2", yaxis="y2", line=dict(color=VALID_COLOUR, width=2),
                      hovertemplate="threshold %{x:.2f}<br>valid accuracy %{y:.1%}<extra></extra>"),
                 dict(type="scatter", x=[threshold], y=[acc], mode="markers+text", name="your threshold",
                      showlegend=False, xaxis="x2", yaxis="y2", text=[f" {acc:.1%} "],
                      textposition="middle right" if threshold < 0 else "middle left",
                      marker=dict(size=11, color=MARK_COLOUR, symbol="diamond"),
                      hovertemplate="threshold %{x:.2f}<br>valid accuracy %{y:.1%}<extra></extra>")]
    layout = dict(
        barmode="overlay", bargap=0,
        xaxis=dict(range=[-span, span], anchor="y", showticklabels=False),
        yaxis=dict(domain=[0.42, 1], title=dict(text="valid images")),
        xaxis2=dict(range=[-span, span], anchor="y2", matches="x", title=dict(text="logit / threshold")),
        yaxis2=dict(domain=[0, 0.32], title=dict(text="accuracy"), tickformat=".0%", range=[0, 1.15]),
        shapes=[dict(type="line", x0=threshold, x1=threshold, y0=0, y1=1, xref="x", yref="paper",
                     line=dict(color=MARK_COLOUR, width=2, dash="dash"))],
        annotations=notes,
        legend=dict(orientation="h", x=1, xanchor="right", y=1.01, yanchor="bottom"))
    return _fast(data, layout, height, top=30)


_HEATMAP_TEMPLATES: dict = {}


def weight_heatmap_live(weights: np.ndarray, positive: int = 3, height: int = 320,
                        name: str = "weight") -> dict:
    """`weight_heatmap` (or `diverging_heatmap` of another 784 values called `name`), cheap enough
    to redraw several times a second: its layout and colour bar are built (and validated) once per
    (positive, height, name); each call only puts in the new values."""
    key = (positive, height, name)
    if key not in _HEATMAP_TEMPLATES:
        tpl = diverging_heatmap(np.zeros(784), positive, name=name, height=height).to_dict()
        tpl["layout"]["template"] = _NO_TEMPLATE
        _HEATMAP_TEMPLATES[key] = tpl
    tpl = _HEATMAP_TEMPLATES[key]
    w = np.asarray(weights, dtype=np.float64).reshape(28, 28)
    fin = _finite(w)
    zmax = float(max(np.abs(fin).max() if len(fin) else 1.0, 1e-12))
    trace = {**tpl["data"][0], "z": _f32(np.where(np.isfinite(w), w, np.nan)), "zmin": -zmax, "zmax": zmax}
    return {"data": [trace], "layout": tpl["layout"]}
