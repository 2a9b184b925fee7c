"""A class: students share their training runs and drawings; the teacher sees them all.

`ClassStore` keeps classes in a database (`mnist37.classdb`: a SQLite file by default, PostgreSQL
with MNIST37_DB=postgresql://...). Every write is checked before it touches the database and is
refused with a `ClassError` (a ValueError whose message is one sentence), and nothing else in
the class changes. Teacher actions need the class's teacher key (`TeacherKeyError`). Values are
always sent as bound parameters; nicknames are plain text that the pages must show as text.

A class lives `max_age_hours` (24 by default) from its creation, then it is purged with all it
holds. What the teacher's view computes from a `ClassView` is in `mnist37.classview`.
"""
from __future__ import annotations

import hashlib
import hmac
import math
import os
import re
import secrets
import time
import unicodedata
from typing import Callable, NamedTuple

import numpy as np
import sqlalchemy as sa

from . import classdb as db
from .classdb import StoreError
from .classview import (ClassView, Drawing, Push, Reading, Run, Student, drawings_accuracy, reread,
                        runs_table)
from .model import N_PIXELS
from .train import FIELDS, from_strings, to_strings

__all__ = ["ClassStore", "ClassError", "ClassGoneError", "TeacherKeyError", "StoreError",
           "NewClass", "Student", "Push", "Run", "Drawing", "ClassView", "Reading",
           "reread", "drawings_accuracy", "runs_table"]

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32: no I, L, O, U
CODE_LENGTH = 8  # 32**8 = 1.1e12 codes
NICKNAME_MAX = 24
NICKNAME_MARKS = " -_.'"  # allowed besides letters and digits
CANVAS_KEY = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
MAX_CLASSES = 1000  # classes alive at once, on the whole database
MAX_STUDENTS = 100  # joins per class (rejoining counts again)
MAX_RUNS_PER_STUDENT = 50
MAX_DRAWINGS_PER_STUDENT = 100
MAX_EPOCHS = FIELDS["epochs"].metadata["max"]
SETTING_MAX_CHARS = 32


class ClassError(ValueError):
    """A refused write or read; the message is one sentence for the user."""


class ClassGoneError(ClassError):
    """The class, or the student's place in it, is not there: an unknown, expired or closed
    class, or a student the teacher removed. The page should leave the class."""


class TeacherKeyError(ClassError):
    """A teacher action without the class's teacher key, or with a wrong one."""


class NewClass(NamedTuple):
    code: str
    teacher_key: str


# --- checks: each refuses with one sentence before anything touches the database ----------------
def normal_code(code) -> str:
    """A class code as typed (any case, spaces or dashes, O for 0, I or L for 1) -> its canonical form."""
    c = str(code or "")[:40].upper().replace("-", "").replace(" ", "").translate(str.maketrans("OIL", "011"))
    if len(c) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in c):
        shown = f" {str(code)!r}" if len(str(code)) <= 12 else " with that code"
        raise ClassGoneError(f"There is no class{shown}.")
    return c


def check_nickname(nickname: str) -> str:
    if not isinstance(nickname, str):
        raise ClassError("A nickname must be text.")
    if len(nickname) > 4 * NICKNAME_MAX:
        raise ClassError(f"A nickname can have at most {NICKNAME_MAX} characters.")
    nick = " ".join(unicodedata.normalize("NFC", nickname).split())
    if not nick:
        raise ClassError("A nickname cannot be empty.")
    if len(nick) > NICKNAME_MAX:
        raise ClassError(f"A nickname can have at most {NICKNAME_MAX} characters.")
    if not all(ch.isalnum() or ch in NICKNAME_MARKS for ch in nick) or not any(ch.isalnum() for ch in nick):
        raise ClassError("A nickname can only hold letters, digits, spaces, and the marks - _ . and '.")
    return nick


def check_settings(settings: dict) -> dict[str, str]:
    """TrainConfig fields as strings (as `train.to_strings` gives them); returns them normalised."""
    if not isinstance(settings, dict) or not settings:
        raise ClassError("Settings must be a non-empty mapping of training settings to values.")
    unknown = [k for k in settings if k not in FIELDS]
    if unknown:
        raise ClassError(f"Unknown training setting {str(unknown[0])[:SETTING_MAX_CHARS]!r}.")
    if not all(isinstance(v, str) and len(v) <= SETTING_MAX_CHARS for v in settings.values()):
        raise ClassError(f"Each setting's value must be text of at most {SETTING_MAX_CHARS} characters.")
    if settings.get("source", "embedded") not in FIELDS["source"].metadata["choices"]:
        raise ClassError("A class trains on the embedded sample or on MNIST, never on a folder.")
    cfg, notices = from_strings(settings)
    if notices:
        raise ClassError(f"Bad training setting: {notices[0]}.")
    normal = to_strings(cfg)
    return {k: normal[k] for k in settings}


