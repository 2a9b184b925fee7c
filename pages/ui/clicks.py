"""Button clicks that a page's script acts on, once per click, even when Streamlit delivers a
click twice or stops a run halfway."""
from __future__ import annotations

from typing import Callable


class Clicks:
    """A page's button clicks: the buttons' callbacks record them, the page's script acts on them.

    Streamlit stops a callback at its first st.* call (st.session_state included) when a rerun
    request arrives while callbacks run, and does not deliver that click again; and a click that
    lands as a fragment's timer fires is delivered twice (in the timed rerun and in its own). So
    `record`, the callback, only appends to a plain list (no st.* call to stop at), and `apply`,
    called by the script, acts on each click once.

    Take `drawn = clicks.draw()` once per full run and draw each button with
    `on_click=clicks.record, args=(action, drawn)`: both deliveries of a click carry the number of
    the run that drew its button, and the second is dropped. (Two genuine clicks before the first
    one's rerun has redrawn the buttons count once.)
    """

    def __init__(self) -> None:
        self.runs = 0  # full runs of the page that drew its buttons
        self.pending: list[tuple[str, int]] = []  # (action, drawn by run) not acted on yet
        self.acted: dict[str, int] = {}  # action -> the run whose button it last acted for

    def draw(self) -> int:
        """Count a full run that draws the buttons; the buttons carry the number."""
        self.runs += 1
        return self.runs

    def record(self, action: str, drawn_by: int) -> None:
        """The buttons' on_click: no st.* call, so no rerun can stop it halfway."""
        self.pending.append((action, drawn_by))

    def apply(self, act: Callable[[str], None]) -> None:
        """`act(action)` for each recorded click, oldest first, once per click.

        The script too stops at any st.* call when a rerun request arrives: the click then stays
        pending and the next run acts on it again, from the start. So `act` must be safe to redo
        after being stopped at any of its st.* calls: what must happen once per click (a training
        step) comes after its last st.* call.
        """
        while self.pending:
            action, drawn_by = self.pending[0]
            if self.acted.get(action) != drawn_by:
                try:
                    act(action)  # a rerun stops it with a BaseException: the click stays pending
                except Exception:
                    self.pending.pop(0)  # an action that fails is shown once, not retried on every run
                    raise
                self.acted[action] = drawn_by
            self.pending.pop(0)
