"""The Train page through Streamlit's AppTest: defaults, widgets by key, the buttons, live training
in the fragment (one slice per run, or a background thread at the fastest speed), threshold
changes, resets and divergence."""
import json
import time
from dataclasses import replace

import pytest
from streamlit.testing.v1 import AppTest

from mnist37.metrics import class_midpoint
from tests.apptest_nav import entrypoint_every_run, metric, open_page  # noqa: F401 (a fixture)
from mnist37.train import TrainConfig, Trainer

TIMEOUT = 120  # seconds per run: generous, the machine is shared


def live_charts(at) -> tuple[str, list, list]:
    """(element id, plotly figures, captions) of the page's live charts (pages.ui.live_chart)."""
    (e,) = [e for e in at.get("bidi_component") if e.proto.component_name == "mnist37_live_charts"]
    spec = json.loads(json.loads(e.proto.json)["spec"])
    return e.proto.id, spec["figs"], spec["captions"]


def test_live_charts_keep_their_identity_and_take_new_figures():
    """The live charts keep one element id across redraws (so the browser updates them in place
    instead of rebuilding them) while their figures follow the training."""
    at = open_train()
    id_before, before, captions = live_charts(at)
    at.button(key="step_button").click().run()
    id_after, after, _ = live_charts(at)
    assert id_before == id_after and len(before) == len(after) == len(captions) == 5
    assert [f["data"][0]["type"] for f in after] == ["scatter", "scatter", "heatmap", "bar", "heatmap"]
    assert before[2]["data"] != after[2]["data"]  # the weights moved
    assert "<b>The 784 weights</b>" in captions[2]


