"""Draw-page latency in Chromium: mouse-up to the updated Logit/Decision, p50 and p90 over 24 strokes (goal p50 <= 300 ms).

A live app (`python server.py`, as `make run`) and Debian's Chromium (Playwright). Each measured
stroke is drawn with the mouse on the canvas; the clock runs in the page, from the mouse-up event
until the page shows a new Logit (observed by a MutationObserver and read in one call). The same
strokes, measured the same way on a trivial canvas page (st_canvas and one st.metric computed from
the pixels, nothing else), give the baseline in the same process: the floor set by the canvas's
200 ms send debounce and a Streamlit rerun.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.browser import CHROMIUM, CHROMIUM_ARGS, SEVEN, THREE, clear_canvas, draw, open_draw, wait_for_app  # noqa: E402
from harness.server import StreamlitServer, baseline_server  # noqa: E402

N_STROKES = 24
TRIVIAL_APP = '''import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

r = st_canvas(stroke_width=22, stroke_color="#FFFFFF", background_color="#000000", height=280, width=280,
              return_image_data=True, key=f"c{st.session_state.get('n', 0)}")
if st.button("Clear"):
    st.session_state["n"] = st.session_state.get("n", 0) + 1
    st.rerun()
img = r.image_data
if img is not None and img[..., 0].any():
    st.metric("Logit", f"{img[..., 0].mean():.4f}")
    st.metric("Decision", "7")
'''

# Extra strokes drawn onto a digit: each changes the ink, so the logit changes.
EXTRA = [[(60, 250), (110, 255)], [(225, 40), (240, 95)], [(40, 120), (52, 170)], [(200, 250), (250, 240)]]


def _clear(page) -> None:
    clear_canvas(page)
    time.sleep(0.3)  # a person's pause before drawing again


# In the page: when the mouse goes up (the last stroke ends), when the Logit shown first differs
# from the one before it, and when the sigmoid figure (drawn last) first shows that logit's point.
# Observed in the page and read in one call, so that the measuring adds nothing to what is measured.
WATCH_JS = """() => {
  const logit = () => { for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
      const l = m.querySelector('[data-testid="stMetricLabel"]');
      if (l && l.textContent.trim() === 'Logit') return m.querySelector('[data-testid="stMetricValue"]').textContent; }
    return null; };
  const sigmoid = (v) => [...document.querySelectorAll('.js-plotly-plot text.annotation-text')]
    .some(t => t.textContent.startsWith('σ(' + parseFloat(v).toFixed(2) + ')'));
  const s = window.__lat = {up: null, before: null, shown: null, value: null, figure: null};
  document.addEventListener('mouseup', () => {
    s.up = performance.now(); s.before = logit(); s.shown = s.value = s.figure = null; }, true);
  new MutationObserver(() => {
    if (s.up === null) return;
    if (s.shown === null) { const v = logit(); if (v !== null && v !== s.before) { s.shown = performance.now(); s.value = v; } }
    if (s.shown !== null && s.figure === null && sigmoid(s.value)) s.figure = performance.now();
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def measure(page, n: int = N_STROKES, figures: list | None = None) -> list[float]:
    """Seconds from mouse-up to the new Logit, for n strokes: a digit, then extra strokes onto it,
    clearing (not timed) after every 4 strokes. With a `figures` list, also the seconds until the
    sigmoid figure (the last one drawn) shows the new logit's point."""
    page.evaluate(WATCH_JS)
    times = []
    i = 0
    while len(times) < n:
        if i % 4 == 0 and i:
            _clear(page)
        digit = (SEVEN, THREE)[(i // 4) % 2]
        stroke = digit if i % 4 == 0 else [EXTRA[(i % 4 - 1 + i // 4) % len(EXTRA)]]
        draw(page, stroke)
        want = "window.__lat.shown !== null" + (" && window.__lat.figure !== null" if figures is not None else "")
        page.wait_for_function(f"() => {want}", timeout=60_000)
        up, shown, figure = page.evaluate("() => [window.__lat.up, window.__lat.shown, window.__lat.figure]")
        times.append((shown - up) / 1000)
        if figures is not None:
            figures.append((figure - up) / 1000)
        wait_for_app(page)
        time.sleep(0.4)  # a person's pause between strokes; lets the rerun finish
        i += 1
    return times


def _stats(t: list[float]) -> dict:
    a = np.asarray(t) * 1000
    return {"p50_ms": float(np.percentile(a, 50)), "p90_ms": float(np.percentile(a, 90)),
            "min_ms": float(a.min()), "max_ms": float(a.max()), "n": int(a.size)}


def run() -> dict:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError("no chromium (make chromium)")
    result = {"load_average_before": os.getloadavg()[0]}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for name in ("draw_page", "trivial_canvas"):
                server = StreamlitServer() if name == "draw_page" else baseline_server(TRIVIAL_APP)
                try:
                    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
                    if name == "draw_page":
                        open_draw(page, server.url)
                    else:
                        page.goto(server.url)
                        page.wait_for_selector("canvas.upper-canvas", timeout=60_000)
                        wait_for_app(page)
                    measure(page, 2)  # warm-up: first script runs, caches, the default model
                    _clear(page)
                    figs = [] if name == "draw_page" else None
                    result[name] = _stats(measure(page, figures=figs))
                    if figs:
                        result["draw_page_all_figures"] = _stats(figs)
                    page.context.close()
                finally:
                    server.stop()
        finally:
            browser.close()
    result["ratio_p50"] = result["draw_page"]["p50_ms"] / result["trivial_canvas"]["p50_ms"]
    result["cpu_count"] = os.cpu_count()
    result["load_average_after"] = os.getloadavg()[0]
    return result


def summary(r: dict) -> str:
    d, t = r["draw_page"], r["trivial_canvas"]
    return (f"   Draw page: mouse-up to new Logit p50 {d['p50_ms']:.0f} ms, p90 {d['p90_ms']:.0f} ms "
            f"({d['n']} strokes; goal p50 <= 300 ms); all three figures redrawn: p50 "
            f"{r['draw_page_all_figures']['p50_ms']:.0f} ms, p90 {r['draw_page_all_figures']['p90_ms']:.0f} ms\n"
            f"   trivial canvas page: p50 {t['p50_ms']:.0f} ms, p90 {t['p90_ms']:.0f} ms; "
            f"ratio Draw/trivial p50 {r['ratio_p50']:.2f} (load average {r['load_average_before']:.1f} -> "
            f"{r['load_average_after']:.1f} on {r['cpu_count']} cores: timings scale with the machine's load)")
