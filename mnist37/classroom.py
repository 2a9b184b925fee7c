"""A class: students share their training runs and drawings; the teacher sees them all.

`ClassStore` keeps classes in a database (`mnist37.classdb`: a SQLite file by default, PostgreSQL
with MNIST37_DB=postgresql://...); keep one per process (it is thread-safe). Every write is checked
before it touches the database and a bad one is refused with a `ClassError` (a ValueError whose
message is one sentence for the user), changing nothing. Values always travel as bound parameters.

A student (each call raises ClassGoneError once the class is unknown, expired or closed, or the
teacher removed the student: leave the class then):
    join(code, nickname=None) -> Student(id, nickname)      # nickname None or blank: "student N"
    student(code, student_id) -> Student | None               # None: removed by the teacher
    pushed(code) -> Push(id, settings) | None                 # one primary-key query per call
    add_run(code, student_id, settings, valid_accuracy, final_accuracy, weights, bias) -> run id
    put_drawing(code, student_id, canvas_key, pixels, logit, decision, positive, meant=None) -> id
    set_meant(code, student_id, canvas_key, meant) -> bool    # False: nothing drawn on it yet
The teacher (each action raises TeacherKeyError without the class's teacher key):
    create_class() -> NewClass(code, teacher_key)
    view(code, teacher_key) -> ClassView                      # see mnist37.classview
    revision(code) -> int                                     # changed: call view again
    push_settings(code, teacher_key, settings) -> push id
    remove_drawing(code, teacher_key, drawing_id) -> bool
    remove_student(code, teacher_key, student_id) -> bool
    close_class(code, teacher_key)                            # deletes what it held, now
A class lives `max_age_hours` (24 by default) from its creation; `purge()` deletes older ones
(at start and whenever a class is created). Nicknames are what students typed (letters, digits,
spaces and - _ . '): show them as text, never as markdown or HTML.
"""
from __future__ import annotations

import hashlib
import hmac
import math
import os
import secrets
import time
from typing import Callable, NamedTuple

import numpy as np
import sqlalchemy as sa

from . import classcheck as check
from . import classdb as db
from .classcheck import ClassError, ClassGoneError, TeacherKeyError
from .classdb import StoreError
from .classview import (ClassView, Drawing, Push, Reading, Run, Student, drawings_accuracy, reread,
                        runs_table)

__all__ = ["ClassStore", "ClassError", "ClassGoneError", "TeacherKeyError", "StoreError",
           "NewClass", "Student", "Push", "Run", "Drawing", "ClassView", "Reading",
           "reread", "drawings_accuracy", "runs_table"]


class NewClass(NamedTuple):
    code: str
    teacher_key: str  # a secret: only its hash is stored


def _hash(teacher_key: str) -> str:
    return hashlib.sha256(teacher_key.encode()).hexdigest()


def _pixels(raw: bytes) -> np.ndarray:
    return np.frombuffer(raw, dtype="<f4").reshape(28, 28)


# The reads a student's page makes on every run, built once (SQLAlchemy caches their SQL, not their building).
_c, _s = db.classes.c, db.students.c
_PUSHED = (sa.select(_c.code, _c.created, _c.closed, _c.push_id, _c.push_settings)
           .where(_c.code == sa.bindparam("code")))
_STUDENT = (sa.select(_c.code, _c.created, _c.closed, _s.id, _s.nickname, _s.removed)
            .select_from(db.classes.outerjoin(db.students, (_s.class_code == _c.code) & (_s.id == sa.bindparam("id"))))
            .where(_c.code == sa.bindparam("code")))


