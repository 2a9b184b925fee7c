"""Draw: a digit from pixels to a decision — 28x28 input, x·w, Σ x·w + bias = logit, sigmoid, threshold.

Every stroke sends the canvas to Python and reruns only the fragment below (not the page), which
does ~1 ms of arithmetic and builds three small figures.
"""
import hashlib

import streamlit as st

from mnist37 import figures
from mnist37 import preprocess as pp
from mnist37.inference import infer, probability_text, top_contributions
from mnist37.model import other_digit
from mnist37.config import spec
from mnist37.fool import fool
from pages.ui import classmode
from pages.ui.charts import chart
from pages.ui.layout import wrapper, wrapping_columns
from pages.ui.links import sync_url
from pages.ui.present import fig_height, is_presentation
from pages.ui.routing import route_through_app
from pages.ui.session import current_model, get_config, seed_widget, update_config

CANVAS = "draw_canvas"  # the canvas's key is f"{CANVAS}_{n}"; Clear starts a new canvas (n + 1)
CANVAS_N = "draw_canvas_n"
BRUSH = "draw_brush"
SOURCE = "draw_source"
UPLOAD = "draw_upload"
FOOL = "draw_fool_on"
DRAW, UPLOAD_IMAGE = "Draw", "Upload an image"
PROMPT = "Draw a digit: a 3 or a 7, big, in the middle of the black square."


@st.cache_data(max_entries=8, show_spinner=False)
def preprocess_upload(data: bytes) -> tuple[pp.Preprocessed | None, str | None]:
    """(the model's input or None if there is no ink, or an error sentence), cached per file."""
    try:
        return pp.preprocess_bytes(data), None
    except pp.PreprocessError as e:
        return None, f"Could not use this file: {e}."


def clear_canvas() -> None:
    st.session_state[CANVAS_N] = st.session_state.get(CANVAS_N, 0) + 1


def follow_threshold() -> float:
    """The threshold slider's value, made the session's one threshold (the Train page's too) and
    written into the shareable link. Read at the start of each fragment run rather than in an
    on_change callback: Streamlit stops a callback at its first st.* call when a rerun request
    arrives, and never calls it again for that change."""
    seed_widget("threshold")
    threshold = float(st.session_state["threshold"])
    if threshold != get_config().threshold:
        update_config(threshold=threshold)
    sync_url()  # a fragment run: streamlit_app.py's own calls do not run
    return threshold


def canvas_key() -> str:
    return f"{CANVAS}_{st.session_state.get(CANVAS_N, 0)}"


def drawn_image():
    """The canvas's drawing as an RGBA array (None before the first stroke), read from its state:
    the numbers can then be worked out and sent before the canvas itself is drawn again."""
    from streamlit_drawable_canvas import CanvasResult  # only importable inside streamlit

    value = st.session_state.get(canvas_key()) or {}
    url = (value.get("drawing") or {}).get("data")
    return CanvasResult(None, url, True, None).image_data if url else None


def draw_canvas() -> None:
    """The canvas, its brush control and Clear button."""
    from streamlit_drawable_canvas import st_canvas  # only importable inside streamlit

    st.session_state.setdefault(BRUSH, 22)
    st.space("xxsmall")  # room for the canvas's hover toolbar (upload, undo, redo, edit, clear)
    st_canvas(stroke_width=st.session_state[BRUSH], stroke_color="#FFFFFF", background_color="#000000",
              height=280, width=280, drawing_mode="freedraw", return_image_data=True, key=canvas_key())
    with st.container(horizontal=True, vertical_alignment="bottom"):
        st.slider("Brush width (px)", 4, 60, key=BRUSH,
                  help="MNIST's strokes are about a tenth of the digit's height: 20-30 px here.")
        st.button("Clear", on_click=clear_canvas, icon=":material/delete:", help="Start again on an empty canvas")


def read_upload():
    """An upload box; returns (the preprocessed upload or None, an error sentence or None, a key
    naming this file's drawing in a class)."""
    f = st.file_uploader("A PNG or JPEG of one handwritten digit", type=["png", "jpg", "jpeg"],
                         key=UPLOAD, help=f"Up to {pp.MAX_BYTES // 2**20} MB; dark ink on light paper "
                                          "or light on dark, either works.")
    if f is None:
        st.caption("Photograph or scan one digit, or draw it in any paint program.")
        return None, None, None
    if f.size > pp.MAX_BYTES:
        return None, (f"Could not use this file: it is {f.size / 2**20:.1f} MB; images up to "
                      f"{pp.MAX_BYTES // 2**20} MB are accepted."), None
    data = f.getvalue()
    return *preprocess_upload(data), f"upload-{hashlib.sha1(data).hexdigest()[:16]}"


