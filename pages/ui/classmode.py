"""Class mode on the Streamlit side: which class this session belongs to (as a student or as its
teacher), sharing finished runs and drawings with it, and the banner that offers the settings the
teacher pushed. The class itself lives in the store (mnist37.classroom), shared by every app
process; the session only remembers its code, its student id or its teacher key.

Nicknames are what students typed: they are shown as text (st.text, tables, plotly hovers), never
as markdown.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import streamlit as st

from mnist37 import classcheck as check
from mnist37.classroom import ClassError, ClassGoneError, ClassStore, StoreError, TeacherKeyError
from mnist37.config import from_strings, needs_reset, to_query, to_strings
from pages.ui.clicks import Clicks
from pages.ui.session import RUNNING, get_config, holding_trainer, pause, reset_trainer, set_config

MEMBER = "class_member"  # session_state: this session's Member, while it is in a class
APPLIED = "class_push_seen"  # session_state: the id of the last push applied or dismissed
SHARED = "class_shared_runs"  # session_state: ids of the Trainer objects whose runs were shared
CLICKS = "class_clicks"  # session_state: Clicks of the class banner
NOTICE = "class_notice"  # session_state: a one-off message about the class
CHECKED = "class_checked_at"  # session_state: when the live views last asked the store for a push
SHOWN = "class_push_shown"  # session_state: the id of the push the banner shows
INVITED = "class_invited"  # session_state: the code of a students' link this session has not joined yet
CLASS_PARAM, TEACHER_PARAM = "class", "teacher"  # the link's parameters
POLL_SECONDS = 5  # a joined student's page asks for a push this often (when it is not training live)


@dataclass(frozen=True)
class Member:
    """This session in a class: its code, and a student id (with the nickname) or a teacher key."""

    code: str
    student_id: str | None = None
    nickname: str | None = None
    teacher_key: str | None = None

    @property
    def teacher(self) -> bool:
        return self.teacher_key is not None


@st.cache_resource(show_spinner=False)
def store() -> ClassStore:
    """The class store, one per server process (MNIST37_DB, else a SQLite file in ~/.cache)."""
    return ClassStore.from_env()


def member() -> Member | None:
    return st.session_state.get(MEMBER)


def leave(notice: str | None = None) -> None:
    for key in (MEMBER, APPLIED, SHARED, INVITED):
        st.session_state.pop(key, None)
    if notice:
        st.session_state[NOTICE] = notice


def class_params(on_class_page: bool) -> dict[str, str]:
    """What the address bar says about the class: its code while the session is in one, or a
    students' link not joined yet; the teacher key only on the Class page, so that a page on the
    projector never shows it."""
    m = member()
    if m is None:
        code = st.session_state.get(INVITED)
        return {CLASS_PARAM: code} if code else {}
    out = {CLASS_PARAM: m.code}
    if m.teacher and on_class_page:
        out[TEACHER_PARAM] = m.teacher_key
    return out


def read_link() -> None:
    """On a session's first run (and whenever the link names another class): a teacher's link
    (class and teacher key) makes this session the class's teacher once the store accepts the key;
    a students' link (the class alone) invites it to join on the Class page."""
    code, key = st.query_params.get(CLASS_PARAM), st.query_params.get(TEACHER_PARAM)
    m = member()
    if not code or (m is not None and m.code == code and (m.teacher or not key)):
        return
    try:
        code = check.code(code)
        if key:
            store().view(code, key)  # refused without the class's teacher key
            leave()
            st.session_state[MEMBER] = Member(code, teacher_key=key)
            return
        store().revision(code)  # the class exists and is open
    except TeacherKeyError:
        st.session_state[NOTICE] = (f"This teacher's link does not hold class {code}'s teacher key: the teacher's "
                                    f"controls stay hidden. You can join the class as a student.")
    except (ClassError, StoreError) as e:
        st.session_state[NOTICE] = str(e)
        st.session_state.pop(INVITED, None)
        return
    if m is None:
        st.session_state[INVITED] = code


def join(code: str, nickname: str | None) -> None:
    """Join the class (as a student) with an optional nickname."""
    student = store().join(code, nickname)
    leave()
    st.session_state[MEMBER] = Member(check.code(code), student.id, student.nickname)
    st.session_state.pop(INVITED, None)


