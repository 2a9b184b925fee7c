"""The Model page (AppTest): what it shows matches the core's numbers, downloads load back into
identical predictions, and every bad upload is refused with its one-sentence message."""
from __future__ import annotations

import io
import json
import pickle

import numpy as np
import pytest
import torch
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from mnist37 import baseline
from mnist37 import weights as wio
from mnist37.data import load_embedded
from mnist37.train import TrainConfig, Trainer
from pages.ui.session import TRAINER, UPLOADED
from tests.apptest_nav import entrypoint_every_run, metric  # noqa: F401 (a fixture)
from harness.server import ROOT

pytestmark = pytest.mark.usefixtures("entrypoint_every_run")
APP = str(ROOT / "streamlit_app.py")
DATA = load_embedded()


@pytest.fixture
def downloads(monkeypatch):
    """What the page hands to its download buttons, by file name."""
    got = {}
    add = MediaFileManager.add

    def capture(self, data, mimetype, coordinates, file_name=None, is_for_static_download=False):
        if file_name:
            got[file_name] = data if isinstance(data, bytes) else data.encode()
        return add(self, data, mimetype, coordinates, file_name, is_for_static_download)

    monkeypatch.setattr(MediaFileManager, "add", capture)
    return got


def model_page(trainer: Trainer | None = None, **params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    for k, v in params.items():
        at.query_params[k] = str(v)
    at.run()
    if trainer is not None:
        at.session_state[TRAINER] = trainer
    return at.switch_page("pages/model.py").run()


def chart(at, key: str) -> dict:
    return next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if key in c.proto.id)


def z_of(z) -> np.ndarray:
    if isinstance(z, dict):  # plotly 7: {"dtype", "bdata", "shape"}
        import base64
        return np.frombuffer(base64.b64decode(z["bdata"]), dtype=z["dtype"])
    return np.asarray(z, dtype=float)


def upload(at, name: str, raw: bytes) -> AppTest:
    return at.file_uploader(key="weights_upload").set_value((name, raw, "application/octet-stream")).run()


def test_shows_the_session_model_and_the_core_numbers():
    trainer = Trainer(TrainConfig(seed=7, epochs=4), DATA).run()
    at = model_page(trainer, seed=7, epochs=4)
    assert not at.exception and not at.error
    w, b = trainer.params()
    assert metric(at, "bias", prefix=True) == f"{b:+.4f}"
    assert metric(at, "validation accuracy", prefix=True) == f"{trainer.valid_accuracy():.1%}"
    base = baseline.pixel_similarity(DATA)
    assert metric(at, "pixel similarity", prefix=True) == f"{base.accuracy:.1%}"
    # the replay: one frame per snapshot, all on one colour scale
    replay = chart(at, "replay_fig")
    assert len(replay["frames"]) == len(trainer.snapshots) == 5
    w0 = trainer.snapshots[0][0].astype(np.float64)
    assert replay["data"][0]["zmax"] == pytest.approx(max(np.abs(s[0] - w0).max() for s in trainer.snapshots), rel=1e-6)
    assert np.allclose(z_of(replay["frames"][-1]["data"][0]["z"]).ravel(), w - w0, atol=1e-6)
    at.radio(key="replay_show").set_value("the weights themselves").run()
    replay = chart(at, "replay_fig")
    assert replay["data"][0]["zmax"] == pytest.approx(max(np.abs(s[0]).max() for s in trainer.snapshots), rel=1e-6)
    assert np.allclose(z_of(replay["frames"][-1]["data"][0]["z"]).ravel(), w, atol=1e-6)
    assert "your training run" in " ".join(c.value for c in at.caption)
    # mnist_loss vs BCE from the session's seed
    res = baseline.compare_losses(TrainConfig(seed=7, epochs=4), DATA)
    assert metric(at, "final accuracy, mnist_loss", prefix=True) == f"{res['mnist']['accuracy']:.1%}"
    assert metric(at, "final accuracy, binary cross-entropy", prefix=True) == f"{res['bce']['accuracy']:.1%}"


def test_without_training_it_says_whose_run_it_replays():
    at = model_page()
    assert not at.exception
    assert metric(at, "bias", prefix=True) == f"{Trainer(TrainConfig(), DATA).run().params()[1]:+.4f}"  # the default model
    assert any("a run with your settings made for this page" in c.value for c in at.caption)


def test_gallery_is_sorted_by_how_wrong():
    at = model_page()
    titles = [a["text"] for a in chart(at, "gallery_fig")["layout"]["annotations"] if a["text"]]
    logits = [float(t.split("logit ")[1]) for t in titles]
    labels = [int(t.split()[1].rstrip(",")) for t in titles]
    wrongness = [-lg if lab == 3 else lg for lg, lab in zip(logits, labels)]
    assert len(titles) == 18 and all(x >= 0 for x in wrongness)
    assert wrongness == sorted(wrongness, reverse=True)