def train_to_end(at, timeout: float = 60.0) -> None:
    """Rerun (as the page's timer does) until the trainer has finished: at the fastest speed a
    thread trains between reruns, so this waits in real time, up to `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not at.session_state["trainer"].finished and time.monotonic() < deadline:
        time.sleep(0.05)
        at.run()
    at.run()  # it may have finished after this run read it: draw the final state

def open_train(**query) -> AppTest:
    at = open_page("pages/train.py", TIMEOUT, **query)
    assert not at.exception
    return at



def accuracy(at: AppTest) -> float:
    return float(metric(at, "Valid accuracy").rstrip("%")) / 100


def step(at: AppTest) -> int:
    return int(metric(at, "Step"))


def labels(at: AppTest) -> list[str]:
    return [b.label for b in at.button]


def test_page_runs_at_the_lessons_defaults():
    at = open_train()
    d = TrainConfig()
    assert at.title[0].value.startswith("Train")
    assert [m.label for m in at.metric][:4] == ["Valid accuracy", "Train loss", "Epoch", "Step"]
    assert step(at) == 0 and metric(at, "Epoch") == f"0 / {d.epochs}"
    assert 0.3 < accuracy(at) < 0.7  # random weights
    assert any("random" in i.value and "50 %" in i.value for i in at.info)
    assert at.select_slider(key="lr").value == d.lr
    assert at.slider(key="threshold").value == d.threshold
    assert at.number_input(key="bs").value == d.bs and at.number_input(key="epochs").value == d.epochs
    assert at.number_input(key="std").value == d.std and at.number_input(key="seed").value == d.seed
    assert at.radio(key="loss").value == d.loss and at.radio(key="positive").value == d.positive
    assert at.selectbox(key="source").value == d.source
    assert at.toggle(key="fit_threshold").value is False
    assert {"Train", "Step", "Epoch", "Reset"} <= set(labels(at))
    assert len(live_charts(at)[1]) == 5
    assert len(at.expander) >= 3  # the lesson's code for each view
    assert any("sigmoid(0) = **0.500**" in c.value for c in at.caption)


def test_sliders_set_by_key_reach_the_config_and_the_trainer():
    at = open_train()
    at.slider(key="threshold").set_value(1.0).run()
    at.select_slider(key="lr").set_value(0.1).run()
    at.number_input(key="epochs").set_value(5).run()
    cfg, trainer = at.session_state["config"], at.session_state["trainer"]
    assert (cfg.lr, cfg.threshold, cfg.epochs) == (0.1, 1.0, 5)
    assert trainer.cfg == cfg
    assert metric(at, "Epoch") == "0 / 5"
    assert any("sigmoid(1) = **0.731**" in c.value for c in at.caption)
    assert not at.exception


def test_step_advances_one_mini_batch_and_epoch_one_epoch():
    at = open_train()
    at.button(key="step_button").click().run()
    assert step(at) == 1 and metric(at, "Epoch").startswith("0 /")
    at.button(key="step_button").click().run()
    assert step(at) == 2
    at.button(key="epoch_button").click().run()
    assert metric(at, "Epoch").startswith("1 /")
    assert step(at) == at.session_state["trainer"].steps_per_epoch
    assert not at.exception


def test_clicks_act_once_per_click_and_again_when_stopped_halfway():
    """pages.ui.clicks.Clicks: a click delivered twice (Streamlit runs a button's callback in a
    fragment's timed rerun and in the click's own rerun) acts once; the next click, from a button
    drawn by a later run, acts; an action stopped halfway stays pending and is done again."""
    from pages.ui.clicks import Clicks

    clicks, acted = Clicks(), []
    drawn = clicks.draw()
    clicks.record("step", drawn)
    clicks.record("step", drawn)  # the same click, delivered again
    clicks.apply(acted.append)
    assert acted == ["step"] and not clicks.pending
    later = clicks.draw()
    clicks.record("step", later)
    clicks.record("pause", later)
    clicks.apply(acted.append)
    assert acted == ["step", "step", "pause"]

    class Stopped(BaseException):
        """What a rerun request raises at an st.* call (Streamlit's RerunException is a BaseException)."""

    def stopped_once(action):
        if not acted or acted[-1] != "stopped":
            acted.append("stopped")
            raise Stopped
        acted.append(action)

    clicks.record("epoch", clicks.draw())
    with pytest.raises(Stopped):
        clicks.apply(stopped_once)
    assert clicks.pending == [("epoch", 3)]
    clicks.apply(stopped_once)  # the next run
    assert acted[-2:] == ["stopped", "epoch"] and not clicks.pending

    def failing(action):
        raise ValueError(action)

    clicks.record("reset", clicks.draw())
    with pytest.raises(ValueError):
        clicks.apply(failing)
    assert not clicks.pending  # shown once, not tried again on every run


def test_a_rerun_requested_while_callbacks_run_stops_a_callback_but_not_a_recorded_click():
    """Why the Train page's buttons only record their clicks: Streamlit stops a callback at its first
    st.* call when a rerun request has arrived since the callbacks began (here another widget's
    callback leaves one, as a click's second delivery does on the Train page), and does not deliver
    that click again. Clicks.record makes no st.* call: the click is kept, and the script acts on it."""
    def script():
        import streamlit as st
        from streamlit.runtime.scriptrunner_utils.script_requests import RerunData
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

        from pages.ui.clicks import Clicks

        clicks = st.session_state.setdefault("clicks", Clicks())
        log = st.session_state.setdefault("log", [])  # appending to it is no st.* call

        def request_rerun():
            log.append("rerun requested")
            ctx = get_script_run_ctx()
            ctx.script_requests.request_rerun(RerunData(query_string=ctx.query_string,
                                                        page_script_hash=ctx.page_script_hash))

        def act_in_callback():
            log.append("act_in_callback entered")
            st.session_state["direct"] = st.session_state.get("direct", 0) + 1

        def act(action):
            st.session_state[action] = st.session_state.get(action, 0) + 1

        clicks.apply(act)
        drawn = clicks.draw()
        st.checkbox("Other", key="other", on_change=request_rerun)  # callbacks run in this order
        st.button("Step", key="step", on_click=clicks.record, args=("steps", drawn))
        st.button("Direct", key="direct_button", on_click=act_in_callback)
        st.write(f"steps={st.session_state.get('steps', 0)} direct={st.session_state.get('direct', 0)}")

    at = AppTest.from_function(script, default_timeout=TIMEOUT).run()
    at.checkbox(key="other").check()
    at.button(key="step").click()
    at.button(key="direct_button").click()
    at.run()
    assert not at.exception
    assert at.session_state["log"] == ["rerun requested", "act_in_callback entered"]  # both ran after it
    assert at.markdown[0].value == "steps=1 direct=0"  # the recorded click acted; the callback's write was lost


def test_train_then_reruns_raise_valid_accuracy_and_lr_changes_apply_without_reset():
    at = open_train()
    before = accuracy(at)
    at.button(key="train_button").click().run()
    assert "Pause" in labels(at) and "Train" not in labels(at)
    for _ in range(3):
        at.run()  # the fragment trains one slice per run
    mid = step(at)
    assert mid >= 10
    trainer = at.session_state["trainer"]
    at.select_slider(key="lr").set_value(0.5).run()  # while training
    assert at.session_state["trainer"] is trainer and trainer.cfg.lr == 0.5  # same model, new lr
    assert step(at) > mid  # and training went on
    for _ in range(3):
        at.run()
    assert accuracy(at) > max(before, 0.8)
    at.button(key="train_button").click().run()  # Pause
    assert "Train" in labels(at)
    paused = step(at)
    at.run()
    assert step(at) == paused
    assert not at.exception


def test_the_speed_is_kept_when_the_page_is_left_and_opened_again():
    at = open_train()
    at.select_slider(key="speed").set_value(20).run()
    at.switch_page("pages/draw.py").run()
    assert "speed" not in at.session_state  # Streamlit dropped the slider's own state
    at.switch_page("pages/train.py").run()
    assert at.select_slider(key="speed").value == 20
    assert not at.exception


def test_training_to_the_end_at_the_fastest_speed_turns_pause_back_into_train():
    at = open_train(epochs=3)
    at.select_slider(key="speed").set_value("fastest").run()
    at.button(key="train_button").click().run()
    deadline = time.monotonic() + 60
    while "Train" not in labels(at) and time.monotonic() < deadline:
        time.sleep(0.05)
        at.run()
    trainer = at.session_state["trainer"]
    assert trainer.status == "done" and metric(at, "Epoch") == "3 / 3"
    assert "Train" in labels(at)
    at.button(key="train_button").click().run()  # Train on a finished run says what to do
    assert any("Finished 3 epochs" in i.value for i in at.info)
    assert not at.exception


def test_fastest_trains_on_a_thread_between_redraws_takes_a_new_lr_and_stops_on_pause():
    at = open_train(epochs=200, bs=16)
    at.select_slider(key="speed").set_value("fastest").run()
    at.button(key="train_button").click().run()
    trainer, bg = at.session_state["trainer"], at.session_state["trainer_background"]
    assert bg.trainer is trainer and bg.running
    time.sleep(0.3)
    assert trainer.step > 0  # trained while no script ran
    at.select_slider(key="lr").set_value(0.5).run()  # while the thread trains
    assert at.session_state["trainer"] is trainer and trainer.cfg.lr == 0.5
    shown = step(at)
    time.sleep(0.2)
    at.run()
    assert step(at) > shown  # each redraw shows the thread's progress
    at.button(key="train_button").click().run()  # Pause
    assert "Train" in labels(at) and not bg.running and "trainer_background" not in at.session_state
    paused = trainer.step
    time.sleep(0.2)
    at.run()
    assert trainer.step == paused == step(at)
    assert not at.exception


def test_threshold_changes_valid_accuracy_without_training():
    at = open_train()
    at.button(key="epoch_button").click().run()
    at.button(key="epoch_button").click().run()
    steps, acc = step(at), accuracy(at)
    trainer = at.session_state["trainer"]
    at.slider(key="threshold").set_value(4.0).run()
    assert step(at) == steps and at.session_state["trainer"] is trainer
    assert accuracy(at) != acc
    assert accuracy(at) == pytest.approx(trainer.valid_accuracy(4.0), abs=0.0005)  # shown as 65.2%
    at.slider(key="threshold").set_value(0.0).run()
    assert accuracy(at) == acc and step(at) == steps


def test_changing_the_loss_resets_and_says_why():
    at = open_train()
    at.button(key="step_button").click().run()
    at.radio(key="loss").set_value("bce").run()
    assert step(at) == 0 and at.session_state["trainer"].cfg.loss == "bce"
    assert any("Reset to fresh random weights" in i.value and "loss" in i.value for i in at.info)
    assert not at.exception


def test_a_loss_that_overflows_stops_training_with_a_warning_and_a_reset_offer():
    at = open_train()
    at.radio(key="loss").set_value("bce").run()
    at.number_input(key="std").set_value(1e36).run()  # finite logits, but their mean loss overflows
    at.button(key="train_button").click().run()
    at.run()
    assert not at.exception
    assert at.session_state["trainer"].status == "diverged"
    warning = " ".join(w.value for w in at.warning)
    assert "Training stopped" in warning and "inf" in warning
    assert "Train" in labels(at)  # no longer running
    at.button(key="reset_after_divergence").click().run()
    assert not at.warning and at.session_state["trainer"].status == "ready"
    assert not at.exception


@pytest.mark.parametrize("how", ["widget", "link"])
def test_init_std_3e37_warns_at_once_that_training_cannot_start(how):
    """Finite random weights whose logits overflow: the warning shows before any training."""
    at = open_train(std="3e37") if how == "link" else open_train()
    if how == "widget":
        at.number_input(key="std").set_value(3e37).run()
    assert at.session_state["config"].std == 3e37
    assert not at.exception
    warning = " ".join(w.value for w in at.warning)
    assert "Training cannot start" in warning and "init std 3e+37" in warning
    assert at.button(key="reset_after_divergence")
    at.button(key="train_button").click().run()
    assert not at.exception and at.session_state["trainer"].step == 0
    assert "Train" in labels(at)  # Train did not start
    at.number_input(key="std").set_value(1.0).run()  # a sane std starts again from fresh weights
    assert not at.warning and at.session_state["trainer"].status == "ready"


def test_lr_10_with_cross_entropy_trains_without_diverging():
    """BCE's gradient is bounded (sigmoid - target), so even lr = 10 stays finite on this data."""
    at = open_train(epochs=3)
    at.select_slider(key="lr").set_value(10.0).run()
    at.radio(key="loss").set_value("bce").run()
    at.select_slider(key="speed").set_value("fastest").run()
    at.button(key="train_button").click().run()
    train_to_end(at)
    assert at.session_state["trainer"].status == "done"
    assert not at.warning and not at.exception
    assert accuracy(at) > 0.9


def test_train_for_this_threshold_shows_bias_and_logits_before_and_after():
    at = open_train()
    at.slider(key="threshold").set_value(3.0).run()
    at.toggle(key="fit_threshold").set_value(True).run()
    assert any(m.label == "Bias at step 0" for m in at.metric)
    at.select_slider(key="speed").set_value("fastest").run()
    at.button(key="train_button").click().run()
    train_to_end(at)
    trainer = at.session_state["trainer"]
    assert trainer.cfg.fit_threshold and trainer.status == "done"
    assert metric(at, "Bias now") == f"{trainer.params()[1]:+.3f}"
    # The same run without the option, read at the same threshold: worse, and its logits sit lower.
    plain = Trainer(replace(trainer.cfg, fit_threshold=False), trainer.data).run()
    assert accuracy(at) > plain.valid_accuracy(3.0)
    z, y = plain.valid_logits().numpy(), plain.valid_y.numpy()
    assert float(metric(at, "Logit midpoint now")) > class_midpoint(z, y) + 2  # moved by about 3
    assert not at.exception


def test_presentation_mode_hides_the_advanced_controls():
    at = open_train()
    at.session_state["presentation"] = True  # what the sidebar's "Presentation mode" toggle sets
    at.run()
    keys = {w.key for w in at.number_input} | {w.key for w in at.selectbox}
    assert "bs" not in keys and "std" not in keys and "seed" not in keys and "source" not in keys
    assert at.select_slider(key="lr").value == 1.0 and at.slider(key="threshold") is not None
    at.button(key="step_button").click().run()
    assert step(at) == 1 and at.session_state["config"].bs == 256
    assert not at.exception


@pytest.mark.parametrize("query", [{"lr": "0.3", "threshold": "-2.5"}, {"lr": "oops"}])
def test_settings_from_the_link(query):
    at = open_train(**query)
    cfg = at.session_state["config"]
    assert at.select_slider(key="lr").value == cfg.lr  # an lr off the grid is added to it
    assert at.slider(key="threshold").value == cfg.threshold
    assert not at.exception


def test_an_epoch_too_large_for_one_page_view_trains_live_within_the_budget():
    """bs=1: an epoch is 1,682 steps, within the budget; at bs 1 on a set 2.5 times larger it would not
    be. Simulated here by a smaller budget: the click trains at most a budget's worth, then the live
    views do the rest a budget per redraw, and stop at the epoch's end."""
    import pages.ui.train_run as run

    at = open_train(bs=1)
    budget, run.SYNC_BUDGET = run.SYNC_BUDGET, 500
    try:
        at.button(key="epoch_button").click().run()
        assert step(at) == 500 and at.session_state["train_running"] and labels(at)[0] == "Pause"
        for _ in range(5):
            at.run()  # the live views' timer
        t = at.session_state["trainer"]
        assert t.epoch == 1 and t.step == 1682 and not at.session_state["train_running"]
        assert labels(at)[0] == "Train" and metric(at, "Epoch").startswith("1 /")
    finally:
        run.SYNC_BUDGET = budget
    assert not at.exception


def test_the_confusion_matrix_follows_the_threshold_and_agrees_with_the_accuracy():
    at = open_train(epochs=3)
    at.button(key="epoch_button").click().run()
    for threshold in (0.0, 2.5):
        at.slider(key="threshold").set_value(threshold).run()
        conf = live_charts(at)[1][4]
        counts = [[int(t.split("</b>")[0][3:]) for t in row] for row in conf["data"][0]["text"]]
        (tp, fn), (fp, tn) = counts
        assert tp + fn + fp + tn == 420
        assert metric(at, "Valid accuracy") == f"{(tp + tn) / 420:.1%}"
        assert f"at threshold {threshold:g}" in conf["layout"]["title"]["text"]


def test_finished_and_reset_runs_are_kept_side_by_side_until_cleared():
    at = open_train(epochs=2)
    at.button(key="epoch_button").click().run()
    at.button(key="epoch_button").click().run()  # done: the run is kept
    at.button(key="reset_button").click().run()  # a fresh run; the done one is not kept twice
    at.button(key="step_button").click().run()
    at.button(key="reset_button").click().run()  # a reset run after one step is kept too
    assert "Runs side by side" in [s.value for s in at.subheader]
    rows = at.dataframe[0].value
    assert len(rows) == 2 and list(rows["status"]) == ["done", "training"]
    at.button(key="clear_runs").click().run()
    assert "Runs side by side" not in [s.value for s in at.subheader]


@pytest.mark.usefixtures("entrypoint_every_run")  # a button's value is read in the script: no routing rerun
def test_the_learning_rate_sweep_trains_every_rate_of_the_slider():
    at = open_train(epochs=2)
    at.button(key="sweep_button").click().run()
    assert not at.exception
    fig = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if "sweep_fig" in c.proto.id)
    assert len(fig["data"][0]["customdata"]) == 13
    assert any("Best: lr" in c.value for c in at.caption)