def _store_call(fn, *args):
    """A store call from a student's page: the class gone means leaving it, with a sentence."""
    try:
        return fn(*args)
    except ClassGoneError as e:
        leave(f"{e} You have left it.")
    except (ClassError, StoreError) as e:
        st.session_state[NOTICE] = str(e)
    return None


# --- what a joined student shares ----------------------------------------------------------------
def share_run(t) -> None:
    """A finished run, once: its settings, valid accuracy per epoch, final accuracy, 785 numbers."""
    m = member()
    if m is None or m.teacher or t.status != "done" or id(t) in st.session_state.get(SHARED, ()):
        return
    st.session_state.setdefault(SHARED, set()).add(id(t))
    w, b = t.params()
    _store_call(store().add_run, m.code, m.student_id, to_strings(t.cfg), t.history()["valid_accuracy"],
                t.valid_accuracy(), w, b)


def share_drawing(canvas_key: str, x, inference, meant: int | None) -> None:
    """The drawing on one canvas (or one upload), updated stroke by stroke: the 28x28 input, the
    logit, the decision and what the student says it is."""
    m = member()
    if m is None or m.teacher:
        return
    _store_call(store().put_drawing, m.code, m.student_id, canvas_key, x, inference.logit, inference.decision,
                inference.positive, meant)


# --- the teacher's pushed settings, offered to each student ---------------------------------------
def _clicks() -> Clicks:
    return st.session_state.setdefault(CLICKS, Clicks())


def _act(action: str) -> None:
    """Apply or dismiss a push (safe to redo: both end by remembering the push id)."""
    kind, push_id, settings = action
    if kind == "apply":
        cfg = get_config()
        new, _ = from_strings(dict(settings), base=cfg)
        changed = needs_reset(cfg, new)
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
        st.session_state[NOTICE] = "Your teacher's settings are applied."
    st.session_state[APPLIED] = push_id


def pending_push():
    """The push this student has not applied or dismissed yet, or None."""
    m = member()
    if m is None or m.teacher:
        return None
    push = _store_call(store().pushed, m.code)
    return push if push is not None and push.id > st.session_state.get(APPLIED, 0) else None


def new_push() -> bool:
    """Has the teacher pushed settings that the banner does not show yet?"""
    push = pending_push()
    return push is not None and push.id != st.session_state.get(SHOWN)


def push_due() -> bool:
    """For the live views, at most every few seconds: `new_push()`."""
    now = time.monotonic()
    if member() is None or now - st.session_state.get(CHECKED, 0.0) < POLL_SECONDS:
        return False
    st.session_state[CHECKED] = now
    return new_push()


def banner() -> None:
    """At the top of every page of a student in a class: the teacher's suggested settings, with
    Apply (nothing changes without it); then any one-off message about the class."""
    clicks = _clicks()
    clicks.apply(_act)
    if NOTICE in st.session_state:
        st.info(st.session_state.pop(NOTICE), icon=":material/groups:")
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
    if st.session_state.get(RUNNING) or member() is None or member().teacher:
        return

    def check() -> None:
        if new_push():
            st.rerun()

    st.fragment(check, run_every=POLL_SECONDS)()


def sidebar() -> None:
    """The class this session is in, and Leave; or, opened from a students' link on any page, Join."""
    m = member()
    invited = st.session_state.get(INVITED)
    if m is None and invited:
        with st.sidebar:
            st.markdown(f"**Class {invited}** invites you")
            if st.button(f"Join class {invited}", key="class_join_sidebar", icon=":material/login:",
                         help="Share your finished runs and your drawings with the class (no nickname: "
                              "'student N'; the Class page lets you choose one)"):
                try:
                    join(invited, None)
                except (ClassError, StoreError) as e:
                    st.session_state[NOTICE] = str(e)
                st.rerun()
        return
    if m is None:
        return
    with st.sidebar:
        st.markdown(f"**Class {m.code}**")
        st.text("the teacher" if m.teacher else f"you: {m.nickname}")
        if st.button("Leave the class", key="class_leave", icon=":material/logout:"):
            leave("You have left the class.")
            st.rerun()


def settings_to_push() -> dict[str, str]:
    """The teacher's own settings, as the students' banner offers them (a link's settings: never
    a folder on the server)."""
    return to_query(get_config())
