"""The One step page through AppTest: its metrics, "Take this step" (exactly -lr x grad, once per
click, pausing live training), the learning-rate slider, and the sentence when the loss goes up."""
import numpy as np
import torch
from streamlit.testing.v1 import AppTest

from tests.apptest_nav import metric, open_page

from mnist37.sgd_step import fingerprint, preview
from mnist37.train import TrainConfig, Trainer

TIMEOUT = 120  # seconds per run: generous, the machine is shared


def open_step(**query) -> AppTest:
    at = open_page("pages/step.py", TIMEOUT, **query)
    assert not at.exception
    return at



def test_the_metrics_are_the_next_steps_losses_on_one_batch():
    torch.set_num_threads(1)  # as the server computes
    at = open_step()
    assert at.title[0].value == "One SGD step, up close"
    assert [m.label for m in at.metric][:3] == ["Step", "Loss before", "Loss after"]
    expected = preview(Trainer(TrainConfig(), at.session_state["trainer"].data))  # the same seed
    assert metric(at, "Step") == "0"
    assert metric(at, "Loss before") == f"{expected.loss_before:.4f}"
    assert metric(at, "Loss after") == f"{expected.loss_after:.4f}"
    assert at.select_slider(key="lr").value == 1.0
    assert len(at.get("plotly_chart")) == 5 and len(at.code) >= 4  # the figures, the lesson's code beside them
    assert any(expected.fingerprint_after in c.value for c in at.caption)
    assert not at.warning  # at lr 1 the loss goes down


def test_take_this_step_changes_the_weights_by_exactly_minus_lr_times_grad():
    at = open_step()
    at.select_slider(key="lr").set_value(0.5).run()
    trainer = at.session_state["trainer"]
    assert trainer.cfg.lr == 0.5 and at.session_state["config"].lr == 0.5
    shown = at.session_state["step_shown"]
    w0, b0 = trainer.params()
    at.button(key="take_step").click().run()
    assert at.session_state["trainer"] is trainer and trainer.step == 1 and metric(at, "Step") == "1"
    w1, b1 = trainer.params()
    np.testing.assert_array_equal(w1, w0 - shown.weights_grad * np.float32(0.5))  # p.data -= p.grad*lr
    np.testing.assert_array_equal(w1, w0 + shown.update)  # the update map's numbers, -lr x grad
    assert np.float32(b1) == np.float32(b0) - np.float32(shown.bias_grad) * np.float32(0.5)
    assert fingerprint(w1, b1) == shown.fingerprint_after
    assert any("Step 1 taken" in s.value for s in at.success)
    # The same as Train's Step: a trainer stepped plainly from the same seed holds the same weights.
    plain = Trainer(TrainConfig(lr=0.5), trainer.data)
    plain.train_step()
    np.testing.assert_array_equal(plain.params()[0], w1)
    assert not at.exception


def test_a_click_delivered_twice_steps_once_and_a_stale_one_not_at_all():
    """Streamlit can deliver a click twice (see pages.ui.clicks.Clicks): the page steps once. A click on
    a step that is no longer the model's next (it moved on elsewhere) takes nothing."""
    at = open_step()
    clicks, trainer = at.session_state["step_clicks"], at.session_state["trainer"]
    shown = at.session_state["step_shown"]
    drawn = clicks.runs
    clicks.record(f"take:{shown.key}", drawn)
    clicks.record(f"take:{shown.key}", drawn)  # the same click again
    at.run()
    assert trainer.step == 1 and metric(at, "Step") == "1"
    trainer.train_step()  # say, Step on the Train page in the meantime
    clicks.record(f"take:{shown.key}", clicks.runs)  # a click on the old step
    at.run()
    assert trainer.step == 2 and any("changed before that step" in i.value for i in at.info)
    assert not at.exception


def test_taking_a_step_pauses_live_training():
    at = open_step()
    at.switch_page("pages/train.py").run()
    at.button(key="train_button").click().run()
    at.run()
    assert at.session_state["train_running"]
    at.switch_page("pages/step.py").run()
    steps = at.session_state["trainer"].step
    at.button(key="take_step").click().run()
    assert not at.session_state["train_running"] and at.session_state["trainer"].step == steps + 1
    at.switch_page("pages/train.py").run()
    assert "Train" in [b.label for b in at.button] and int(metric(at, "Step")) == steps + 1
    assert not at.exception


def test_at_lr_10_on_a_fresh_model_the_loss_goes_up_and_the_page_says_why():
    """Cross-entropy at lr 10 overshoots on the first step (mnist_loss's small gradients do not, even at 10)."""
    at = open_step(lr=10, loss="bce")
    before, after = float(metric(at, "Loss before")), float(metric(at, "Loss after"))
    assert after > before
    why = " ".join(w.value for w in at.warning)
    assert "went up" in why and "learning rate 10 is too large" in why and "overshoots" in why
    at.select_slider(key="lr").set_value(0.1).run()
    assert float(metric(at, "Loss after")) < before and not at.warning
    assert not at.exception


def test_a_nan_loss_stops_the_run_as_step_does():
    at = open_step(std=1e36, loss="bce")  # finite logits whose mean loss overflows
    at.button(key="take_step").click().run()
    trainer = at.session_state["trainer"]
    assert trainer.status == "diverged" and trainer.step == 0
    assert any("Training stopped" in w.value for w in at.warning)
    assert at.button(key="take_step").disabled
    assert not at.exception


def test_a_start_whose_logits_overflow_offers_no_step():
    at = open_step(std=1e38)
    assert at.session_state["trainer"].status == "diverged"
    assert any("Training cannot start" in w.value for w in at.warning)
    assert at.button(key="take_step").disabled
    assert not at.exception
