"""The Train page in Chromium: press Train, watch Valid accuracy pass 90 %, drag the learning rate
with the keyboard while it trains, and see training go on with no error on the page."""
import re

import pytest

from harness.browser import metric_value, wait_for_app

pytestmark = pytest.mark.browser
TIMEOUT = 120_000  # ms: generous, the machine is shared


def step(page) -> int:
    return int(metric_value(page, "Step"))


def valid_accuracy(page) -> float:
    return float(metric_value(page, "Valid accuracy").rstrip("%")) / 100


def wait_until(page, js_condition: str, timeout: float = TIMEOUT) -> None:
    page.wait_for_function(js_condition, timeout=timeout, polling=200)


METRIC_JS = """(label) => {
  const m = [...document.querySelectorAll('[data-testid="stMetric"]')]
    .find(e => e.querySelector('[data-testid="stMetricLabel"]')?.innerText.trim() === label);
  return m ? parseFloat(m.querySelector('[data-testid="stMetricValue"]').innerText) : NaN;
}"""


def test_train_live_and_change_the_learning_rate_while_it_runs(server, page):
    page.goto(server.url + "/")  # the app's entry first, as a visitor would
    wait_for_app(page)
    page.goto(server.url + "/train?epochs=60")  # a longer run than the lesson's 20 epochs
    page.wait_for_selector('[data-testid="stMetric"]', timeout=TIMEOUT)
    wait_for_app(page)
    assert step(page) == 0

    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_role("button", name="Pause", exact=True).wait_for(timeout=TIMEOUT)
    page.wait_for_function(f"() => ({METRIC_JS})('Valid accuracy') > 90", timeout=TIMEOUT, polling=200)
    assert valid_accuracy(page) > 0.90

    lr = page.locator('[data-testid="stSlider"]').filter(has_text="Learning rate")
    lr.locator('input[type="range"]').focus()
    page.keyboard.press("ArrowLeft")  # 1 -> 0.5 on the log grid
    expect_lr = re.compile(r"^0\.5$")
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stSlider"]')]
             .find(s => s.innerText.includes('Learning rate'))
             ?.querySelector('input[type="range"]')?.getAttribute('aria-valuetext') === '0.5'""",
        timeout=TIMEOUT, polling=200)
    assert expect_lr.match(lr.locator('input[type="range"]').get_attribute("aria-valuetext"))

    after = step(page)
    page.wait_for_function(f"() => ({METRIC_JS})('Step') >= {after + 10}", timeout=TIMEOUT, polling=200)
    assert page.get_by_role("button", name="Pause", exact=True).count() == 1  # still training, no reset
    assert step(page) >= after + 10

    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    page.get_by_role("button", name="Pause", exact=True).click()
    page.get_by_role("button", name="Train", exact=True).wait_for(timeout=TIMEOUT)


def test_fastest_trains_between_redraws_to_the_end_and_pause_stops_it(server, page):
    """At 'fastest' a thread in the server trains between redraws: the page shows Step climbing,
    Pause stops it (a Step a second later moves it by exactly one), Train goes on, and the run ends
    with Train back and the last epoch shown."""
    # 42,200 steps (20-30 s at "fastest"): three rounds of Train, Pause, Step train a few thousand
    # steps on a busy machine and must stay clear of the end, where a lost Pause would show.
    page.goto(server.url + "/train?epochs=200&bs=8")
    page.wait_for_selector('[data-testid="stMetric"]', timeout=TIMEOUT)
    wait_for_app(page)
    speed = page.locator('[data-testid="stSlider"]').filter(has_text="Speed").locator('input[type="range"]')
    speed.focus()
    page.keyboard.press("End")
    wait_until(page, """() => [...document.querySelectorAll('[data-testid="stSlider"]')]
        .find(s => s.innerText.includes('Speed'))?.querySelector('input[type="range"]')
        ?.getAttribute('aria-valuetext') === 'fastest'""")
    wait_for_app(page)

    # Three rounds of Train, Pause, Step: a click that lands as a timed redraw fires reaches the
    # server twice (see pages/train.py), and Pause must still pause, Step still take one step.
    paused = 0
    TOTAL = 200 * 211  # 200 epochs of 1,682 training digits in batches of 8
    for _ in range(3):
        page.get_by_role("button", name="Train", exact=True).click()
        wait_until(page, f"() => ({METRIC_JS})('Step') >= {paused + 300}")
        page.get_by_role("button", name="Pause", exact=True).click()
        page.get_by_role("button", name="Train", exact=True).wait_for(timeout=TIMEOUT)
        wait_for_app(page)  # the run that stopped the thread has drawn its last step
        paused = step(page)
        assert paused < TOTAL  # paused, not trained to the end
        page.wait_for_timeout(1000)
        page.get_by_role("button", name="Step", exact=True).click()
        wait_until(page, f"() => ({METRIC_JS})('Step') !== {paused}")
        assert step(page) == paused + 1  # nothing trained in the second after Pause; then one mini-batch
        paused += 1

    page.get_by_role("button", name="Train", exact=True).click()
    wait_until(page, f"() => ({METRIC_JS})('Step') > {paused}")
    page.get_by_role("button", name="Train", exact=True).wait_for(timeout=TIMEOUT)  # 200 epochs done
    wait_until(page, "() => [...document.querySelectorAll('[data-testid=\"stMetric\"]')]"
                     ".some(e => e.innerText.includes('200 / 200'))")
    assert step(page) == TOTAL
    assert valid_accuracy(page) > 0.90
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0
