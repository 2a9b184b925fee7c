"""`python -m mnist37 predict WEIGHTS IMAGE... [--threshold T] [--json]`."""
import json
import subprocess
import sys

import pytest
from PIL import Image, ImageDraw

from mnist37 import cli, data, weights
from mnist37.inference import infer
from mnist37.preprocess import preprocess_bytes
from mnist37.train import TrainConfig, Trainer

from harness.server import ROOT

SEVEN = [[(70, 60), (210, 60), (120, 230)]]
THREE = [[(80, 65), (140, 45), (200, 75), (190, 120), (135, 140)],
         [(135, 140), (200, 165), (200, 215), (140, 240), (80, 220)]]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("predict")
    cfg = TrainConfig()
    w, b = Trainer(cfg, data.load_embedded()).run().params()
    weights.save(d / "model.pt", w, b, cfg)
    out = {"weights": str(d / "model.pt"), "w": w, "b": b}
    for name, strokes, fmt in (("seven.png", SEVEN, "PNG"), ("three.jpg", THREE, "JPEG")):
        img = Image.new("L", (300, 300), 255)  # dark ink on paper: the CLI inverts it like the page
        for pts in strokes:
            ImageDraw.Draw(img).line(pts, fill=0, width=20, joint="curve")
        img.save(d / name, format=fmt)
        out[name] = str(d / name)
    (d / "notes.png").write_bytes(b"not an image")
    out["notes.png"] = str(d / "notes.png")
    Image.new("L", (50, 50), 0).save(d / "blank.png")
    out["blank.png"] = str(d / "blank.png")
    out["missing.png"] = str(d / "missing.png")
    (d / "bad.pt").write_bytes(b"junk")
    out["bad.pt"] = str(d / "bad.pt")
    return out


def run(capsys, *argv):
    code = cli.main(["predict", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_predicts_3_and_7_with_the_same_numbers_as_the_page(files, capsys):
    code, out, _ = run(capsys, files["weights"], files["seven.png"], files["three.jpg"], "--json")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["file"] for r in rows] == [files["seven.png"], files["three.jpg"]]
    assert [r["decision"] for r in rows] == ["7", "3"]
    for r in rows:
        x = preprocess_bytes(open(r["file"], "rb").read()).x
        inf = infer(x, files["w"], files["b"])
        assert r["logit"] == pytest.approx(inf.logit, abs=1e-5)
        assert r["probability"] == pytest.approx(inf.probability, abs=1e-6)


def test_plain_text_output(files, capsys):
    code, out, _ = run(capsys, files["weights"], files["seven.png"])
    assert code == 0
    file, logit, prob, decision = out.strip().split("\t")
    assert file == files["seven.png"] and logit.startswith("logit ") and prob.startswith("probability ")
    assert decision == "decision 7"


def test_threshold_moves_the_decision(files, capsys):
    _, out, _ = run(capsys, files["weights"], files["three.jpg"], "--json")
    logit = json.loads(out)["logit"]
    _, out, _ = run(capsys, files["weights"], files["three.jpg"], "--json", "--threshold", str(logit + 1))
    r = json.loads(out)
    assert r["logit"] == logit and r["decision"] == "7"
    code, _, err = run(capsys, files["weights"], files["three.jpg"], "--threshold", "nan")
    assert code == 2 and err.count("\n") == 1


def test_unreadable_images_are_reported_per_file(files, capsys):
    code, out, err = run(capsys, files["weights"], files["notes.png"], files["seven.png"],
                         files["missing.png"], files["blank.png"], "--json")
    assert code == 1 and err == ""
    rows = [json.loads(line) for line in out.splitlines()]
    assert "not an image" in rows[0]["error"] and "decision" not in rows[0]
    assert rows[1]["decision"] == "7"
    assert "cannot read" in rows[2]["error"]
    assert "blank" in rows[3]["error"]
    code, out, _ = run(capsys, files["weights"], files["notes.png"])
    assert code == 1 and out.startswith(files["notes.png"] + "\terror: ")


def test_bad_weights_file_is_one_line_and_exit_2(files, capsys):
    code, out, err = run(capsys, files["bad.pt"], files["seven.png"])
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err


def test_python_dash_m(files):
    p = subprocess.run([sys.executable, "-m", "mnist37", "predict", files["weights"], files["seven.png"],
                        "--json"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["decision"] == "7"


def test_every_image_is_processed_whatever_one_of_them_is(files, tmp_path, capsys):
    """An image predict cannot use is an error line; the images after it are still read."""
    lab = tmp_path / "lab.png"  # LAB saved as TIFF, named .png
    Image.open(files["seven.png"]).convert("RGB").convert("LAB").save(lab, format="TIFF")
    tiny = tmp_path / "tiny.png"  # 2x1, one lit pixel: no room for a digit
    Image.frombytes("L", (2, 1), b"\x00\xff").save(tiny)
    folder = tmp_path / "folder.png"
    folder.mkdir()
    images = [str(lab), str(tiny), str(folder), "/dev/zero", files["notes.png"], files["three.jpg"]]
    code, out, err = run(capsys, files["weights"], *images, "--json")
    assert code == 1 and err == ""
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["file"] for r in rows] == images
    assert rows[0]["decision"] == "7"  # the LAB image is read like the PNG it came from
    assert "2×1 pixels" in rows[1]["error"]
    assert "cannot read" in rows[2]["error"]
    assert "larger than 10 MB" in rows[3]["error"]
    assert "not an image" in rows[4]["error"]
    assert rows[5]["decision"] == "3"
    assert all("\n" not in r.get("error", "") for r in rows)
