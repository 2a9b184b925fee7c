"""A classroom in Chromium: two students train at the same time with different seeds and each sees
only their own model; a teacher's link opens with its settings on any page."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from mnist37.data import load_embedded
from mnist37.train import TrainConfig, Trainer
from harness.browser import metric_value, wait_for_app
from harness.server import StreamlitServer

pytestmark = pytest.mark.browser
LONG = 120_000  # ms: generous, the machine is shared


def warm(server, browser) -> None:
    """Open the root once, so streamlit_app.py has run (see test_first_request_may_be_a_shared_link)."""
    ctx = browser.new_context()
    pg = ctx.new_page()
    pg.goto(server.url + "/")
    pg.wait_for_selector("text=Questions learners ask", timeout=LONG)
    ctx.close()


def open_page(browser, url: str):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    pg.goto(url)
    return ctx, pg


def go(pg, title: str) -> None:
    """Switch page in the same session, by the sidebar's navigation."""
    pg.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()


def test_two_students_train_at_once_and_each_sees_their_own_weights(server, browser):
    warm(server, browser)
    seeds, epochs = (1, 2), 8
    pages = []
    for seed in seeds:
        ctx, pg = open_page(browser, f"{server.url}/train?seed={seed}&epochs={epochs}")
        pg.wait_for_selector('[data-testid="stMetric"]', timeout=LONG)
        pages.append((ctx, pg))
    for _, pg in pages:  # both press Train before either finishes
        pg.get_by_role("button", name="Train", exact=True).click()
    for _, pg in pages:
        pg.wait_for_function(
            "(want) => [...document.querySelectorAll('[data-testid=\"stMetric\"]')].some("
            "m => m.innerText.includes('Epoch') && m.innerText.includes(want))", arg=f"{epochs} / {epochs}",
            timeout=LONG)
    data = load_embedded()
    shown = []
    for (ctx, pg), seed in zip(pages, seeds):
        go(pg, "Model")
        pg.wait_for_selector("text=Save the 785 numbers", timeout=LONG)
        wait_for_app(pg, LONG)
        assert f"seed={seed}" in pg.url  # the address bar still holds the student's settings
        want = Trainer(TrainConfig(seed=seed, epochs=epochs), data).run().params()[1]
        bias = metric_value(pg, "bias")
        assert bias == f"{want:+.4f}", (seed, bias)
        assert "your training run" in pg.content()
        shown.append(bias)
        ctx.close()
    assert shown[0] != shown[1]


def test_a_shared_link_opens_with_its_settings_on_any_page(server, browser):
    warm(server, browser)
    ctx, pg = open_page(browser, f"{server.url}/model?seed=5&lr=0.5&epochs=7&positive=7&bs=128")
    pg.wait_for_selector("text=Save the 785 numbers", timeout=LONG)
    wait_for_app(pg, LONG)
    assert "Both trained from seed 5" in pg.content() and "7 epochs at lr 0.5" in pg.content()
    go(pg, "Train")
    pg.wait_for_selector('[data-testid="stMetric"]', timeout=LONG)
    wait_for_app(pg, LONG)
    assert metric_value(pg, "Epoch") == "0 / 7"
    seed_box = pg.locator('[data-testid="stNumberInput"]', has_text="Seed").locator("input")
    expect(seed_box).to_have_value("5", timeout=LONG)
    for part in ("seed=5", "lr=0.5", "epochs=7", "positive=7", "bs=128"):
        assert part in pg.url, part
    go(pg, "Home")
    pg.wait_for_selector("text=Questions learners ask", timeout=LONG)
    pg.wait_for_function("() => location.search.includes('seed=5')", timeout=LONG)
    ctx.close()


def test_a_bad_link_says_what_it_ignored(server, browser):
    warm(server, browser)
    ctx, pg = open_page(browser, f"{server.url}/model?epochs=999&seed=9")
    pg.wait_for_selector("text=Save the 785 numbers", timeout=LONG)
    assert pg.get_by_text(re.compile(r"The link's epochs='999' was ignored")).count() == 1
    pg.wait_for_function("() => location.search.includes('epochs=20') && location.search.includes('seed=9')",
                         timeout=LONG)
    ctx.close()


def test_first_request_may_be_a_shared_link(browser):
    """A teacher starts the server and the first thing anyone opens is a shared link to a sub-page.

    Streamlit 1.67 serves such a first run in its legacy pages-folder mode (a `pages/` folder sits
    next to streamlit_app.py); pages.ui.routing.route_through_app reruns it through st.navigation.
    """
    s = StreamlitServer()
    try:
        ctx, pg = open_page(browser, f"{s.url}/train?seed=5")
        pg.wait_for_function(
            """() => {
                const nav = document.querySelector('[data-testid="stSidebarNav"]');
                return nav && nav.innerText.includes('Train') && !nav.innerText.includes('common')
                    && document.body.innerText.includes('Presentation mode')
                    && document.body.innerText.includes('Train: watch the model learn');
            }""", timeout=LONG)
        assert "seed=5" in pg.url
        assert pg.locator('[data-testid="stException"]').count() == 0
        ctx.close()
    finally:
        s.stop()
