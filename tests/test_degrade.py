"""A saturated server slows every live view evenly: with a tiny CPU budget for live redraws, the
pacer lengthens every student's redraw interval alike, each student still sees progress, training
goes on between redraws, and nobody gets an error."""
from __future__ import annotations

import asyncio

from harness.server import StreamlitServer
from harness.student import Student, run_alone
from mnist37.pacing import LADDER

LONG = 120.0


def test_a_busy_server_slows_every_live_view_alike_and_keeps_training():
    server = StreamlitServer(env={"MNIST37_LIVE_CPU_BUDGET": "0.05"})  # a budget a few students exceed

    async def go():
        students = [Student(server.url, f"/train?seed={i}&epochs=200") for i in range(4)]
        try:
            for s in students:
                await s.open(LONG)
                await s.click("Train")
            for s in students:  # the pacer's first windows pass, and the browsers get a longer interval
                await s.wait_for(lambda s: (s.auto_rerun_interval or 0) > LADDER[0], LONG)
            before = [(len(s.redraws), int(s.metric("Step"))) for s in students]
            await asyncio.sleep(6)
            for s, (redraws, step) in zip(students, before):
                assert len(s.redraws) > redraws  # still redrawing
                assert int(s.metric("Step")) > step  # and training
                assert not s.errors
            intervals = {s.auto_rerun_interval for s in students}
            assert len(intervals) <= 2 and min(intervals) > LADDER[0], intervals  # alike (one may lag a rung)
        finally:
            for s in students:
                await s.close()

    try:
        run_alone(go(), 4 * LONG)
    finally:
        server.stop()


def test_a_tick_queued_behind_a_redraw_gets_that_redraw_again_without_training():
    """Two timer ticks back to back (the second arrives while the first's run is being made): the
    second run sends the same view again, whatever of the first the server had not sent, and trains
    nothing; the next regular tick trains on."""
    server = StreamlitServer()

    async def go():
        s = Student(server.url, "/train?seed=1&epochs=200")
        try:
            await s.open(LONG)
            await s.click("Train")
            await s.wait_for(lambda s: s.auto_rerun_interval is not None and len(s.redraws) > 3, LONG)
            fragment = next(iter(s._timers))
            s._stop_timer(fragment)  # the test sends the ticks now
            await asyncio.sleep(1)
            runs = len(s.redraws)
            await s._rerun(fragment, auto=True)
            await s._rerun(fragment, auto=True)
            await s.wait_for(lambda s: len(s.redraws) >= runs + 2 and not s.running, LONG)
            first, second = s.redraws[runs], s.redraws[-1]
            assert second.watched == first.watched  # the same step shown again
            await asyncio.sleep(0.5)
            await s._rerun(fragment, auto=True)
            await s.wait_for(lambda s: len(s.redraws) > runs + 2 and not s.running, LONG)
            assert int(s.redraws[-1].watched) > int(second.watched)  # a regular tick trains on
            assert not s.errors
        finally:
            await s.close()

    try:
        run_alone(go(), 4 * LONG)
    finally:
        server.stop()
