"""The settings a class's teacher pushed, offered to each student in a banner: nothing changes
until the student presses Apply. A joined student's page asks the store for a push on each full
run, every few seconds while it idles, and every few redraws while it trains live."""
from __future__ import annotations

import time

import streamlit as st

from mnist37.classview import apply_push
from pages.ui import classmode
from pages.ui.clicks import Clicks
from pages.ui.session import RUNNING, get_config, holding_trainer, pause, reset_trainer, set_config

CLICKS = "class_clicks"  # session_state: Clicks of the banner's buttons
CHECKED = "class_checked_at"  # session_state: when the live views last asked the store for a push
SHOWN = "class_push_shown"  # session_state: the id of the push the banner shows
POLL_SECONDS = 5  # how often a page asks for a push


def _clicks() -> Clicks:
    return st.session_state.setdefault(CLICKS, Clicks())


def _act(action: str) -> None:
    """Apply or dismiss a push (safe to redo: both end by remembering the push id)."""
    kind, push_id, settings = action
    if kind == "apply":
        new, changed = apply_push(get_config(), dict(settings))
        if changed:
            pause()
        set_config(new)
        for name, _ in settings:  # the widgets show the new values (they are drawn after this)
            st.session_state[name] = getattr(new, name)
        if changed:
            reset_trainer()
        else:
            with holding_trainer() as t:  # a new lr applies from the next step
                t.update(new)
        st.session_state[classmode.NOTICE] = "Your teacher's settings are applied."
    st.session_state[classmode.APPLIED] = push_id


def pending_push():
    """The push this student has not applied or dismissed yet, or None."""
    m = classmode.member()
    if m is None or m.teacher:
        return None
    push = classmode.store_call(classmode.store().pushed, m.code)
    return push if push is not None and push.id > st.session_state.get(classmode.APPLIED, 0) else None


def new_push() -> bool:
    """Has the teacher pushed settings that the banner does not show yet?"""
    push = pending_push()
    return push is not None and push.id != st.session_state.get(SHOWN)


def push_due() -> bool:
    """For the live views, at most every few seconds: `new_push()`."""
    now = time.monotonic()
    if classmode.member() is None or now - st.session_state.get(CHECKED, 0.0) < POLL_SECONDS:
        return False
    st.session_state[CHECKED] = now
    return new_push()


def banner() -> None:
    """At the top of every page of a student in a class: the teacher's suggested settings, with
    Apply (nothing changes without it); then any one-off message about the class."""
    clicks = _clicks()
    clicks.apply(_act)
    if classmode.NOTICE in st.session_state:
        st.info(st.session_state.pop(classmode.NOTICE), icon=":material/groups:")
    push = pending_push()
    st.session_state[SHOWN] = push.id if push is not None else None
    if push is None:
        return
    drawn = clicks.draw()
    settings = tuple(sorted(push.settings.items()))
    what = ", ".join(f"{k} {v}" for k, v in settings)
    with st.container(border=True, horizontal=True, vertical_alignment="center"):
        st.markdown(f":material/campaign: Your teacher suggests these settings: **{what}**.")
        st.button("Apply", key="class_apply", type="primary", on_click=clicks.record,
                  args=(("apply", push.id, settings), drawn))
        st.button("Not now", key="class_dismiss", on_click=clicks.record, args=(("dismiss", push.id, ()), drawn))


def poll() -> None:
    """A joined student's page (not training live) asks every few seconds whether the teacher
    pushed; a full rerun then shows the banner."""
    if st.session_state.get(RUNNING) or classmode.member() is None or classmode.member().teacher:
        return

    def check() -> None:
        if new_push():
            st.rerun()

    st.fragment(check, run_every=POLL_SECONDS)()
