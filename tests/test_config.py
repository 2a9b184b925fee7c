"""mnist37.config: the one source of settings, as text, as CLI flags and as a shared link."""
from dataclasses import replace

import pytest

from mnist37.config import (LR_GRID, TrainConfig, from_query, from_strings, needs_reset, spec, to_query,
                            to_strings)


def test_validation_says_what_each_field_must_be():
    with pytest.raises(ValueError, match="lr must be between 0.001 and 10, not 100"):
        TrainConfig(lr=100)
    with pytest.raises(ValueError, match="positive must be one of 3, 7"):
        TrainConfig(positive=5)
    with pytest.raises(ValueError, match="threshold must be a finite number"):
        TrainConfig(threshold=float("nan"))


def test_strings_round_trip_and_bad_values_come_back_as_structured_errors():
    cfg = TrainConfig(lr=0.5, seed=7, loss="bce", positive=7, threshold=-1.5, fit_threshold=True)
    back, errors = from_strings(to_strings(cfg))
    assert back == cfg and errors == []
    bad, errors = from_strings({"lr": "abc", "epochs": "9999", "seed": "3", "bs": "2.5", "nope": "1"})
    assert bad == TrainConfig(seed=3)
    assert [(e.name, e.raw, e.must) for e in errors] == [
        ("lr", "abc", "be a number"), ("epochs", "9999", "be between 1 and 200"), ("bs", "2.5", "be a whole number")]
    assert str(errors[1]) == "epochs must be between 1 and 200, not '9999'"


def test_a_link_names_every_training_setting_but_never_a_server_folder():
    cfg = TrainConfig(lr=0.02, bs=64, epochs=5, std=0.5, seed=3, loss="bce", positive=7, threshold=2.5)
    assert from_query(to_query(cfg)) == (cfg, [])
    assert "source" not in to_query(replace(cfg, source="/home/teacher/digits"))
    back, errors = from_query({"source": "/etc", "lr": "0.1", "present": "1"})
    assert back == TrainConfig(lr=0.1) and [e.name for e in errors] == ["source"]
    assert errors[0].notice("embedded") == ("The link's source='/etc' was ignored (it must be one of embedded, "
                                            "mnist); using source=embedded.")


def test_a_notice_never_echoes_a_long_value_whole():
    _, errors = from_query({"seed": "9" * 10_000})
    text = errors[0].notice(42)
    assert len(text) < 150 and "…" in text and text.endswith("using seed=42.")


def test_needs_reset_spec_and_grid():
    assert needs_reset(TrainConfig(), TrainConfig(seed=1, lr=0.1)) == ["seed"]
    assert spec("epochs")["max"] == 200 and spec("lr")["default"] == 1.0
    assert LR_GRID[0] == 0.001 and LR_GRID[-1] == 10.0 and len(LR_GRID) == 13
