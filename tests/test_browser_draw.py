"""The Draw page in Chromium: draw a 7 and a 3 with the mouse, as a person would; the page decides."""
from __future__ import annotations

import math
import time

import pytest

from .conftest import metric_value, wait_for_app

pytestmark = pytest.mark.browser


def _arc(cx, cy, r, start, end, n=14):
    """Points on a circle, angles in degrees (0 = right, 90 = down, as on a screen)."""
    return [(cx + r * math.cos(math.radians(a)), cy + r * math.sin(math.radians(a)))
            for a in (start + (end - start) * i / (n - 1) for i in range(n))]


# Strokes in canvas pixels (280 x 280), big and centred, one continuous stroke each, like a person's.
SEVEN = [[(75, 62), (140, 58), (208, 60), (175, 120), (145, 180), (122, 232)]]
THREE = [_arc(138, 98, 52, -160, 90) + _arc(138, 190, 55, -90, 150)[1:]]


def open_draw(page, url: str, timeout: float = 120_000) -> None:
    """Open the app, then its Draw page from the navigation (as a person would), and wait for the canvas."""
    page.goto(url + "/")
    page.wait_for_function(  # the app's own navigation (Home, Train, Draw, Model) is up
        """() => [...document.querySelectorAll('[data-testid="stSidebarNav"] a')]
                 .some(a => a.innerText.trim().endsWith('Draw'))""", timeout=timeout)
    page.locator('[data-testid="stSidebarNav"] a', has_text="Draw").click()
    page.wait_for_selector("canvas.upper-canvas", timeout=timeout)
    wait_for_app(page, timeout)


def draw(page, strokes, steps: int = 4) -> None:
    """Each stroke: mouse down at its first point, move through the rest, mouse up."""
    box = page.locator("canvas.upper-canvas").bounding_box()
    for pts in strokes:
        page.mouse.move(box["x"] + pts[0][0], box["y"] + pts[0][1])
        page.mouse.down()
        for x, y in pts[1:]:
            page.mouse.move(box["x"] + x, box["y"] + y, steps=steps)
        page.mouse.up()


def decision(page) -> str | None:
    """The Decision metric's value, or None while there is none. Read in one go inside the page:
    a rerun can replace the metric between a locator's count() and its inner_text()."""
    return page.evaluate("""() => {
        const m = [...document.querySelectorAll('[data-testid="stMetric"]')].find(
            e => e.querySelector('[data-testid="stMetricLabel"]')?.innerText.includes('Decision'));
        return m ? m.querySelector('[data-testid="stMetricValue"]').innerText.trim() : null;
    }""")


def wait_for(predicate, timeout: float = 60.0, what: str = "condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def clear(page) -> None:
    page.get_by_role("button", name="Clear").click()
    wait_for(lambda: decision(page) is None and page.get_by_text("Draw a digit:").count(), what="a cleared canvas")
    page.wait_for_selector("canvas.upper-canvas", timeout=60_000)


def test_draw_a_7_then_a_3(server, page):
    open_draw(page, server.url)
    assert page.get_by_text("Draw a digit:").count() == 1 and decision(page) is None
    draw(page, SEVEN)
    assert wait_for(lambda: decision(page), what="a decision for the 7") == "7"
    assert float(metric_value(page, "Logit")) < 0  # the default model: logit > 0 means 3
    clear(page)
    draw(page, THREE)
    assert wait_for(lambda: decision(page), what="a decision for the 3") == "3"
    assert float(metric_value(page, "Logit")) > 0
    assert page.locator('[data-testid="stException"]').count() == 0


def test_a_20_mb_upload_is_refused_with_a_clear_message(server, page, tmp_path):
    open_draw(page, server.url)
    page.get_by_text("Upload an image").click()
    huge = tmp_path / "huge.png"
    huge.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(20 * 2**20))
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(huge))
    alert = page.locator('[data-testid="stAlert"]', has_text="20.0 MB")
    alert.wait_for(timeout=60_000)
    assert "10 MB" in alert.inner_text()
    assert page.locator('[data-testid="stException"]').count() == 0 and decision(page) is None
