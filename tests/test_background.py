"""mnist37.background: the Train page's "fastest" speed trains on a thread while the page reads."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from mnist37 import data
from mnist37.background import BackgroundTraining
from mnist37.train import TrainConfig, Trainer


@pytest.fixture(scope="module")
def ds():
    return data.load_embedded()


def wait_until(cond, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_the_thread_trains_exactly_what_the_cli_trains(ds):
    cfg = TrainConfig(epochs=3)
    bg = BackgroundTraining(Trainer(cfg, ds), chunk_seconds=0.001)
    bg.start()
    wait_until(lambda: not bg.running)
    cli = Trainer(cfg, ds).run()
    assert bg.error is None and bg.trainer.status == "done" and bg.trainer.step == cli.step
    np.testing.assert_array_equal(bg.trainer.params()[0], cli.params()[0])
    assert bg.trainer.params()[1] == cli.params()[1]
    assert bg.trainer.step_loss == cli.step_loss


def test_holding_pauses_training_and_keep_alive_renews_the_lease(ds):
    bg = BackgroundTraining(Trainer(TrainConfig(epochs=200, bs=16), ds), chunk_seconds=0.005, lease=0.5)
    bg.start()
    wait_until(lambda: bg.trainer.step > 0)
    with bg.holding() as t:
        step = t.step
        time.sleep(0.1)
        assert t.step == step  # nothing moves while a reader holds it
    wait_until(lambda: bg.trainer.step > step)
    for _ in range(8):  # 0.8 s > the lease: still running, because the page keeps asking
        bg.keep_alive()
        time.sleep(0.1)
    assert bg.running
    wait_until(lambda: not bg.running, timeout=5)  # nobody asks: the lease runs out
    assert not bg.trainer.finished and bg.error is None


def test_stop_returns_with_the_trainer_still(ds):
    bg = BackgroundTraining(Trainer(TrainConfig(epochs=200, bs=16), ds), chunk_seconds=0.005)
    bg.start()
    wait_until(lambda: bg.trainer.step > 0)
    bg.stop()
    step = bg.trainer.step
    time.sleep(0.1)
    assert bg.trainer.step == step
    bg.start()  # and it can go on from there, at once (the stopped thread does not come back)
    wait_until(lambda: bg.trainer.step > step)
    bg.stop()
    wait_until(lambda: not bg.running, timeout=5)


def test_stop_from_inside_holding_does_not_deadlock(ds):
    bg = BackgroundTraining(Trainer(TrainConfig(epochs=200, bs=16), ds), chunk_seconds=0.005)
    bg.start()
    wait_until(lambda: bg.trainer.step > 0)
    done = threading.Event()

    def reader():
        with bg.holding():
            bg.stop()
        done.set()

    threading.Thread(target=reader, daemon=True).start()
    assert done.wait(5)
    wait_until(lambda: not bg.running, timeout=5)


def test_divergence_ends_the_thread_with_the_trainer_s_message(ds):
    bg = BackgroundTraining(Trainer(TrainConfig(std=1e36, loss="bce"), ds))  # the loss overflows at step 1
    bg.start()
    wait_until(lambda: not bg.running)
    assert bg.trainer.status == "diverged" and "Training stopped" in bg.trainer.message and bg.error is None
    bg.start()  # a finished trainer: nothing to run
    assert not bg.running


def test_an_exception_in_training_is_kept_for_the_page(ds):
    t = Trainer(TrainConfig(epochs=3), ds)

    def broken():
        raise RuntimeError("boom")

    t.train_step = broken
    bg = BackgroundTraining(t)
    bg.start()
    wait_until(lambda: not bg.running)
    assert isinstance(bg.error, RuntimeError)
