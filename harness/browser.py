"""Debian's Chromium through Playwright, and what a person does on the app's pages: wait for a
run to finish, read a metric, draw a digit with the mouse."""
from __future__ import annotations

import math
import shutil

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def wait_for_app(page, timeout: float = 60_000) -> None:
    """Wait until streamlit has finished a run: the app root says its script is not running (what
    Streamlit's own browser tests wait on) and no status widget shows."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    page.wait_for_function(
        """() => document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state')
                 === 'notRunning' && !document.querySelector('[data-testid="stStatusWidget"]')""", timeout=timeout)


def metric_value(page, label: str) -> str:
    """The text of the st.metric whose label is `label`."""
    loc = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=label))
    return loc.first.locator('[data-testid="stMetricValue"]').inner_text()


# In the page: the Decision metric's value, or null while there is none.
DECISION_JS = """() => {
    const m = [...document.querySelectorAll('[data-testid="stMetric"]')].find(
        e => e.querySelector('[data-testid="stMetricLabel"]')?.innerText.includes('Decision'));
    return m ? m.querySelector('[data-testid="stMetricValue"]').innerText.trim() : null;
}"""


def decision(page) -> str | None:
    """The Decision metric's value, or None while there is none. Read in one call inside the page,
    since a rerun can replace the metric between two calls."""
    return page.evaluate(DECISION_JS)


def _arc(cx, cy, r, start, end, n=14):
    """Points on a circle, angles in degrees (0 = right, 90 = down, as on a screen)."""
    return [(cx + r * math.cos(math.radians(a)), cy + r * math.sin(math.radians(a)))
            for a in (start + (end - start) * i / (n - 1) for i in range(n))]


# Strokes in canvas pixels (280 x 280), big and centred, one continuous stroke each, like a person's.
SEVEN = [[(75, 62), (140, 58), (208, 60), (175, 120), (145, 180), (122, 232)]]
THREE = [_arc(138, 98, 52, -160, 90) + _arc(138, 190, 55, -90, 150)[1:]]


def draw(page, strokes, steps: int = 4) -> None:
    """Each stroke: mouse down at its first point, move through the rest, mouse up."""
    box = page.locator("canvas.upper-canvas").bounding_box()
    for pts in strokes:
        page.mouse.move(box["x"] + pts[0][0], box["y"] + pts[0][1])
        page.mouse.down()
        for x, y in pts[1:]:
            page.mouse.move(box["x"] + x, box["y"] + y, steps=steps)
        page.mouse.up()


def clear_canvas(page, timeout: float = 60_000) -> None:
    """Press Clear and wait for the new, empty canvas: Clear gives the canvas a new key, so the
    old one is taken away and a new one drawn, and strokes in between would land on neither.
    (The canvas lives in a shadow root: Playwright's selectors reach it, document's do not.)"""
    for canvas in page.locator("canvas.upper-canvas").all():
        canvas.evaluate("c => { c.dataset.old = '1'; }")
    page.get_by_role("button", name="Clear").click()
    page.locator("canvas.upper-canvas:not([data-old])").wait_for(state="visible", timeout=timeout)
    page.wait_for_function(f"() => ({DECISION_JS})() === null", timeout=timeout)
    wait_for_app(page, timeout)


def open_draw(page, url: str, timeout: float = 120_000) -> None:
    """Open the app, then its Draw page from the navigation (as a person would), and wait for the canvas."""
    page.goto(url + "/")
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stSidebarNav"] a')]
                 .some(a => a.innerText.trim().endsWith('Draw'))""", timeout=timeout)
    page.locator('[data-testid="stSidebarNav"] a', has_text="Draw").click()
    page.wait_for_selector("canvas.upper-canvas", timeout=timeout)
    wait_for_app(page, timeout)
