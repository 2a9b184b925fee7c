"""Heavy computations, once per configuration per server process, in the background.

A page view may only do a bounded amount of work itself: `SYNC_BUDGET` steps of SGD (counted in
mini-batches of up to 256 images, see `run_cost`). A run that costs more — a shared link with
bs=1 and 200 epochs is 336,400 steps — becomes a `Job`: one worker thread per process runs the
jobs one after another, each keyed by what it computes, so every session that asks for the same
thing shares one run and its result. The worker trains in short chunks and rests between them
(`duty`, a quarter of the time), so it never takes more than a share of the process from the
sessions that are drawing.
"""
from __future__ import annotations

import atexit
import math
import threading
import time
import weakref
from collections import OrderedDict
from typing import Callable, Hashable

from .baseline import compare_losses
from .config import LR_GRID, TrainConfig
from .data import Dataset
from .sweep import sweep
from .train import Trainer

SYNC_BUDGET = 2_000  # SGD steps (of up to 256 images) a page view may run itself, about a second
MAX_PENDING = 8  # jobs waiting at once; beyond that a page says the server is busy
MAX_RESULTS = 32  # finished jobs kept (the oldest go first)
CHUNK_SECONDS = 0.02  # a background job trains this long between rests


def step_cost(bs: int) -> int:
    """One SGD step in budget units: a batch of up to 256 images is one."""
    return math.ceil(bs / 256)


def run_cost(cfg: TrainConfig, n_train: int) -> int:
    """The work of a full run, in SGD steps of up to 256 images: epochs × steps per epoch,
    a step of a larger batch counting as several."""
    return cfg.epochs * math.ceil(n_train / cfg.bs) * step_cost(cfg.bs)


class Cancelled(RuntimeError):
    """A job stopped by `Job.cancel`."""


class Busy(RuntimeError):
    """Too many jobs are waiting; the message is one sentence for the page."""


class Job:
    """One computation: its progress (0..1), then its result or its error. Its work calls
    `rest(started)` between chunks, which keeps it to its share (`duty`) of the time."""

    def __init__(self, key: Hashable, work: Callable[["Job"], object], duty: float = 1.0):
        self.key, self._work, self.duty = key, work, duty
        self.progress = 0.0
        self.result: object = None
        self.error: BaseException | None = None
        self._done = threading.Event()
        self._cancel = threading.Event()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def cancel(self) -> None:
        """Stop the work at its next rest (it ends with a Cancelled error)."""
        self._cancel.set()

    def rest(self, started: float) -> float:
        """Between chunks of work begun at `started` (perf_counter): sleep long enough that the
        work keeps at most `duty` of the time. Returns the next chunk's start."""
        if self._cancel.is_set():
            raise Cancelled("the job was cancelled")
        if self.duty < 1.0:
            time.sleep((time.perf_counter() - started) * (1 - self.duty) / self.duty)
        return time.perf_counter()

    def _execute(self) -> None:
        try:
            self.result = self._work(self)
            self.progress = 1.0
        except Exception as e:  # shown by the page that waits for it
            self.error = e
        self._done.set()


_ALL: "weakref.WeakSet[Jobs]" = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    """Before the interpreter shuts down: a thread killed inside a torch call aborts the process."""
    for jobs in list(_ALL):
        jobs.shutdown()


class Jobs:
    """The process's job queue and its finished results (see the module's docstring)."""

    def __init__(self, duty: float = 0.25, max_pending: int = MAX_PENDING, max_results: int = MAX_RESULTS):
        self.duty = duty
        self.max_pending, self.max_results = max_pending, max_results
        self._jobs: OrderedDict[Hashable, Job] = OrderedDict()
        self._queue: list[Job] = []
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._worker: threading.Thread | None = None
        self._running: Job | None = None
        self._closed = False
        _ALL.add(self)

    def shutdown(self) -> None:
        """Cancel what runs and waits, and stop the worker thread."""
        with self._lock:
            self._closed = True
            for job in self._queue + [self._running] * (self._running is not None):
                job.cancel()
            self._wake.notify_all()
            worker = self._worker
        if worker is not None and worker is not threading.current_thread():
            worker.join(timeout=10)

    def submit(self, key: Hashable, work: Callable[[Job], object], here: bool = False) -> Job:
        """The job for `key`: the one already known, or a new one that runs `work(job)`, queued
        for the worker thread, or `here` in the caller's thread (for work within the budget)."""
        with self._lock:
            job = self._jobs.get(key)
            if job is not None:
                self._jobs.move_to_end(key)
                return job
            if self._closed:
                raise Busy("The server is shutting down.")
            if here:
                job = self._jobs[key] = Job(key, work)
                self._evict()
            else:
                return self._enqueue(key, work)
        job._execute()  # outside the lock: other sessions' submits go on meanwhile
        return job

    def _enqueue(self, key: Hashable, work: Callable[[Job], object]) -> Job:
        """A new job for the worker thread (the caller holds the lock)."""
        if len(self._queue) >= self.max_pending:
            raise Busy(f"The server is already busy with {len(self._queue)} long runs for other pages; "
                       f"try again in a minute.")
        job = self._jobs[key] = Job(key, work, self.duty)
        self._queue.append(job)
        self._evict()
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._run, name="mnist37-jobs", daemon=True)
            self._worker.start()
        self._wake.notify()
        return job

    def _evict(self) -> None:
        finished = [k for k, j in self._jobs.items() if j.done]
        for k in finished[:max(0, len(finished) - self.max_results)]:
            del self._jobs[k]

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._queue and not self._closed:
                    if not self._wake.wait(timeout=60):
                        self._worker = None
                        return
                if self._closed:
                    self._worker = None
                    return
                job = self._running = self._queue.pop(0)
            job._execute()
            with self._lock:
                self._running = None


def _train(job: Job, t: Trainer, done_before: float = 0.0, share: float = 1.0) -> Trainer:
    """Train `t` to the end in short chunks, resting between them; the job's progress goes from
    `done_before` to `done_before + share`."""
    total, start = max(1, t.total_steps), time.perf_counter()
    while not t.finished:
        t.advance(seconds=CHUNK_SECONDS)
        job.progress = done_before + share * min(1.0, t.step / total)
        start = job.rest(start)
    return t


def full_run(cfg: TrainConfig, data: Dataset) -> Callable[[Job], Trainer]:
    """Work for a job: `Trainer(cfg, data).run()`, in chunks, with progress."""
    return lambda job: _train(job, Trainer(cfg, data))


def loss_comparison(cfg: TrainConfig, data: Dataset) -> Callable[[Job], dict]:
    """Work for a job: `mnist37.baseline.compare_losses`, each of its two runs in chunks."""
    return lambda job: compare_losses(cfg, data, run=lambda t, i: _train(job, t, i / 2, 0.5))


def lr_sweep(cfg: TrainConfig, data: Dataset) -> Callable[[Job], list]:
    """Work for a job: `mnist37.sweep.sweep` over the learning-rate grid, each run in chunks."""
    n = len(LR_GRID)
    return lambda job: sweep(cfg, data, train=lambda t, i: _train(job, t, i / n, 1 / n))


def sweep_cost(cfg: TrainConfig, n_train: int) -> int:
    """The work of a learning-rate sweep: one full run per rate of the grid."""
    return len(LR_GRID) * run_cost(cfg, n_train)

