"""Train on a thread while a page reads the model: the Train page's "fastest" speed.

The page redraws a few times a second. Training only inside those redraws (a slice of training,
then the figures) leaves the CPU idle while the browser draws and the server sends; a thread keeps
the same Trainer stepping in between, so the page's throughput stays close to the CLI's. The
thread runs the Trainer's own `advance` (the same loop the CLI and the tests run) in short chunks;
between chunks a reader can take the lock and see a consistent model: `with bg.holding() as t:`.

The thread stops by itself when the run is done or diverged, when `stop()` is called, or when
nobody has called `keep_alive()` for `lease` seconds (a closed browser tab stops asking), so an
abandoned session never trains on in the background.
"""
from __future__ import annotations

import atexit
import threading
import time
import weakref
from contextlib import contextmanager
from typing import Iterator

from .train import Trainer


_ALL: "weakref.WeakSet[BackgroundTraining]" = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    """Before the interpreter shuts down: a thread killed inside a torch call aborts the process."""
    for bg in list(_ALL):
        bg._stop.set()
        if bg._thread is not None and bg._thread is not threading.current_thread():
            bg._thread.join(timeout=5)


class BackgroundTraining:
    def __init__(self, trainer: Trainer, chunk_seconds: float = 0.02, lease: float = 2.0):
        self.trainer = trainer
        self.chunk_seconds = chunk_seconds
        self.lease = lease
        self.error: BaseException | None = None  # what stopped the thread, if it was not a normal end
        self._lock = threading.RLock()
        self._stop = threading.Event()  # the current thread's: a thread stopped late never resumes
        self._waiting = 0  # readers waiting for the lock: the thread lets them in between chunks
        self._count = threading.Lock()  # guards _waiting
        self._alive_until = 0.0
        self._thread: threading.Thread | None = None
        _ALL.add(self)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def keep_alive(self) -> None:
        self._alive_until = time.monotonic() + self.lease

    def start(self) -> None:
        """Train on (or go on training) for at least `lease` more seconds."""
        self.keep_alive()
        if (not self.running or self._stop.is_set()) and not self.trainer.finished:
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._run, args=(self._stop,), name="mnist37-training",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop; once this returns the thread will not touch the trainer again (a chunk in progress
        ends first; it holds the lock, so a caller already holding it has no chunk in progress)."""
        self._stop.set()
        with self.holding():
            pass

    @contextmanager
    def holding(self) -> Iterator[Trainer]:
        """The trainer, with the thread paused between two chunks for as long as this lasts."""
        with self._count:
            self._waiting += 1
        try:
            with self._lock:
                yield self.trainer
        finally:
            with self._count:
                self._waiting -= 1

    def _run(self, stop: threading.Event) -> None:
        t = self.trainer
        try:
            while not stop.is_set() and time.monotonic() < self._alive_until:
                if self._waiting:
                    time.sleep(0.001)  # a reader wants the lock: let it take it
                    continue
                with self._lock:
                    if t.finished or stop.is_set():
                        break
                    t.advance(seconds=self.chunk_seconds)
        except BaseException as e:  # shown by the page; the thread must not die silently
            self.error = e
