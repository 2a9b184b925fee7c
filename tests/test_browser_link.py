"""The shareable link in Chromium: the address bar holds the settings the session uses within a
second of a change, however fast the changes come, and opening that link starts from them.

The link goes to the browser as soon as a run has the new settings, ahead of the page's figures:
each quick change restarts the run, and what a run had not yet sent is dropped."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from harness.browser import wait_for_app
from harness.screens import open_train

pytestmark = pytest.mark.browser

LR_VALUE = """() => [...document.querySelectorAll('[data-testid="stSlider"]')]
    .find(s => s.innerText.includes('Learning rate'))?.querySelector('input[type="range"]')
    ?.getAttribute('aria-valuetext')"""


def record_messages(page) -> list[tuple]:
    """What the server sends, in order: ('run',) for each run's start, ('link', query string),
    ('element', delta path, its component's name or '') for each element."""
    seen = []

    def received(payload):
        if not isinstance(payload, (bytes, bytearray)):
            return
        msg = ForwardMsg()
        msg.ParseFromString(payload)
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            seen.append(("run",))
        elif kind == "page_info_changed":
            seen.append(("link", msg.page_info_changed.query_string))
        elif kind in ("delta", "ref_hash"):  # a reference to an element the browser has cached, too
            element = msg.delta.new_element if kind == "delta" else None
            name = element.bidi_component.component_name if element is not None and \
                element.WhichOneof("type") == "bidi_component" else ""
            seen.append(("element", tuple(msg.metadata.delta_path), name))

    page.on("websocket", lambda ws: ws.on("framereceived", received))
    return seen


def test_four_quick_learning_rate_steps_reach_the_address_bar_within_a_second(server, browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    sent = record_messages(page)
    open_train(page, server.url + "/train")
    charts = {m[1] for m in sent if m[0] == "element" and m[2].endswith("live_charts")}
    assert len(charts) == 1
    lr = page.locator('[data-testid="stSlider"]').filter(has_text="Learning rate").locator('input[type="range"]')
    assert lr.get_attribute("aria-valuetext") == "1"
    lr.focus()
    for _ in range(4):
        page.keyboard.press("ArrowLeft")  # 1 -> 0.5 -> 0.2 -> 0.1 -> 0.05 on the log grid
    # Within a second of the last key: the link holds the value the slider shows.
    page.wait_for_function(f"""() => {{
        const lr = ({LR_VALUE})();
        return lr === '0.05' && new URLSearchParams(location.search).get('lr') === lr;
    }}""", timeout=1_000, polling=50)
    wait_for_app(page)
    link = page.url
    assert parse_qs(urlsplit(link).query)["lr"] == ["0.05"]  # and it stays so once the runs are done

    # The run that wrote the new link wrote it before the live charts, not after the page's work.
    written = next(i for i, m in enumerate(sent) if m[0] == "link" and "lr=0.05" in m[1])
    start = max(i for i, m in enumerate(sent[:written]) if m[0] == "run")
    assert not [m for m in sent[start:written] if m[0] == "element" and m[1] in charts]
    ctx.close()

    other = browser.new_context(viewport={"width": 1280, "height": 800})  # a student opens the link
    page = other.new_page()
    open_train(page, link)
    assert page.evaluate(LR_VALUE) == "0.05"
    assert parse_qs(urlsplit(page.url).query)["lr"] == ["0.05"]
    assert page.locator('[data-testid="stException"]').count() == 0
    other.close()


def test_during_live_training_two_sliders_moved_quickly_reach_the_address_bar_within_a_second(server, browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    open_train(page, server.url + "/train?epochs=200")
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_role("button", name="Pause", exact=True).wait_for()
    sliders = page.locator('[data-testid="stSlider"]')
    lr = sliders.filter(has_text="Learning rate").locator('input[type="range"]')
    threshold = sliders.filter(has_text="Threshold").first.locator('input[type="range"]')
    lr.focus()
    for _ in range(3):
        page.keyboard.press("ArrowLeft")  # 1 -> 0.5 -> 0.2 -> 0.1
    threshold.focus()
    for _ in range(2):
        page.keyboard.press("ArrowRight")  # 0 -> 0.1 -> 0.2
    page.wait_for_function(f"""() => {{
        const q = new URLSearchParams(location.search);
        return ({LR_VALUE})() === '0.1' && q.get('lr') === '0.1' && Number(q.get('threshold')) === 0.2;
    }}""", timeout=1_000, polling=50)
    assert page.get_by_role("button", name="Pause", exact=True).count() == 1  # still training
    assert page.locator('[data-testid="stException"]').count() == 0
    ctx.close()