# --- the store -----------------------------------------------------------------------------------
class ClassStore:
    """Classes in a database shared by every app process (thread-safe; keep one per process)."""

    def __init__(self, url: str | None = None, max_age_hours: float = 24,
                 clock: Callable[[], float] = time.time):
        if not (isinstance(max_age_hours, (int, float)) and 0 < max_age_hours < math.inf):
            raise StoreError(f"A class's maximum age must be a positive number of hours, not {max_age_hours!r}.")
        self.max_age = float(max_age_hours) * 3600
        self.clock = clock
        self.engine = db.engine_for(url or db.default_url())
        db.create_schema(self.engine)
        self.purge()

    @classmethod
    def from_env(cls, env=os.environ, **kw) -> "ClassStore":
        """MNIST37_DB (a database URL; default: a SQLite file in the user's cache folder) and
        MNIST37_CLASS_MAX_AGE_HOURS (default 24)."""
        raw = env.get("MNIST37_CLASS_MAX_AGE_HOURS", "24")
        try:
            hours = float(raw)
        except ValueError:
            raise StoreError(f"MNIST37_CLASS_MAX_AGE_HOURS must be a number of hours, not {raw[:20]!r}.") from None
        return cls(env.get("MNIST37_DB") or db.default_url(env), hours, **kw)

    def __repr__(self) -> str:
        return f"ClassStore({db.describe(self.engine)!r}, max_age_hours={self.max_age / 3600:g})"

    def dispose(self) -> None:
        """Close the pooled connections."""
        self.engine.dispose()

    # --- the class row: existence, age, lock -----------------------------------------------------
    def _class(self, conn, code: str, lock: bool = False, closed_ok: bool = False):
        """The class's row; a writer (`lock`) takes its row lock and bumps its revision."""
        c = db.classes.c
        if lock:
            q = db.classes.update().where(c.code == code).values(revision=c.revision + 1).returning(*c)
        else:
            q = sa.select(db.classes).where(c.code == code)
        return self._alive(code, conn.execute(q).first(), closed_ok)

    def _alive(self, code: str, row, closed_ok: bool = False):
        """The row of a class that exists, has not expired and (unless `closed_ok`) is open."""
        if row is None or row.created < self.clock() - self.max_age:
            raise ClassGoneError(f"There is no class {code} (a class lasts {self.max_age / 3600:g} hours).")
        if row.closed is not None and not closed_ok:
            raise ClassGoneError(f"Class {code} was closed by its teacher.")
        return row

    def _teacher(self, conn, code: str, teacher_key, lock: bool = False, closed_ok: bool = False):
        if not isinstance(teacher_key, str) or not teacher_key:
            raise TeacherKeyError("Only the class's teacher can do this: the teacher key is missing.")
        row = self._class(conn, code, lock, closed_ok)
        if not hmac.compare_digest(row.key_hash, _hash(teacher_key[:200])):
            raise TeacherKeyError(f"Only the class's teacher can do this: the teacher key for class {code} is wrong.")
        return row

    def _seat(self, conn, code: str, student_id: str):
        """Lock the class for a student's write; the student must still be in it."""
        self._class(conn, code, lock=True)
        s = db.students.c
        row = conn.execute(sa.select(s.removed).where(s.id == student_id, s.class_code == code)).first()
        if row is None or row.removed:
            raise ClassGoneError(f"You are no longer in class {code}.")

    def _count(self, conn, table, **where) -> int:
        return conn.execute(sa.select(sa.func.count()).select_from(table).filter_by(**where)).scalar()

    # --- classes ----------------------------------------------------------------------------------
    def create_class(self) -> NewClass:
        """A new class: its code (8 characters of classcheck.CODE_ALPHABET) and its teacher key (a
        secret kept only as a hash). Purges expired classes first."""
        self.purge()
        teacher_key = secrets.token_urlsafe(32)
        with db.transaction(self.engine, write=True) as conn:
            if self._count(conn, db.classes) >= check.MAX_CLASSES:
                raise ClassError("The class database is full; try again tomorrow, when old classes have expired.")
            while True:
                code = "".join(secrets.choice(check.CODE_ALPHABET) for _ in range(check.CODE_LENGTH))
                if conn.execute(sa.select(db.classes.c.code).where(db.classes.c.code == code)).first() is None:
                    break
            conn.execute(db.classes.insert().values(
                code=code, key_hash=_hash(teacher_key), created=self.clock(), revision=0, n_joined=0, push_id=0))
        return NewClass(code, teacher_key)

    def purge(self) -> int:
        """Delete the classes older than the maximum age, with all they hold; returns how many."""
        with db.transaction(self.engine, write=True) as conn:
            cut = self.clock() - self.max_age
            old = sa.select(db.classes.c.code).where(db.classes.c.created < cut).scalar_subquery()
            for table in (db.drawings, db.runs, db.students):
                conn.execute(table.delete().where(table.c.class_code.in_(old)))
            return conn.execute(db.classes.delete().where(db.classes.c.created < cut)).rowcount

    # --- students ---------------------------------------------------------------------------------
    def join(self, code: str, nickname: str | None = None) -> Student:
        """Join a class; the nickname defaults to "student N" (N: the order of joining)."""
        code = check.code(code)
        nick = None if nickname is None or not str(nickname).strip() else check.nickname(nickname)
        with db.transaction(self.engine, write=True) as conn:
            row = self._class(conn, code, lock=True)
            if row.n_joined >= check.MAX_STUDENTS:
                raise ClassError(f"Class {code} is full: {check.MAX_STUDENTS} students have joined it.")
            number = row.n_joined + 1
            conn.execute(db.classes.update().where(db.classes.c.code == code).values(n_joined=number))
            student = Student(secrets.token_urlsafe(9), nick or f"student {number}")
            conn.execute(db.students.insert().values(
                id=student.id, class_code=code, number=number, nickname=student.nickname,
                joined=self.clock(), removed=False))
        return student

    def student(self, code: str, student_id: str) -> Student | None:
        """The student, or None once the teacher removed them (one indexed query).
        Raises ClassGoneError when the class is unknown, expired or closed."""
        code = check.code(code)
        with db.transaction(self.engine) as conn:
            row = conn.execute(_STUDENT, {"code": code, "id": str(student_id)[:16]}).first()
        self._alive(code, row)
        return None if row.id is None or row.removed else Student(row.id, row.nickname)

    def pushed(self, code: str) -> Push | None:
        """The teacher's last push, or None (one primary-key query). Raises ClassGoneError when the
        class is unknown, expired or closed."""
        code = check.code(code)
        with db.transaction(self.engine) as conn:
            row = conn.execute(_PUSHED, {"code": code}).first()
        self._alive(code, row)
        return Push(row.push_id, row.push_settings) if row.push_id else None

    # --- what students share ----------------------------------------------------------------------
    def add_run(self, code: str, student_id: str, settings: dict, valid_accuracy, final_accuracy: float,
                weights, bias: float) -> int:
        """A finished training run: settings (TrainConfig fields as strings), valid accuracy per
        epoch, final valid accuracy, the 784 weights and the bias. Returns the run's id."""
        code, student_id = check.code(code), check.student_id(student_id)
        settings, curve = check.settings(settings), check.curve(valid_accuracy)
        final = check.number(final_accuracy, "final accuracy", 0, 1)
        w, b = check.weights(weights), check.number(bias, "bias")
        with db.transaction(self.engine, write=True) as conn:
            self._seat(conn, code, student_id)
            if self._count(conn, db.runs, student_id=student_id) >= check.MAX_RUNS_PER_STUDENT:
                raise ClassError(f"You have shared {check.MAX_RUNS_PER_STUDENT} runs with this class, "
                                 "the most it keeps.")
            return conn.execute(db.runs.insert().values(
                class_code=code, student_id=student_id, created=self.clock(), settings=settings,
                valid_accuracy=curve, final_accuracy=final, weights=w.astype("<f4").tobytes(),
                bias=b).returning(db.runs.c.id)).scalar_one()

    def put_drawing(self, code: str, student_id: str, canvas_key: str, pixels, logit: float,
                    decision: int, positive: int, meant: int | None = None) -> int:
        """Add or update (by student and `canvas_key`) one drawing: the (28, 28) pixels in [0, 1]
        the model saw, its logit and decision, the positive digit, and what the student meant
        (3, 7 or None: keeps what was said before). Returns the drawing's id."""
        code, student_id = check.code(code), check.student_id(student_id)
        canvas_key, x = check.canvas_key(canvas_key), check.pixels(pixels)
        values = dict(pixels=x.astype("<f4").tobytes(), logit=check.number(logit, "logit"),
                      decision=check.digit(decision, "decision"), positive=check.digit(positive, "positive digit"),
                      updated=self.clock())
        if (meant := check.digit(meant, "digit you meant", allow_none=True)) is not None:
            values["meant"] = meant
        d = db.drawings.c
        with db.transaction(self.engine, write=True) as conn:
            self._seat(conn, code, student_id)
            old = conn.execute(sa.select(d.id, d.removed).where(d.student_id == student_id,
                                                                d.canvas_key == canvas_key)).first()
            if old is not None and old.removed:
                raise ClassError("Your teacher removed this drawing; clear the canvas to draw a new one.")
            if old is not None:
                conn.execute(db.drawings.update().where(d.id == old.id).values(**values))
                return old.id
            if self._count(conn, db.drawings, student_id=student_id) >= check.MAX_DRAWINGS_PER_STUDENT:
                raise ClassError(f"You have shared {check.MAX_DRAWINGS_PER_STUDENT} drawings with this class, "
                                 "the most it keeps.")
            return conn.execute(db.drawings.insert().values(
                class_code=code, student_id=student_id, canvas_key=canvas_key, created=self.clock(),
                removed=False, **values).returning(d.id)).scalar_one()

    def set_meant(self, code: str, student_id: str, canvas_key: str, meant: int | None) -> bool:
        """Say what a drawing was meant to be (3, 7, or None to unsay it); False when there is
        no drawing with that key yet (pass `meant` to put_drawing then)."""
        code, student_id = check.code(code), check.student_id(student_id)
        meant = check.digit(meant, "digit you meant", allow_none=True)
        d = db.drawings.c
        with db.transaction(self.engine, write=True) as conn:
            self._seat(conn, code, student_id)
            return conn.execute(db.drawings.update().where(
                d.student_id == student_id, d.canvas_key == str(canvas_key)[:64], d.removed.is_(False))
                .values(meant=meant)).rowcount > 0

    # --- the teacher ------------------------------------------------------------------------------
    def view(self, code: str, teacher_key: str) -> ClassView:
        """Everything in the class (students, runs, drawings), for its teacher."""
        code = check.code(code)
        s, r, d = db.students.c, db.runs.c, db.drawings.c
        with db.transaction(self.engine) as conn:
            row = self._teacher(conn, code, teacher_key)
            names = {x.id: x.nickname for x in conn.execute(
                sa.select(s.id, s.nickname).where(s.class_code == code, s.removed.is_(False)).order_by(s.number))}
            run_rows = conn.execute(sa.select(db.runs).where(r.class_code == code).order_by(r.id)).all()
            drawing_rows = conn.execute(sa.select(db.drawings).where(
                d.class_code == code, d.removed.is_(False)).order_by(d.updated.desc(), d.id.desc())).all()
        runs = [Run(x.id, x.student_id, names[x.student_id], x.created, x.settings, x.valid_accuracy,
                    x.final_accuracy, np.frombuffer(x.weights, dtype="<f4"), x.bias)
                for x in run_rows if x.student_id in names]
        drawings = [Drawing(x.id, x.student_id, names[x.student_id], x.canvas_key, x.updated, _pixels(x.pixels),
                            x.logit, x.decision, x.positive, x.meant)
                    for x in drawing_rows if x.student_id in names]
        push = Push(row.push_id, row.push_settings) if row.push_id else None
        return ClassView(code, row.created, row.revision, push,
                         [Student(i, n) for i, n in names.items()], runs, drawings)

    def revision(self, code: str) -> int:
        """A number that grows with every write to the class: poll it, and call `view` when it changed."""
        code = check.code(code)
        with db.transaction(self.engine) as conn:
            return self._class(conn, code).revision

    def push_settings(self, code: str, teacher_key: str, settings: dict) -> int:
        """Offer training settings to every student (they apply them with a click); returns the push id."""
        code, settings = check.code(code), check.settings(settings)
        with db.transaction(self.engine, write=True) as conn:
            row = self._teacher(conn, code, teacher_key, lock=True)
            conn.execute(db.classes.update().where(db.classes.c.code == code).values(
                push_id=row.push_id + 1, push_settings=settings))
            return row.push_id + 1

    def remove_drawing(self, code: str, teacher_key: str, drawing_id: int) -> bool:
        """Remove a drawing from the class: its pixels are erased and the student cannot draw on
        it any more (put_drawing with its key is refused). False when there was no such drawing."""
        code, d = check.code(code), db.drawings.c
        if isinstance(drawing_id, bool) or not isinstance(drawing_id, (int, np.integer)):
            raise ClassError("A drawing's id must be a whole number.")
        drawing_id = int(drawing_id)
        with db.transaction(self.engine, write=True) as conn:
            self._teacher(conn, code, teacher_key, lock=True)
            return conn.execute(db.drawings.update().where(d.class_code == code, d.id == drawing_id,
                                                           d.removed.is_(False))
                                .values(removed=True, pixels=b"")).rowcount > 0

    def remove_student(self, code: str, teacher_key: str, student_id: str) -> bool:
        """Remove a student and everything they shared; their later writes are refused
        (ClassGoneError) and `student` gives None. False when there was no such student."""
        code, student_id, s = check.code(code), str(student_id)[:16], db.students.c
        with db.transaction(self.engine, write=True) as conn:
            self._teacher(conn, code, teacher_key, lock=True)
            for table in (db.drawings, db.runs):
                conn.execute(table.delete().where(table.c.class_code == code, table.c.student_id == student_id))
            return conn.execute(db.students.update().where(s.class_code == code, s.id == student_id,
                                                           s.removed.is_(False))
                                .values(removed=True)).rowcount > 0

    def close_class(self, code: str, teacher_key: str) -> None:
        """Close the class: what it holds is deleted now; its code answers "closed" until it expires."""
        code = check.code(code)
        with db.transaction(self.engine, write=True) as conn:
            self._teacher(conn, code, teacher_key, lock=True, closed_ok=True)
            for table in (db.drawings, db.runs, db.students):
                conn.execute(table.delete().where(table.c.class_code == code))
            conn.execute(db.classes.update().where(db.classes.c.code == code, db.classes.c.closed.is_(None))
                         .values(closed=self.clock(), push_id=0, push_settings=None))
