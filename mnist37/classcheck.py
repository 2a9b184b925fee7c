"""What a class accepts. Each check returns the clean value or raises a ClassError (a ValueError
whose message is one sentence for the user); the store runs them before it touches the database.
A message repeats what the user sent only when it is plain letters and digits, never a nickname,
so it is safe to show as markdown (st.error)."""
from __future__ import annotations

import math
import re
import unicodedata

import numpy as np

from .model import N_PIXELS
from .config import FIELDS, LINK_SOURCES, from_strings, to_strings

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32: no I, L, O, U
CODE_LENGTH = 8  # 32**8 = 1.1e12 codes
NICKNAME_MAX = 24
NICKNAME_MARKS = " -_.'"  # allowed besides letters and digits
CANVAS_KEY = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
SETTING_MAX_CHARS = 32
SETTING_VALUE = re.compile(rf"[A-Za-z0-9_.+-]{{1,{SETTING_MAX_CHARS}}}")  # numbers, words like "bce"
MAX_EPOCHS = FIELDS["epochs"].metadata["max"]  # the longest accuracy curve a run can have
# Caps, so that nobody can fill the database: a class of 30 uses a few percent of them.
MAX_CLASSES = 1000  # classes alive at once, in the whole database
MAX_STUDENTS = 100  # joins per class (joining again counts again)
MAX_RUNS_PER_STUDENT = 50
MAX_DRAWINGS_PER_STUDENT = 100


class ClassError(ValueError):
    """A refused write or read; the message is one sentence for the user."""


class ClassGoneError(ClassError):
    """The class, or the student's place in it, is not there: an unknown, expired or closed
    class, or a student the teacher removed. The page should leave the class."""


class TeacherKeyError(ClassError):
    """A teacher action without the class's teacher key, or with a wrong one."""


def code(typed) -> str:
    """A class code as typed (any case, spaces or dashes, O for 0, I or L for 1) -> its canonical form."""
    c = str(typed or "")[:40].upper().replace("-", "").replace(" ", "").translate(str.maketrans("OIL", "011"))
    if len(c) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in c):
        shown = f" {typed}" if isinstance(typed, str) and re.fullmatch(r"[A-Za-z0-9 -]{1,12}", typed) else ""
        raise ClassGoneError(f"There is no class{shown or ' with that code'}.")
    return c


def nickname(text) -> str:
    """Letters (any script), digits, spaces and - _ . ' only, at most NICKNAME_MAX characters once
    runs of spaces are one space; never markup, quotes or semicolons."""
    if not isinstance(text, str):
        raise ClassError("A nickname must be text.")
    nick = " ".join(unicodedata.normalize("NFC", text[:4 * NICKNAME_MAX + 1]).split())
    if not nick:
        raise ClassError("A nickname cannot be empty.")
    if len(text) > 4 * NICKNAME_MAX or len(nick) > NICKNAME_MAX:
        raise ClassError(f"A nickname can have at most {NICKNAME_MAX} characters.")
    if not all(ch.isalnum() or ch in NICKNAME_MARKS for ch in nick) or not any(ch.isalnum() for ch in nick):
        raise ClassError("A nickname can only hold letters, digits, spaces, and the marks - _ . and '.")
    return nick


def settings(values) -> dict[str, str]:
    """TrainConfig fields as strings (as `train.to_strings` writes them), each valid for
    TrainConfig, the data source the embedded sample or MNIST; returns them normalised."""
    if not isinstance(values, dict) or not values:
        raise ClassError("Settings must be a non-empty mapping of training settings to values.")
    unknown = [k for k in values if k not in FIELDS]
    if unknown:
        shown = unknown[0] if isinstance(unknown[0], str) and re.fullmatch(r"[a-z_]{1,32}", unknown[0]) else ""
        raise ClassError(f"Unknown training setting{' ' + shown if shown else ''}.")
    if not all(isinstance(v, str) and SETTING_VALUE.fullmatch(v) for v in values.values()):
        raise ClassError(f"Each setting's value must be a number or a word of at most {SETTING_MAX_CHARS} "
                         "characters.")
    if values.get("source", "embedded") not in LINK_SOURCES:
        raise ClassError("A class trains on the embedded sample or on MNIST, never on a folder.")
    cfg, errors = from_strings(values)
    if errors:  # the value itself is not repeated: a refusal never echoes what it was sent
        raise ClassError(f"Bad training setting: {errors[0].name} must {errors[0].must}.")
    normal = to_strings(cfg)
    return {k: normal[k] for k in values}


def number(value, what: str, lo: float = -math.inf, hi: float = math.inf) -> float:
    """A finite int or float in [lo, hi] (not a bool, not a string)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ClassError(f"The {what} must be a number.")
    v = float(value)
    if not math.isfinite(v):
        raise ClassError(f"The {what} must be a finite number, not {v}.")
    if not lo <= v <= hi:
        raise ClassError(f"The {what} must be between {lo:g} and {hi:g}, not {v:g}.")
    return v


def curve(values) -> list[float]:
    """Valid accuracy per epoch: at most MAX_EPOCHS numbers in [0, 1]."""
    if not isinstance(values, (list, tuple, np.ndarray)) or len(values) > MAX_EPOCHS:
        raise ClassError(f"The accuracy curve must be a list of at most {MAX_EPOCHS} numbers.")
    return [number(a, "valid accuracy", 0, 1) for a in values]


def digit(value, what: str, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or value not in (3, 7):
        raise ClassError(f"The {what} must be 3 or 7.")
    return int(value)


def array(value, shapes: tuple, what: str, lo: float = -math.inf, hi: float = math.inf) -> np.ndarray:
    """A flat float32 array from one of `shapes`, finite and within [lo, hi]; its length is
    checked before anything is converted, so a 10 MB array costs nothing."""
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


def weights(value) -> np.ndarray:
    return array(value, ((N_PIXELS,), (N_PIXELS, 1)), "weights")


def pixels(value) -> np.ndarray:
    """The 28x28 input the model saw, values in [0, 1] (the lesson's /255)."""
    return array(value, ((28, 28), (N_PIXELS,)), "drawing", 0, 1)


def canvas_key(value) -> str:
    if not isinstance(value, str) or not CANVAS_KEY.fullmatch(value):
        raise ClassError("A drawing's key must be 1 to 64 letters, digits or _ . : -.")
    return value


def student_id(value) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 16:
        raise ClassGoneError("You are not in this class.")
    return value
