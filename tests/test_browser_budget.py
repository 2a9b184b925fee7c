"""Bounded work per page view, in Chromium: a shared link to a huge run (bs=1, 200 epochs: 336,400
steps) draws its page at once and trains in the background, while another student's Train page
goes on redrawing."""
from __future__ import annotations

import time

import pytest

from harness.browser import wait_for_app

pytestmark = pytest.mark.browser
LONG = 120_000

# In the page, from the navigation's start: when its first run ends and when its last section shows.
MARKS_JS = """() => { window.__m = {}; const mark = (k) => { if (!(k in window.__m)) window.__m[k] = performance.now(); };
  new MutationObserver(() => { const a = document.querySelector('[data-testid="stApp"]');
    const s = a && a.getAttribute('data-test-script-state');
    if (s === 'running') mark('running');
    if (s === 'notRunning' && 'running' in window.__m) mark('done');
    if (document.body && document.body.innerText.includes('Save the 785 numbers')) mark('shown');
  }).observe(document, {subtree: true, childList: true, attributes: true, characterData: true}); }"""
STEP_JS = """() => { const m = [...document.querySelectorAll('[data-testid="stMetric"]')]
  .find(e => e.querySelector('[data-testid="stMetricLabel"]')?.innerText.trim() === 'Step');
  return m ? parseInt(m.querySelector('[data-testid="stMetricValue"]').innerText) : -1; }"""


def test_a_link_to_a_huge_run_renders_at_once_and_another_student_keeps_training(server, browser):
    student = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    student.goto(server.url + "/")
    wait_for_app(student, LONG)
    student.goto(server.url + "/train?epochs=200&seed=3")
    student.wait_for_selector('[data-testid="stMetric"]', timeout=LONG)
    wait_for_app(student, LONG)
    student.get_by_role("button", name="Train", exact=True).click()
    student.wait_for_function(f"() => ({STEP_JS})() >= 20", timeout=LONG)

    teacher = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    teacher.add_init_script(f"({MARKS_JS})()")
    teacher.goto(server.url + "/model?bs=1&epochs=200&seed=11")
    teacher.wait_for_function("() => 'done' in window.__m && 'shown' in window.__m", timeout=LONG)
    marks = teacher.evaluate("window.__m")
    assert max(marks["done"], marks["shown"]) < 3000, marks  # ms from the navigation's start
    progress = teacher.locator('[data-testid="stProgress"]', has_text="in the background (336,400 steps)")
    progress.first.wait_for(timeout=LONG)  # the replay and the loss comparison wait for the shared job

    before = student.evaluate(STEP_JS)
    time.sleep(3)
    after = student.evaluate(STEP_JS)
    assert after >= before + 10, (before, after)  # still training live, with redraws
    for pg in (student, teacher):
        assert pg.locator('[data-testid="stException"]').count() == 0
        pg.context.close()
