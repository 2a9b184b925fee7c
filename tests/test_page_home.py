"""The Home page (AppTest): the path from pixels to a decision and the learners' questions, each
answer's widget changing what it shows; plus a smoke run of every page the app registers, in
normal and in presentation mode."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from mnist37 import baseline
from mnist37.data import load_embedded
from mnist37.model import decide
from mnist37.train import TrainConfig, Trainer
from pages.ui.present import PRESENTATION
from tests.apptest_nav import entrypoint_every_run, metric  # noqa: F401 (a fixture)
from harness.server import ROOT

pytestmark = pytest.mark.usefixtures("entrypoint_every_run")
APP = ROOT / "streamlit_app.py"
PAGES = re.findall(r'st\.Page\(\s*"([^"]+)"', APP.read_text())


def app() -> AppTest:
    return AppTest.from_file(str(APP), default_timeout=180).run()


def chart(at, key: str) -> dict:
    """The plotly spec of the chart drawn with `key`."""
    for c in at.get("plotly_chart"):
        if c.proto.id.endswith(key) or key in c.proto.id:
            return json.loads(c.proto.spec)
    raise KeyError(key)


def z_of(spec: dict) -> np.ndarray:
    z = spec["data"][0]["z"]
    if isinstance(z, dict):  # plotly 7: {"dtype", "bdata", "shape"}
        import base64
        return np.frombuffer(base64.b64decode(z["bdata"]), dtype=z["dtype"]).reshape(
            [int(s) for s in str(z["shape"]).split(",")])
    return np.asarray(z, dtype=float)


def test_app_registers_the_four_pages():
    assert {"pages/home.py", "pages/train.py", "pages/draw.py", "pages/model.py"} <= set(PAGES)


@pytest.mark.parametrize("presentation", [False, True])
def test_every_page_runs_without_an_exception(presentation):
    at = AppTest.from_file(str(APP), default_timeout=180)
    if presentation:
        at.query_params["present"] = "1"
    at.run()
    assert not at.exception
    assert at.toggle(key=PRESENTATION).value is presentation
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, page
        assert not at.error, (page, [e.value for e in at.error])
        assert at.toggle(key=PRESENTATION).value is presentation, page  # the sidebar toggle is on every page


def test_the_path_follows_the_picked_digit():
    at = app()
    data = load_embedded()
    w, b = lesson_model()
    for i in (0, 7, 200):
        at.slider(key="home_digit").set_value(i).run()
        assert not at.exception
        x = data.x_valid[i].astype(np.float32) / 255
        pixels = z_of(chart(at, "home_pixels"))
        assert np.allclose(pixels, x, atol=1e-6)
        code = at.code[0].value
        logit = float(re.search(r"\+ bias\s+=\s+([-+\d.]+)", code).group(1))
        said = metric(at, "the model says", prefix=True)
        assert said == str(decide(logit, 0.0, 3))
        assert abs(logit - float(x.reshape(-1) @ w + b)) < 1e-3  # the default model's logit


def test_flipping_the_positive_digit_flips_the_weights_colours():
    at = app()
    w3 = z_of(chart(at, "home_flip"))
    at.radio(key="home_positive").set_value(7).run()
    assert not at.exception
    w7 = z_of(chart(at, "home_flip"))
    assert "label 1 = 7" in json.dumps(chart(at, "home_flip")["layout"]["title"])
    # trained from zero weights on the opposite labels: every weight changes sign
    assert np.allclose(w3, -w7, atol=1e-5) and np.abs(w3).max() > 0.1


def test_random_weights_are_a_coin_flip_and_the_seed_matters():
    at = app()
    seen = set()
    for seed in (0, 1, 2, 42):
        at.slider(key="home_seed").set_value(seed).run()
        acc = float(metric(at, "validation accuracy with random weights", prefix=True).rstrip("%")) / 100
        assert 0.3 < acc < 0.7
        assert abs(acc - baseline.init_accuracy(seed, load_embedded())) < 0.0006
        seen.add(acc)
    assert len(seen) > 1


def test_a_threshold_is_a_bias():
    at = app()
    for t in (-4, 4):
        at.select_slider(key="home_threshold").set_value(t).run()
        assert not at.exception
        shifted = metric(at, "… with its bias", prefix=True)
        at0 = metric(at, "default model at threshold", prefix=True)
        trained = float(metric(at, "trained for threshold", prefix=True).rstrip("%"))
        # bias + t at threshold t makes exactly the threshold-0 decisions
        assert shifted == f"{baseline.linear_accuracy(*lesson_model(), load_embedded()):.1%}"
        assert trained > float(at0.rstrip("%")) - 0.5


def lesson_model():
    """The default model: the lesson's settings on the embedded sample."""
    return Trainer(TrainConfig(), load_embedded()).run().params()


def test_what_is_the_model_reads_any_weight():
    at = app()
    at.slider(key="home_row").set_value(5).run()
    at.slider(key="home_col").set_value(20).run()
    assert "pixel (5, 20)" in " ".join(m.value for m in at.markdown)
