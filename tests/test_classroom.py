"""The class store (mnist37.classroom) against SQLite and against a real PostgreSQL server that
the suite starts itself (the `postgres` fixture; skipped only where PostgreSQL is not installed)."""
from __future__ import annotations

import itertools
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import sqlalchemy as sa

from harness.server import ROOT, free_port
from mnist37 import classdb
from mnist37 import classcheck as C
from mnist37.classroom import ClassError, ClassGoneError, ClassStore, StoreError, TeacherKeyError
from mnist37.classview import Drawing, drawings_accuracy, reread, runs_table
from mnist37.config import TrainConfig, to_strings

HOUR = 3600.0
_names = itertools.count()


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    """An empty database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/classes.sqlite3"
    return request.getfixturevalue("postgres").fresh_url(f"test_{next(_names)}")


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def open_store(url, clock):
    """open_store(**kw) -> a ClassStore on the test's database (closed at the end)."""
    stores = []

    def make(**kw):
        stores.append(ClassStore(url, **{"clock": clock, **kw}))
        return stores[-1]

    yield make
    for s in stores:
        s.dispose()


@pytest.fixture
def store(open_store):
    return open_store()


def one_sentence(message: str, most: int = 200) -> bool:
    return (message[:1].isupper() and message.endswith(".") and "\n" not in message
            and len(message) <= most and "Traceback" not in message)


def run_args(lr=0.1, curve=(0.5, 0.9), final=0.91, seed=0):
    w = np.random.default_rng(seed).standard_normal(784).astype(np.float32)
    return to_strings(TrainConfig(lr=lr, epochs=min(len(curve), 200))), list(curve), final, w, 0.25


def digit(seed=0) -> np.ndarray:
    return np.random.default_rng(seed).random((28, 28)).astype(np.float32)


def snapshot(store, cls) -> tuple:
    """What the class holds, comparable: the revision grows with every write that went through."""
    v = store.view(cls.code, cls.teacher_key)
    return (v.revision, v.push, v.students,
            [(r.id, r.settings, r.valid_accuracy, r.weights.tobytes()) for r in v.runs],
            [(d.id, d.canvas_key, d.pixels.tobytes(), d.logit, d.meant) for d in v.drawings])


@pytest.fixture
def full_class(store):
    """A class with two students, a run and two drawings."""
    cls = store.create_class()
    a, b = store.join(cls.code), store.join(cls.code, "Bea")
    store.add_run(cls.code, a.id, *run_args())
    store.put_drawing(cls.code, a.id, "canvas-1", digit(1), 2.0, 3, 3, meant=3)
    store.put_drawing(cls.code, b.id, "canvas-1", digit(2), -1.0, 7, 3)
    return cls, a, b


# --- classes and students -----------------------------------------------------------------------
def test_codes_are_unique_and_of_the_alphabet_and_keys_are_kept_only_as_hashes(store):
    made = [store.create_class() for _ in range(60)]
    codes = {c.code for c in made}
    assert len(codes) == 60
    assert all(len(c) == 8 and set(c) <= set("0123456789ABCDEFGHJKMNPQRSTVWXYZ") for c in codes)
    assert len({c.teacher_key for c in made}) == 60 and all(len(c.teacher_key) >= 40 for c in made)
    with store.engine.connect() as conn:
        stored = " ".join(str(v) for row in conn.execute(sa.select(classdb.classes)) for v in row)
    assert not any(c.teacher_key in stored for c in made)


def test_a_code_drawn_twice_is_drawn_again(store, monkeypatch):
    import mnist37.classroom

    letters = iter("A" * 8 + "A" * 8 + "B" * 8)
    monkeypatch.setattr(mnist37.classroom.secrets, "choice", lambda alphabet: next(letters))
    assert store.create_class().code == "AAAAAAAA"
    assert store.create_class().code == "BBBBBBBB"


