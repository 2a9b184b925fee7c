import json
import os
import subprocess
import sys

import pytest
import torch

from mnist37 import weights as W
from mnist37.cli import main
from harness.server import ROOT
from tests.helpers import write_sample_folder


def run_cli(*args):
    """`python -m mnist37 ...` as a user runs it."""
    return subprocess.run([sys.executable, "-m", "mnist37", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "PYTHONWARNINGS": "ignore"})


def test_train_json_with_the_lessons_settings_reaches_95_percent(tmp_path):
    out = tmp_path / "model.pt"
    r = run_cli("train", "--json", "--out", str(out))
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout.strip().splitlines()[-1])
    for key in ("valid_accuracy", "train_loss", "valid_loss", "epochs", "n_train", "n_valid",
                "seconds", "source"):
        assert key in result
    assert result["source"] == "embedded" and result["epochs"] == 20
    assert (result["n_train"], result["n_valid"]) == (1682, 420)
    assert result["valid_accuracy"] >= 0.95
    assert "epoch  20/20" in r.stderr  # per-epoch progress
    w, b, cfg = W.load(out)
    assert w.shape == (784,) and cfg.lr == 1.0


def test_bce_trains_better_than_mnist_loss(capsys):
    # Measured on the embedded sample with the lesson's other settings: 0.974 (the goal of
    # 0.98 is not reached on this 1,682-digit sample in 20 epochs; see the README).
    assert main(["train", "--json", "--loss", "bce"]) == 0
    bce = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert bce["valid_accuracy"] >= 0.97


def test_positive_digit_seven_and_threshold(capsys):
    assert main(["train", "--json", "--positive", "7", "--epochs", "5"]) == 0
    r = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert r["positive"] == 7 and r["epochs"] == 5 and r["valid_accuracy"] > 0.8


def test_folder_source(tmp_path, capsys):
    root = write_sample_folder(tmp_path / "sample", n=8)
    assert main(["train", "--json", "--source", str(root), "--epochs", "3"]) == 0
    r = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (r["n_train"], r["n_valid"]) == (16, 16) and r["source"] == str(root)


def test_divergence_is_reported_not_raised(capsys):
    assert main(["train", "--json", "--std", "1e38"]) == 1
    captured = capsys.readouterr()
    assert "Training cannot start" in captured.err and "init std 1e+38" in captured.err
    assert json.loads(captured.out.strip().splitlines()[-1])["status"] == "diverged"


def save_raw(path, obj):
    torch.save(obj, path)
    return str(path)


class RunsCode:
    def __reduce__(self):
        return (os.system, ("touch /tmp/mnist37-cli-pwned",))