def meant_choice(drawing_key: str) -> int | None:
    """In a class: which digit the student meant, shared with the drawing (the model's mistakes on
    the class's drawings are the teacher's lesson about generalisation)."""
    m = classmode.member()
    if m is None or m.teacher:
        return None
    return st.segmented_control("Which digit did you mean?", [3, 7], key=f"draw_meant_{drawing_key}",
                                format_func=lambda d: f"I meant a {d}")


def terms_text(cs, sign: str) -> str:
    return " · ".join(f"{sign}{i + 1} ({c.row},{c.col}) {c.value:+.2f}" for i, c in enumerate(cs)) or "none"


def input_width() -> int:
    """The input block's width in px: the 280 px canvas with its frame, and room for the three
    numbers in one row (their text is larger in presentation mode)."""
    return 360 if is_presentation() else 300


@st.fragment
def draw_and_predict() -> None:
    """Canvas (or upload) → 28×28 → x·w → Σ + bias → sigmoid → decision, rerun alone on each stroke.

    Three blocks in a row that wraps where the screen is narrow (a phone, a tablet with the
    sidebar open): the input with the numbers right under it, so the Decision is never far from
    the drawing; what the model sees and x·w (① ②); the sum and the sigmoid (③)."""
    model = current_model()
    threshold = follow_threshold()
    with st.container(horizontal=True, gap="small", key="draw_row"):
        left = st.container(width=input_width(), key="draw_left")
        mid, right = st.container(key="draw_mid"), st.container(key="draw_right")
    with left:
        source = st.segmented_control("Input", [DRAW, UPLOAD_IMAGE], default=DRAW, key=SOURCE,
                                      label_visibility="collapsed") or DRAW
        input_box = st.container()
        numbers = st.container(horizontal=True, gap="small")
    # The numbers first: each stroke reruns this fragment, and the Decision goes out before the
    # canvas, the controls and the figures are sent again.
    error = None
    if source == DRAW:
        try:
            rgba = drawn_image()
            prep = pp.preprocess(rgba) if rgba is not None else None
        except pp.PreprocessError as e:  # a dot too small to be a digit
            prep, error = None, f"{str(e)[:1].upper()}{str(e)[1:]}."
        drawing_key = canvas_key()
    else:
        with input_box:
            prep, error, drawing_key = read_upload()
    inf = infer(prep.x, model.weights, model.bias, threshold, model.positive) if prep is not None else None
    if inf is not None:
        numbers.metric("Logit", f"{inf.logit:+.2f}", help="Σ x·w + bias", width="content")
        numbers.metric("Probability", probability_text(inf.probability), width="content",
                       help=f"sigmoid(logit): the model's probability that this is a {model.positive}")
        numbers.metric("Decision", str(inf.decision), width="content",
                       help=f"{model.positive} if logit > threshold ({threshold:g}), else {inf.negative}")
    if source == DRAW:
        with input_box:
            draw_canvas()
    with left:
        meant = meant_choice(drawing_key) if prep is not None else None
        t = spec("threshold")
        st.slider("④ Threshold on the logit", float(t["min"]), float(t["max"]), step=0.1, key="threshold",
                  help=f"Decide {model.positive} when logit > threshold (0 ⇔ probability 0.5). "
                       "The same setting as on the Train page.")
    if inf is not None:
        classmode.share_drawing(drawing_key, prep.x, inf, meant)  # in a class: the teacher sees it
    up, down = top_contributions(prep.x, model.weights, k=3) if prep is not None else ([], [])
    with right:
        if inf is not None:
            plus, minus = inf.sums()
            # shown to 2 decimals so that they add up to the logit shown (each within 0.015 of the exact sum)
            plus, bias = round(plus, 2), round(inf.bias, 2)
            minus = round(round(inf.logit, 2) - plus - bias, 2)
            n_up, n_down = inf.n_pushing
            st.markdown(
                f"③ **Σ x·w + bias = logit**  \n:blue[**{plus:+.2f}**] ({n_up} pixels toward {inf.positive}) "
                f":red[**{minus:+.2f}**] ({n_down} toward {inf.negative}) **{bias:+.2f}** (bias) "
                f"= **{inf.logit:+.2f}**")
            st.caption(f"Largest x·w at (row, col): {terms_text(up, '▲')}  \n{terms_text(down, '▼')}")
        sigmoid_box = st.container()  # filled last, after the figures of the middle block

    with mid:
        if prep is None:
            if error:
                st.error(error, icon=":material/error:")
            else:
                st.info(PROMPT if source == DRAW else "Upload a picture of one digit.", icon=":material/draw:")
            chart(weights_figure(model.weights, model.positive, fig_height(240)), key="draw_weights")
            st.caption(f"The model's 784 weights, which your digit's pixels will be multiplied by: "
                       f"blue pushes toward {model.positive}, red toward {other_digit(model.positive)}.")
        else:
            chart(figures.model_input(prep.x, height=fig_height(170)), key="draw_input")
            st.caption("① What the model sees: 28×28 pixels x, from 0 (black) to 1 (white).")
            chart(figures.contribution_heatmap(prep.x, model.weights, model.positive, (up, down),
                                               height=fig_height(200), colorbar=False), key="draw_contrib")
            st.caption(f"② Each pixel times its weight, x·w, in the weights' colours: blue pushes "
                       f"toward {inf.positive}, red toward {inf.negative}.")
    chart(figures.sigmoid_decision(inf.logit if inf else None, threshold, model.positive, height=fig_height(200)),
          key="draw_sigmoid", box=sigmoid_box)
    done = f"Preprocessed like MNIST: {prep.describe()}. " if prep is not None else ""
    st.caption(f"{done}Model: {model.description}.")
    if prep is not None and st.toggle("Fool the model: the fewest pixels that flip its decision", key=FOOL):
        fool_view(prep.x, model, threshold)