def test_join_numbers_students_and_reads_them_back(store):
    cls = store.create_class()
    s1, s2 = store.join(cls.code), store.join(cls.code)
    s3 = store.join(cls.code.lower(), "  Zoë   O'Brien ")
    assert (s1.nickname, s2.nickname, s3.nickname) == ("student 1", "student 2", "Zoë O'Brien")
    assert len({s1.id, s2.id, s3.id}) == 3
    assert store.student(cls.code, s3.id) == s3
    assert store.student(cls.code, "no-such-id") is None
    typed = cls.code.replace("0", "o").replace("1", "l").lower()  # as a person might type it
    assert store.student(typed[:4] + "-" + typed[4:], s1.id) == s1
    assert [s.nickname for s in store.view(cls.code, cls.teacher_key).students] == ["student 1", "student 2",
                                                                                    "Zoë O'Brien"]


def test_pushes_reach_the_students_with_growing_ids(store):
    cls = store.create_class()
    assert store.pushed(cls.code) is None
    assert store.push_settings(cls.code, cls.teacher_key, {"lr": "0.10", "epochs": "5"}) == 1
    assert store.pushed(cls.code) == (1, {"lr": "0.1", "epochs": "5"})
    assert store.push_settings(cls.code, cls.teacher_key, to_strings(TrainConfig(lr=0.01))) == 2
    push_id, settings = store.pushed(cls.code)
    assert push_id == 2 and settings == to_strings(TrainConfig(lr=0.01))


def test_runs_and_drawings_reach_the_teachers_view(store, full_class):
    cls, a, b = full_class
    v = store.view(cls.code, cls.teacher_key)
    assert v.counts == {"Students": 2, "Runs": 1, "Drawings": 2}
    run = v.runs[0]
    settings, curve, final, w, bias = run_args()
    assert (run.student_id, run.nickname, run.settings, run.valid_accuracy, run.final_accuracy, run.bias) == (
        a.id, "student 1", settings, curve, final, bias)
    assert np.array_equal(run.weights, w) and run.config.lr == 0.1
    newest, older = v.drawings
    assert (newest.nickname, newest.logit, newest.decision, newest.meant) == ("Bea", -1.0, 7, None)
    assert (older.nickname, older.meant, older.positive) == ("student 1", 3, 3)
    assert np.array_equal(older.pixels, digit(1)) and older.pixels.shape == (28, 28)
    assert runs_table(v) == [{"run_id": run.id, "nickname": "student 1", "lr": 0.1, "bs": 256, "epochs": 2,
                              "seed": 42, "loss": "mnist", "std": 1.0, "positive": 3, "epochs_done": 2,
                              "final_accuracy": final}]


def test_a_drawing_grows_in_place_and_keeps_what_the_student_meant(store):
    cls = store.create_class()
    s = store.join(cls.code)
    first = store.put_drawing(cls.code, s.id, "c1", digit(1), 0.5, 3, 3, meant=7)
    again = store.put_drawing(cls.code, s.id, "c1", digit(2), -0.5, 7, 3)  # one more stroke
    assert again == first
    (d,) = store.view(cls.code, cls.teacher_key).drawings
    assert np.array_equal(d.pixels, digit(2)) and (d.logit, d.decision, d.meant) == (-0.5, 7, 7)
    assert store.set_meant(cls.code, s.id, "c1", 3) is True
    assert store.set_meant(cls.code, s.id, "not-drawn-yet", 3) is False
    assert store.view(cls.code, cls.teacher_key).drawings[0].meant == 3
    store.put_drawing(cls.code, s.id, "c2", np.zeros(784), 0.0, 7, 3)  # a flat (784,) input is taken too
    assert store.view(cls.code, cls.teacher_key).counts["Drawings"] == 2


def test_revision_grows_with_each_write(store, full_class):
    cls, a, _ = full_class
    r = store.revision(cls.code)
    assert store.view(cls.code, cls.teacher_key).revision == r
    store.set_meant(cls.code, a.id, "canvas-1", 7)
    assert store.revision(cls.code) == r + 1


# --- the teacher's actions ----------------------------------------------------------------------
TEACHER_ACTIONS = {
    "view": lambda s, code, key, ids: s.view(code, key),
    "push": lambda s, code, key, ids: s.push_settings(code, key, {"lr": "0.1"}),
    "remove_drawing": lambda s, code, key, ids: s.remove_drawing(code, key, ids["drawing"]),
    "remove_student": lambda s, code, key, ids: s.remove_student(code, key, ids["student"]),
    "close": lambda s, code, key, ids: s.close_class(code, key),
}