@pytest.mark.parametrize("make_args, message", [
    (lambda d: ["train", "--source", str(d / "nope")], "no such folder"),
    (lambda d: ["train", "--source", str(d)], "MNIST_SAMPLE layout"),
    (lambda d: ["train", "--lr", "50"], "lr must be between"),
    (lambda d: ["inspect", save_raw(d / "w.pt", {"weights": torch.zeros(28, 1), "bias": torch.zeros(1)})],
     "expected (784, 1)"),
    (lambda d: ["inspect", save_raw(d / "n.pt", {"weights": torch.full((784, 1), float("nan")),
                                                 "bias": torch.zeros(1)})], "NaN"),
    (lambda d: ["inspect", str(d / "missing.pt")], "cannot read"),
    (lambda d: ["inspect", (d / "t.txt").write_text("not torch") and str(d / "t.txt")],
     "not a torch weights file"),
    (lambda d: ["inspect", save_raw(d / "evil.pt", {"weights": RunsCode(), "bias": torch.zeros(1)})],
     "refused without running it"),
    (lambda d: ["inspect", save_raw(d / "meta.pt", {"weights": torch.empty(784, 1, device="meta"),
                                                    "bias": torch.zeros(1)})], "meta device"),
    (lambda d: ["predict", save_raw(d / "c.pt", {"weights": torch.zeros(784, 1, dtype=torch.complex64),
                                                 "bias": torch.zeros(1)}), str(d / "x.png")], "complex"),
])
def test_bad_input_is_one_line_and_exit_code_2(make_args, message, tmp_path, capsys):
    if os.path.exists("/tmp/mnist37-cli-pwned"):
        os.remove("/tmp/mnist37-cli-pwned")
    args = make_args(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and len(err.splitlines()) == 1
    assert not os.path.exists("/tmp/mnist37-cli-pwned")


def test_inspect_reads_a_sparse_weights_file(tmp_path, capsys):
    w = torch.randn(784, 1, generator=torch.Generator().manual_seed(0))
    path = save_raw(tmp_path / "sparse.pt", {"weights": w.to_sparse(), "bias": torch.tensor([0.25])})
    assert main(["inspect", path, "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["bias"] == 0.25 and info["weights_max"] == pytest.approx(float(w.max()))


def test_inspect_shows_the_785_numbers(tmp_path, capsys):
    W.save(tmp_path / "m.pt", torch.zeros(784).numpy(), 0.5)
    assert main(["inspect", str(tmp_path / "m.pt"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["n_numbers"] == 785 and info["bias"] == 0.5


def test_bench_reports_both_times_and_their_ratio(capsys):
    assert main(["bench", "--json", "--repeats", "1"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["plain_seconds"] > 0 and r["trainer_seconds"] > 0
    assert r["ratio"] == pytest.approx(r["trainer_seconds"] / r["plain_seconds"], rel=1e-9)  # one pair
    # both loops do the same SGD: the same final accuracy
    assert r["plain_valid_accuracy"] == pytest.approx(r["trainer_valid_accuracy"], abs=1e-6)


def strict_json(line: str):
    """json.loads that refuses NaN and Infinity, as strict parsers (JavaScript's JSON.parse) do."""
    def refuse(name):
        raise ValueError(f"not strict JSON: {name}")
    return json.loads(line, parse_constant=refuse)


@pytest.mark.parametrize("std, loss", [("1e38", "mnist"), ("3e37", "bce")])
def test_train_json_is_strict_json_even_when_training_overflows(std, loss, capsys):
    assert main(["train", "--json", "--std", std, "--loss", loss, "--epochs", "2"]) == 1
    captured = capsys.readouterr()
    r = strict_json(captured.out.strip().splitlines()[-1])
    assert r["status"] == "diverged" and "init std" in r["message"] and "overflow" in r["message"]
    assert r["valid_loss"] is None  # it is NaN or inf: null in JSON, and the message says why


def test_inspect_and_bench_json_are_strict(tmp_path, capsys):
    W.save(tmp_path / "m.pt", torch.zeros(784).numpy(), 0.5)
    assert main(["inspect", str(tmp_path / "m.pt"), "--json"]) == 0
    strict_json(capsys.readouterr().out)
    assert main(["bench", "--json", "--repeats", "1"]) == 0
    strict_json(capsys.readouterr().out)


@pytest.mark.parametrize("make_out, words", [
    (lambda d: d / "missing" / "model.pt", "does not exist"),
    (lambda d: d, "is a folder"),
])
def test_out_that_cannot_be_written_is_refused_before_training(make_out, words, tmp_path, capsys):
    out = make_out(tmp_path)
    assert main(["train", "--out", str(out), "--epochs", "1"]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert err.startswith("error: --out ") and words in err and len(err.splitlines()) == 1
    assert "epoch" not in captured.err and captured.out == ""  # no training was done


def test_out_failing_after_training_keeps_the_result_and_the_weights(tmp_path, capsys, monkeypatch):
    import errno
    import re

    def full_disk(*args, **kw):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(W, "save", full_disk)
    assert main(["train", "--json", "--epochs", "2", "--out", str(tmp_path / "m.pt")]) == 2
    captured = capsys.readouterr()
    assert strict_json(captured.out.strip().splitlines()[-1])["epochs"] == 2  # the result is printed
    err = captured.err.strip().splitlines()[-1]
    assert err.startswith("error: could not write") and "No space left on device" in err
    kept = re.search(r"the weights are in (\S+) instead", err).group(1)
    w, b, cfg = W.load(kept)
    assert w.shape == (784,) and cfg.epochs == 2
    os.remove(kept)


@pytest.mark.parametrize("repeats", ["0", "-3"])
def test_bench_with_no_repeats_is_one_line(repeats, capsys):
    assert main(["bench", "--repeats", repeats]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: --repeats must be at least 1, not {repeats}"
