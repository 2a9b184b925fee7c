"""First page: a fresh server's Home page in Chromium, time to the end of its first run (goal <= 3 s), against a trivial page; and a link to a huge run (bs=1, 200 epochs) drawn without waiting for it.

How it is measured (all in this process, one after the other, each on a server started afresh and
answering its health check, as a teacher starts the app before the class arrives):
- the app (`python server.py`, as `make run`): open / in a new browser context and time, in the
  page, the first time the app's root says `data-test-script-state="notRunning"` after a run
  (what Streamlit's own tests wait on), and when the page's last section is on screen;
- the baseline: a trivial one-line Streamlit page on a server started the same way, timed the
  same way (the cost of the browser loading Streamlit itself);
- the huge-run link: `/model?bs=1&epochs=200&seed=11` on the warm app server, time to the end of
  its run (the 336,400 steps train in the background, shown as a progress bar).
Each is repeated and the median reported.
"""
from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path

from harness.browser import CHROMIUM, CHROMIUM_ARGS
from harness.server import StreamlitServer, baseline_server

REPEATS = 3
GOAL_SECONDS = 3.0
TRIVIAL_APP = 'import streamlit as st\nst.title("Hello")\n'
# Marks, in page time, when the app's root first shows each run state and when `text` is on screen.
MARKS_JS = """(text) => { window.__marks = {}; const mark = (k) => { if (!(k in window.__marks)) window.__marks[k] = performance.now(); };
  const look = () => { const a = document.querySelector('[data-testid="stApp"]');
    if (a) { const s = a.getAttribute('data-test-script-state'); if (s === 'running') mark('running');
             if (s === 'notRunning' && 'running' in window.__marks) mark('done'); }
    // textContent first (no layout); innerText, which lays the page out, only to confirm it shows.
    if (text && !('shown' in window.__marks) && document.body && document.body.textContent.includes(text)
        && document.body.innerText.includes(text)) mark('shown');
    if ('done' in window.__marks && (!text || 'shown' in window.__marks)) obs.disconnect(); };
  const obs = new MutationObserver(look);
  obs.observe(document, {subtree: true, childList: true, attributes: true, characterData: true}); }"""


def time_page(browser, url: str, text: str | None) -> dict:
    """Seconds from navigation to the first finished run, and to `text` on screen."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.add_init_script(f"({MARKS_JS})({json.dumps(text)})")
    page.goto(url)
    page.wait_for_function("() => window.__marks && 'done' in window.__marks"
                           + (" && 'shown' in window.__marks" if text else ""), timeout=180_000, polling=100)
    marks = page.evaluate("window.__marks")
    ctx.close()
    return {k: marks[k] / 1000 for k in ("done", "shown") if k in marks}


def run() -> dict:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError("no chromium (make chromium)")
    res = {"home": [], "home_shown": [], "trivial": [], "huge_link": [], "load_average_before": os.getloadavg()[0]}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for _ in range(REPEATS):
                server = StreamlitServer()
                try:
                    t = time_page(browser, server.url + "/", "Questions learners ask")
                    res["home"].append(t["done"])
                    res["home_shown"].append(t["shown"])
                    res["huge_link"].append(time_page(browser, server.url + "/model?bs=1&epochs=200&seed=11",
                                                      "Save the 785 numbers")["done"])
                finally:
                    server.stop()
                server = baseline_server(TRIVIAL_APP)
                try:
                    res["trivial"].append(time_page(browser, server.url + "/", "Hello")["done"])
                finally:
                    server.stop()
        finally:
            browser.close()
    for k in ("home", "home_shown", "trivial", "huge_link"):
        res[k + "_median_s"] = round(statistics.median(res[k]), 2)
    res["ratio_home_to_trivial"] = round(res["home_median_s"] / res["trivial_median_s"], 2)
    res["goal_met"] = res["home_median_s"] <= GOAL_SECONDS and res["huge_link_median_s"] <= GOAL_SECONDS
    res["load_average_after"] = os.getloadavg()[0]
    return res


def summary(r: dict) -> str:
    return (f"   fresh server, Home in Chromium: first run finished after {r['home_median_s']:.2f} s (median of "
            f"{REPEATS}; its last section on screen after {r['home_shown_median_s']:.2f} s); a trivial page: "
            f"{r['trivial_median_s']:.2f} s; ratio {r['ratio_home_to_trivial']:.2f}; goal <= {GOAL_SECONDS:g} s\n"
            f"   /model?bs=1&epochs=200&seed=11 (336,400 steps, trained in the background): its run finished after "
            f"{r['huge_link_median_s']:.2f} s -> {'goal met' if r['goal_met'] else 'GOAL NOT MET'} "
            f"(load average {r['load_average_before']:.1f} -> {r['load_average_after']:.1f})")
