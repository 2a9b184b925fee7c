"""mnist37.pacing: live views slow down together when a redraw costs the server more than its
budget allows for the sessions redrawing, and speed up again."""
import pytest

from mnist37.pacing import LADDER, Pacer


class Fake:
    """A clock and a CPU counter that the test moves by hand."""

    def __init__(self):
        self.now = self.cpu = 0.0


def redraw_for(f: Fake, p: Pacer, sessions: int, seconds: float, cost: float) -> float:
    """`sessions` live views, each redrawing at the pacer's interval for `seconds`, each redraw
    costing the process `cost` CPU seconds; returns the interval at the end."""
    due = {s: f.now for s in range(sessions)}
    end = f.now + seconds
    while f.now < end:
        s = min(due, key=due.get)
        f.now = max(f.now, due[s])
        f.cpu += cost
        due[s] = f.now + p.interval(s)
    return p.interval(0)


def pacer(budget=0.6):
    f = Fake()
    return f, Pacer(budget=budget, window=1.0, cpu=lambda: f.cpu, clock=lambda: f.now)


def test_a_few_sessions_redraw_at_the_base_interval():
    f, p = pacer()
    assert redraw_for(f, p, sessions=5, seconds=10, cost=0.015) == LADDER[0]  # 5 x 5/s x 15 ms = 0.375 cores


def test_many_sessions_share_the_budget_evenly_and_recover_when_they_leave():
    f, p = pacer()
    interval = redraw_for(f, p, sessions=30, seconds=20, cost=0.015)
    assert interval == next(v for v in LADDER if v >= 30 * 0.015 / 0.6)  # 0.75 s -> the 0.8 rung
    assert p.sessions == 30 and p.cost == pytest.approx(0.015, rel=0.02)
    assert 30 * 0.015 / interval <= 0.6  # within the budget
    f.now += 5  # 25 of them stop training
    assert redraw_for(f, p, sessions=5, seconds=10, cost=0.015) == LADDER[0]
    assert p.sessions == 5


def test_it_never_goes_past_the_ladder():
    f, p = pacer()
    assert redraw_for(f, p, sessions=100, seconds=20, cost=0.05) == LADDER[-1]


def test_work_done_before_the_first_redraw_does_not_count():
    f, p = pacer()
    f.now, f.cpu = 3.0, 3.0  # the server's warm-up, before any live view
    assert redraw_for(f, p, sessions=2, seconds=5, cost=0.01) == LADDER[0]
    assert p.cost == pytest.approx(0.01, rel=0.02)


def test_redraws_that_take_long_spread_out_even_within_the_budget():
    f, p = pacer()
    for _ in range(3):
        p.took(0.1)  # the CPU is cheap, but other processes keep this one waiting
    assert redraw_for(f, p, sessions=2, seconds=5, cost=0.005) == 0.4  # at least 4 x 0.1 s apart
