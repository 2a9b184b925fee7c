"""What every figure shares: the colours, transparent backgrounds, square 28x28 axes, and the
plain-dict form of the figures that are redrawn several times a second.

Weights and contributions share one diverging, colour-blind-safe palette (ColorBrewer RdBu:
red <-> blue) centred at 0: blue pushes the logit up (toward the positive digit), red pushes it
down (toward the other digit). Backgrounds are transparent so figures read in the light and the
dark theme.
"""
from __future__ import annotations

import base64

import numpy as np
import plotly.graph_objects as go

DIVERGING = "RdBu"  # low = red, high = blue; ColorBrewer marks it colour-blind safe
POS_COLOUR, NEG_COLOUR = "#2166ac", "#b2182b"  # the palette's blue and red ends
GREYS = [[0, "#000000"], [1, "#ffffff"]]  # MNIST as it is: white ink on black
TRAIN_COLOUR, VALID_COLOUR, MARK_COLOUR = "#e69f00", "#009e73", "#555555"  # Okabe-Ito orange, green; grey
RIGHT_COLOUR, WRONG_COLOUR = "#009e73", "#d55e00"  # Okabe-Ito bluish green and vermillion
ADD_COLOUR, ERASE_COLOUR = "#e69f00", "#56b4e9"  # Okabe-Ito orange and sky blue: read on black pixels
MNIST_COLOUR, BCE_COLOUR = POS_COLOUR, "#e08214"  # the two losses, as in curves.loss_comparison
# Earlier runs, one colour each (Okabe-Ito's eight, mid-tones that read on a light and a dark page).
RUN_COLOURS = ("#e69f00", "#56b4e9", "#009e73", "#cc79a7", "#0072b2", "#d55e00", "#999999", "#f0e442")


def _layout(fig: go.Figure, title: str | None = None, height: int = 320, **kw) -> go.Figure:
    fig.update_layout(title=title, height=height, margin=dict(l=10, r=10, t=40 if title else 10, b=10),
                      paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)", **kw)
    return fig


def _square(fig: go.Figure) -> go.Figure:
    fig.update_xaxes(showticklabels=False, ticks="", showgrid=False, zeroline=False, constrain="domain")
    fig.update_yaxes(showticklabels=False, ticks="", showgrid=False, zeroline=False, autorange="reversed",
                     scaleanchor="x", constrain="domain")
    return fig


def _square_map(traces: list, height: int, title: str | None = None) -> go.Figure:
    axis = dict(showticklabels=False, ticks="", showgrid=False, zeroline=False, constrain="domain",
                range=[-0.5, 27.5])
    return go.Figure(traces, layout=dict(
        height=height, title=dict(text=title) if title else None, showlegend=False,
        margin=dict(l=5, r=5, t=30 if title else 5, b=5), paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)", xaxis=axis, yaxis={**axis, "range": [27.5, -0.5], "scaleanchor": "x"}))


# Live figures (redrawn several times a second through pages/live_chart.py's Plotly.react) are
# returned as the plain dict `go.Figure(...)` takes, with float32 typed arrays and no default
# template: building plotly's objects and turning them back into JSON costs more than the rest of
# a redraw. tests/test_figures_train.py validates each of them in full against plotly's schema.
_NO_TEMPLATE = {"layout": {}}


def _fast(data: list, layout: dict, height: int, top: int = 30) -> dict:
    # Fixed margins that fit the axis titles and tick labels: plotly's `automargin` measures the
    # labels and redraws again whenever they change size, which doubles the cost of a live redraw.
    layout = {"height": height, "margin": dict(l=62, r=10, t=top, b=46), "paper_bgcolor": "rgba(0,0,0,0)",
              "plot_bgcolor": "rgba(0,0,0,0)", "template": _NO_TEMPLATE, **layout}
    return {"data": data, "layout": layout}


def _f32(v) -> dict:
    """`v` as float32 in plotly.js's typed-array form ({dtype, bdata, shape}: base64 of the raw
    little-endian bytes), the form go.Figure gives a numpy array. Encoded here directly: plotly's
    own encoder first inspects the array as a possible dataframe, which costs more than the rest
    of a live figure."""
    a = np.ascontiguousarray(v, dtype="<f4")
    if a.size == 0:
        return []
    spec = {"dtype": "f4", "bdata": base64.b64encode(a.tobytes()).decode("ascii")}
    if a.ndim > 1:
        spec["shape"] = ", ".join(map(str, a.shape))
    return spec


def _finite(v) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64).ravel()
    return v[np.isfinite(v)]
