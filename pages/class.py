"""Class: a teacher starts a class and shares its link; each student who joins shares their
finished runs and their drawings; the teacher sees them all, live, and can push settings to all.

The class lives in the store (pages.ui.classmode.store()), shared by every app process; this page
only shows it. Nicknames are shown as text, never as markdown.
"""
from __future__ import annotations

import streamlit as st

from mnist37 import figures
from mnist37.baseline import linear_accuracy
from mnist37.classroom import ClassError, ClassGoneError, StoreError, drawings_accuracy, reread, runs_table
from mnist37.classview import Member
from pages.ui import classmode
from pages.ui.charts import chart
from pages.ui.data import get_dataset
from pages.ui.present import fig_height
from pages.ui.routing import route_through_app
from pages.ui.session import current_model, get_config

REFRESH_SECONDS = 2  # the teacher's view follows the class this often
GALLERY = 48  # drawings shown, the model's mistakes first


def start() -> None:
    """No class yet: start one, or join one by its code."""
    st.markdown("Start a class to pool your students' experiments: every run they finish and every digit "
                "they draw shows up here, live. They join with a link; you keep a second, secret link.")
    if st.button("Start a class", key="class_start", type="primary", icon=":material/add:"):
        try:
            new = classmode.store().create_class()
        except (ClassError, StoreError) as e:
            st.error(str(e))
            return
        classmode.leave()
        st.session_state[classmode.MEMBER] = Member(new.code, teacher_key=new.teacher_key)
        st.rerun()
    code = st.text_input("Or join a class with its code", key="class_code_typed", max_chars=12,
                         placeholder="8 letters and digits")
    if code:
        join_form(code)


def join_form(code: str) -> None:
    nick = st.text_input("Your nickname (optional)", key="class_nickname", max_chars=24,
                         placeholder="student N", help="Letters, digits, spaces and - _ . ' only.")
    if st.button(f"Join class {code}", key="class_join", type="primary", icon=":material/login:"):
        try:
            classmode.join(code, nick or None)
        except (ClassError, StoreError) as e:
            st.error(str(e))
            return
        st.rerun()


def app_address() -> str:
    """This app's address as the browser sees it (the page's URL without its path), or "" if unknown."""
    url = st.context.url
    if url:
        return url.split("?")[0].rsplit("/", 1)[0]
    host = st.context.headers.get("Host")
    return f"http://{host}" if host else ""


def links(code: str, key: str) -> None:
    base = app_address()
    st.markdown("**The students' link**: project it, or send it")
    st.code(f"{base}/class?class={code}", language=None)
    st.markdown("**Your teacher's link**: it opens this view again, from any browser")
    st.code(f"{base}/class?class={code}&teacher={key}", language=None)
    st.caption("Anyone with the teacher's link can run the class: keep it off the projector.")


def teacher_view() -> None:
    """The class as it is now (refreshes itself): counts, runs, drawings through your model."""
    m = classmode.member()
    try:
        view = classmode.store().view(m.code, m.teacher_key)
    except ClassGoneError as e:
        classmode.leave(f"{e}")
        st.rerun()
    counts = view.counts
    row = st.container(horizontal=True, gap="medium")
    for label in ("Students", "Runs", "Drawings"):
        row.metric(label, counts[label])
    model, cfg = current_model(), get_config()
    readings = reread(view.drawings, model.weights, model.bias, cfg.threshold, model.positive)
    acc, n_said = drawings_accuracy(readings)
    row.metric("Model on the class's drawings", "—" if acc is None else f"{acc:.1%}",
               help=f"Your current model on the {n_said} drawings whose students said which digit they meant")
    data = get_dataset(cfg.source)
    row.metric("Model on MNIST's validation digits",
               f"{linear_accuracy(model.weights, model.bias, data, model.positive, cfg.threshold):.1%}")
    if view.runs:
        chart(figures.class_runs(runs_table(view), [r.valid_accuracy for r in view.runs], height=fig_height(340)),
              key="class_runs")
        st.caption("Each dot is a student's finished run: where accuracy peaks, and where a learning rate is too "
                   "small to learn in the epochs given or so large that SGD overshoots.")
    if readings:
        shown = readings[:GALLERY]
        labels = [f"{r.logit:+.1f} → {r.decision}" + ("" if r.drawing.meant is None else f" ({r.drawing.meant}?)")
                  for r in shown]
        chart(figures.drawings_sheet([r.drawing.pixels for r in shown], labels,
                                     [None if r.right is None else not r.right for r in shown]), key="class_drawings")
        st.caption(f"The class's drawings through {model.description}: logit → decision (and the digit its student "
                   f"meant). Mistakes first, framed red: drawings are not MNIST's digits, and a linear model trained "
                   f"on MNIST meets them as a new distribution.")
    elif not view.runs:
        st.info("Nobody has shared anything yet: runs appear when a student's training finishes, drawings as "
                "they draw.", icon=":material/hourglass_empty:")


