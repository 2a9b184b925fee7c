"""The screens a class uses, for the browser tests and the README's screenshots: a phone with touch,
a tablet with the sidebar open as Streamlit leaves it, a 1024x768 projector in presentation mode and
a desktop; what a person does there (draw with a finger, swipe over a chart); and readings from the
page: what is cut or truncated, where things are, the colours the charts really use.

`python -m harness.screens [FOLDER]` takes the screenshots of docs/ (into FOLDER, docs/ by default).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from harness.browser import DECISION_JS, THREE, draw, wait_for_app

ANDROID = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/126.0.0.0 Mobile Safari/537.36")
IPAD = ("Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.5 Mobile/15E148 Safari/604.1")

# Playwright new_context() arguments of each screen, and the query string it opens pages with.
LAYOUTS = {
    "phone": (dict(viewport={"width": 360, "height": 740}, has_touch=True, is_mobile=True, user_agent=ANDROID,
                   device_scale_factor=2), ""),
    "tablet": (dict(viewport={"width": 820, "height": 1180}, has_touch=True, user_agent=IPAD), ""),
    "projector": (dict(viewport={"width": 1024, "height": 768}), "?present=1"),
    "desktop": (dict(viewport={"width": 1920, "height": 1080}), ""),
}
TIMEOUT = 120_000  # ms: generous, the machine is shared

# Everything a person needs in the main area that must be whole: the canvas, buttons, metrics,
# toggles, the upload box. Returns one line per problem: outside the window's width, cut by a
# parent that hides its overflow, or its text truncated (an ellipsis: scrollWidth > clientWidth).
PROBLEMS_JS = """() => {
  const W = window.innerWidth, out = [];
  const name = e => ((e.innerText || e.getAttribute('aria-label') || e.tagName) + '').trim().slice(0, 40);
  const up = e => e.parentElement || (e.getRootNode() && e.getRootNode().host) || null;
  const main = document.querySelector('[data-testid="stMain"]');
  const canvases = [...document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')]
    .flatMap(h => [...(h.shadowRoot || h).querySelectorAll('canvas.upper-canvas')]);
  const whole = [...main.querySelectorAll('button, [data-testid="stMetric"], [data-testid="stCheckbox"], '
                 + '[data-testid="stFileUploaderDropzone"], [data-testid="stPageLink"]'), ...canvases];
  const span = r => `${Math.round(r.left)}..${Math.round(r.right)}`;
  for (const e of whole) {
    const r = e.getBoundingClientRect();
    if (!r.width || !e.checkVisibility()) continue;  // e.g. inside a closed expander
    if (r.left < -0.5 || r.right > W + 0.5) out.push(`outside the window: ${name(e)} (${span(r)} of ${W})`);
    for (let a = up(e); a && a !== main; a = up(a)) {
      if (getComputedStyle(a).overflowX === 'visible') continue;
      const b = a.getBoundingClientRect();
      if (r.left >= b.left - 1 && r.right <= b.right + 1) continue;
      out.push(`cut: ${name(e)} (${span(r)} in ${span(b)})`);
      break;
    }
  }
  const texts = main.querySelectorAll('button *, [data-testid="stMetricLabel"] *, [data-testid="stMetricValue"], '
                                      + '[data-testid="stMetricValue"] *, [data-testid="stCheckbox"] label *');
  for (const e of texts) {
    const s = getComputedStyle(e);
    if (!e.checkVisibility() || s.clip !== 'auto' || s.position === 'absolute') continue;  // hidden, screen readers'
    if (e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1) {
      out.push(`truncated: ${name(e)} (${e.scrollWidth} > ${e.clientWidth})`);
    }
  }
  return out;
}"""

# The box of a selector's first match (for the canvas: inside its shadow root), in CSS px.
BOX_JS = """(sel) => {
  const e = document.querySelector(sel) || [...document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')]
    .map(h => (h.shadowRoot || h).querySelector(sel)).find(Boolean);
  if (!e) return null;
  const r = e.getBoundingClientRect();
  return {left: r.left, right: r.right, top: r.top, bottom: r.bottom};
}"""

METRIC_BOX_JS = """(label) => {
  const m = [...document.querySelectorAll('[data-testid="stMetric"]')]
    .find(e => e.querySelector('[data-testid="stMetricLabel"]')?.innerText.trim() === label);
  if (!m) return null;
  const r = m.getBoundingClientRect();
  return {left: r.left, right: r.right, top: r.top, bottom: r.bottom};
}"""

SCROLLED_JS = "() => document.querySelector('[data-testid=\"stMain\"]').scrollTop"


def open_page(page, url: str, ready: str = '[data-testid="stMain"]') -> None:
    page.goto(url)
    page.wait_for_selector(ready, timeout=TIMEOUT)
    wait_for_app(page, TIMEOUT)


def open_train(page, url: str) -> None:
    """The Train page with its live charts drawn."""
    open_page(page, url, ".live-plot .main-svg")


def touch_stroke(context, page, box: dict, points, steps: int = 3) -> None:
    """One finger stroke through `points` (x, y relative to `box`), as a touch screen sends it."""
    cdp = context.new_cdp_session(page)
    at = [(box["left"] + x, box["top"] + y) for x, y in points]
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": at[0][0], "y": at[0][1]}]})
    for (x0, y0), (x1, y1) in zip(at, at[1:]):
        for i in range(1, steps + 1):
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [
                {"x": x0 + (x1 - x0) * i / steps, "y": y0 + (y1 - y0) * i / steps}]})
            time.sleep(0.016)  # about a frame: a finger moves, it does not teleport
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def draw_three(context, page, touch: bool) -> None:
    """Draw a 3 on the Draw page's canvas, with a finger or the mouse, and wait for its Decision."""
    page.locator("canvas.upper-canvas").scroll_into_view_if_needed()
    if touch:
        for stroke in THREE:
            touch_stroke(context, page, page.evaluate(BOX_JS, "canvas.upper-canvas"), stroke)
    else:
        draw(page, THREE)
    page.wait_for_function(f"() => ({DECISION_JS})() !== null", timeout=TIMEOUT)
    wait_for_app(page, TIMEOUT)


def swipe_up(context, page, x: float, y: float, distance: float = 250) -> None:
    """A finger swipes up from (x, y): on a page, that scrolls it down."""
    touch_stroke(context, page, {"left": 0, "top": 0}, [(x, y), (x, y - distance)], steps=10)


def scroll_to(page, y: float) -> None:
    """Scroll the main area by `y` px (Streamlit scrolls it, not the window)."""
    page.evaluate("(y) => { document.querySelector('[data-testid=\"stMain\"]').scrollTop += y; }", y)
    page.wait_for_timeout(500)


def screenshots(url: str, folder: Path) -> list[Path]:
    """The README's screenshots of each screen (and the desktop in the dark theme) into `folder`."""
    from playwright.sync_api import sync_playwright

    from harness.browser import CHROMIUM, CHROMIUM_ARGS

    shots = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name, scheme in (("phone", "light"), ("tablet", "light"), ("projector", "light"),
                             ("desktop", "light"), ("desktop", "dark")):
            kwargs, query = LAYOUTS[name]
            context = browser.new_context(color_scheme=scheme, **kwargs)
            page = context.new_page()
            suffix = "-dark" if scheme == "dark" else ""
            open_page(page, f"{url}/draw{query}", "canvas.upper-canvas")
            draw_three(context, page, touch=name == "phone")
            page.wait_for_timeout(1500)  # the figures after the numbers
            if name == "phone":  # the drawing and its Decision, as a student sees them after a stroke
                scroll_to(page, page.evaluate(BOX_JS, "canvas.upper-canvas")["top"] - 60)
            shots.append(folder / f"{name}-draw{suffix}.png")
            page.screenshot(path=shots[-1])
            open_train(page, f"{url}/train{query}")
            for _ in range(3):  # a few epochs, so the charts have something to show
                page.get_by_role("button", name="Epoch", exact=True).click()
                wait_for_app(page, TIMEOUT)
            page.mouse.move(kwargs["viewport"]["width"] // 2, 2)  # no tooltip over the page
            page.wait_for_timeout(1500)
            if name == "phone":  # the buttons, the numbers and the first chart
                scroll_to(page, page.evaluate(BOX_JS, ".st-key-train_buttons")["top"] - 70)
            shots.append(folder / f"{name}-train{suffix}.png")
            page.screenshot(path=shots[-1])
            context.close()
        browser.close()
    return shots


if __name__ == "__main__":
    from harness.server import ROOT, StreamlitServer

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs"
    server = StreamlitServer()
    try:
        for shot in screenshots(server.url, out):
            print(shot)
    finally:
        server.stop()
