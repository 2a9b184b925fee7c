"""mnist37.pacing: live views slow down together when the process is busy, and speed up again."""
from mnist37.pacing import LADDER, Pacer


class Fake:
    """A clock and a CPU counter that the test moves by hand."""

    def __init__(self):
        self.now = self.cpu = 0.0

    def run(self, seconds: float, load: float) -> None:
        self.now += seconds
        self.cpu += seconds * load


def pacer(budget=0.6):
    f = Fake()
    return f, Pacer(budget=budget, window=1.0, cpu=lambda: f.cpu, clock=lambda: f.now)


def test_under_budget_the_interval_stays_at_the_base():
    f, p = pacer()
    for _ in range(10):
        f.run(1.0, 0.4)
        assert p.interval() == LADDER[0]


def test_over_budget_it_grows_and_comes_back_when_the_load_falls():
    f, p = pacer()
    seen = []
    for _ in range(6):
        f.run(1.0, 1.0 * LADDER[0] / p.interval())  # the load a fixed class makes: it falls as the interval grows
        seen.append(p.interval())
    assert seen[0] > LADDER[0] and seen == sorted(seen)
    assert 0.6 * 0.75 <= 1.0 * LADDER[0] / seen[-1] <= 0.6 + 1e-9  # settled within the budget
    for _ in range(6):
        f.run(1.0, 0.05)
        last = p.interval()
    assert last == LADDER[0]


def test_it_never_goes_past_the_ladder_and_resets_after_a_quiet_spell():
    f, p = pacer()
    for _ in range(20):
        f.run(1.0, 5.0)
        p.interval()
    assert p.interval() == LADDER[-1]
    f.run(30.0, 0.0)
    assert p.interval() == LADDER[0]


def test_work_done_before_the_first_redraw_does_not_count():
    f, p = pacer()
    f.run(3.0, 1.0)  # the server's warm-up, before any live view
    assert p.interval() == LADDER[0]
    f.run(1.0, 0.3)
    assert p.interval() == LADDER[0]
