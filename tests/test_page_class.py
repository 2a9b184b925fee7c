"""The Class page and class mode in AppTest: a teacher starts a class, students join by its link
and share runs and drawings, the teacher sees them and pushes settings a student applies."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from harness.server import ROOT
from mnist37.classroom import ClassStore, TeacherKeyError
from pages.ui.classmode import MEMBER
from tests.apptest_nav import entrypoint_every_run, metric  # noqa: F401 (a fixture)
from tests.test_page_draw import CANVAS_KEY, SEVEN, drawing

pytestmark = pytest.mark.usefixtures("entrypoint_every_run")
APP = str(ROOT / "streamlit_app.py")


def open_app(page: str | None = None, **params) -> AppTest:
    """A new session opened on a link: `page` with query parameters `params`."""
    at = AppTest.from_file(APP, default_timeout=180)
    for k, v in params.items():
        at.query_params[k] = str(v)
    if page:
        at.switch_page(page)
    return at.run()


def start_class() -> tuple[AppTest, str, str]:
    at = open_app("pages/class.py")
    at.button(key="class_start").click().run()
    m = at.session_state[MEMBER]
    return at, m.code, m.teacher_key



def test_start_a_class_shows_the_students_and_the_teachers_links():
    at, code, key = start_class()
    assert not at.exception and len(code) == 8
    blocks = [c.value for c in at.code]
    assert any(b.endswith(f"/class?class={code}") for b in blocks)
    assert any(b.endswith(f"/class?class={code}&teacher={key}") for b in blocks)
    assert at.query_params["class"] == code and at.query_params["teacher"] == key
    assert [metric(at, x) for x in ("Students", "Runs", "Drawings")] == ["0", "0", "0"]


def test_a_student_joins_shares_a_run_and_a_drawing_and_the_teacher_sees_them():
    teacher, code, key = start_class()
    student = open_app("pages/class.py", **{"class": code})
    assert "class_start" not in [b.key for b in student.button]  # the students' link: no teacher controls
    student.text_input(key="class_nickname").input("Ann").run()
    student.button(key="class_join").click().run()
    assert not student.exception and student.session_state[MEMBER].nickname == "Ann"
    assert any(f"Class {code}" in m.value for m in student.sidebar.markdown)
    student.switch_page("pages/train.py").run()
    student.number_input(key="epochs").set_value(1).run()
    student.button(key="epoch_button").click().run()  # the run finishes: shared
    student.switch_page("pages/draw.py")
    student.session_state[CANVAS_KEY] = drawing(SEVEN)
    student.run()
    student.get("button_group")[-1]  # the "I meant a 3 / 7" choice beside the canvas
    assert student.query_params["class"] == code
    teacher.run()
    assert [metric(teacher, x) for x in ("Students", "Runs", "Drawings")] == ["1", "1", "1"]
    assert any("class_runs" in c.proto.id for c in teacher.get("plotly_chart"))
    assert any("class_drawings" in c.proto.id for c in teacher.get("plotly_chart"))
    view = ClassStore.from_env().view(code, key)
    assert view.runs[0].nickname == "Ann" and len(view.runs[0].valid_accuracy) == 1
    assert view.drawings[0].decision == 7


def test_pushed_settings_wait_for_the_students_click():
    teacher, code, key = start_class()
    student = open_app("pages/class.py", **{"class": code})
    student.button(key="class_join").click().run()
    teacher.switch_page("pages/train.py").run()
    teacher.select_slider(key="lr").set_value(0.1).run()
    teacher.switch_page("pages/class.py").run()
    teacher.button(key="class_push").click().run()
    student.switch_page("pages/train.py").run()
    assert student.session_state["config"].lr == 1.0  # nothing changes without a click
    assert any("Your teacher suggests these settings" in m.value and "lr 0.1" in m.value for m in student.markdown)
    student.button(key="class_apply").click().run()
    assert student.session_state["config"].lr == 0.1 and student.select_slider(key="lr").value == 0.1
    assert not any("Your teacher suggests" in m.value for m in student.markdown)
    assert not student.exception


def test_a_teachers_link_with_a_wrong_key_shows_no_teachers_controls():
    _, code, key = start_class()
    stranger = open_app("pages/class.py", **{"class": code, "teacher": "not-the-key"})
    assert MEMBER not in stranger.session_state
    assert not [b for b in stranger.button if b.key in ("class_push", "class_close")]
    assert any("does not hold class" in i.value for i in stranger.info)
    with pytest.raises(TeacherKeyError):
        ClassStore.from_env().push_settings(code, "not-the-key", {"lr": "0.1"})


def test_a_nickname_is_shown_as_text_and_markup_is_refused():
    _, code, _ = start_class()
    student = open_app("pages/class.py", **{"class": code})
    student.text_input(key="class_nickname").input("<b>Bob</b>").run()
    student.button(key="class_join").click().run()
    assert MEMBER not in student.session_state
    assert [e.value for e in student.error] == ["A nickname can only hold letters, digits, spaces, and the marks - _ . and '."]
    student.text_input(key="class_nickname").input("_x_").run()
    student.button(key="class_join").click().run()
    assert "you: _x_" in [t.value for t in student.sidebar.text]  # as typed, not in italics


def test_leaving_and_a_closed_class():
    teacher, code, key = start_class()
    student = open_app("pages/class.py", **{"class": code})
    student.button(key="class_join").click().run()
    teacher.checkbox(key="class_close_sure").check().run()
    teacher.button(key="class_close").click().run()
    assert MEMBER not in teacher.session_state
    student.switch_page("pages/draw.py")
    student.session_state[CANVAS_KEY] = drawing(SEVEN)
    student.run()  # its drawing is refused: the class is gone, and the student leaves it
    assert MEMBER not in student.session_state and not student.exception


def test_a_students_link_to_any_page_joins_from_the_sidebar():
    _, code, key = start_class()
    student = open_app("pages/train.py", **{"class": code, "epochs": 1})
    assert MEMBER not in student.session_state and student.query_params["class"] == code
    student.sidebar.button(key="class_join_sidebar").click().run()
    m = student.session_state[MEMBER]
    assert m.code == code and m.nickname.startswith("student ")
    student.button(key="epoch_button").click().run()
    assert len(ClassStore.from_env().view(code, key).runs) == 1 and not student.exception
