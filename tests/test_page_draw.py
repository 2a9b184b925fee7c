"""The Draw page in AppTest: an injected drawing shows Logit, Probability, Decision; a blank one the prompt."""
import base64
import io
import re

import numpy as np
import pytest
from PIL import Image, ImageDraw
from streamlit.testing.v1 import AppTest

from mnist37 import preprocess as pp

from harness.server import ROOT

APP = str(ROOT / "streamlit_app.py")

CANVAS_KEY = "draw_canvas_0"  # pages/draw.py: f"{CANVAS}_{n}", n = how many times Clear was pressed


def drawing(strokes=(), width=22) -> dict:
    """The value the canvas component sends: its Fabric JSON and a PNG data URL of 280x280 RGBA,
    white strokes on an opaque black background."""
    img = Image.new("RGBA", (280, 280), (0, 0, 0, 255))
    d = ImageDraw.Draw(img)
    for pts in strokes:
        d.line(pts, fill=(255, 255, 255, 255), width=width, joint="curve")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    url = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    return {"drawing": {"raw": {"objects": [{"type": "path"}] * len(strokes)}, "data": url},
            "backgroundFit": None}


SEVEN = [[(70, 60), (210, 60), (120, 230)]]
THREE = [[(80, 65), (140, 45), (200, 75), (190, 120), (135, 140)],
         [(135, 140), (200, 165), (200, 215), (140, 240), (80, 220)]]


def draw_page(canvas_value=None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("pages/draw.py")
    if canvas_value is not None:
        at.session_state[CANVAS_KEY] = canvas_value
    return at.run()


def metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


def texts(at) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption] +
                     [i.value for i in at.info] + [e.value for e in at.error])


@pytest.mark.parametrize("strokes, digit", [(SEVEN, "7"), (THREE, "3")])
def test_a_drawing_shows_logit_probability_and_decision(strokes, digit):
    at = draw_page(drawing(strokes))
    assert not at.exception
    m = metrics(at)
    assert set(m) >= {"Logit", "Probability", "Decision"}
    assert m["Decision"] == digit
    logit = float(m["Logit"])
    assert (logit > 0) == (digit == "3")  # the default model: positive digit 3, threshold 0
    assert "Σ x·w + bias = logit" in texts(at)
    assert f"= **{logit:+.2f}**" in texts(at)  # the sum written out ends in the logit shown
    line = next(m.value for m in at.markdown if "Σ x·w + bias = logit" in m.value)
    plus, minus, bias, total = (float(v) for v in re.findall(r"\*\*([+-]\d+\.\d\d)\*\*", line))
    assert plus > 0 > minus and total == logit
    assert round(plus + minus + bias, 2) == total  # the parts shown add up to the logit shown
    assert "the default model" in texts(at)
    assert len(at.get("plotly_chart")) == 3  # the 28x28 input, x·w and the sigmoid


@pytest.mark.parametrize("value", [drawing(), None])
def test_blank_drawing_shows_the_prompt_and_no_decision(value):
    at = draw_page(value)
    assert not at.exception
    assert "Draw a digit" in texts(at)
    assert "Decision" not in metrics(at)


def test_threshold_is_the_shared_setting_and_moves_the_decision():
    from mnist37.session import Model
    from pages.ui.session import UPLOADED

    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("pages/draw.py")
    at.session_state[CANVAS_KEY] = drawing(THREE)
    # small weights keep the logit (0.01 x the ink) inside the threshold slider's range
    at.session_state[UPLOADED] = Model(np.full(784, 0.01), 0.0, 3, "weights you uploaded (test.pt)")
    at.run()
    logit = float(metrics(at)["Logit"])
    assert 0.2 < logit < 9 and metrics(at)["Decision"] == "3"
    at.slider(key="threshold").set_value(round(logit + 0.5, 1)).run()
    assert not at.exception
    assert metrics(at)["Decision"] == "7"  # logit < threshold: not the positive digit
    assert at.session_state["config"].threshold == pytest.approx(round(logit + 0.5, 1))
    link = at.query_params["threshold"]  # the shareable link follows
    assert float(link if isinstance(link, str) else link[0]) == pytest.approx(round(logit + 0.5, 1))
    assert float(metrics(at)["Logit"]) == logit  # the threshold moves the decision, not the logit


def test_clear_starts_a_new_empty_canvas():
    at = draw_page(drawing(SEVEN))
    assert metrics(at)["Decision"] == "7"
    next(b for b in at.button if b.label == "Clear").click().run()
    assert not at.exception
    assert "Decision" not in metrics(at)
    assert "Draw a digit" in texts(at)


def upload(at, name: str, data: bytes, mime: str = "image/png") -> AppTest:
    at.segmented_control(key="draw_source").set_value("Upload an image").run()
    at.file_uploader(key="draw_upload").set_value((name, data, mime)).run()
    return at


