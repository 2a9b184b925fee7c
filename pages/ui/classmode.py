"""Class mode on the Streamlit side: which class this session belongs to (as a student or as its
teacher), and sharing finished runs and drawings with it (the teacher's pushed settings:
pages.ui.classpush). The class itself lives in the store (mnist37.classroom), shared by every app
process; the session only remembers its code, its student id or its teacher key.

Nicknames are what students typed: they are shown as text (st.text, tables, plotly hovers), never
as markdown.
"""
from __future__ import annotations

import streamlit as st

from mnist37 import classcheck as check
from mnist37.classroom import ClassError, ClassGoneError, ClassStore, StoreError, TeacherKeyError
from mnist37.classview import Member
from mnist37.config import to_query, to_strings
from pages.ui.session import get_config

MEMBER = "class_member"  # session_state: this session's Member, while it is in a class
APPLIED = "class_push_seen"  # session_state: the id of the last push applied or dismissed
SHARED = "class_shared_runs"  # session_state: ids of the Trainer objects whose runs were shared
DRAWN = "class_shared_drawing"  # session_state: the drawing last shared, as put_drawing was called
NOTICE = "class_notice"  # session_state: a one-off message about the class
INVITED = "class_invited"  # session_state: the code of a students' link this session has not joined yet
CLASS_PARAM, TEACHER_PARAM = "class", "teacher"  # the link's parameters


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


def store_call(fn, *args):
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
    store_call(store().add_run, m.code, m.student_id, to_strings(t.cfg), t.history()["valid_accuracy"],
                t.valid_accuracy(), w, b)


def share_drawing(canvas_key: str, x, inference, meant: int | None) -> None:
    """The drawing on one canvas (or one upload), updated stroke by stroke: the 28x28 input, the
    logit, the decision and what the student says it is."""
    m = member()
    if m is None or m.teacher:
        return
    # A rerun that changed nothing of it (the brush, a toggle) writes nothing.
    shared = (m.code, m.student_id, canvas_key, inference.logit, inference.decision, inference.positive, meant)
    if st.session_state.get(DRAWN) == shared:
        return
    store_call(store().put_drawing, m.code, m.student_id, canvas_key, x, inference.logit, inference.decision,
               inference.positive, meant)
    st.session_state[DRAWN] = shared


def sidebar(page: str) -> None:
    """The class this session is in, and Leave; or, opened from a students' link on another page
    than the Class page (which has its own form), Join."""
    m = member()
    invited = st.session_state.get(INVITED)
    if m is None and invited and page != "class":
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