@pytest.mark.parametrize("action", TEACHER_ACTIONS)
def test_teacher_actions_without_the_key_or_with_a_wrong_one_are_refused(store, full_class, action):
    cls, a, _ = full_class
    other = store.create_class()
    ids = {"drawing": store.view(cls.code, cls.teacher_key).drawings[0].id, "student": a.id}
    before = snapshot(store, cls)
    for key in (None, "", "wrong", other.teacher_key, cls.teacher_key[:-1], cls.teacher_key + "x", 12345):
        with pytest.raises(TeacherKeyError) as e:
            TEACHER_ACTIONS[action](store, cls.code, key, ids)
        assert one_sentence(str(e.value)), str(e.value)
    assert snapshot(store, cls) == before
    TEACHER_ACTIONS[action](store, cls.code, cls.teacher_key, ids)  # the key opens it


def test_removing_a_drawing_keeps_the_others_and_its_canvas_is_closed(store, full_class):
    cls, a, b = full_class
    gone, kept = store.view(cls.code, cls.teacher_key).drawings
    assert store.remove_drawing(cls.code, cls.teacher_key, gone.id) is True
    assert store.remove_drawing(cls.code, cls.teacher_key, gone.id) is False
    v = store.view(cls.code, cls.teacher_key)
    assert [d.id for d in v.drawings] == [kept.id] and v.counts["Runs"] == 1
    with pytest.raises(ClassError, match="removed this drawing"):
        store.put_drawing(cls.code, gone.student_id, gone.canvas_key, digit(3), 0.0, 3, 3)
    store.put_drawing(cls.code, gone.student_id, "canvas-2", digit(3), 0.0, 3, 3)  # a new canvas is fine
    with store.engine.connect() as conn:  # the removed drawing's pixels are erased
        d = classdb.drawings.c
        assert conn.execute(sa.select(d.pixels).where(d.id == gone.id)).scalar() == b""


def test_removing_a_student_takes_what_they_shared_and_refuses_their_writes(store, full_class):
    cls, a, b = full_class
    assert store.remove_student(cls.code, cls.teacher_key, a.id) is True
    assert store.student(cls.code, a.id) is None and store.student(cls.code, b.id) == b
    v = store.view(cls.code, cls.teacher_key)
    assert v.counts == {"Students": 1, "Runs": 0, "Drawings": 1} and v.drawings[0].nickname == "Bea"
    for write in (lambda: store.add_run(cls.code, a.id, *run_args()),
                  lambda: store.put_drawing(cls.code, a.id, "c9", digit(), 0.0, 3, 3),
                  lambda: store.set_meant(cls.code, a.id, "canvas-1", 3)):
        with pytest.raises(ClassGoneError, match="no longer in class"):
            write()
    assert store.join(cls.code).nickname == "student 3"  # numbers are not reused


def test_a_closed_class_refuses_everything_and_other_classes_keep_theirs(store, full_class):
    cls, a, _ = full_class
    other = store.create_class()
    o = store.join(other.code, "Other")
    store.close_class(cls.code, cls.teacher_key)
    store.close_class(cls.code, cls.teacher_key)  # twice is fine
    for call in (lambda: store.pushed(cls.code), lambda: store.student(cls.code, a.id),
                 lambda: store.join(cls.code), lambda: store.add_run(cls.code, a.id, *run_args()),
                 lambda: store.view(cls.code, cls.teacher_key),
                 lambda: store.push_settings(cls.code, cls.teacher_key, {"lr": "1"})):
        with pytest.raises(ClassGoneError, match=f"Class {cls.code} was closed by its teacher."):
            call()
    with store.engine.connect() as conn:  # what it held is gone now, not at the purge
        assert conn.execute(sa.select(sa.func.count()).select_from(classdb.students)
                            .where(classdb.students.c.class_code == cls.code)).scalar() == 0
    assert store.view(other.code, other.teacher_key).students == [o]


