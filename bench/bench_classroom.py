"""Classroom load: N simulated students train live while one Chromium student draws; largest N with every student >= 1 redraw/s, the median >= 2/s and the Decision p90 <= 1 s.

The students are harness.student.Student (Streamlit's own websocket protocol, no browser), all in
one separate process (harness/crowd.py) so that their CPU is measured apart. Student i opens
/train?seed=i&epochs=200 and presses Train: its live views redraw on the fragment's timer for the
whole window (200 epochs outlast it). Meanwhile one real Chromium (Playwright) draws a 7 on the
Draw page again and again; the time from mouse-up to its Decision on screen is measured inside the
page (a mouseup listener and a MutationObserver, read in one evaluate call). Per N it reports each
student's redraws per second (min, median), the Decision p50/p90, the server's CPU per redraw (all
its work in the window, the drawing included, over the students' redraws), its memory per session
and the load generator's own CPU. Levels climb until one fails or the time budget is spent.

Validation (`--validate`, and part of the default run): at N = 1, 2, 3, in two alternating
rounds, N simulated students and N Chromium tabs (each tab counts in the page its Step changes, by
a MutationObserver, and its websocket sends), side by side with the ratio: the server's CPU per
redraw and per request, redraws per request, redraws and requests per second. The browsers share
this machine's cores with the server, so their pages fall behind their own timers and their redraw
rate is lower for reasons that are not the server's; the server's CPU per redraw (and per request)
is what says whether a simulated student costs the server what a tab costs.

Redraw cost (`--redraw-cost N`, and part of the default run): the server's CPU per live redraw
with N simulated students and no browser (goal <= 10 ms), on the Train page and on a trivial live
page (the baseline: a fragment on the same timer redrawing the same elements, four metrics, a
progress bar and one custom element with a JSON payload of the charts' size, with no work), each
on a server of its own, in alternating rounds; reported with their ratio.

Server processes: the benchmark's own `streamlit run` (no --url); with --url, the process listening
on the URL's port if it runs streamlit, else the streamlit processes that this port's process (a
load balancer) holds connections to while the students are connected (harness.procstat).
"""
from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import numpy as np
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from harness.browser import CHROMIUM, CHROMIUM_ARGS, SEVEN, clear_canvas, draw, open_draw, wait_for_app
from harness.procstat import (descendants, machine_busy, rss_snapshot, server_processes,
                              total_cpu_seconds)
from harness.server import ROOT, StreamlitServer, baseline_server
from harness.student import Student

LEVELS = (1, 2, 5, 10, 20, 30, 40, 50, 60)
WINDOW = 20.0  # seconds measured per level
RAMP = 3.0  # seconds between the last Train press and the window
BUDGET = 600.0  # seconds for the climb
MIN_RATE, MEDIAN_RATE, MAX_P90_MS = 1.0, 2.0, 1000.0  # the goals
GOAL_N = 30
VALIDATE_N, VALIDATE_WINDOW, VALIDATE_ROUNDS, TOLERANCE = (1, 2, 3), 10.0, 2, 0.20
TRAIN_PATH = "/train?seed={i}&epochs=200"
HEADLINE = ("n", "min_redraws_per_s", "median_redraws_per_s", "decision_p50_ms", "decision_p90_ms",
            "cpu_ms_per_redraw", "memory_mb_per_session", "generator_cores", "passed")
LOAD_TIMEOUT = 180_000  # ms
COST_N, COST_WINDOW, COST_ROUNDS, MAX_COST_MS = 10, 10.0, 3, 10.0
# The redraw cost's baseline: the Train page's live elements, redrawn by a fragment on the same
# timer with nothing computed (a payload of random numbers as long as the charts' JSON).
TRIVIAL_LIVE_APP = '''import json
import random

import streamlit as st

charts = st.components.v2.component("baseline_charts", js="export default function (c) { c.parentElement.textContent = JSON.parse(c.data.spec).v.length; }")
st.session_state.setdefault("running", False)
st.session_state.setdefault("step", 0)
st.button("Train", on_click=lambda: st.session_state.update(running=True))


@st.fragment(run_every=0.2 if st.session_state.running else None)
def live():
    st.session_state.step += 5
    row = st.container(horizontal=True, gap="medium")
    row.metric("Valid accuracy", f"{random.random():.1%}")
    row.metric("Train loss", f"{random.random():.4f}")
    row.metric("Epoch", "1 / 200")
    row.metric("Step", str(st.session_state.step))
    st.progress(0.5, text="epoch 1 of 200")
    charts(data={"spec": json.dumps({"v": [random.random() for _ in range(1200)]})}, key="live")


live()
'''