def teacher_controls() -> None:
    """Push your settings, remove a drawing or a student, close the class (not refreshed: a choice stays)."""
    m = classmode.member()
    store = classmode.store()
    try:
        view = store.view(m.code, m.teacher_key)
    except ClassGoneError:
        return
    settings = classmode.settings_to_push()
    st.subheader("Teach with it")
    push, remove, close = st.columns(3)
    with push:
        if st.button("Push my settings to the class", key="class_push", icon=":material/campaign:"):
            store.push_settings(m.code, m.teacher_key, settings)
            st.toast("Pushed: each student sees a banner and chooses to apply it.")
        st.caption("Your settings now: " + ", ".join(f"{k} {v}" for k, v in settings.items()))
    with remove:
        drawing = st.selectbox("A drawing", view.drawings, index=None, key="class_drawing_pick",
                               format_func=lambda d: f"#{d.id} by {d.nickname}: {d.decision}", placeholder="pick one")
        if st.button("Remove the drawing", key="class_drawing_remove", disabled=drawing is None):
            store.remove_drawing(m.code, m.teacher_key, drawing.id)
            st.rerun()
        student = st.selectbox("A student", view.students, index=None, key="class_student_pick",
                               format_func=lambda s: s.nickname, placeholder="pick one")
        if st.button("Remove the student", key="class_student_remove", disabled=student is None):
            store.remove_student(m.code, m.teacher_key, student.id)
            st.rerun()
    with close:
        sure = st.checkbox("I'm done with this class", key="class_close_sure")
        if st.button("Close the class", key="class_close", disabled=not sure, icon=":material/close:"):
            store.close_class(m.code, m.teacher_key)
            classmode.leave(f"Class {m.code} is closed: what it held is deleted.")
            st.rerun()


def student_view() -> None:
    m = classmode.member()
    st.markdown(f"You are in class **{m.code}** as:")
    st.text(m.nickname)
    st.markdown("What you share, automatically: each training run that finishes on the **Train** page (its "
                "settings, its accuracy and its 785 numbers) and each digit you draw or upload on the **Draw** "
                "page (say which digit you meant beside the canvas). When your teacher pushes settings, a banner "
                "offers them: nothing changes unless you press Apply.")
    left, right = st.columns(2)
    left.page_link("pages/train.py", label="Train a model", icon=":material/monitoring:")
    right.page_link("pages/draw.py", label="Draw digits", icon=":material/draw:")


route_through_app()  # before anything is drawn
st.title("Class: everyone's experiments together")
member = classmode.member()
if member is None:
    invited = st.session_state.get(classmode.INVITED)
    if invited:
        st.markdown(f"You are invited to class **{invited}**: join it to share your runs and your drawings "
                    "with your teacher and see what the class finds together.")
        join_form(invited)
    else:
        start()
elif member.teacher:
    st.markdown(f"You are the teacher of class **{member.code}**. This view follows the class by itself.")
    links(member.code, member.teacher_key)
    st.fragment(teacher_view, run_every=REFRESH_SECONDS)()
    teacher_controls()
else:
    student_view()
