"""What every figure shares: the colours, transparent backgrounds, square 28x28 axes, the
plain-dict form of the figures that are redrawn several times a second, and how a figure is
shown on screen (`for_screen`).

The figures read in the light and the dark theme alike: backgrounds are transparent; text has no
colour of its own, so it takes the theme's (no text colour passes WCAG AA's 4.5:1 on both a white
and a near-black page); lines and marks use mid-tone colours that keep 3:1 against both pages
(tests/test_figures_theme.py checks them against Streamlit's two page colours).

Weights and contributions share one diverging, colour-blind-safe palette (ColorBrewer RdBu's red
and blue) centred at 0: blue pushes the logit up (toward the positive digit), red pushes it down
(toward the other digit). Its middle is transparent, so a 0 (an empty pixel of x·w) is the page
itself, white or dark, and larger values are stronger colour.
"""
from __future__ import annotations

import base64

import numpy as np
import plotly.graph_objects as go

POS_COLOUR, NEG_COLOUR = "#2166ac", "#c43c39"  # RdBu's blue, and a red between RdBu's two darkest
GREYS = [[0, "#000000"], [1, "#ffffff"]]  # MNIST as it is: white ink on black
TRAIN_COLOUR, VALID_COLOUR, MARK_COLOUR = "#c26a00", "#009e73", "#808080"  # dark orange, Okabe-Ito green; grey
RIGHT_COLOUR, WRONG_COLOUR = "#009e73", "#d55e00"  # Okabe-Ito bluish green and vermillion
ADD_COLOUR, ERASE_COLOUR = "#e69f00", "#56b4e9"  # Okabe-Ito orange and sky blue: read on black pixels
MNIST_COLOUR, BCE_COLOUR = POS_COLOUR, TRAIN_COLOUR  # the two losses, as in curves.loss_comparison
# Earlier runs, one colour each: mid-tones (Okabe-Ito's where they keep 3:1 on both pages).
RUN_COLOURS = ("#c26a00", "#4393c3", "#009e73", "#cc79a7", "#0072b2", "#d55e00", "#808080", "#b8860b")
# The light and the dark page's background (Streamlit 1.67's themes), for the contrast checks.
PAGE_COLOURS = {"light": "#ffffff", "dark": "#171614"}


def _rgba(colour: str, alpha: float) -> str:
    r, g, b, _ = rgba(colour)
    return f"rgba({r},{g},{b},{alpha:g})"


def rgba(colour: str) -> tuple[float, float, float, float]:
    """'#rrggbb', 'rgb(r, g, b)' or 'rgba(r, g, b, a)' as (r, g, b) in 0..255 and alpha in 0..1."""
    c = colour.strip().lower()
    if c.startswith("#"):
        return (*(int(c[i:i + 2], 16) for i in (1, 3, 5)), 1.0)
    parts = [float(v) for v in c[c.index("(") + 1:c.index(")")].replace("/", ",").replace(" ", ",").split(",") if v]
    return (*parts[:3], parts[3] if len(parts) > 3 else 1.0)


def over(colour: str, page: str) -> tuple[float, float, float]:
    """`colour` (possibly translucent) as it shows on the opaque `page` colour."""
    r, g, b, a = rgba(colour)
    pr, pg, pb, _ = rgba(page)
    return r * a + pr * (1 - a), g * a + pg * (1 - a), b * a + pb * (1 - a)


def contrast(colour: str, page: str) -> float:
    """WCAG 2 contrast ratio of `colour` (blended onto `page` if translucent) against `page`."""
    def luminance(rgb) -> float:
        lin = [v / 255 / 12.92 if v / 255 <= 0.04045 else ((v / 255 + 0.055) / 1.055) ** 2.4 for v in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    a, b = sorted((luminance(over(colour, page)), luminance(rgba(page)[:3])), reverse=True)
    return (a + 0.05) / (b + 0.05)


# Red fading out to nothing at 0, then blue fading in: on any page, 0 is the page's own colour.
# The opacity grows as |value| ** 0.6, so middling values still show on a dark page.
_RAMP = [(d, d ** 0.6) for d in (0.0, 0.25, 0.5, 0.75, 1.0)]
DIVERGING = ([[0.5 - d / 2, _rgba(NEG_COLOUR, round(a, 3))] for d, a in reversed(_RAMP)]
             + [[0.5 + d / 2, _rgba(POS_COLOUR, round(a, 3))] for d, a in _RAMP])
# The confusion matrix's shades: light enough at most that the theme's text reads on them.
SHARES = [[0.0, _rgba(POS_COLOUR, 0.03)], [1.0, _rgba(POS_COLOUR, 0.5)]]


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


# --- on screen -------------------------------------------------------------------------------------
# The plotly config of every chart: no zoom by wheel or pinch-drag, no plotly toolbar (it covers
# legends and labels at the top right); a chart is enlarged by Streamlit's own fullscreen button.
CONFIG = {"scrollZoom": False, "displayModeBar": False, "displaylogo": False}
BASE_FONT = 12  # plotly's default text size, px


def for_screen(fig, font_scale: float = 1.0):
    """`fig` (a go.Figure or a figure dict) as the pages show it: no drag-zoom (so a swipe over it
    on a touch screen scrolls the page) and, with `font_scale` (presentation mode), every text size
    scaled. A dict comes back as a new dict (a live figure's cached parts are left alone); a
    go.Figure is updated in place, or turned into a dict when its fonts are scaled."""
    if isinstance(fig, go.Figure):
        if font_scale == 1.0:
            return fig.update_layout(dragmode=False)
        fig = fig.to_plotly_json()
    layout = {**fig.get("layout", {}), "dragmode": False}
    if font_scale == 1.0:
        return {**fig, "layout": layout}
    layout["font"] = {**layout.get("font", {}), "size": layout.get("font", {}).get("size", BASE_FONT)}
    out = {**fig, "layout": _scale_fonts(layout, font_scale)}
    for part in ("data", "frames"):
        if part in fig:
            out[part] = _scale_fonts(fig[part], font_scale)
    return out


def _scale_fonts(node, scale: float, in_font: bool = False):
    """A copy of `node` with each `size` inside a `*font` dict multiplied by `scale` (other values,
    such as data arrays, are shared, not copied)."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if in_font and k == "size" and isinstance(v, (int, float)):
                out[k] = round(v * scale, 1)
            elif isinstance(v, (dict, list, tuple)):
                out[k] = _scale_fonts(v, scale, in_font=k.endswith("font"))
            else:
                out[k] = v
        return out
    if isinstance(node, (list, tuple)) and node and isinstance(node[0], dict):
        return [_scale_fonts(v, scale) for v in node]
    return node
