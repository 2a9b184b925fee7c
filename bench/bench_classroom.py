"""Classroom load: N Chromium sessions train live on one server while a student draws; largest N with every page redrawing >= 1/s and a Decision within 2 s.

One streamlit server (127.0.0.1), one headless Chromium with N browser contexts (N sessions). Each
opens /train?seed=i&epochs=200 and presses Train, so every session trains with live redraws (the
Train page's fragment). Meanwhile one more session on the Draw page draws a 7 three times; the
latency is mouse-up to its Decision on screen. A level passes when every training page's Step
counter changed at least once a second over the measuring window (rate >= 1/s) and every drawn
digit got its Decision within 2 s. Levels run upward until one fails or the time budget is spent.
Also reported: the server's RSS per session ((RSS with N sessions - RSS before) / N, from /proc),
the server's CPU use and the whole machine's, to name the limiting factor. Everything (server,
browser) shares this machine's cores, so the browser's own rendering is part of the load.
"""
from __future__ import annotations

import os
import time

from harness.browser import CHROMIUM, CHROMIUM_ARGS, SEVEN, decision, draw
from harness.procstat import cpu_seconds, descendants, machine_busy, rss_mb
from harness.procstat import total_cpu_seconds as tree_cpu_seconds
from harness.server import StreamlitServer

LEVELS = (1, 2, 5, 10, 20, 30, 40)
WINDOW = 10.0  # seconds of steady training measured per level
RAMP = 3.0  # seconds after pressing Train before measuring
BUDGET = 540.0  # seconds for the whole benchmark (< 10 minutes)
MIN_RATE, MAX_DECISION = 1.0, 2.0  # the goals: redraws per second per page, seconds to a Decision
LOAD_TIMEOUT = 180_000  # ms

# Polls the Step metric 20x a second and records when it changes (one redraw of the live views).
WATCH_JS = """() => {
  window.__redraws = []; let last = null;
  const read = () => {
    for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
      const l = m.querySelector('[data-testid="stMetricLabel"]');
      if (l && l.innerText.trim() === 'Step') return m.querySelector('[data-testid="stMetricValue"]').innerText;
    }
    return null;
  };
  clearInterval(window.__watch);
  window.__watch = setInterval(() => {
    const v = read();
    if (v !== null && v !== last) { window.__redraws.push(performance.now()); last = v; }
  }, 50);
}"""


def open_draw(browser, url: str):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    pg.goto(url + "/draw")
    pg.wait_for_selector("canvas.upper-canvas", timeout=LOAD_TIMEOUT)
    return ctx, pg


def draw_latency(pg) -> float:
    """Clear, draw a 7, and time mouse-up -> a Decision on screen (seconds; inf after 30 s)."""
    if decision(pg) is not None:
        pg.get_by_role("button", name="Clear").click()
        deadline = time.time() + 30
        while decision(pg) is not None and time.time() < deadline:
            time.sleep(0.05)
        pg.wait_for_selector("canvas.upper-canvas", timeout=LOAD_TIMEOUT)
        time.sleep(0.3)
    draw(pg, SEVEN)
    t0 = time.perf_counter()
    while decision(pg) is None:
        if time.perf_counter() - t0 > 30:
            return float("inf")
        time.sleep(0.02)
    return time.perf_counter() - t0