def test_download_then_upload_gives_identical_predictions(downloads):
    trainer = Trainer(TrainConfig(seed=3, epochs=3, positive=7), DATA).run()
    model_page(trainer, seed=3, epochs=3, positive=7)  # serves the downloads
    assert {"mnist37_weights.pt", "mnist37_weights.npz", "mnist37_weights.csv"} <= set(downloads)
    files = dict(downloads)  # the next pages add their own downloads
    w, b = trainer.params()
    want = baseline.valid_logits(w, b, DATA)
    csv = np.loadtxt(io.StringIO(files["mnist37_weights.csv"].decode()), delimiter=",")
    assert csv.shape == (28, 28) and np.allclose(csv.ravel(), w, rtol=1e-6)
    for name in ("mnist37_weights.pt", "mnist37_weights.npz"):
        fresh = model_page()
        upload(fresh, name, files[name])
        assert not fresh.exception and not fresh.error, name
        up = fresh.session_state[UPLOADED]
        assert up.positive == 7 or name.endswith(".npz")  # the .pt file carries its config
        assert np.array_equal(baseline.valid_logits(up.weights, up.bias, DATA), want), name
        assert metric(fresh, "bias") == f"{b:+.4f}"
        assert any(f"loaded from {name}" in c.value for c in fresh.caption)
        # the Draw page uses it too
        fresh.switch_page("pages/draw.py").run()
        assert not fresh.exception
        assert fresh.session_state[UPLOADED] is up
        # and it can be dropped again
        fresh.switch_page("pages/model.py").run()
        fresh.button(key="drop_upload").click().run()
        assert UPLOADED not in fresh.session_state
        assert metric(fresh, "bias") != f"{b:+.4f}"


class RunsCode:
    def __reduce__(self):
        return (open, ("/tmp/mnist37_pwned", "w"))


def state_bytes(state) -> bytes:
    buf = io.BytesIO()
    torch.save(state, buf)
    return buf.getvalue()


BAD = {
    "notes.pt": b"these are not weights",
    "evil.pt": state_bytes({"weights": torch.zeros(784, 1), "bias": torch.zeros(1), "x": RunsCode()}),
    "pickle.pt": pickle.dumps(RunsCode()),
    "nan.pt": state_bytes({"weights": torch.full((784, 1), float("nan")), "bias": torch.zeros(1)}),
    "shape.pt": state_bytes({"weights": torch.zeros(10, 1), "bias": torch.zeros(1)}),
    "nobias.npz": (lambda b: (np.savez(b, weights=np.zeros((784, 1))), b.getvalue())[1])(io.BytesIO()),
    "meta.pt": state_bytes({"weights": torch.empty(784, 1, device="meta"), "bias": torch.zeros(1)}),
    "complex.pt": state_bytes({"weights": torch.zeros(784, 1, dtype=torch.complex64), "bias": torch.zeros(1)}),
    "nested.pt": state_bytes({"weights": torch.nested.nested_tensor([torch.zeros(784), torch.zeros(2)]),
                              "bias": torch.zeros(1)}),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_upload_gives_its_message_and_loads_nothing(name, tmp_path):
    import os

    if os.path.exists("/tmp/mnist37_pwned"):
        os.remove("/tmp/mnist37_pwned")
    with pytest.raises(wio.WeightsError) as e:
        wio.from_bytes(BAD[name], name=name)
    at = model_page()
    upload(at, name, BAD[name])
    assert not at.exception
    assert [x.value for x in at.error] == [f"Not loaded: {e.value}."]
    assert UPLOADED not in at.session_state
    assert not os.path.exists("/tmp/mnist37_pwned")  # the pickle's code never ran
    at.run()  # still said on the next rerun, still nothing loaded
    assert len(at.error) == 1 and UPLOADED not in at.session_state


def test_presentation_mode_hides_the_file_controls():
    at = model_page(present=1)
    assert not at.exception
    assert not at.get("file_uploader") and not at.get("download_button")
    assert not at.slider  # the gallery size control is advanced


def test_a_link_to_a_huge_run_draws_the_page_and_trains_it_in_the_background():
    """bs=1, 200 epochs: 336,400 steps, far beyond what a page view may do itself. The page is drawn
    without them (the weights, the gallery, the downloads) with a progress bar where the replay and
    the loss comparison will be, while one shared background job trains."""
    from mnist37.config import TrainConfig as Cfg
    from pages.ui.jobs import server_jobs

    at = model_page(bs=1, epochs=200, seed=11)
    assert not at.exception
    assert [p for p in at.get("progress") if "in the background (336,400 steps)" in p.proto.text]
    keys = [c.proto.id for c in at.get("plotly_chart")]
    assert any("weights_fig" in k for k in keys) and not any("replay_fig" in k for k in keys)
    job = server_jobs().submit(("run", Cfg(bs=1, epochs=200, seed=11)), None)
    assert not job.done and job.progress < 0.5  # the page's run did not wait for it
    job.cancel()
    assert job.wait(30) and type(job.error).__name__ == "Cancelled"
    assert "Save the 785 numbers, or load some" in [s.value for s in at.subheader]


def test_a_sparse_weights_upload_is_loaded_as_its_dense_values():
    w = torch.randn(784, 1, generator=torch.Generator().manual_seed(0))
    at = model_page()
    upload(at, "sparse.pt", state_bytes({"weights": w.to_sparse(), "bias": torch.tensor([0.5]).to_sparse()}))
    assert not at.exception and not at.error
    up = at.session_state[UPLOADED]
    assert np.array_equal(up.weights, w.numpy().ravel()) and up.bias == 0.5
