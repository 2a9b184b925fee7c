"""Class mode in Chromium: a teacher starts a class, two students join by its link, train and draw;
the teacher's view shows it all within seconds and pushes settings a student applies. A class
survives an app restart."""
from __future__ import annotations

import re

import pytest

from harness.browser import SEVEN, THREE, clear_canvas, decision, draw, wait_for_app
from harness.server import StreamlitServer

pytestmark = pytest.mark.browser
LONG = 120_000
METRIC_JS = """(label) => { const m = [...document.querySelectorAll('[data-testid="stMetric"]')]
  .find(e => e.querySelector('[data-testid="stMetricLabel"]')?.innerText.trim() === label);
  return m ? m.querySelector('[data-testid="stMetricValue"]').innerText.trim() : null; }"""
# Points on the class's scatter: the markers of the first panel of the runs figure.
SCATTER_JS = """() => { const d = [...document.querySelectorAll('.js-plotly-plot')]
  .find(p => (p._fullLayout?.annotations || []).some(a => a.text.includes('learning rate → final')));
  return d ? d._fullData.filter(t => t.mode === 'markers').reduce((n, t) => n + t.x.length, 0) : -1; }"""


class Browser:
    """One person's browser (its own context): open, switch page, read a metric, click."""

    def __init__(self, browser, url: str):
        self.ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.ctx.new_page()
        self.page.goto(url)
        wait_for_app(self.page, LONG)

    def go(self, title: str) -> None:
        self.page.locator('[data-testid="stSidebarNav"] a', has_text=title).first.click()
        wait_for_app(self.page, LONG)

    def metric(self, label: str) -> str | None:
        return self.page.evaluate(METRIC_JS, label)

    def wait_metrics(self, want: dict, timeout: float = LONG) -> None:
        self.page.wait_for_function(
            "(want) => Object.entries(want).every(([k, v]) => (" + METRIC_JS + ")(k) === v)", arg=want,
            timeout=timeout, polling=200)

    def click(self, name: str) -> None:
        self.page.get_by_role("button", name=name, exact=True).click()

    def no_error(self) -> bool:
        return self.page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').count() == 0


def start_class(browser, url: str) -> tuple[Browser, str, str]:
    """A teacher starts a class; returns the teacher's browser, the students' and the teacher's link."""
    t = Browser(browser, url + "/class")
    t.click("Start a class")
    t.page.locator('[data-testid="stCode"]', has_text="teacher=").wait_for(timeout=LONG)
    blocks = t.page.locator('[data-testid="stCode"]').all_inner_texts()
    students = next(b.strip() for b in blocks if "teacher=" not in b and "class=" in b)
    teacher = next(b.strip() for b in blocks if "teacher=" in b)
    return t, students, teacher


def join(browser, link: str, nickname: str) -> Browser:
    s = Browser(browser, link)
    box = s.page.get_by_role("textbox", name="Your nickname (optional)")
    box.fill(nickname)
    box.press("Enter")
    wait_for_app(s.page, LONG)
    s.page.get_by_role("button", name=re.compile(r"^Join class")).click()
    s.page.get_by_text(f"you: {nickname}").wait_for(timeout=LONG)
    return s


def draw_meaning(s: Browser, strokes, meant: int) -> None:
    """Draw a digit on a clear canvas and say which digit it was meant to be."""
    if decision(s.page) is not None:
        clear_canvas(s.page, LONG)
    draw(s.page, strokes)
    s.page.get_by_text(f"I meant a {meant}").click()
    wait_for_app(s.page, LONG)


def test_a_class_shares_runs_and_drawings_and_a_pushed_setting_is_applied(server, browser):
    teacher, students_link, teacher_link = start_class(browser, server.url)
    assert students_link.startswith(server.url) and "teacher=" in teacher_link
    ann, bob = join(browser, students_link, "Ann"), join(browser, students_link, "Bob")
    try:
        assert bob.page.get_by_role("button", name="Push my settings to the class").count() == 0
        ann.go("Train")
        ann.click("Train")  # the lesson's 20 epochs
        ann.wait_metrics({"Epoch": "20 / 20"})
        ann.page.get_by_role("button", name="Train", exact=True).wait_for(timeout=LONG)
        ann.go("Draw")
        draw_meaning(ann, THREE, 3)
        draw_meaning(ann, SEVEN, 7)
        bob.go("Draw")
        draw_meaning(bob, SEVEN, 7)
        # The teacher's view follows by itself (every 2 s): within 5 s of the last drawing.
        teacher.wait_metrics({"Students": "2", "Runs": "1", "Drawings": "3"}, timeout=5_000)
        teacher.page.wait_for_function(f"() => ({SCATTER_JS})() === 1", timeout=5_000)
        # The scatter and the drawings: each chart is drawn by plotly.js once its element arrives.
        teacher.page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 2",
                                       timeout=5_000)

        teacher.go("Train")
        lr = teacher.page.locator('[data-testid="stSlider"]').filter(has_text="Learning rate")
        lr.locator('input[type="range"]').focus()
        for _ in range(3):  # 1 -> 0.5 -> 0.2 -> 0.1 on the slider's grid
            teacher.page.keyboard.press("ArrowLeft")
        teacher.page.wait_for_function("() => location.search.includes('lr=0.1')", timeout=LONG)
        teacher.go("Class")
        teacher.click("Push my settings to the class")
        ann.go("Train")
        ann.page.get_by_text("Your teacher suggests these settings").wait_for(timeout=LONG)
        ann.click("Apply")
        ann.page.wait_for_function(
            """() => [...document.querySelectorAll('[data-testid="stSlider"]')]
                 .find(s => s.innerText.includes('Learning rate'))
                 ?.querySelector('input[type="range"]')?.getAttribute('aria-valuetext') === '0.1'""", timeout=LONG)
        for s in (teacher, ann, bob):
            assert s.no_error()
    finally:
        for s in (teacher, ann, bob):
            s.ctx.close()


def test_a_teachers_action_without_the_key_is_refused(server, browser):
    teacher, students_link, teacher_link = start_class(browser, server.url)
    forged = Browser(browser, teacher_link.split("&teacher=")[0] + "&teacher=guessed-key")
    try:
        forged.page.get_by_text("does not hold class").wait_for(timeout=LONG)
        assert forged.page.get_by_role("button", name="Push my settings to the class").count() == 0
        assert forged.page.get_by_role("button", name="Close the class").count() == 0
    finally:
        forged.ctx.close()
        teacher.ctx.close()


def test_a_class_survives_an_app_restart(browser, tmp_path):
    env = {"MNIST37_DB": f"sqlite:///{tmp_path}/classes.sqlite3"}
    first = StreamlitServer(env=env)
    try:
        teacher, students_link, teacher_link = start_class(browser, first.url)
        ann = join(browser, students_link, "Ann")
        ann.go("Draw")
        draw_meaning(ann, THREE, 3)
        teacher.wait_metrics({"Students": "1", "Drawings": "1"})
        for s in (teacher, ann):
            s.ctx.close()
    finally:
        first.stop()
    second = StreamlitServer(env=env)
    try:
        again = Browser(browser, teacher_link.replace(first.url, second.url))
        again.wait_metrics({"Students": "1", "Runs": "0", "Drawings": "1"})
        assert again.no_error()
        again.ctx.close()
    finally:
        second.stop()
