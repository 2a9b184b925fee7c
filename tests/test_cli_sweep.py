"""`python -m mnist37 sweep` and train --json's confusion matrix."""

import pytest

from mnist37.cli import main
from tests.test_cli import run_cli, strict_json as strict


def test_sweep_json_gives_13_runs_and_the_one_at_lr_1_is_train_jsons():
    sweep = run_cli("sweep", "--json")
    train = run_cli("train", "--json")
    assert sweep.returncode == 0 == train.returncode, sweep.stderr + train.stderr
    s, t = strict(sweep.stdout.strip().splitlines()[-1]), strict(train.stdout.strip().splitlines()[-1])
    assert [r["lr"] for r in s["runs"]] == [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10]
    assert all(set(r) >= {"lr", "valid_accuracy", "valid_loss", "diverged"} for r in s["runs"])
    at1 = next(r for r in s["runs"] if r["lr"] == 1.0)
    assert at1["valid_accuracy"] == t["valid_accuracy"] and at1["valid_loss"] == t["valid_loss"]
    assert s["seconds"] > 0 and s["epochs"] == 20 and s["source"] == "embedded"
    assert sweep.stderr.count("valid_accuracy") == 13  # one progress line per run


def test_sweep_takes_the_config_flags_but_not_lr(capsys):
    assert main(["sweep", "--json", "--epochs", "2", "--loss", "bce", "--seed", "3"]) == 0
    s = strict(capsys.readouterr().out.strip().splitlines()[-1])
    assert (s["epochs"], s["loss"], s["seed"]) == (2, "bce", 3) and all(r["epochs"] == 2 for r in s["runs"])
    assert main(["sweep", "--epochs", "1"]) == 0
    text = capsys.readouterr().out
    assert text.count("valid_accuracy") == 13 and "13 learning rates, 1 epochs each" in text
    with pytest.raises(SystemExit) as e:
        main(["sweep", "--lr", "0.1"])
    assert e.value.code == 2
    assert main(["sweep", "--epochs", "0"]) == 2
    assert "epochs must be between" in capsys.readouterr().err


def test_a_diverged_sweep_says_so_in_strict_json(capsys):
    assert main(["sweep", "--json", "--std", "1e38", "--epochs", "1"]) == 0
    out = capsys.readouterr().out.strip().splitlines()[-1]
    s = strict(out)
    assert all(r["diverged"] and r["valid_loss"] is None for r in s["runs"])
    assert "NaN" not in out and "Infinity" not in out


def test_train_json_confusion_agrees_with_valid_accuracy(capsys):
    for args in ([], ["--threshold", "2.5", "--epochs", "3"], ["--positive", "7", "--epochs", "2"]):
        assert main(["train", "--json", *args]) == 0
        r = strict(capsys.readouterr().out.strip().splitlines()[-1])
        c = r["confusion"]
        assert set(c) == {"tp", "fp", "tn", "fn"} and sum(c.values()) == r["n_valid"] == 420
        assert (c["tp"] + c["tn"]) / r["n_valid"] == r["valid_accuracy"]
