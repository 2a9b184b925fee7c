"""mnist37.jobs: heavy runs once per key, in the background, shared, bounded; the budget of a page view."""
import threading

import numpy as np
import pytest
import torch

from mnist37 import data, jobs
from mnist37.baseline import compare_losses
from mnist37.config import TrainConfig
from mnist37.jobs import SYNC_BUDGET, Busy, Job, Jobs, run_cost
from mnist37.train import Trainer


@pytest.fixture(scope="module")
def ds():
    torch.set_num_threads(1)
    return data.load_embedded()


def test_run_cost_counts_steps_of_up_to_256_images():
    assert run_cost(TrainConfig(), 1682) == 20 * 7  # the lesson's run: well within the budget
    assert run_cost(TrainConfig(bs=1, epochs=200), 1682) == 336_400 > SYNC_BUDGET  # the link that tied up a server
    assert run_cost(TrainConfig(bs=4096), 1682) == 20 * 1 * 16
    assert run_cost(TrainConfig(bs=300, epochs=1), 600) == 2 * 2


def test_a_background_run_equals_the_plain_run_and_is_shared_by_key(ds):
    cfg = TrainConfig(epochs=3, seed=4)
    q = Jobs(duty=0.5)
    job = q.submit(("run", cfg), jobs.full_run(cfg, ds))
    assert q.submit(("run", cfg), jobs.full_run(cfg, ds)) is job  # a second session waits for the same job
    assert job.wait(60) and job.error is None and job.progress == 1.0
    want = Trainer(cfg, ds).run()
    assert np.array_equal(job.result.params()[0], want.params()[0]) and job.result.step == want.step


def test_the_loss_comparison_job_equals_compare_losses(ds):
    cfg = TrainConfig(epochs=2, seed=1)
    job = Jobs().submit("cmp", jobs.loss_comparison(cfg, ds), here=True)
    want = compare_losses(cfg, ds)
    assert job.done and {k: v["accuracy"] for k, v in job.result.items()} == {k: v["accuracy"] for k, v in want.items()}


def test_a_job_rests_for_its_share_of_the_time(monkeypatch):
    slept = []
    monkeypatch.setattr(jobs.time, "sleep", slept.append)
    clock = iter([10.0, 10.3])
    monkeypatch.setattr(jobs.time, "perf_counter", lambda: next(clock))
    assert Job("k", None, duty=0.25).rest(9.9) == 10.3  # 0.1 s of work, then three times as long at rest
    assert slept == [pytest.approx(0.3)]


def test_errors_are_kept_and_the_queue_is_bounded():
    q = Jobs(max_pending=2)
    gate, started = threading.Event(), threading.Event()
    blocker = q.submit("block", lambda job: started.set() or gate.wait(30))
    assert started.wait(30)  # the worker runs it: it no longer waits in the queue
    failing = q.submit("fail", lambda job: 1 / 0)
    waiting = q.submit("wait", lambda job: "ok")
    with pytest.raises(Busy, match="busy with 2 long runs"):
        q.submit("one more", lambda job: None)
    gate.set()
    assert blocker.wait(30) and failing.wait(30) and waiting.wait(30)
    assert isinstance(failing.error, ZeroDivisionError) and waiting.result == "ok"


def test_only_the_newest_finished_results_are_kept():
    q = Jobs(max_results=2)
    for i in range(4):
        q.submit(i, lambda job, i=i: i, here=True)
    assert q.submit(3, lambda job: "again", here=True).result == 3  # still known
    assert q.submit(0, lambda job: "again", here=True).result == "again"  # evicted, computed anew


def test_a_cancelled_job_stops_at_its_next_rest(ds):
    cfg = TrainConfig(bs=1, epochs=200)
    job = Jobs().submit("long", jobs.full_run(cfg, ds))
    job.cancel()
    assert job.wait(30) and isinstance(job.error, jobs.Cancelled) and job.progress < 0.1



def test_the_sweep_job_equals_the_sweep(ds):
    from mnist37.sweep import sweep

    cfg = TrainConfig(epochs=2)
    job = Jobs().submit("sweep", jobs.lr_sweep(cfg, ds))
    assert job.wait(120) and job.error is None
    assert job.result == sweep(cfg, ds)
    assert jobs.sweep_cost(TrainConfig(), 1682) == 13 * 140
