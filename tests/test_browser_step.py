"""The One step page in Chromium: open it at learning rate 1, read Loss before and Loss after, take
the step, and see Step go up by one and the model's 785 numbers become exactly weights - lr x grad.

Everything is seeded, so this process works out the same step with the core (a fresh Trainer from
the lesson's settings) and checks the page against it; the page shows a fingerprint of all 785
float32 numbers now and after its step, which the test compares bit for bit."""
import re

import pytest
import torch

from harness.browser import metric_value, wait_for_app
from mnist37 import data
from mnist37.sgd_step import preview
from mnist37.train import TrainConfig, Trainer

pytestmark = pytest.mark.browser
TIMEOUT = 120_000  # ms: generous, the machine is shared
FINGERPRINTS = re.compile(r"now\s+([0-9a-f]{16})\s*,\s*after this step\s+([0-9a-f]{16})")


def fingerprints(page) -> tuple[str, str]:
    caption = page.locator('[data-testid="stCaptionContainer"]', has_text="fingerprint")
    return FINGERPRINTS.search(caption.inner_text()).groups()


def test_take_one_step_at_lr_1_and_see_the_weights_move_by_minus_lr_times_grad(server, page):
    torch.set_num_threads(1)  # as the server computes
    trainer = Trainer(TrainConfig(lr=1.0), data.load_embedded())
    expected = preview(trainer)

    page.goto(server.url + "/step?lr=1")
    page.wait_for_selector('[data-testid="stMetric"]', timeout=TIMEOUT)
    wait_for_app(page)
    lr = page.locator('[data-testid="stSlider"]').filter(has_text="Learning rate").locator('input[type="range"]')
    assert lr.get_attribute("aria-valuetext") == "1"
    assert metric_value(page, "Step") == "0"
    assert metric_value(page, "Loss before") == f"{expected.loss_before:.4f}"
    assert metric_value(page, "Loss after") == f"{expected.loss_after:.4f}"
    now, after = fingerprints(page)
    assert (now, after) == (expected.fingerprint_before, expected.fingerprint_after)

    page.get_by_role("button", name="Take this step", exact=True).click()
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stMetric"]')].some(m =>
              m.querySelector('[data-testid="stMetricLabel"]')?.innerText.trim() === 'Step'
              && m.querySelector('[data-testid="stMetricValue"]').innerText.trim() === '1')""",
        timeout=TIMEOUT, polling=200)
    wait_for_app(page)
    assert metric_value(page, "Step") == "1"
    now2, _ = fingerprints(page)
    assert now2 == after  # the model's weights and bias are now before - lr x grad, bit for bit
    assert page.get_by_text("Step 1 taken").count() == 1

    trainer.train_step()  # the same step in this process: the page now shows the step after it
    following = preview(trainer)
    assert metric_value(page, "Loss before") == f"{following.loss_before:.4f}"
    assert metric_value(page, "Loss after") == f"{following.loss_after:.4f}"
    assert page.locator('[data-testid="stException"]').count() == 0