def png(strokes, mode="L", bg=255, ink=0) -> bytes:
    img = Image.new(mode, (400, 300), bg)
    for pts in strokes:
        ImageDraw.Draw(img).line([(x + 60, y) for x, y in pts], fill=ink, width=18)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def test_uploaded_dark_on_light_digit_goes_through_the_same_pipeline():
    at = upload(draw_page(), "seven.png", png(SEVEN))
    assert not at.exception
    assert metrics(at)["Decision"] == "7"
    assert "inverted to white-on-black" in texts(at)


@pytest.mark.parametrize("name, data, words", [
    ("notes.png", b"these are not pixels", "not an image"),
    ("half.png", png(SEVEN)[:300], "damaged or truncated"),
    ("huge.png", b"\x89PNG\r\n\x1a\n" + bytes(20 * 2**20), "20.0 MB"),
])
def test_bad_uploads_give_a_clear_message_and_no_traceback(name, data, words):
    at = upload(draw_page(), name, data)
    assert not at.exception
    assert len(at.error) == 1 and words in at.error[0].value
    assert "Decision" not in metrics(at)
    assert "\n" not in at.error[0].value.strip()


def test_uploaded_weights_are_the_model_used():
    """current_model(): weights the user uploaded win over the default model."""
    from mnist37.session import Model
    from pages.ui.session import UPLOADED

    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("pages/draw.py")
    at.session_state[CANVAS_KEY] = drawing(SEVEN)
    w = np.full(784, 0.01)
    at.session_state[UPLOADED] = Model(w, 5.0, 3, "weights you uploaded (test.pt)")
    at.run()
    assert not at.exception
    x = pp.preprocess(np.asarray(Image.open(io.BytesIO(base64.b64decode(
        drawing(SEVEN)["drawing"]["data"].split(",", 1)[1]))))).x784
    assert float(metrics(at)["Logit"]) == pytest.approx(float(x @ w) + 5.0, abs=0.006)
    assert metrics(at)["Decision"] == "3"
    assert "weights you uploaded" in texts(at)


def test_presentation_mode_makes_the_figures_taller():
    import json

    from pages.ui.present import PRESENTATION

    heights = []
    for on in (False, True):
        at = AppTest.from_file(APP, default_timeout=180).run()
        at.session_state[PRESENTATION] = on
        at.switch_page("pages/draw.py")
        at.session_state[CANVAS_KEY] = drawing(SEVEN)
        at.run()
        assert not at.exception and metrics(at)["Decision"] == "7"
        heights.append([json.loads(c.proto.spec)["layout"]["height"] for c in at.get("plotly_chart")])
    assert all(b > a for a, b in zip(*heights))


def test_fool_the_model_names_the_fewest_pixels_that_flip_the_decision():
    from mnist37.fool import fool
    from mnist37.preprocess import preprocess
    from pages.ui.data import default_model

    at = draw_page(drawing(SEVEN))
    assert metrics(at)["Decision"] == "7" and len(at.get("plotly_chart")) == 3  # off by default: Decision first
    at.toggle(key="draw_fool_on").set_value(True).run()
    assert not at.exception and len(at.get("plotly_chart")) == 4
    rgba = np.asarray(Image.open(io.BytesIO(base64.b64decode(drawing(SEVEN)["drawing"]["data"].split(",")[1]))))
    model = default_model(3)
    want = fool(preprocess(rgba).x, model.weights, model.bias, 0.0, 3)
    line = next(m.value for m in at.markdown if "pixels** turn this" in m.value)
    assert line.startswith(f"**{want.count} pixels** turn this 7 into a 3")


def lab_png() -> bytes:
    """A LAB-mode image (saved as TIFF, named .png by the user): Pillow has no LAB -> L conversion."""
    buf = io.BytesIO()
    Image.open(io.BytesIO(png(SEVEN))).convert("RGB").convert("LAB").save(buf, format="TIFF")
    return buf.getvalue()


def test_a_lab_mode_upload_is_read_like_any_other():
    at = upload(draw_page(), "lab.png", lab_png())
    assert not at.exception
    assert metrics(at)["Decision"] == "7" and not at.error


def test_an_upload_too_small_for_a_digit_gets_one_sentence():
    lit = Image.new("L", (2, 1), 0)
    lit.putpixel((1, 0), 255)
    buf = io.BytesIO()
    lit.save(buf, format="PNG")
    at = upload(draw_page(), "tiny.png", buf.getvalue())
    assert not at.exception
    assert "Decision" not in metrics(at)
    assert len(at.error) == 1 and "2×1 pixels" in at.error[0].value


def test_a_dot_on_the_canvas_is_not_read_as_a_digit():
    at = draw_page(drawing([[(140, 140), (141, 140)]], width=4))
    assert not at.exception
    assert "Decision" not in metrics(at)
    assert len(at.error) == 1 and "too small to be a digit" in at.error[0].value