# --- bad writes ---------------------------------------------------------------------------------
BAD_WRITES = {
    "NaN accuracy in the curve": lambda s, c, a, key: s.add_run(c, a, *run_args(curve=(0.5, float("nan")))),
    "NaN final accuracy": lambda s, c, a, key: s.add_run(c, a, *run_args(final=float("nan"))),
    "accuracy above 1": lambda s, c, a, key: s.add_run(c, a, *run_args(curve=(0.5, 1.5))),
    "accuracy as text": lambda s, c, a, key: s.add_run(c, a, *run_args(final="0.9")),
    "783 weights": lambda s, c, a, key: s.add_run(c, a, *run_args()[:3], np.zeros(783), 0.0),
    "infinite weight": lambda s, c, a, key: s.add_run(c, a, *run_args()[:3], np.full(784, np.inf), 0.0),
    "NaN bias": lambda s, c, a, key: s.add_run(c, a, *run_args()[:4], float("nan")),
    "201 epochs of curve": lambda s, c, a, key: s.add_run(c, a, *run_args(curve=[0.5] * 201)),
    "unknown setting": lambda s, c, a, key: s.add_run(c, a, {"drop": "x"}, [0.5], 0.5, np.zeros(784), 0.0),
    "learning rate out of range": lambda s, c, a, key: s.add_run(c, a, {"lr": "100"}, [0.5], 0.5, np.zeros(784), 0.0),
    "NaN learning rate": lambda s, c, a, key: s.add_run(c, a, {"lr": "nan"}, [0.5], 0.5, np.zeros(784), 0.0),
    "folder as the source": lambda s, c, a, key: s.add_run(c, a, {"source": "/etc"}, [0.5], 0.5, np.zeros(784), 0.0),
    "markdown setting value": lambda s, c, a, key: s.add_run(c, a, {"lr": "[x](y)"}, [0.5], 0.5, np.zeros(784), 0),
    "markup setting name": lambda s, c, a, key: s.add_run(c, a, {"<b>x</b>": "1"}, [0.5], 0.5, np.zeros(784), 0),
    "markdown class code": lambda s, c, a, key: s.join("[a](b)"),
    "10 kB setting": lambda s, c, a, key: s.add_run(c, a, {"loss": "m" * 10_000}, [0.5], 0.5, np.zeros(784), 0.0),
    "10 MB drawing": lambda s, c, a, key: s.put_drawing(c, a, "c", np.zeros(10 * 2**20 // 4, np.float32), 0.0, 3, 3),
    "10 MB drawing as a list": lambda s, c, a, key: s.put_drawing(c, a, "c", [0.0] * (10 * 2**20 // 8), 0.0, 3, 3),
    "10 MB drawing as bytes": lambda s, c, a, key: s.put_drawing(c, a, "c", b"\0" * 10 * 2**20, 0.0, 3, 3),
    "drawing 27x28": lambda s, c, a, key: s.put_drawing(c, a, "c", np.zeros((27, 28)), 0.0, 3, 3),
    "pixel above 1": lambda s, c, a, key: s.put_drawing(c, a, "c", np.full((28, 28), 255.0), 0.0, 3, 3),
    "NaN pixel": lambda s, c, a, key: s.put_drawing(c, a, "c", np.full((28, 28), np.nan), 0.0, 3, 3),
    "NaN logit": lambda s, c, a, key: s.put_drawing(c, a, "c", digit(), float("nan"), 3, 3),
    "decision 5": lambda s, c, a, key: s.put_drawing(c, a, "c", digit(), 0.0, 5, 3),
    "meant 8": lambda s, c, a, key: s.put_drawing(c, a, "c", digit(), 0.0, 3, 3, meant=8),
    "set_meant 1": lambda s, c, a, key: s.set_meant(c, a, "canvas-1", 1),
    "markup canvas key": lambda s, c, a, key: s.put_drawing(c, a, "<b>x</b>", digit(), 0.0, 3, 3),
    "10 kB nickname": lambda s, c, a, key: s.join(c, "x" * 10_000),
    "25-letter nickname": lambda s, c, a, key: s.join(c, "y" * 25),
    "markup nickname": lambda s, c, a, key: s.join(c, "<b>bold</b>"),
    "script nickname": lambda s, c, a, key: s.join(c, "<script>alert(1)</script>"),
    "markdown link nickname": lambda s, c, a, key: s.join(c, "[me](http://x)"),
    "SQL nickname": lambda s, c, a, key: s.join(c, "x'); DROP TABLE mnist37_students;--"),
    "quote nickname": lambda s, c, a, key: s.join(c, 'say "hi"'),
    "control character nickname": lambda s, c, a, key: s.join(c, "a\x00b"),
    "right-to-left override nickname": lambda s, c, a, key: s.join(c, "abc\u202edef"),
    "punctuation-only nickname": lambda s, c, a, key: s.join(c, "..."),
    "unknown class (join)": lambda s, c, a, key: s.join("ZZZZZZZZ"),
    "unknown class (run)": lambda s, c, a, key: s.add_run("ZZZZZZZZ", a, *run_args()),
    "malformed class code": lambda s, c, a, key: s.put_drawing("'; DROP TABLE mnist37_classes;--", a, "c",
                                                                digit(), 0, 3, 3),
    "10 kB class code": lambda s, c, a, key: s.join("A" * 10_000),
    "unknown student": lambda s, c, a, key: s.put_drawing(c, "nobody", "c", digit(), 0.0, 3, 3),
    "SQL student id": lambda s, c, a, key: s.add_run(c, "' OR 1=1 --", *run_args()),
    "bad push": lambda s, c, a, key: s.push_settings(c, key, {"bs": "0"}),
    "empty push": lambda s, c, a, key: s.push_settings(c, key, {}),
}


@pytest.mark.parametrize("bad", BAD_WRITES)
def test_a_bad_write_is_refused_with_one_sentence_and_loses_nothing(store, full_class, bad):
    cls, a, _ = full_class
    before = snapshot(store, cls)
    with pytest.raises(ClassError) as e:
        BAD_WRITES[bad](store, cls.code, a.id, cls.teacher_key)
    assert one_sentence(str(e.value)), str(e.value)
    assert not set(str(e.value)) & set("<>[]`*\"\\;"), "the message repeats markup or SQL it was sent"
    assert snapshot(store, cls) == before
    store.add_run(cls.code, a.id, *run_args())  # the class still takes good writes
    assert set(sa.inspect(store.engine).get_table_names()) >= {"mnist37_classes", "mnist37_students"}


@pytest.mark.parametrize("nickname", ["O'Brien", "Zoë", "Łukasz-2", "李小龍", "Ana_B.", "Ngũgĩ wa"])
def test_nicknames_in_any_script_come_back_as_typed(store, nickname):
    cls = store.create_class()
    s = store.join(cls.code, nickname)
    assert store.student(cls.code, s.id).nickname == nickname


@pytest.mark.parametrize("limit, write", [
    ("MAX_RUNS_PER_STUDENT", lambda s, c, a, i: s.add_run(c, a, *run_args())),
    ("MAX_DRAWINGS_PER_STUDENT", lambda s, c, a, i: s.put_drawing(c, a, f"c{i}", digit(), 0.0, 3, 3)),
    ("MAX_STUDENTS", lambda s, c, a, i: s.join(c)),
])
def test_caps_keep_a_class_from_growing_without_bound(store, monkeypatch, limit, write):
    monkeypatch.setattr(C, limit, 3)
    cls = store.create_class()
    a = store.join(cls.code)
    for i in range(3 if limit != "MAX_STUDENTS" else 2):
        write(store, cls.code, a.id, i)
    before = snapshot(store, cls)
    with pytest.raises(ClassError) as e:
        write(store, cls.code, a.id, 99)
    assert one_sentence(str(e.value)) and snapshot(store, cls) == before
    store.put_drawing(cls.code, a.id, "c0", digit(5), 1.0, 3, 3)  # updating a drawing is not growing


def test_the_number_of_classes_is_capped(store, monkeypatch):
    monkeypatch.setattr(C, "MAX_CLASSES", 2)
    store.create_class(), store.create_class()
    with pytest.raises(ClassError, match="full"):
        store.create_class()


# --- time, restarts, several processes ----------------------------------------------------------
def test_classes_older_than_the_maximum_age_are_purged(open_store, clock):
    store = open_store(max_age_hours=24)
    old = store.create_class()
    store.add_run(old.code, store.join(old.code).id, *run_args())
    clock.now += 20 * HOUR
    young = store.create_class()
    clock.now += 5 * HOUR  # old is 25 h old, young 5 h
    with pytest.raises(ClassGoneError, match="lasts 24 hours"):  # expired, even before the purge
        store.pushed(old.code)
    assert store.purge() == 1 and store.purge() == 0
    assert store.view(young.code, young.teacher_key).counts["Students"] == 0
    assert class_codes(store) == [young.code] and rows(store, classdb.students) == rows(store, classdb.runs) == 0
    clock.now += 20 * HOUR
    new = store.create_class()  # creating a class purges first
    assert class_codes(store) == [new.code]
    clock.now += 30 * HOUR
    open_store(max_age_hours=24)  # and so does starting
    assert class_codes(store) == []


def class_codes(store) -> list[str]:
    with store.engine.connect() as conn:
        return conn.execute(sa.select(classdb.classes.c.code)).scalars().all()


def rows(store, table) -> int:
    with store.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()


def test_a_class_survives_a_restart(url, clock):
    first = ClassStore(url, clock=clock)
    cls = first.create_class()
    s = first.join(cls.code, "Ada")
    first.add_run(cls.code, s.id, *run_args())
    first.dispose()
    second = ClassStore(url, clock=clock)  # the schema is there: created once, checked again
    try:
        assert second.student(cls.code, s.id) == s
        assert second.view(cls.code, cls.teacher_key).counts == {"Students": 1, "Runs": 1, "Drawings": 0}
    finally:
        second.dispose()


def test_two_stores_on_one_database_see_each_others_writes(open_store):
    one, two = open_store(), open_store()
    cls = one.create_class()
    s = two.join(cls.code)
    one.put_drawing(cls.code, s.id, "c", digit(), 1.0, 3, 3)
    two.push_settings(cls.code, cls.teacher_key, {"lr": "0.5"})
    assert one.pushed(cls.code).settings == {"lr": "0.5"}
    assert two.view(cls.code, cls.teacher_key).counts == {"Students": 1, "Runs": 0, "Drawings": 1}


def test_sessions_on_threads_share_one_store(store):
    """Streamlit runs each session's script on its own thread; they all use one ClassStore."""
    cls = store.create_class()
    student = store.join(cls.code)

    def session(i: int):
        s = store.join(cls.code)
        for k in range(5):
            store.put_drawing(cls.code, s.id, f"c{k}", digit(i), 0.0, 3, 3)
            store.pushed(cls.code)
            store.student(cls.code, student.id)
        return s

    with ThreadPoolExecutor(8) as pool:
        joined = list(pool.map(session, range(16)))
    assert store.view(cls.code, cls.teacher_key).counts == {"Students": 17, "Runs": 0, "Drawings": 80}
    assert len({s.nickname for s in joined}) == 16


def test_another_process_joining_at_the_same_time_sees_one_class(store, url):
    """Two processes (as `make serve`'s replicas) join one class at once: every join counts once."""
    cls = store.create_class()
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        from mnist37.classroom import ClassStore
        store = ClassStore({url!r})
        print("ready", flush=True)
        input()
        for i in range(20):
            store.join({cls.code!r}, f"child {{i}}")
        print("done", flush=True)
    """)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        child.stdin.write("go\n")
        child.stdin.flush()
        mine = [store.join(cls.code, f"parent {i}") for i in range(20)]
        assert child.stdout.readline().strip() == "done"
        assert child.wait(60) == 0
    finally:
        child.kill()
    v = store.view(cls.code, cls.teacher_key)
    assert len(v.students) == 40 and set(mine) <= set(v.students)
    with store.engine.connect() as conn:
        numbers = conn.execute(sa.select(classdb.students.c.number)).scalars().all()
    assert sorted(numbers) == list(range(1, 41))


# --- the database itself ------------------------------------------------------------------------
def test_a_database_with_another_schema_version_is_refused(store, url):
    with store.engine.begin() as conn:
        conn.execute(classdb.meta.update().values(value="99"))
    with pytest.raises(StoreError, match="schema version 99") as e:
        ClassStore(url)
    assert one_sentence(str(e.value), most=400), str(e.value)


def test_sqlite_is_in_wal_mode_with_a_busy_timeout(tmp_path):
    store = ClassStore(f"sqlite:///{tmp_path}/c.sqlite3")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == classdb.SQLITE_BUSY_MS
    store.dispose()


def test_from_env_reads_the_url_and_the_age_and_defaults_to_the_cache_folder(tmp_path, clock):
    store = ClassStore.from_env({"XDG_CACHE_HOME": str(tmp_path / "cache")}, clock=clock)
    assert store.engine.url.database == str(tmp_path / "cache" / "mnist37" / "classes.sqlite3")
    assert store.max_age == 24 * HOUR
    store.dispose()
    store = ClassStore.from_env({"MNIST37_DB": f"sqlite:///{tmp_path}/x.db", "MNIST37_CLASS_MAX_AGE_HOURS": "2"})
    assert store.engine.url.database == f"{tmp_path}/x.db" and store.max_age == 2 * HOUR
    store.dispose()
    assert classdb.engine_for("postgresql://u@localhost/db").url.drivername == "postgresql+psycopg"


@pytest.mark.parametrize("env, message", [
    ({"MNIST37_DB": "mysql://u@h/db"}, "SQLite or PostgreSQL"),
    ({"MNIST37_DB": "not a url"}, "must look like"),
    ({"MNIST37_DB": "sqlite://"}, "needs a file path"),
    ({"MNIST37_CLASS_MAX_AGE_HOURS": "a day"}, "number of hours"),
    ({"MNIST37_CLASS_MAX_AGE_HOURS": "-1"}, "positive number"),
    ({"MNIST37_DB": f"postgresql://nobody@127.0.0.1:{free_port()}/none"}, "cannot be used"),
])
def test_a_bad_database_setting_gets_one_sentence(env, message, tmp_path):
    with pytest.raises(StoreError, match=message) as e:
        ClassStore.from_env({"XDG_CACHE_HOME": str(tmp_path), **env})
    assert one_sentence(str(e.value), most=400), str(e.value)


# --- the teacher's view: pure functions ---------------------------------------------------------
def drawing(i: int, x: float, meant) -> Drawing:
    pixels = np.zeros((28, 28), np.float32)
    pixels[0, 0] = x
    return Drawing(i, "s", "n", f"c{i}", 0.0, pixels, 0.0, 3, 3, meant)


def test_reread_puts_the_mistakes_first_most_wrong_first():
    w = np.zeros(784)
    w[0] = 10.0  # logit = 10 * x - 2
    ds = [drawing(1, 0.1, 3), drawing(2, 0.9, 3), drawing(3, 0.0, 3), drawing(4, 1.0, 7),
          drawing(5, 0.5, None), drawing(6, 0.35, 7)]
    readings = reread(ds, w, -2.0, threshold=0.0, positive=3)
    assert [r.drawing.id for r in readings] == [4, 3, 6, 1, 2, 5]
    assert [round(r.logit, 5) for r in readings] == [8.0, -2.0, 1.5, -1.0, 7.0, 3.0]
    assert [r.decision for r in readings] == [3, 7, 3, 7, 3, 3]
    assert [r.right for r in readings] == [False, False, False, False, True, None]
    assert drawings_accuracy(readings) == (1 / 5, 5)
    # positive 7 and a threshold flip the decisions
    assert [(r.drawing.id, r.decision) for r in reread(ds[:2], w, -2.0, threshold=5.0, positive=7)] == [
        (2, 7), (1, 3)]
    assert reread([], w, 0.0) == [] and drawings_accuracy([]) == (None, 0)


def test_a_pushed_setting_applies_over_a_students_own_and_says_when_weights_start_afresh():
    from mnist37.classview import Member, apply_push

    mine = TrainConfig(lr=0.5, seed=3, epochs=7)
    new, reset = apply_push(mine, {"lr": "0.1"})
    assert new == TrainConfig(lr=0.1, seed=3, epochs=7) and reset == []
    new, reset = apply_push(mine, {"seed": "9", "loss": "bce"})
    assert (new.seed, new.loss, new.lr) == (9, "bce", 0.5) and reset == ["seed", "loss"]
    assert Member("ABCDEFGH", teacher_key="k").teacher and not Member("ABCDEFGH", "id", "Ann").teacher
