"""The Draw page in Chromium: draw a 7 and a 3 with the mouse, as a person would; the page decides."""
from __future__ import annotations

import time

import pytest

from harness.browser import SEVEN, THREE, clear_canvas, decision, draw, metric_value, open_draw

pytestmark = pytest.mark.browser


def wait_for(predicate, timeout: float = 60.0, what: str = "condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def clear(page) -> None:
    clear_canvas(page)
    wait_for(lambda: page.get_by_text("Draw a digit:").count(), what="the prompt of an empty canvas")


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