def fool_view(x, model, threshold: float) -> None:
    """The pixels to add or erase, fewest first, that carry the logit across the threshold."""
    f = fool(x, model.weights, model.bias, threshold, model.positive)
    left, right = wrapping_columns("draw_fool_row", [(1, 12), (2, 14)], vertical_alignment="center")
    chart(figures.fool_overlay(x, f.changes, height=fig_height(240)), key="draw_fool", box=left)
    if f.flipped:
        n_add = sum(c.add for c in f.changes)
        right.markdown(f"**{f.count} pixels** turn this {f.decision_before} into a {f.decision_after}: add ink at the "
                       f"{n_add} orange squares, erase the {f.count - n_add} blue circles. The logit goes "
                       f"{f.logit_before:+.2f} → {f.logit_after:+.2f}, across the threshold {threshold:g}.")
    else:
        right.markdown(f"No change of pixels flips it: even every pixel that helps only moves the logit to "
                       f"{f.logit_after:+.2f}, short of the threshold {threshold:g}.")
    right.caption("The logit's gradient with respect to the pixels is the weights, so the pixels whose change "
                  "moves the logit most are taken first: a linear model is easy to fool, and a person would "
                  "hardly notice.")


@st.cache_data(max_entries=4, show_spinner=False)
def weights_figure(weights, positive: int, height: int):
    return figures.weight_thumbnail(weights, positive, height=height)


# The whole chain should fit one 1280×800 projector screen: less empty space above the title
# (presentation mode sets its own). The two figure blocks keep a readable width: narrower than
# that, they wrap onto a row of their own.
st.html("<style>" + ("" if is_presentation() else "[data-testid='stMainBlockContainer'] { padding-top: 2.5rem; } ")
        + "[data-testid='stMetricValue'] { font-size: 1.7rem; } "
        f"{wrapper('draw_mid')} {{ min-width: 10rem; }} {wrapper('draw_right')} {{ min-width: 17rem; }}</style>")
route_through_app()  # before anything is drawn
st.title("Draw a digit, follow it to a decision")
if not is_presentation():  # on a projector the teacher says it, and the canvas and Decision need the room
    st.markdown(
        "Your drawing is cropped, scaled to 20 px and centred in 28×28 like MNIST's digits; each pixel "
        "**x** is multiplied by its **weight w**, the products plus the **bias** give the **logit**, the "
        "**sigmoid** turns it into a probability and the **threshold** into a decision.")
draw_and_predict()
