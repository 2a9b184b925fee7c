"""Shareable settings: the URL's query parameters restore a session's settings on any page, bad or
out-of-range values fall back to the defaults with a notice, and the address bar keeps the settings
as the session changes page."""
from __future__ import annotations

from dataclasses import replace

import pytest
from streamlit.testing.v1 import AppTest

from mnist37.config import URL_FIELDS, TrainConfig, from_query, to_query
from pages.ui.present import PRESENTATION
from pages.ui.session import CONFIG
from tests.apptest_nav import entrypoint_every_run  # noqa: F401 (a fixture)
from harness.server import ROOT

pytestmark = pytest.mark.usefixtures("entrypoint_every_run")

APP = str(ROOT / "streamlit_app.py")
SHARED = {"lr": "0.5", "threshold": "1.5", "bs": "64", "epochs": "5", "std": "0.5", "seed": "7",
          "loss": "bce", "positive": "7", "source": "embedded"}
EXPECTED = TrainConfig(lr=0.5, threshold=1.5, bs=64, epochs=5, std=0.5, seed=7, loss="bce", positive=7)


def open_link(params: dict, page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(page).run()
    return at


@pytest.mark.parametrize("cfg", [TrainConfig(), EXPECTED,
                                 TrainConfig(lr=0.001, threshold=-10.0, bs=1, epochs=200, std=0.0, seed=2**31 - 1,
                                             source="mnist", fit_threshold=True)])
def test_url_params_round_trip(cfg):
    back, errors = from_query(to_query(cfg))
    assert back == cfg and errors == []


def test_url_names_every_train_setting_and_never_a_server_folder():
    assert set(URL_FIELDS) == {"lr", "threshold", "bs", "epochs", "std", "seed", "loss", "positive", "source"}
    assert "source" not in to_query(replace(TrainConfig(), source="/home/teacher/digits"))
    cfg, errors = from_query({"source": "/etc"})
    assert cfg.source == "embedded" and [e.name for e in errors] == ["source"]


def test_shared_link_restores_settings_and_stays_in_the_address_bar():
    at = open_link(SHARED)
    assert not at.exception
    assert at.session_state[CONFIG] == EXPECTED
    assert not at.warning  # a good link gives no notice
    assert {k: at.query_params[k] for k in SHARED} == SHARED
    for page in ("pages/train.py", "pages/model.py", "pages/home.py"):
        at.switch_page(page).run()
        assert not at.exception, page
        assert at.session_state[CONFIG] == EXPECTED, page
        assert {k: at.query_params[k] for k in SHARED} == SHARED, page


def test_shared_link_opened_on_the_train_page_seeds_its_widgets():
    at = open_link(SHARED, "pages/train.py")
    assert not at.exception
    for name in ("lr", "threshold", "epochs", "loss", "positive", "seed", "bs", "std"):
        assert at.session_state[name] == getattr(EXPECTED, name), name


def test_bad_and_out_of_range_values_fall_back_with_a_notice_each():
    bad = {"lr": "100", "epochs": "0", "bs": "abc", "seed": "-1", "loss": "mse", "positive": "5",
           "threshold": "nan", "source": "/etc", "std": "0.25", "unknown": "x"}
    at = open_link(bad)
    assert not at.exception
    cfg = at.session_state[CONFIG]
    assert cfg == TrainConfig(std=0.25)  # the one good value is kept; the rest are defaults
    text = " ".join(w.value for w in at.warning)
    for name in ("lr", "epochs", "bs", "seed", "loss", "positive", "threshold", "source"):
        assert f"link's {name}=" in text, name
    assert "unknown" not in text and len(at.warning) == 8
    assert at.query_params["lr"] == "1" and at.query_params["std"] == "0.25"  # the URL now says what is used
    at.run()
    assert not at.warning  # shown once


def test_presentation_link():
    at = open_link({"present": "1", "seed": "3"})
    assert at.session_state[PRESENTATION] is True
    assert at.toggle(key=PRESENTATION).value is True
    assert at.query_params["present"] == "1"
    at.toggle(key=PRESENTATION).set_value(False).run()
    assert "present" not in at.query_params and at.query_params["seed"] == "3"
