"""How often live views redraw when many learners train at once on one server process.

Every session's live view asks `Pacer.interval()` before it redraws. The pacer watches the CPU the
whole process uses: while it stays under `budget` (a fraction of one core) every view redraws at
the base interval; above it, the interval grows for every session alike, so a saturated server
slows all live views evenly and keeps room for everything else (a Decision on the Draw page, a
click). Intervals come from a short ladder, so a browser's timer changes only now and then.
"""
from __future__ import annotations

import os
import threading
import time
from typing import Callable

LADDER = (0.2, 0.25, 0.33, 0.4, 0.5, 0.67, 0.8, 1.0, 1.25, 1.5, 2.0)  # seconds between redraws


def _budget_from_env() -> float:
    """MNIST37_LIVE_CPU_BUDGET: the share of one core live views may keep busy (default 0.6)."""
    try:
        value = float(os.environ.get("MNIST37_LIVE_CPU_BUDGET", "0.6"))
    except ValueError:
        return 0.6
    return min(max(value, 0.05), 4.0)


class Pacer:
    """A process-wide redraw interval that follows the process's CPU use.

    `cpu` and `clock` are injectable for tests: CPU seconds used by the process, and wall seconds.
    Every `window` seconds the pacer compares the CPU used in that window with the budget; over
    it, or under `relax` × budget, it moves up to two rungs toward the interval that would bring
    the load back between the two.
    """

    def __init__(self, budget: float | None = None, window: float = 1.0, relax: float = 0.75,
                 cpu: Callable[[], float] = time.process_time, clock: Callable[[], float] = time.monotonic):
        self.budget = _budget_from_env() if budget is None else budget
        self.window, self.relax = window, relax
        self._cpu, self._clock = cpu, clock
        self._lock = threading.Lock()
        self._rung = 0
        self._t0 = self._c0 = None  # the first redraw starts the first window
        self.load = 0.0  # CPU used per wall second in the last full window

    @property
    def base(self) -> float:
        return LADDER[0]

    def interval(self) -> float:
        """Seconds between two redraws of a live view, for every session of this process."""
        with self._lock:
            now = self._clock()
            if self._t0 is None:
                self._t0, self._c0 = now, self._cpu()
            elapsed = now - self._t0
            if elapsed >= self.window:
                cpu = self._cpu()
                self.load = (cpu - self._c0) / elapsed
                self._t0, self._c0 = now, cpu
                if elapsed > 5 * self.window:  # nobody redrew for a while: start afresh
                    self._rung = 0
                else:
                    # Redraw work scales with 1 / interval: aim between relax × budget and budget.
                    want = LADDER[self._rung] * self.load / (self.budget * (1 + self.relax) / 2)
                    target = next((i for i, v in enumerate(LADDER) if v >= want), len(LADDER) - 1)
                    if self.load > self.budget or self.load < self.relax * self.budget:
                        self._rung += max(-2, min(2, target - self._rung))
            return LADDER[self._rung]


PACER = Pacer()  # one per server process: all its sessions share it
