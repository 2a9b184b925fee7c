"""28x28 maps: the weights, a digit's pixels, the products x·w, galleries of digits, and the
weights replayed epoch by epoch."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ..model import other_digit
from .style import DIVERGING, GREYS, MARK_COLOUR, _NO_TEMPLATE, _f32, _finite, _layout, _square, _square_map


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


def weight_thumbnail(weights: np.ndarray, positive: int = 3, height: int = 240) -> go.Figure:
    """`weight_heatmap` small: no colour bar or ticks (a caption says what the colours mean)."""
    fig = weight_heatmap(weights, positive, height=height)
    fig.update_traces(showscale=False)
    fig.update_xaxes(ticks="")
    fig.update_yaxes(ticks="")
    return fig


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


def digit_image(x28: np.ndarray, title: str | None = None, height: int = 260) -> go.Figure:
    """A 28x28 image (uint8 0..255 or float 0..1) in MNIST's colours; hover shows the pixel value."""
    x = np.asarray(x28, dtype=np.float64).reshape(28, 28)
    if x.max() > 1.0:
        x = x / 255
    fig = go.Figure(go.Heatmap(z=x, zmin=0, zmax=1, colorscale=GREYS, showscale=False,
                               hovertemplate="row %{y}, col %{x}<br>pixel %{z:.3f}<extra></extra>"))
    return _square(_layout(fig, title, height=height))


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
    pixels are 0 (the page's own colour).

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
                textfont=dict(size=12), hoverinfo="skip",
                marker=dict(symbol="square-open", size=10, color=MARK_COLOUR, line=dict(width=2))))
    return _square_map(traces, height, title)


def compact(fig: go.Figure) -> go.Figure:
    """A small copy of a map for a narrow column: no colour bar, no title, tight margins (say in a
    caption what the colours mean)."""
    fig = go.Figure(fig)
    fig.update_traces(showscale=False, selector=dict(type="heatmap"))
    fig.update_layout(title=None, margin=dict(l=0, r=0, t=0, b=0))
    return fig


def digit_gallery(images: list, titles: list, cols: int = 6, height_per_row: int = 150,
                  frames: list | None = None) -> go.Figure:
    """Small 28x28 digits (uint8 0..255 or floats 0..1) tiled into one picture, in MNIST's colours,
    each with its title under it and, with `frames`, framed in its colour (None: no frame). One
    heatmap: quick to build and to draw, however many digits."""
    n = max(1, len(images))
    cols = max(1, min(cols, n))
    rows = (n + cols - 1) // cols
    gap, lines = 4, 1 + max((str(t).count("<br>") for t in titles), default=0)
    cell_h = 28 + 4 * lines  # room for the title under each digit
    sheet = np.full((rows * (cell_h + gap), cols * (28 + gap) - gap), np.nan)
    shapes, notes = [], []
    for i, (img, title) in enumerate(zip(images, titles)):
        r, c = divmod(i, cols)
        top, left = r * (cell_h + gap), c * (28 + gap)
        x = np.asarray(img, np.float64).reshape(28, 28)
        sheet[top:top + 28, left:left + 28] = x / 255 if x.max() > 1.0 else x
        colour = frames[i] if frames else None
        if colour:
            shapes.append(dict(type="rect", x0=left - 1, x1=left + 28, y0=top - 1, y1=top + 28,
                               line=dict(color=colour, width=2)))
        notes.append(dict(x=left + 13.5, y=top + 28.5, text=str(title), showarrow=False, yanchor="top",
                          font=dict(size=11)))
    fig = go.Figure(go.Heatmap(z=sheet, zmin=0, zmax=1, colorscale=GREYS, showscale=False, hoverinfo="skip"),
                    layout=dict(shapes=shapes, annotations=notes))
    fig.update_xaxes(visible=False, range=[-2, sheet.shape[1] + 1], constrain="domain")
    fig.update_yaxes(visible=False, range=[sheet.shape[0], -2], scaleanchor="x", constrain="domain")
    return _layout(fig, height=rows * height_per_row + 20)


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
                          pad=dict(t=30, r=10), showactive=False, bgcolor="rgba(0,0,0,0)", bordercolor=MARK_COLOUR,
                          buttons=[
                              dict(label="▶ play", method="animate",
                                   args=[names, dict(frame=dict(duration=350, redraw=True),
                                                     transition=dict(duration=0), mode="immediate")]),
                              dict(label="❚❚ pause", method="animate",
                                   args=[[None], dict(mode="immediate", frame=dict(duration=0, redraw=False))])])],
        sliders=[dict(active=last, x=0.25, len=0.75, y=-0.02, yanchor="top", pad=dict(t=20),
                      bgcolor="rgba(0,0,0,0)", bordercolor=MARK_COLOUR, activebgcolor=MARK_COLOUR,
                      tickcolor=MARK_COLOUR, currentvalue=dict(prefix="epoch ", visible=True),
                      steps=[step(n) for n in names])])
    fig.update_layout(height=height + 90)
    return fig


def fool_overlay(x28: np.ndarray, changes, title: str | None = None, height: int = 300,
                 after: bool = False) -> go.Figure:
    """The 28x28 input (or, with `after`, the input with the changes made) with the pixels that flip
    the decision marked: orange squares to add ink (set to 1), blue circles to erase (set to 0).
    `changes`: mnist37.fool.Change items (row, col, new, delta)."""
    from .style import ADD_COLOUR, ERASE_COLOUR

    x = np.asarray(x28, np.float64).reshape(28, 28).copy()
    if after:
        for c in changes:
            x[c.row, c.col] = c.new
    traces = [go.Heatmap(z=x, zmin=0, zmax=1, colorscale=GREYS, showscale=False,
                         hovertemplate="row %{y}, col %{x}<br>x %{z:.3f}<extra></extra>")]
    for add, name, colour, symbol in ((True, "add ink", ADD_COLOUR, "square-open"),
                                      (False, "erase", ERASE_COLOUR, "circle-open")):
        cs = [c for c in changes if c.add == add]
        traces.append(go.Scatter(
            x=[c.col for c in cs], y=[c.row for c in cs], mode="markers", name=f"{name} ({len(cs)})",
            customdata=[c.delta for c in cs], showlegend=True,
            hovertemplate=f"{name}: row %{{y}}, col %{{x}}<br>logit %{{customdata:+.3f}}<extra></extra>",
            marker=dict(symbol=symbol, size=11, color=colour, line=dict(width=2.5))))
    fig = _square_map(traces, height, title)
    return fig.update_layout(showlegend=True, legend=dict(orientation="h", x=0, y=-0.02, yanchor="top"),
                             margin=dict(l=5, r=5, t=30 if title else 5, b=30))