def level(browser, server, n: int, rss0: float, drawer) -> dict:
    t_start = time.perf_counter()
    ctxs = [browser.new_context(viewport={"width": 1280, "height": 800}) for _ in range(n)]
    pages = [c.new_page() for c in ctxs]
    for i, pg in enumerate(pages):
        pg.goto(f"{server.url}/train?seed={i}&epochs=200", wait_until="commit")
    for pg in pages:
        pg.get_by_role("button", name="Train", exact=True).wait_for(timeout=LOAD_TIMEOUT)
    load_s = time.perf_counter() - t_start
    for pg in pages:
        pg.evaluate(WATCH_JS)
        pg.get_by_role("button", name="Train", exact=True).click()
    time.sleep(RAMP)
    for pg in pages:
        pg.evaluate("() => { window.__redraws = []; window.__t0 = performance.now(); }")
    browser_pids = [p for p in descendants(os.getpid()) if p != server.proc.pid]  # Playwright's driver + Chromium
    cpu0, (busy0, total0), t0 = cpu_seconds(server.proc.pid), machine_busy(), time.perf_counter()
    bcpu0 = tree_cpu_seconds(browser_pids)
    latencies, rss_peak = [], rss_mb(server.proc.pid)
    while time.perf_counter() - t0 < WINDOW or len(latencies) < 3:
        latencies.append(draw_latency(drawer))
        rss_peak = max(rss_peak, rss_mb(server.proc.pid))
        if time.perf_counter() - t0 > 4 * WINDOW:
            break
    elapsed = time.perf_counter() - t0
    cpu1, (busy1, total1) = cpu_seconds(server.proc.pid), machine_busy()
    bcpu1 = tree_cpu_seconds(browser_pids)
    rates, gaps = [], []
    for pg in pages:  # page clock: window start, each redraw, window end
        t_a, stamps, t_b = pg.evaluate("() => [window.__t0, window.__redraws, performance.now()]")
        marks = [t_a, *stamps, t_b]
        rates.append(len(stamps) / ((t_b - t_a) / 1000))
        gaps.append(max(b - a for a, b in zip(marks, marks[1:])) / 1000)
    steps = [pg.evaluate("""() => { for (const m of document.querySelectorAll('[data-testid="stMetric"]'))
        if (m.innerText.startsWith('Step')) return m.querySelector('[data-testid="stMetricValue"]').innerText; }""")
             for pg in pages]
    for c in ctxs:
        c.close()
    ncpu = os.cpu_count() or 1
    r = {
        "n": n, "load_seconds": round(load_s, 1), "window_seconds": round(elapsed, 1),
        "min_redraw_rate": round(min(rates), 2), "median_redraw_rate": round(sorted(rates)[n // 2], 2),
        "max_gap_seconds": round(max(gaps), 2),
        "decision_seconds": [round(x, 2) for x in latencies], "max_decision_seconds": round(max(latencies), 2),
        "server_rss_mb": round(rss_peak, 1), "rss_per_session_mb": round((rss_peak - rss0) / n, 1),
        "server_cpu_cores": round((cpu1 - cpu0) / elapsed, 2),
        "browser_cpu_cores": round((bcpu1 - bcpu0) / elapsed, 2),
        "load_average": round(os.getloadavg()[0], 1),
        "machine_cpu_cores": round((busy1 - busy0) / max(1, total1 - total0) * ncpu, 2), "cores": ncpu,
        "final_steps": steps,
    }
    # the server's CPU per redraw (all its work in the window, the drawing included, over all redraws):
    # what N the server alone could carry at 1 redraw/s if the browsers ran on the students' machines
    redraws = sum(rates) * elapsed
    r["server_cpu_ms_per_redraw"] = round(1000 * (cpu1 - cpu0) / max(redraws, 1), 1)
    r["server_only_n_at_1_per_s"] = int(ncpu / max((cpu1 - cpu0) / max(redraws, 1), 1e-9))
    r["ok"] = r["min_redraw_rate"] >= MIN_RATE and r["max_decision_seconds"] <= MAX_DECISION
    return r


def run(levels=LEVELS, budget: float = BUDGET) -> dict:
    from playwright.sync_api import sync_playwright

    t0 = time.perf_counter()
    server = StreamlitServer()
    results = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            warm = browser.new_context()
            wp = warm.new_page()
            wp.goto(server.url + "/")  # the root first: see tests/test_browser_classroom.py (pages/ folder)
            wp.wait_for_selector("text=Questions learners ask", timeout=LOAD_TIMEOUT)
            warm.close()
            drawer_ctx, drawer = open_draw(browser, server.url)
            draw_latency(drawer)  # loads the canvas component and the model once
            rss0 = rss_mb(server.proc.pid)
            last_cost = 0.0
            for n in levels:
                # a level costs about its page loads plus the window; skip what would break the budget
                if results and time.perf_counter() - t0 + last_cost * n / results[-1]["n"] * 1.3 > budget:
                    break
                ts = time.perf_counter()
                r = level(browser, server, n, rss0, drawer)
                last_cost = time.perf_counter() - ts
                r["level_seconds"] = round(last_cost, 1)
                results.append(r)
                if not r["ok"]:
                    break
            drawer_ctx.close()
            browser.close()
    finally:
        server.stop()
    passed = [r["n"] for r in results if r["ok"]]
    return {"levels": results, "largest_n": max(passed) if passed else 0, "base_rss_mb": round(rss0, 1),
            "goal_n": 30, "seconds": round(time.perf_counter() - t0, 1)}


def limiting(r: dict) -> str:
    if r["machine_cpu_cores"] >= 0.9 * r["cores"]:
        m = r["machine_cpu_cores"]
        other = max(0.0, m - r["server_cpu_cores"] - r["browser_cpu_cores"])
        return (f"CPU: the machine's {r['cores']} cores were {m / r['cores']:.0%} busy: server "
                f"{r['server_cpu_cores']:.2f} cores, this benchmark's Chromium {r['browser_cpu_cores']:.2f}, other "
                f"processes {other:.2f} (load average {r['load_average']})")
    return "not CPU-bound on this machine (see the per-level figures)"


def summary(res: dict) -> str:
    lines = []
    for r in res["levels"]:
        lines.append(f"   N={r['n']:>3}: redraws/s min {r['min_redraw_rate']:.2f} (median {r['median_redraw_rate']:.2f},"
                     f" longest gap {r['max_gap_seconds']:.1f} s), Decision max {r['max_decision_seconds']:.2f} s,"
                     f" server CPU {r['server_cpu_cores']:.2f} cores, machine {r['machine_cpu_cores']:.2f}/{r['cores']},"
                     f" RSS {r['server_rss_mb']:.0f} MB ({r['rss_per_session_mb']:.1f} MB/session)"
                     f" -> {'ok' if r['ok'] else 'FAILS'}")
    last = res["levels"][-1] if res["levels"] else None
    lines.append(f"   largest N meeting both goals: {res['largest_n']} (goal >= {res['goal_n']});"
                 f" limiting factor at N={last['n'] if last else '-'}: {limiting(last) if last else '-'}")
    if last:
        lines.append(f"   server CPU per redraw {last['server_cpu_ms_per_redraw']:.0f} ms: the server alone (browsers on "
                     f"the students' own machines) could carry about N={last['server_only_n_at_1_per_s']} at 1 redraw/s"
                     f" (a projection, not measured)")
    return "\n".join(lines)
