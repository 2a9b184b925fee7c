"""How often live views redraw when many learners train at once on one server process.

Every live view asks `Pacer.interval(session)` before it redraws and reports `Pacer.took(seconds)`
after. The pacer counts the sessions that are redrawing and measures what a redraw costs the
process (all its CPU over all redraws, in the last window) and how long one takes from start to end
(longer than its CPU when other threads or processes hold the CPU); it then gives every session
the same interval: the shortest at which all of them together stay within `budget` (a share of one
core), and at least `spread` times a redraw's duration, so that a browser's next tick seldom comes
while its last redraw is still being made (the next run would then start at once and drop what the
last one had not sent). A busy server so slows every live view evenly, and keeps room for everything
else (a Decision on the Draw page, a click, sending the redraws). Intervals come from a short
ladder, so a browser's timer changes only now and then.
"""
from __future__ import annotations

import math
import os
import threading
import time
from typing import Callable, Hashable

LADDER = (0.2, 0.25, 0.33, 0.4, 0.5, 0.67, 0.8, 1.0, 1.25, 1.5, 2.0)  # seconds between redraws


def _budget_from_env() -> float:
    """MNIST37_LIVE_CPU_BUDGET: the share of one core live views may keep busy (default 0.75)."""
    try:
        value = float(os.environ.get("MNIST37_LIVE_CPU_BUDGET", "0.75"))
    except ValueError:
        return 0.75
    return min(max(value, 0.05), 4.0) if math.isfinite(value) else 0.75


class Pacer:
    """A process-wide redraw interval: sessions × cost of a redraw ÷ budget, on the ladder.

    `cpu` and `clock` are injectable for tests: CPU seconds used by the process, and wall seconds.
    A session counts as redrawing while it asked within the last `window` × 2 seconds; the cost of
    a redraw is the process's CPU per redraw over the last full window, smoothed.
    """

    def __init__(self, budget: float | None = None, window: float = 1.0, smooth: float = 0.5, spread: float = 4.0,
                 cpu: Callable[[], float] = time.process_time, clock: Callable[[], float] = time.monotonic):
        self.budget = _budget_from_env() if budget is None else budget
        self.window, self.smooth, self.spread = window, smooth, spread
        self._cpu, self._clock = cpu, clock
        self._lock = threading.Lock()
        self._seen: dict[Hashable, float] = {}  # session -> when it last asked
        self._t0 = self._c0 = None  # the current window's start (the first redraw starts the first)
        self._redraws = 0  # in the current window
        self.cost = 0.0  # CPU seconds per redraw (smoothed), 0 until measured
        self.duration = 0.0  # wall seconds from a redraw's start to its end (smoothed)
        self._interval = LADDER[0]

    @property
    def base(self) -> float:
        return LADDER[0]

    @property
    def sessions(self) -> int:
        return len(self._seen)

    def interval(self, session: Hashable = None) -> float:
        """Seconds between two redraws of a live view, the same for every session of this process;
        called once per redraw by each session (`session` names it)."""
        with self._lock:
            now = self._clock()
            self._seen[session] = now
            if self._t0 is None or now - self._t0 > 5 * self.window:  # the first redraw, or a quiet spell
                self._t0, self._c0, self._redraws = now, self._cpu(), 0
            self._redraws += 1
            if now - self._t0 >= self.window:
                cpu = self._cpu()
                measured = (cpu - self._c0) / max(self._redraws, 1)
                self.cost = measured if not self.cost else self.smooth * self.cost + (1 - self.smooth) * measured
                self._t0, self._c0, self._redraws = now, cpu, 0
                gone = [s for s, t in self._seen.items() if now - t > 2 * max(self.window, self._interval)]
                for s in gone:
                    del self._seen[s]
                want = max(len(self._seen) * self.cost / self.budget, self.spread * self.duration)
                self._interval = next((v for v in LADDER if v >= want), LADDER[-1])
            return self._interval


    def took(self, seconds: float) -> None:
        """A redraw has ended, `seconds` after it began."""
        with self._lock:
            self.duration = seconds if not self.duration else self.smooth * self.duration + (1 - self.smooth) * seconds


PACER = Pacer()  # one per server process: all its sessions share it