# In a Train page: count every change of the Step metric (one redraw of the live views). Reads
# textContent (no layout) on each batch of mutations.
STEP_WATCH_JS = """() => {
  const step = () => {
    for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
      const l = m.querySelector('[data-testid="stMetricLabel"]');
      if (l && l.textContent.trim() === 'Step') return m.querySelector('[data-testid="stMetricValue"]').textContent;
    }
    return null;
  };
  const w = window.__redraws = {last: step(), times: [], t0: performance.now()};
  new MutationObserver(() => {
    const v = step();
    if (v !== null && v !== w.last) { w.last = v; w.times.push(performance.now()); }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""
# Before any page script: count the frontend's websocket sends (its rerun requests) in the tab.
SEND_COUNT_JS = """(() => {
  window.__sends = 0;
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) { window.__sends++; return send.call(this, data); };
})();"""
# In the Draw page: the time of the last mouse-up, and when a Decision first shows after it.
DRAW_WATCH_JS = """() => {
  const decision = () => {
    for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
      const l = m.querySelector('[data-testid="stMetricLabel"]');
      if (l && l.textContent.trim() === 'Decision') return m.querySelector('[data-testid="stMetricValue"]').textContent;
    }
    return null;
  };
  const s = window.__draw = {up: null, seen: null, waiters: [], decision};
  document.addEventListener('mouseup', () => { s.up = performance.now(); s.seen = null; }, true);
  new MutationObserver(() => {
    const d = decision();
    if (d !== null && s.up !== null && s.seen === null) s.seen = performance.now();
    s.waiters = s.waiters.filter(w => !w());
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""
# Resolves with ms from mouse-up to the Decision, or null after 30 s.
DRAW_WAIT_JS = """() => new Promise(resolve => {
  const s = window.__draw;
  const done = () => {
    if (s.seen !== null) { resolve(s.seen - s.up); return true; }
    return false;
  };
  if (!done()) { s.waiters.push(done); setTimeout(() => resolve(null), 30000); }
})"""


def arguments(p) -> None:
    p.add_argument("--url", help="a running server (or load balancer) to measure; default: start one")
    p.add_argument("--n", type=int, help="run this one level only")
    p.add_argument("--validate", action="store_true", help="only the validation against Chromium (N = 1, 2, 3)")
    p.add_argument("--window", type=float, default=WINDOW, help="seconds measured per level")
    p.add_argument("--budget", type=float, default=BUDGET, help="seconds for climbing the levels")
    p.add_argument("--class", dest="in_class", action="store_true",
                   help="the students join a class first (with --url: the server's MNIST37_DB must be this "
                        "process's too; by default both use ~/.cache/mnist37/classes.sqlite3)")
    p.add_argument("--compare-class", type=int, metavar="N",
                   help="only class mode's cost: N students without and in a class, in alternating rounds")
    p.add_argument("--redraw-cost", dest="redraw_cost_n", type=int, metavar="N",
                   help="only the server's CPU per live redraw: N simulated students, no browser, on the Train "
                        "page and on a trivial live page (the baseline), in alternating rounds (goal <= 10 ms)")


def new_class() -> str:
    """A class in the store the server uses (MNIST37_DB, as the app reads it)."""
    from mnist37.classroom import ClassStore

    return ClassStore.from_env().create_class().code


def class_mode_cost(url: str, server, drawer: Drawer, n: int, window: float, rounds: int = 2) -> dict:
    """The server's CPU per live redraw with N students training alone and with N in a class, in
    alternating rounds; class mode's cost is the ratio of the medians."""
    alone, joined = [], []
    for _ in range(rounds):
        alone.append(level(url, server, drawer, n, window))
        joined.append(level(url, server, drawer, n, window, new_class()))
        for r in (alone[-1], joined[-1]):
            print("   ... " + level_line(r), file=sys.stderr, flush=True)
    cost = [statistics.median(r["cpu_ms_per_redraw"] for r in x if r["cpu_ms_per_redraw"]) for x in (alone, joined)]
    return {"n": n, "rounds": rounds, "alone": alone, "in_a_class": joined,
            "cpu_ms_per_redraw_alone": round(cost[0], 1), "cpu_ms_per_redraw_in_a_class": round(cost[1], 1),
            "class_mode_ratio": round(cost[1] / cost[0], 3)}


# --- the simulated students, in their own process --------------------------------------------------
class Crowd:
    """N simulated students (python -m harness.crowd) training on the server at `url`."""

    def __init__(self, url: str, n: int, class_code: str | None = None, path: str = TRAIN_PATH):
        self.err = tempfile.TemporaryFile()
        # In a class, each student opens the students' link to the Train page and joins from the sidebar.
        path, press = (path, ["Train"]) if class_code is None else \
            (path + f"&class={class_code}", [f"Join class {class_code}", "Train"])
        self.proc = subprocess.Popen([sys.executable, "-m", "harness.crowd", "--url", url, "--n", str(n),
                                      "--path", path, *(a for b in press for a in ("--press", b)),
                                      "--ramp", str(RAMP)],
                                     cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err,
                                     text=True)

    def ready(self) -> None:
        """Wait until every student trains and the ramp has passed (the crowd opens with its own timeouts)."""
        if self.proc.stdout.readline().strip() != "READY":
            self.proc.wait(10)
            self.err.seek(0)
            raise RuntimeError("the simulated students did not start: " + self.err.read().decode()[-1500:])

    def stop(self) -> dict:
        """End the window; the students' figures for it."""
        self.proc.stdin.write("stop\n")
        self.proc.stdin.flush()
        out = json.loads(self.proc.stdout.readline())
        self.proc.wait(60)
        self.err.close()
        return out


# --- measuring a window ------------------------------------------------------------------------------
class Window:
    """CPU and memory readings between start() and stop(): the server's processes, the load
    generator's, the browser's and the whole machine's."""

    def __init__(self, server_pids, generator_pids=(), browser_pids=()):
        self.server, self.generator, self.browser = list(server_pids), list(generator_pids), list(browser_pids)

    def _read(self):
        return (time.perf_counter(), total_cpu_seconds(self.server), total_cpu_seconds(self.generator),
                total_cpu_seconds(self.browser), machine_busy())

    def start(self) -> None:
        self.a = self._read()

    def stop(self) -> dict:
        b = self._read()
        secs = b[0] - self.a[0]
        busy = (b[4][0] - self.a[4][0]) / max(1, b[4][1] - self.a[4][1]) * (os.cpu_count() or 1)
        return {"seconds": secs, "server_cpu_s": b[1] - self.a[1], "generator_cores": (b[2] - self.a[2]) / secs,
                "browser_cores": (b[3] - self.a[3]) / secs, "machine_cores": busy}


def _server_pids(url: str, server: StreamlitServer | None) -> tuple[list[int], str]:
    if server is not None:
        return [server.pid], "the benchmark's own streamlit process"
    parts = urllib.parse.urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1", "0.0.0.0"):
        return [], "none (the server is not on this machine: no CPU or memory figures)"
    return server_processes(parts.port or (443 if parts.scheme == "https" else 80))


def _memory_per_session(before: dict, after: dict, pids, n: int) -> float | None:
    if not pids:
        return None
    return sum(after.get(p, 0.0) - before.get(p, 0.0) for p in pids) / n


def _pctl(xs, q) -> float | None:
    xs = [x for x in xs if x is not None]
    return float(np.percentile(xs, q)) if xs else None


# --- the Chromium students ---------------------------------------------------------------------------
class Drawer:
    """The one real student: a Chromium tab on the Draw page, drawing a 7 on a clear canvas."""

    def __init__(self, browser, url: str):
        self.ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.ctx.new_page()
        open_draw(self.page, url, LOAD_TIMEOUT)
        self.page.evaluate(DRAW_WATCH_JS)

    def stroke(self) -> float | None:
        """Clear the canvas if it shows a Decision, draw a 7: ms from mouse-up to its Decision
        (None if the clearing or the Decision did not come within 30 s)."""
        pg = self.page
        if pg.evaluate("() => window.__draw.decision()") is not None:
            try:
                clear_canvas(pg, 30_000)
            except PlaywrightTimeout:
                return None  # the page did not clear within 30 s: no stroke can be timed on it
            time.sleep(0.3)  # a person's pause before drawing again
        draw(pg, SEVEN)
        return pg.evaluate(DRAW_WAIT_JS)

    def close(self) -> None:
        self.ctx.close()


def chromium_trainers(browser, url: str, n: int) -> list:
    """N Chromium tabs (contexts: separate sessions) training on the Train page, each counting its
    redraws and its rerun requests."""
    pages = []
    for i in range(n):
        ctx = browser.new_context(viewport={"width": 1280, "height": 800})
        ctx.add_init_script(SEND_COUNT_JS)
        pg = ctx.new_page()
        pg.goto(url + TRAIN_PATH.format(i=i), wait_until="commit")
        pages.append(pg)
    for pg in pages:
        pg.get_by_role("button", name="Train", exact=True).wait_for(timeout=LOAD_TIMEOUT)
        wait_for_app(pg, LOAD_TIMEOUT)
        pg.evaluate(STEP_WATCH_JS)
    for pg in pages:
        pg.get_by_role("button", name="Train", exact=True).click()
    return pages


def chromium_rates(pages, start: bool) -> list[tuple[float, float]]:
    """start=True: begin the window in every page; else each page's (redraws, rerun requests) per
    second since then."""
    if start:
        for pg in pages:
            pg.evaluate("() => { Object.assign(window.__redraws, {times: [], t0: performance.now(), sends: window.__sends}); }")
        return []
    out = []
    for pg in pages:
        t0, times, sends, t1 = pg.evaluate(
            "() => [window.__redraws.t0, window.__redraws.times, window.__sends - window.__redraws.sends, performance.now()]")
        out.append((len(times) / ((t1 - t0) / 1000), sends / ((t1 - t0) / 1000)))
    return out


# --- one level, and the validation -----------------------------------------------------------------
def level(url: str, server, drawer: Drawer, n: int, window: float, class_code: str | None = None) -> dict:
    rss0 = rss_snapshot()
    crowd = Crowd(url, n, class_code)
    crowd.ready()
    pids, how = _server_pids(url, server)
    w = Window(pids, [crowd.proc.pid],
               [p for p in descendants(os.getpid()) if p != crowd.proc.pid and p not in pids])
    w.start()
    latencies = []
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < window:  # the students' 200 epochs last about a minute at 5 redraws/s
        latencies.append(drawer.stroke())
    m = w.stop()
    rss1 = rss_snapshot()
    res = crowd.stop()
    rates = [s["redraws_per_s"] for s in res["students"]]
    redraws = sum(rates) * m["seconds"]  # in the window the server's CPU was read over
    runs = sum(s["runs_per_s"] for s in res["students"])
    r = {"n": n, "in_a_class": class_code is not None,
         "min_redraws_per_s": round(min(rates), 2), "median_redraws_per_s": round(statistics.median(rates), 2),
         "decision_p50_ms": _round(_pctl(latencies, 50)), "decision_p90_ms": _round(_pctl(latencies, 90)),
         "decision_missing": sum(x is None for x in latencies), "draws": len(latencies),
         "cpu_ms_per_redraw": _round(1000 * m["server_cpu_s"] / redraws if pids and redraws >= n else None, 1),
         "runs_dropped": round(sum(s["dropped_per_s"] for s in res["students"]) / runs, 2) if runs else None,
         "server_cores": round(m["server_cpu_s"] / m["seconds"], 2) if pids else None,
         "memory_mb_per_session": _round(_memory_per_session(rss0, rss1, pids, n), 1),
         "generator_cores": round(m["generator_cores"], 3), "chromium_cores": round(m["browser_cores"], 2),
         "machine_cores": round(m["machine_cores"], 2), "load_average": round(os.getloadavg()[0], 1),
         "window_seconds": round(m["seconds"], 1),
         "server_processes": how, "students_with_errors": sum(bool(s["errors"]) for s in res["students"]),
         "students_stopped_training": sum(s["interval"] is None for s in res["students"]),
         "redraws_per_s": rates,
         "median_requests_per_s": round(statistics.median(s["requests_per_s"] for s in res["students"]), 2),
         "median_runs_per_s": round(statistics.median(s["runs_per_s"] for s in res["students"]), 2)}
    errors = [e for s in res["students"] for e in s["errors"]]
    if errors:
        r["first_error"] = errors[0]
    r["passed"] = bool(r["min_redraws_per_s"] >= MIN_RATE and r["median_redraws_per_s"] >= MEDIAN_RATE
                       and r["decision_p90_ms"] is not None and r["decision_p90_ms"] <= MAX_P90_MS
                       and not r["decision_missing"])
    return r


def _round(x, nd=0):
    return None if x is None else round(x, nd)


def validate_one(url: str, server, browser, n: int, window: float, rounds: int = VALIDATE_ROUNDS) -> dict:
    """The server's CPU per redraw and the redraw rates with N simulated students and with N
    Chromium tabs, in alternating rounds (the machine's other load drifts)."""
    sim, chromium = [], []
    for _ in range(rounds):
        sim.append(_measure_sim(url, server, n, window))
        chromium.append(_measure_chromium(url, server, browser, n, window))
    out = {"n": n, "rounds": rounds, "sim": _side(sim), "chromium": _side(chromium),
           "server_processes": chromium[-1]["how"]}
    for k in ("cpu_ms_per_redraw", "cpu_ms_per_request", "median_redraws_per_s", "redraws_per_request"):
        a, b = out["sim"][k], out["chromium"][k]
        out[f"{k}_ratio"] = round(a / b, 2) if a and b else None
        out[f"{k}_within"] = bool(a and b and abs(a / b - 1) <= TOLERANCE)
    return out


def _measure_sim(url: str, server, n: int, window: float, path: str = TRAIN_PATH) -> dict:
    crowd = Crowd(url, n, path=path)
    crowd.ready()
    pids, how = _server_pids(url, server)
    w = Window(pids, [crowd.proc.pid])
    w.start()
    time.sleep(window)
    m = w.stop()
    res = crowd.stop()
    rates = [(s["redraws_per_s"], s["requests_per_s"]) for s in res["students"]]
    return {**m, "rates": rates, "client_cores": m["generator_cores"], "pids": pids, "how": how}


def _measure_chromium(url: str, server, browser, n: int, window: float) -> dict:
    pages = chromium_trainers(browser, url, n)
    time.sleep(RAMP)
    pids, how = _server_pids(url, server)
    w = Window(pids, [], [p for p in descendants(os.getpid()) if p not in pids])
    chromium_rates(pages, start=True)
    w.start()
    time.sleep(window)
    m = w.stop()
    rates = chromium_rates(pages, start=False)
    for pg in pages:
        pg.context.close()
    return {**m, "rates": rates, "client_cores": m["browser_cores"], "pids": pids, "how": how}


def _side(measured: list[dict]) -> dict:
    """One side of the comparison over its rounds: the server's CPU over all redraws, the rates over
    all clients of all rounds (their median), the CPU figures' mean."""
    redraws = sum(r * m["seconds"] for m in measured for r, _ in m["rates"])
    requests = sum(q * m["seconds"] for m in measured for _, q in m["rates"])
    cpu = sum(m["server_cpu_s"] for m in measured)
    rates = [rq for m in measured for rq in m["rates"]]
    return {"cpu_ms_per_redraw": _round(1000 * cpu / redraws if measured[0]["pids"] and redraws else None, 1),
            "cpu_ms_per_request": _round(1000 * cpu / requests if measured[0]["pids"] and requests else None, 1),
            "median_redraws_per_s": round(statistics.median(r for r, _ in rates), 2),
            "min_redraws_per_s": round(min(r for r, _ in rates), 2),
            "median_requests_per_s": round(statistics.median(q for _, q in rates), 2),
            "redraws_per_request": round(redraws / requests, 2) if requests else None,
            "server_cores": round(cpu / sum(m["seconds"] for m in measured), 2),
            "client_cores": round(statistics.mean(m["client_cores"] for m in measured), 2),
            "machine_cores": round(statistics.mean(m["machine_cores"] for m in measured), 2)}


def redraw_cost(n: int, window: float = COST_WINDOW, rounds: int = COST_ROUNDS) -> dict:
    """The server's CPU per live redraw with N simulated students and no browser, on the Train page
    and on the trivial live page, each on a server of its own, in alternating rounds."""
    sides = {"train_page": [], "trivial_live_page": []}
    app = StreamlitServer()
    try:
        base = baseline_server(TRIVIAL_LIVE_APP)
        try:
            asyncio.run(_open_root(app.url))
            for _ in range(rounds):
                sides["train_page"].append(_measure_sim(app.url, app, n, window))
                sides["trivial_live_page"].append(_measure_sim(base.url, base, n, window, path="/?seed={i}"))
        finally:
            base.stop()
    finally:
        app.stop()
    out = {"n": n, "rounds": rounds, **{k: _side(v) for k, v in sides.items()}}
    a, b = out["train_page"]["cpu_ms_per_redraw"], out["trivial_live_page"]["cpu_ms_per_redraw"]
    out["ratio"] = round(a / b, 2) if a and b else None
    out["passed"] = bool(a and a <= MAX_COST_MS)
    return out


# --- the benchmark -----------------------------------------------------------------------------------
async def _open_root(url: str) -> None:
    """Open the app's root once: a fresh server's first request to a sub-page takes a detour
    (pages.ui.routing.route_through_app), which a measurement should not include."""
    s = Student(url, "/")
    await s.open(LOAD_TIMEOUT / 1000)
    await s.close()


def run(url: str | None = None, n: int | None = None, validate: bool = False, window: float = WINDOW,
        budget: float = BUDGET, in_class: bool = False, compare_class: int | None = None,
        redraw_cost_n: int | None = None) -> dict:
    from playwright.sync_api import sync_playwright

    if redraw_cost_n:
        return {"redraw_cost": redraw_cost(redraw_cost_n, window), "levels": []}

    if not Path(CHROMIUM).exists():
        raise RuntimeError("no chromium (make chromium)")
    t_start = time.perf_counter()
    if not url:  # the benchmark's own server and this process share a class store of their own
        os.environ["MNIST37_DB"] = f"sqlite:///{tempfile.mkdtemp(prefix='mnist37-bench-')}/classes.sqlite3"
    server = None if url else StreamlitServer()
    target = url.rstrip("/") if url else server.url
    result = {"url": url or "the benchmark's own server", "levels": [], "goal_n": GOAL_N}
    try:
        try:
            asyncio.run(_open_root(target))
        except OSError as e:
            raise RuntimeError(f"no Streamlit app answers at {target} ({e})") from None
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                if n is None and not compare_class:  # the default run and --validate
                    result["validation"] = [validate_one(target, server, browser, k, VALIDATE_WINDOW)
                                            for k in VALIDATE_N]
                if not validate:
                    drawer = Drawer(browser, target)
                    drawer.stroke()  # warm: the canvas component, the default model
                    if compare_class:
                        result["class_mode"] = class_mode_cost(target, server, drawer, compare_class, window)
                    else:
                        climb(result, target, server, drawer, (n,) if n else LEVELS, window, budget, in_class)
                    drawer.close()
            finally:
                browser.close()
    finally:
        if server is not None:
            server.stop()
    if not url and n is None and not validate and not compare_class and not in_class:
        result["redraw_cost"] = redraw_cost(COST_N)
    levels = result["levels"]
    result["server_processes"] = (levels[-1]["server_processes"] if levels else
                                  result["validation"][-1]["server_processes"] if result.get("validation") else None)
    passed = [r for r in levels if r["passed"]]
    head = max(passed, key=lambda r: r["n"]) if passed else (levels[0] if levels else {})
    out = {k: head.get(k) for k in HEADLINE}  # the largest passing level (or the first), then the rest
    out.update(largest_n=max((r["n"] for r in passed), default=0), **result,
               seconds=round(time.perf_counter() - t_start, 1))
    return out


def climb(result: dict, url: str, server, drawer: Drawer, levels, window: float, budget: float,
          in_class: bool = False) -> None:
    """Run the levels upward until one fails or the next would overrun the budget."""
    t0, last = time.perf_counter(), None
    for n in levels:
        if last and time.perf_counter() - t0 + last[1] * (1 + n / last[0]) / 2 > budget:
            break  # a level costs its window plus page loads that grow with N
        ts = time.perf_counter()
        r = level(url, server, drawer, n, window, new_class() if in_class else None)
        r["level_seconds"] = round(time.perf_counter() - ts, 1)
        result["levels"].append(r)
        print("   ... " + level_line(r), file=sys.stderr, flush=True)  # progress of a long climb
        last = (n, r["level_seconds"])
        if not r["passed"]:
            break


def level_line(r: dict) -> str:
    def f(x, fmt):
        return "-" if x is None else format(x, fmt)
    return (f"N={r['n']:>3}: redraws/s min {r['min_redraws_per_s']:.2f}, median {r['median_redraws_per_s']:.2f}; "
            f"Decision p50 {f(r['decision_p50_ms'], '.0f')} ms, p90 {f(r['decision_p90_ms'], '.0f')} ms "
            f"({r['draws']} draws); server {f(r['cpu_ms_per_redraw'], '.1f')} ms CPU/redraw, "
            f"{f(r['server_cores'], '.2f')} cores, {f(r['memory_mb_per_session'], '.1f')} MB/session; "
            f"load generator {r['generator_cores']:.2f} cores, Chromium {r['chromium_cores']:.2f}, "
            f"machine {r['machine_cores']:.2f} (load average {r['load_average']})"
            + (f"; {r['runs_dropped']:.0%} of the server's runs reached their student incomplete (the next "
               f"run began before all of the redraw was sent)" if r["runs_dropped"] else "")
            + f" -> {'ok' if r['passed'] else 'FAILS'}"
            + (f" [{r['students_with_errors']} students with errors: {r.get('first_error')}]"
               if r["students_with_errors"] else "")
            + (f" [{r['students_stopped_training']} stopped training]" if r["students_stopped_training"] else ""))


def summary(res: dict) -> str:
    lines = []
    if res.get("validation"):
        lines += [f"   validation: N simulated students and N Chromium tabs on the same server, in "
                  f"{res['validation'][0]['rounds']} alternating rounds (sim / Chromium, ratio):",
                  "     N | server CPU ms per redraw | per request | redraws per request | redraws/s (median) | "
                  "requests/s (median) | client cores | machine cores"]
        for v in res["validation"]:
            s, c = v["sim"], v["chromium"]

            def pair(k, check=True):
                ok = "" if not check else (", within 20 %" if v[f"{k}_within"] else ", NOT within 20 %")
                return f"{s[k]} / {c[k]} ({v[f'{k}_ratio']}{ok})"
            lines.append(f"     {v['n']} | {pair('cpu_ms_per_redraw')} | {pair('cpu_ms_per_request')} | "
                         f"{pair('redraws_per_request')} | "
                         f"{pair('median_redraws_per_s')} | {s['median_requests_per_s']} / "
                         f"{c['median_requests_per_s']} | {s['client_cores']} / {c['client_cores']} | "
                         f"{s['machine_cores']} / {c['machine_cores']}")
        lines.append("     (a tab asks for a redraw each time its fragment timer fires; a Chromium tab whose requests/s "
                     "fall short of the timer's rate had its page busy drawing, on cores it shares with the server: "
                     "its redraw rate is the browser's on this machine, not the server's. A redraw is a change of "
                     "the Step metric on screen; a run whose deltas were not all sent when the next run began "
                     "(the server drops the rest) may show none)")
    if res.get("class_mode"):
        c = res["class_mode"]
        lines.append(f"   class mode, N={c['n']} in {c['rounds']} alternating rounds: server CPU per live redraw "
                     f"{c['cpu_ms_per_redraw_alone']} ms training alone, {c['cpu_ms_per_redraw_in_a_class']} ms in a "
                     f"class: ratio {c['class_mode_ratio']} (goal <= 1.10)")
    if res.get("redraw_cost"):
        c = res["redraw_cost"]
        t, b = c["train_page"], c["trivial_live_page"]
        lines.append(f"   redraw cost, N={c['n']} simulated students, no browser, {c['rounds']} alternating rounds: "
                     f"server CPU per live redraw {t['cpu_ms_per_redraw']} ms on the Train page "
                     f"({t['median_redraws_per_s']} redraws/s each), {b['cpu_ms_per_redraw']} ms on a trivial live "
                     f"page (same elements, no work): ratio {c['ratio']}; goal <= {MAX_COST_MS:g} ms -> "
                     f"{'ok' if c['passed'] else 'FAILS'}")
    for r in res["levels"]:
        lines.append("   " + level_line(r))
    if res["levels"]:
        lines.append(f"   largest N passing (every student >= {MIN_RATE:g} redraw/s, median >= {MEDIAN_RATE:g}/s, "
                     f"Decision p90 <= {MAX_P90_MS:.0f} ms): {res['largest_n']} (goal >= {res['goal_n']}); "
                     f"server processes: {res['server_processes']}")
    return "\n".join(lines)
