"""Train page vs CLI: steps/s of the page at the fastest speed, through AppTest reruns and in Chromium, against the CLI Trainer on the same work (goal ratio >= 0.5 while redrawing >= 4/s).

How it is measured (all in this process, one after the other):
- CLI: `Trainer(cfg, embedded sample).run()` with one torch thread (the page's server uses one too),
  median of 3 runs; steps per second = steps / seconds.
- Page through AppTest reruns (the page's own cost, no browser): the app's entry script opened on
  the Train page with the same settings, Speed "fastest", Train pressed, then `at.run()` paced at
  the page's own redraw rate (every mnist37.pacing.LADDER[0] seconds, its fragment timer on a quiet server) until the
  trainer has finished. Each rerun is a full run of the app (sidebar, settings, every figure built and
  serialised), more than the page's timed fragment reruns redo. The background thread trains
  between reruns, in this process, as in the server. Steps per second = steps / (time from the
  click's rerun to the end of the first rerun that found the run finished); redraws per second =
  reruns / the same time.
- Page in Chromium: a live `streamlit run` server and Debian's Chromium (Playwright), as a user
  would: open /train?epochs=..&bs=.., set Speed to "fastest" with the keyboard, press Train, and record in the
  page every time the Step metric changes (a MutationObserver reading textContent: it forces no
  layout, unlike polling innerText every frame), until Train shows again. At "fastest" a
  background thread in the server trains between redraws (mnist37.background). Page steps per
  second = steps / (time of the last Step change - time of the click); redraws per second = Step
  changes / the same time. A second, 8-second run at the default speed (5 steps per redraw)
  reports the redraw rate a class watching slowly gets.
The page's time includes everything a user waits for: training, building and sending the figures,
and Chromium drawing them on the same 2 cores. The CPU seconds the server and Chromium used during
each run are recorded (from /proc), with the machine's load average.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.procstat import matching_cpu_seconds as cpu_seconds  # noqa: E402

EPOCHS, BS = 200, 64  # 200 x 27 = 5,400 steps: several seconds even for the CLI
STEP_JS = """() => { window.__steps = []; const read = () => {
  const m = [...document.querySelectorAll('[data-testid="stMetric"]')]
    .find(e => e.querySelector('[data-testid="stMetricLabel"]')?.textContent.trim() === 'Step');
  if (m) { const v = parseInt(m.querySelector('[data-testid="stMetricValue"]').textContent);
           const l = window.__steps; if (!l.length || l[l.length - 1][1] !== v) l.push([performance.now(), v]); } };
  new MutationObserver(read).observe(document.body, {subtree: true, childList: true, characterData: true});
  read(); }"""


def cli_steps_per_second(repeats: int = 3) -> dict:
    import torch

    from mnist37 import data
    from mnist37.train import TrainConfig, Trainer

    torch.set_num_threads(1)
    ds, cfg = data.load_embedded(), TrainConfig(epochs=EPOCHS, bs=BS)
    Trainer(cfg, ds).advance(n_steps=200)  # warm-up
    times, steps, acc = [], 0, 0.0
    for _ in range(repeats):
        t0 = time.perf_counter()
        t = Trainer(cfg, ds).run()
        times.append(time.perf_counter() - t0)
        steps, acc = t.step, t.valid_accuracy()
    sec = statistics.median(times)
    return {"cli_steps": steps, "cli_seconds": sec, "cli_steps_per_s": steps / sec, "cli_valid_accuracy": acc,
            "cli_load": os.getloadavg()[0]}


def _slider(page, label):
    return page.locator('[data-testid="stSlider"]').filter(has_text=label).locator('input[type="range"]')


def _run_page(page, url: str, fastest: bool, seconds: float | None, server_pid: int) -> dict:
    from harness.browser import wait_for_app

    page.goto(url)
    page.wait_for_selector('[data-testid="stMetric"]', timeout=120_000)
    wait_for_app(page, 120_000)
    if fastest:
        _slider(page, "Speed").focus()
        page.keyboard.press("End")
        page.wait_for_function("""() => [...document.querySelectorAll('[data-testid="stSlider"]')]
            .find(s => s.innerText.includes('Speed'))?.querySelector('input[type="range"]')
            ?.getAttribute('aria-valuetext') === 'fastest'""", timeout=60_000)
        wait_for_app(page)
    page.evaluate(STEP_JS)
    load0 = os.getloadavg()[0]
    server_cpu = lambda: cpu_seconds(lambda pid, cmd: pid == str(server_pid))  # noqa: E731
    chromium_cpu = lambda: cpu_seconds(lambda pid, cmd: "chromium" in cmd)  # noqa: E731
    cpu0 = server_cpu(), chromium_cpu()
    t_click = page.evaluate("() => performance.now()")
    page.get_by_role("button", name="Train", exact=True).click()
    if seconds is None:
        page.get_by_role("button", name="Pause", exact=True).wait_for(timeout=60_000)
        page.get_by_role("button", name="Train", exact=True).wait_for(timeout=600_000)  # done
    else:
        time.sleep(seconds)
        page.get_by_role("button", name="Pause", exact=True).click()
    cpu1 = server_cpu(), chromium_cpu()
    steps = page.evaluate("window.__steps")
    changes = [s for s in steps if s[0] > t_click]
    span = (changes[-1][0] - t_click) / 1000
    return {"steps": changes[-1][1], "seconds": span, "steps_per_s": changes[-1][1] / span,
            "redraws": len(changes), "redraws_per_s": len(changes) / span,
            "server_cpu_s": cpu1[0] - cpu0[0], "chromium_cpu_s": cpu1[1] - cpu0[1],
            "load": (load0 + os.getloadavg()[0]) / 2}


def page_steps_per_second() -> dict:
    from playwright.sync_api import sync_playwright

    from harness.browser import CHROMIUM, CHROMIUM_ARGS
    from harness.server import StreamlitServer

    srv = StreamlitServer()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            ctx = browser.new_context(viewport={"width": 1280, "height": 800})
            page = ctx.new_page()
            page.goto(srv.url + "/")
            fast = _run_page(page, f"{srv.url}/train?epochs={EPOCHS}&bs={BS}", fastest=True, seconds=None,
                             server_pid=srv.proc.pid)
            ctx.close()
            ctx = browser.new_context(viewport={"width": 1280, "height": 800})
            slow = _run_page(ctx.new_page(), f"{srv.url}/train?epochs={EPOCHS}&bs={BS}", fastest=False, seconds=8,
                             server_pid=srv.proc.pid)
            browser.close()
    finally:
        srv.stop()
    return {**{f"page_{k}": v for k, v in fast.items()}, **{f"default_speed_{k}": v for k, v in slow.items()}}


def apptest_steps_per_second() -> dict:
    from streamlit.testing.v1 import AppTest

    from mnist37.pacing import LADDER
    REDRAW_SECONDS = LADDER[0]

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.query_params.update(epochs=str(EPOCHS), bs=str(BS))
    at.run()
    at.switch_page("pages/train.py").run()
    at.select_slider(key="speed").set_value("fastest").run()
    trainer = at.session_state["trainer"]
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    at.button(key="train_button").click().run()
    runs, due = 1, t0
    while not trainer.finished:
        due += REDRAW_SECONDS
        time.sleep(max(0.0, due - time.perf_counter()))
        at.run()
        runs += 1
    span = time.perf_counter() - t0
    if at.exception or trainer.status != "done":
        raise RuntimeError(f"the page did not train to the end: {trainer.status}, {at.exception}")
    return {"apptest_steps": trainer.step, "apptest_seconds": span, "apptest_steps_per_s": trainer.step / span,
            "apptest_redraws": runs, "apptest_redraws_per_s": runs / span,
            "apptest_load": (load0 + os.getloadavg()[0]) / 2}


def run() -> dict:
    cli = cli_steps_per_second()
    apptest = apptest_steps_per_second()
    page = page_steps_per_second()
    return {"methods": "AppTest reruns; Chromium against a live server", "epochs": EPOCHS, "bs": BS,
            **cli, **apptest, **page,
            "apptest_ratio": apptest["apptest_steps_per_s"] / cli["cli_steps_per_s"],
            "ratio": page["page_steps_per_s"] / cli["cli_steps_per_s"]}


def summary(r: dict) -> str:
    return (f"   CLI Trainer {r['cli_steps_per_s']:.0f} steps/s ({r['cli_steps']} steps, load {r['cli_load']:.1f})\n"
            f"   page through AppTest reruns at 'fastest' {r['apptest_steps_per_s']:.0f} steps/s "
            f"({r['apptest_steps']} steps in {r['apptest_seconds']:.1f} s, load {r['apptest_load']:.1f}) while "
            f"redrawing {r['apptest_redraws_per_s']:.1f}/s: ratio {r['apptest_ratio']:.2f} (goal >= 0.5 at >= 4/s)\n"
            f"   page in Chromium at 'fastest' {r['page_steps_per_s']:.0f} steps/s "
            f"({r['page_steps']} steps in {r['page_seconds']:.1f} s, load {r['page_load']:.1f}): "
            f"ratio {r['ratio']:.2f} (goal >= 0.5)\n"
            f"   redraws: {r['page_redraws_per_s']:.1f}/s at 'fastest', {r['default_speed_redraws_per_s']:.1f}/s at "
            f"the default speed (goal >= 4)\n"
            f"   CPU at 'fastest': server {r['page_server_cpu_s']:.1f} s, Chromium {r['page_chromium_cpu_s']:.1f} s "
            f"in {r['page_seconds']:.1f} s on 2 cores; at the default speed Chromium "
            f"{r['default_speed_chromium_cpu_s'] / r['default_speed_redraws']:.2f} s per redraw")
