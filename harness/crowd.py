"""A crowd of simulated students in one process (one asyncio loop), driven through stdin/stdout so
a benchmark can run it beside a browser and measure its CPU apart:

    python -m harness.crowd --url URL --n N [--path "/train?seed={i}&epochs=200"] [--press Train]

Each student i opens the path (with {i} filled in), presses the button and waits until the live
fragment's timer runs. The crowd then prints `READY`; the window runs until a line arrives on
stdin; then it prints one JSON line: per student the redraws, the rerun requests, the finished runs
and those that came incomplete per second in the window, the watched metric at its ends, the timer's
interval at the end (None once training stopped) and any errors; and exits (closing every websocket).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from harness.student import FINISHED, Student

# The server ends a run this way when it was stopped for a rerun, or when the next run began before
# all of its deltas were sent (the unsent ones are dropped from the send queue).
EARLY = FINISHED.FINISHED_EARLY_FOR_RERUN
OPEN_TIMEOUT = 120.0  # seconds: N first runs of the page queue on a loaded server


async def start(url: str, path: str, press: list[str]) -> Student:
    """A student opens `path` and presses the buttons `press` in turn (the last starts live
    training: it waits for the fragment's timer)."""
    s = Student(url, path)
    try:
        await s.open(OPEN_TIMEOUT)
        for i, label in enumerate(press):
            runs = len(s.redraws)
            await s.click(label)
            if i < len(press) - 1:
                await s.wait_for(lambda s: len(s.redraws) > runs and not s.running, OPEN_TIMEOUT)
        if press:
            await s.wait_for(lambda s: s.auto_rerun_interval is not None, OPEN_TIMEOUT)
    except Exception as e:  # noqa: BLE001  (reported per student; the others go on)
        s.errors.append(f"{type(e).__name__}: {e}")
    return s


async def run(url: str, n: int, path: str, press: list[str], ramp: float) -> None:
    loop = asyncio.get_running_loop()
    students = await asyncio.gather(*(start(url, path.format(i=i), press) for i in range(n)))
    await asyncio.sleep(ramp)
    t0 = time.monotonic()
    first = [(s.metric(s.watch), s.sent) for s in students]
    print("READY", flush=True)
    await loop.run_in_executor(None, sys.stdin.readline)
    t1 = time.monotonic()
    out = [{"redraws_per_s": round(s.redraw_rate(t0, t1), 3), "requests_per_s": round((s.sent - sent) / (t1 - t0), 3),
            "runs_per_s": round(sum(t0 <= r.t <= t1 for r in s.redraws) / (t1 - t0), 3),
            "dropped_per_s": round(sum(t0 <= r.t <= t1 and r.status == EARLY for r in s.redraws) / (t1 - t0), 3),
            "watched": [watched, s.metric(s.watch)], "interval": s.auto_rerun_interval, "errors": s.errors[:3]}
           for s, (watched, sent) in zip(students, first)]
    print(json.dumps({"seconds": round(t1 - t0, 3), "students": out}), flush=True)
    await asyncio.gather(*(s.close() for s in students), return_exceptions=True)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", required=True)
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--path", default="/train?seed={i}&epochs=200")
    p.add_argument("--press", action="append", help="label of a button each student presses, in turn "
                                                    "(default: Train; the last one starts live training)")
    p.add_argument("--ramp", type=float, default=3.0, help="seconds between the last press and READY")
    a = p.parse_args(argv)
    asyncio.run(run(a.url, a.n, a.path, [b for b in (a.press or ["Train"]) if b], a.ramp))


if __name__ == "__main__":
    main()