def _number(value, what: str, lo: float = -math.inf, hi: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ClassError(f"The {what} must be a number.")
    v = float(value)
    if not math.isfinite(v):
        raise ClassError(f"The {what} must be a finite number, not {v}.")
    if not lo <= v <= hi:
        raise ClassError(f"The {what} must be between {lo:g} and {hi:g}, not {v:g}.")
    return v


def _digit(value, what: str, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or value not in (3, 7):
        raise ClassError(f"The {what} must be 3 or 7.")
    return int(value)


def _array(value, shapes: tuple, what: str, lo: float = -math.inf, hi: float = math.inf) -> np.ndarray:
    """A float32 array of one of `shapes`, finite and within [lo, hi]; checked by size first."""
    size = math.prod(shapes[0])
    if getattr(value, "size", size) != size or (hasattr(value, "__len__") and len(value) > size):
        raise ClassError(f"The {what} must have shape {shapes[0]}.")
    try:
        a = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError):
        raise ClassError(f"The {what} must be an array of numbers.") from None
    if a.shape not in shapes:
        raise ClassError(f"The {what} must have shape {shapes[0]}, not {a.shape}.")
    if not np.isfinite(a).all():
        raise ClassError(f"The {what} must be finite numbers (no NaN or infinity).")
    if a.min() < lo or a.max() > hi:
        raise ClassError(f"The {what} must lie between {lo:g} and {hi:g}.")
    return a.reshape(size)


def _student_id(student_id) -> str:
    if not isinstance(student_id, str) or not 1 <= len(student_id) <= 16:
        raise ClassGoneError("You are not in this class.")
    return student_id


def _hash(teacher_key: str) -> str:
    return hashlib.sha256(teacher_key.encode()).hexdigest()


def _pixels(raw: bytes) -> np.ndarray:
    return np.frombuffer(raw, dtype="<f4").reshape(28, 28)


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
        """A new class: its code (8 characters of CODE_ALPHABET) and its teacher key (a secret
        kept only as a hash). Purges expired classes first."""
        self.purge()
        teacher_key = secrets.token_urlsafe(32)
        with db.transaction(self.engine, write=True) as conn:
            if self._count(conn, db.classes) >= MAX_CLASSES:
                raise ClassError("The class database is full; try again tomorrow, when old classes have expired.")
            while True:
                code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
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
        code = normal_code(code)
        nick = None if nickname is None or not str(nickname).strip() else check_nickname(nickname)
        with db.transaction(self.engine, write=True) as conn:
            row = self._class(conn, code, lock=True)
            if row.n_joined >= MAX_STUDENTS:
                raise ClassError(f"Class {code} is full: {MAX_STUDENTS} students have joined it.")
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
        code, c, s = normal_code(code), db.classes.c, db.students.c
        seat = (s.class_code == c.code) & (s.id == str(student_id)[:16])
        q = (sa.select(c.code, c.created, c.closed, s.id, s.nickname, s.removed)
             .select_from(db.classes.outerjoin(db.students, seat)).where(c.code == code))
        with db.transaction(self.engine) as conn:
            row = conn.execute(q).first()
        self._alive(code, row)
        return None if row.id is None or row.removed else Student(row.id, row.nickname)

    def pushed(self, code: str) -> Push | None:
        """The teacher's last push, or None (one primary-key query). Raises ClassGoneError when the
        class is unknown, expired or closed."""
        code, c = normal_code(code), db.classes.c
        with db.transaction(self.engine) as conn:
            row = conn.execute(sa.select(c.code, c.created, c.closed, c.push_id, c.push_settings)
                               .where(c.code == code)).first()
        self._alive(code, row)
        return Push(row.push_id, row.push_settings) if row.push_id else None

    # --- what students share ----------------------------------------------------------------------
    def add_run(self, code: str, student_id: str, settings: dict, valid_accuracy, final_accuracy: float,
                weights, bias: float) -> int:
        """A finished training run: settings (TrainConfig fields as strings), valid accuracy per
        epoch, final valid accuracy, the 784 weights and the bias. Returns the run's id."""
        code, student_id = normal_code(code), _student_id(student_id)
        settings = check_settings(settings)
        if not isinstance(valid_accuracy, (list, tuple, np.ndarray)) or len(valid_accuracy) > MAX_EPOCHS:
            raise ClassError(f"The accuracy curve must be a list of at most {MAX_EPOCHS} numbers.")
        curve = [_number(a, "valid accuracy", 0, 1) for a in valid_accuracy]
        final = _number(final_accuracy, "final accuracy", 0, 1)
        w = _array(weights, ((N_PIXELS,), (N_PIXELS, 1)), "weights")
        b = _number(bias, "bias")
        with db.transaction(self.engine, write=True) as conn:
            self._seat(conn, code, student_id)
            if self._count(conn, db.runs, student_id=student_id) >= MAX_RUNS_PER_STUDENT:
                raise ClassError(f"You have shared {MAX_RUNS_PER_STUDENT} runs with this class, the most it keeps.")
            return conn.execute(db.runs.insert().values(
                class_code=code, student_id=student_id, created=self.clock(), settings=settings,
                valid_accuracy=curve, final_accuracy=final, weights=w.astype("<f4").tobytes(),
                bias=b).returning(db.runs.c.id)).scalar_one()

    def put_drawing(self, code: str, student_id: str, canvas_key: str, pixels, logit: float,
                    decision: int, positive: int, meant: int | None = None) -> int:
        """Add or update (by student and `canvas_key`) one drawing: the (28, 28) pixels in [0, 1]
        the model saw, its logit and decision, the positive digit, and what the student meant
        (3, 7 or None: keeps what was said before). Returns the drawing's id."""
        code, student_id = normal_code(code), _student_id(student_id)
        if not isinstance(canvas_key, str) or not CANVAS_KEY.fullmatch(canvas_key):
            raise ClassError("A drawing's key must be 1 to 64 letters, digits or _ . : -.")
        x = _array(pixels, ((28, 28), (N_PIXELS,)), "drawing", 0, 1)
        values = dict(pixels=x.astype("<f4").tobytes(), logit=_number(logit, "logit"),
                      decision=_digit(decision, "decision"), positive=_digit(positive, "positive digit"),
                      updated=self.clock())
        if _digit(meant, "digit you meant", allow_none=True) is not None:
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
            if self._count(conn, db.drawings, student_id=student_id) >= MAX_DRAWINGS_PER_STUDENT:
                raise ClassError(f"You have shared {MAX_DRAWINGS_PER_STUDENT} drawings with this class, "
                                 "the most it keeps.")
            return conn.execute(db.drawings.insert().values(
                class_code=code, student_id=student_id, canvas_key=canvas_key, created=self.clock(),
                removed=False, **values).returning(d.id)).scalar_one()

    def set_meant(self, code: str, student_id: str, canvas_key: str, meant: int | None) -> bool:
        """Say what a drawing was meant to be (3, 7, or None to unsay it); False when there is
        no drawing with that key yet (pass `meant` to put_drawing then)."""
        code, student_id = normal_code(code), _student_id(student_id)
        meant = _digit(meant, "digit you meant", allow_none=True)
        d = db.drawings.c
        with db.transaction(self.engine, write=True) as conn:
            self._seat(conn, code, student_id)
            return conn.execute(db.drawings.update().where(
                d.student_id == student_id, d.canvas_key == str(canvas_key)[:64], d.removed.is_(False))
                .values(meant=meant)).rowcount > 0

    # --- the teacher ------------------------------------------------------------------------------
    def view(self, code: str, teacher_key: str) -> ClassView:
        """Everything in the class (students, runs, drawings), for its teacher."""
        code = normal_code(code)
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
        code = normal_code(code)
        with db.transaction(self.engine) as conn:
            return self._class(conn, code).revision

    def push_settings(self, code: str, teacher_key: str, settings: dict) -> int:
        """Offer training settings to every student (they apply them with a click); returns the push id."""
        code, settings = normal_code(code), check_settings(settings)
        with db.transaction(self.engine, write=True) as conn:
            row = self._teacher(conn, code, teacher_key, lock=True)
            conn.execute(db.classes.update().where(db.classes.c.code == code).values(
                push_id=row.push_id + 1, push_settings=settings))
            return row.push_id + 1

    def remove_drawing(self, code: str, teacher_key: str, drawing_id: int) -> bool:
        """Remove a drawing from the class: its pixels are erased and the student cannot draw on
        in it (put_drawing with its key is refused). False when there was no such drawing."""
        code, d = normal_code(code), db.drawings.c
        if isinstance(drawing_id, bool) or not isinstance(drawing_id, int):
            raise ClassError("A drawing's id must be a whole number.")
        with db.transaction(self.engine, write=True) as conn:
            self._teacher(conn, code, teacher_key, lock=True)
            return conn.execute(db.drawings.update().where(d.class_code == code, d.id == drawing_id,
                                                           d.removed.is_(False))
                                .values(removed=True, pixels=b"")).rowcount > 0

    def remove_student(self, code: str, teacher_key: str, student_id: str) -> bool:
        """Remove a student and everything they shared; their later writes are refused
        (ClassGoneError) and `student` gives None. False when there was no such student."""
        code, student_id, s = normal_code(code), str(student_id)[:16], db.students.c
        with db.transaction(self.engine, write=True) as conn:
            self._teacher(conn, code, teacher_key, lock=True)
            for table in (db.drawings, db.runs):
                conn.execute(table.delete().where(table.c.class_code == code, table.c.student_id == student_id))
            return conn.execute(db.students.update().where(s.class_code == code, s.id == student_id,
                                                           s.removed.is_(False))
                                .values(removed=True)).rowcount > 0

    def close_class(self, code: str, teacher_key: str) -> None:
        """Close the class: what it holds is deleted now; its code answers "closed" until it expires."""
        code = normal_code(code)
        with db.transaction(self.engine, write=True) as conn:
            self._teacher(conn, code, teacher_key, lock=True, closed_ok=True)
            for table in (db.drawings, db.runs, db.students):
                conn.execute(table.delete().where(table.c.class_code == code))
            conn.execute(db.classes.update().where(db.classes.c.code == code, db.classes.c.closed.is_(None))
                         .values(closed=self.clock(), push_id=0, push_settings=None))
