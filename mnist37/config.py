"""The one source of settings: `TrainConfig`, and its views as strings, CLI flags and URL parameters.

Each field's metadata (help, min/max or choices) generates the CLI flags, bounds the page's
widgets and checks values that come as text (a shared link's query string, a form field). A bad
value never raises out of the parsers: it keeps the base value and comes back as a `SettingError`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace


def _f(default, help, **spec):
    return field(default=default, metadata={"help": help, **spec})


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters, with the lesson's settings as defaults."""

    lr: float = _f(1.0, "learning rate (the lesson's lr)", min=0.001, max=10.0)
    bs: int = _f(256, "mini-batch size", min=1, max=4096)
    epochs: int = _f(20, "epochs to train", min=1, max=200)
    std: float = _f(1.0, "std of the random initial weights and bias (init_params)", min=0.0, max=1e38)
    seed: int = _f(42, "seed for the initial weights and the shuffling", min=0, max=2**31 - 1)
    loss: str = _f("mnist", "loss: the lesson's mnist_loss or binary cross-entropy", choices=("mnist", "bce"))
    positive: int = _f(3, "the digit with label 1 (logit > threshold means this digit)", choices=(3, 7))
    threshold: float = _f(0.0, "decision threshold on the logit (0 <=> probability 0.5)", min=-10.0, max=10.0)
    source: str = _f("embedded", "data: the embedded sample, full MNIST, or a folder path", choices=("embedded", "mnist"))
    fit_threshold: bool = _f(False, "train for this threshold: the loss sees logit - threshold")

    def __post_init__(self):
        errors = validate(self)
        if errors:
            raise ValueError("; ".join(map(str, errors)))


FIELDS = {f.name: f for f in fields(TrainConfig)}
# Changing one of these means a different experiment: start again from fresh weights.
RESET_FIELDS = ("source", "std", "seed", "loss", "positive")
# The learning rates the page offers (a log scale), and that a sweep trains at.
LR_GRID = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
# What a shared link carries: every training setting, but a data source only by name.
URL_FIELDS = ("lr", "threshold", "bs", "epochs", "std", "seed", "loss", "positive", "source")
LINK_SOURCES = ("embedded", "mnist")
LOSS_NAMES = {"mnist": "mnist_loss", "bce": "cross-entropy"}  # each `loss` choice as the lesson says it
_KINDS = {bool: "0 or 1", int: "a whole number", float: "a number", str: "text"}


def spec(name: str) -> dict:
    """The metadata of a config field: help, min/max or choices, default."""
    f = FIELDS[name]
    return {**f.metadata, "default": f.default, "type": type(f.default)}


def _shown(raw, limit: int = 32) -> str:
    """A value as given, quoted and cut short: a notice never echoes a long raw value whole."""
    text = repr(raw)
    return text if len(text) <= limit else text[:limit] + "…"


@dataclass(frozen=True)
class SettingError:
    """One setting that was refused: which field, the value as given, and what it must be."""

    name: str
    raw: object
    must: str  # e.g. "be between 1 and 200", "be a whole number", "be one of 3, 7"

    def __str__(self) -> str:
        return f"{self.name} must {self.must}, not {_shown(self.raw)}"

    def notice(self, using) -> str:
        """The sentence a page shows for a bad value in a shared link."""
        return f"The link's {self.name}={_shown(self.raw)} was ignored (it must {self.must}); using {self.name}={using}."


def _must(name: str) -> str:
    """What a value of field `name` must be: its range or choices."""
    m = FIELDS[name].metadata
    if "min" in m:
        return f"be between {m['min']:g} and {m['max']:g}"
    if "choices" in m:
        return f"be one of {', '.join(map(str, m['choices']))}"
    return f"be {_KINDS[type(FIELDS[name].default)]}"


def validate(cfg: TrainConfig) -> list[SettingError]:
    """The fields of `cfg` whose values are outside their ranges or choices."""
    errors = []
    for name, f in FIELDS.items():
        v, m = getattr(cfg, name), f.metadata
        if isinstance(f.default, float) and not (isinstance(v, (int, float)) and math.isfinite(v)):
            errors.append(SettingError(name, v, "be a finite number"))
        elif "min" in m and not (m["min"] <= v <= m["max"]):
            errors.append(SettingError(name, v, _must(name)))
        elif "choices" in m and v not in m["choices"] and not (name == "source" and isinstance(v, str) and v):
            errors.append(SettingError(name, v, _must(name)))
    return errors


def _parse(name: str, raw) -> object:
    """A field's value from text; ValueError when it is not of the field's kind."""
    kind = type(FIELDS[name].default)
    text = str(raw).strip()
    if kind is bool:
        if text.lower() not in ("1", "0", "true", "false"):
            raise ValueError
        return text.lower() in ("1", "true")
    if kind is int:
        v = float(text)
        if not v.is_integer():
            raise ValueError
        return int(v)
    return kind(text)


def from_strings(values: dict, base: TrainConfig | None = None) -> tuple[TrainConfig, list[SettingError]]:
    """A config from text values (URL query parameters, form fields).

    Unknown keys are ignored; a bad or out-of-range value keeps the base value and is returned
    as a SettingError.
    """
    cfg, errors = base or TrainConfig(), []
    for name, raw in values.items():
        if name not in FIELDS:
            continue
        try:
            value = _parse(name, raw)
        except (ValueError, TypeError, OverflowError):
            errors.append(SettingError(name, raw, f"be {_KINDS[type(FIELDS[name].default)]}"))
            continue
        try:
            cfg = replace(cfg, **{name: value})
        except ValueError:
            errors.append(SettingError(name, raw, _must(name)))
    return cfg, errors


def to_strings(cfg: TrainConfig) -> dict[str, str]:
    """The config as text, the inverse of `from_strings`."""
    return {name: (str(int(v)) if isinstance(v, bool) else f"{v:g}" if isinstance(v, float) else str(v))
            for name in FIELDS for v in [getattr(cfg, name)]}


def from_query(params: dict) -> tuple[TrainConfig, list[SettingError]]:
    """The settings a shared link's query parameters describe. A link may name the embedded sample
    or full MNIST, never a folder on the server."""
    params = {k: v for k, v in params.items() if k in FIELDS}
    errors = []
    if "source" in params and params["source"] not in LINK_SOURCES:
        errors.append(SettingError("source", params.pop("source"), f"be one of {', '.join(LINK_SOURCES)}"))
    cfg, bad = from_strings(params)
    return cfg, sorted(errors + bad, key=lambda e: list(FIELDS).index(e.name))


def to_query(cfg: TrainConfig) -> dict[str, str]:
    """The query parameters of a link that opens with `cfg` (the inverse of `from_query`)."""
    s = to_strings(cfg)
    out = {k: s[k] for k in URL_FIELDS if k != "source" or cfg.source in LINK_SOURCES}
    if cfg.fit_threshold:
        out["fit_threshold"] = "1"
    return out


def needs_reset(old: TrainConfig, new: TrainConfig) -> list[str]:
    """The fields whose change means fresh weights."""
    return [n for n in RESET_FIELDS if getattr(old, n) != getattr(new, n)]
