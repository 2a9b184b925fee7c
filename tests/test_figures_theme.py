"""Every figure reads on the light and the dark page alike (mnist37.figures.style): text has no
colour of its own (it takes the theme's; no colour reaches WCAG AA's 4.5:1 on both pages), nothing
sits on an opaque box, lines and markers keep 3:1 against both pages, and a 0 on the diverging
scale is transparent: the page itself, not a white square. The browser test
(tests/test_browser_screens.py) checks the same in the colours Chromium really draws."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from mnist37 import figures
from mnist37.figures.style import (ADD_COLOUR, DIVERGING, ERASE_COLOUR, MARK_COLOUR, NEG_COLOUR, PAGE_COLOURS,
                                   POS_COLOUR, RIGHT_COLOUR, RUN_COLOURS, SHARES, TRAIN_COLOUR, VALID_COLOUR,
                                   WRONG_COLOUR, contrast, for_screen, rgba)
from mnist37.fool import fool
from mnist37.inference import top_contributions

rng = np.random.default_rng(0)
W = rng.normal(size=784)
X = np.zeros((28, 28))
X[8:20, 10:18] = rng.random((12, 8))
MARKS = top_contributions(X, W, k=3)


def every_figure():
    z = rng.normal(size=200) * 4
    pos = rng.random(200) > 0.5
    sweep = np.linspace(-10, 10, 41)
    runs = [("run 1: lr 1", [0.5, 0.8, 0.9]), ("run 2: lr 0.1", [0.5, 0.6, 0.7])]
    history = {"epoch": [1, 2], "train_loss": [0.3, 0.2], "valid_loss": [0.3, 0.25], "valid_accuracy": [0.9, 0.95]}
    return {
        "sigmoid": figures.sigmoid_decision(2.5, 0.0, 3),
        "threshold view": figures.threshold_view(z, pos, 1.0, 3, sweep, np.linspace(0.5, 0.9, 41), span=10.0),
        "confusion": figures.confusion_matrix({"tp": 10, "fn": 2, "fp": 3, "tn": 9}, 3, 0.0),
        "loss curves": figures.loss_curves(list(np.linspace(1, 0.2, 50)), [10, 20], [0.5, 0.4], "mnist_loss"),
        "accuracy curves": figures.accuracy_curves([0.5, 0.8, 0.9], [0.5, 0.82, 0.91], 0.0),
        "loss comparison": figures.loss_comparison({"mnist": {"history": history}, "bce": {"history": history}}),
        "weights": figures.weight_heatmap(W, 3),
        "weights live": figures.weight_heatmap_live(W, 3),
        "x·w": figures.contribution_heatmap(X, W, 3, MARKS),
        "replay": figures.weight_replay([(W, 0.1), (W * 1.1, 0.2)], 3),
        "runs": figures.runs_curves(runs, ("this run", [0.5, 0.9])),
        "sweep": figures.sweep_plot([0.1, 1.0, 10.0], [0.9, 0.95, 0.5], [0.2, 0.1, np.nan], [False, False, True],
                                    current_lr=1.0),
        "gradient": figures.gradient_map(W * 1e-3),
        "before and after": figures.weights_before_after(W, W * 1.01, 3),
        "gradient sizes": figures.gradient_sizes(z[:20], rng.random(20) * 0.2, rng.random(20)),
        "fool": figures.fool_overlay(X, fool(X, W, 0.0, 0.0, 3).changes),  # its marks sit on black pixels
        "class runs": figures.class_runs(
            [{"lr": 1.0, "final_accuracy": 0.95, "loss": "mnist", "nickname": "Ada", "bs": 256, "epochs": 3,
              "seed": 1}, {"lr": 0.1, "final_accuracy": 0.9, "loss": "bce", "nickname": "Bo", "bs": 64,
                          "epochs": 3, "seed": 2}], [[0.6, 0.9, 0.95], [0.6, 0.8, 0.9]]),
        "class drawings": figures.drawings_sheet([X, X], ["+2.0 → 3", "-1.0 → 7"], [False, True]),
    }


def as_dict(fig) -> dict:
    return fig.to_plotly_json() if isinstance(fig, go.Figure) else fig


def walk(node, path=()):
    """(path, value) for every leaf of a figure dict."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk(v, path + (k,))
    elif isinstance(node, (list, tuple)) and node and isinstance(node[0], dict):
        for i, v in enumerate(node):
            yield from walk(v, path + (i,))
    else:
        yield path, node


@pytest.mark.parametrize("name", list(every_figure()))
def test_figure_text_takes_the_themes_colour_and_sits_on_no_box(name):
    fig = as_dict(every_figure()[name])
    for path, value in walk(fig):
        if path[:2] == ("layout", "template"):
            continue  # plotly's own template: Streamlit draws charts with its theme's instead
        if len(path) >= 2 and path[-1] == "color" and str(path[-2]).endswith("font"):
            pytest.fail(f"{name}: text coloured {value} at {path}: no colour reads on both pages")
        if path[-1] == "bgcolor":
            assert rgba(value)[3] == 0, f"{name}: an opaque box {value} at {path}"


def mark_colours(fig: dict):
    """(where, colour, opacity) of each line and marker: what must stand out from the page."""
    for i, trace in enumerate(fig.get("data", [])):
        if trace.get("type") in ("heatmap", "image", "bar"):  # colour scales, pictures and areas
            continue
        opacity = trace.get("opacity", 1)
        for key in ("line", "marker"):
            colour = (trace.get(key) or {}).get("color")
            if isinstance(colour, str) and rgba(colour)[3] > 0:
                yield f"trace {i} {key}", colour, opacity * (trace.get(key) or {}).get("opacity", 1)
    for i, shape in enumerate(fig.get("layout", {}).get("shapes", [])):
        if shape.get("type") == "line":
            yield f"shape {i}", shape["line"]["color"], shape.get("opacity", 1)


@pytest.mark.parametrize("page", PAGE_COLOURS)
@pytest.mark.parametrize("name", [n for n in every_figure() if n != "fool"])  # its marks sit on black pixels
def test_lines_and_markers_keep_3_to_1_on_the_page(name, page):
    for where, colour, opacity in mark_colours(as_dict(every_figure()[name])):
        r, g, b, a = rgba(colour)
        seen = f"rgba({r},{g},{b},{a * opacity})"
        if name in ("runs", "class runs") and opacity < 1:
            continue  # other runs' curves are faded on purpose
        assert contrast(seen, PAGE_COLOURS[page]) >= 3, f"{name}: {where} {colour} on the {page} page"


@pytest.mark.parametrize("page", PAGE_COLOURS)
def test_the_palette_keeps_3_to_1_on_both_pages(page):
    for colour in (POS_COLOUR, NEG_COLOUR, TRAIN_COLOUR, VALID_COLOUR, MARK_COLOUR, RIGHT_COLOUR, WRONG_COLOUR,
                   *RUN_COLOURS):
        assert contrast(colour, PAGE_COLOURS[page]) >= 3, (colour, page)
    for colour in (ADD_COLOUR, ERASE_COLOUR):  # drawn on a digit's black pixels
        assert contrast(colour, "#000000") >= 3, colour


def test_zero_on_the_diverging_scale_is_the_page_itself():
    middle = [c for v, c in DIVERGING if v == 0.5]
    assert middle and all(rgba(c)[3] == 0 for c in middle)
    ends = (DIVERGING[0][1], DIVERGING[-1][1])
    assert all(rgba(c)[3] == 1 for c in ends)
    for page in PAGE_COLOURS.values():  # the strongest weights stand out on either page
        assert all(contrast(c, page) >= 3 for c in ends)
    alphas = [rgba(c)[3] for _, c in DIVERGING]
    assert alphas == sorted(alphas[:5], reverse=True) + sorted(alphas[5:])  # fading in from both ends
    assert rgba(SHARES[-1][1])[3] <= 0.5  # the confusion matrix's darkest cell still carries the theme's text


def test_for_screen_turns_off_drag_zoom_and_scales_every_text_size():
    fig = figures.sigmoid_decision(2.5, 0.0, 3)
    assert for_screen(figures.loss_curves([1.0], [1], [0.5]))["layout"]["dragmode"] is False
    big = for_screen(fig, 1.5)
    assert big["layout"]["dragmode"] is False and big["layout"]["font"]["size"] == 18
    sizes = [a["font"]["size"] for a in big["layout"]["annotations"]]
    assert sizes == [round(a.font.size * 1.5, 1) for a in fig.layout.annotations]
    live = figures.weight_heatmap_live(W, 3)
    before = repr(live)
    for_screen(live, 2.0)
    assert repr(live) == before  # a live figure's cached parts are not changed
    assert for_screen(go.Figure(), 1.0).layout.dragmode is False
