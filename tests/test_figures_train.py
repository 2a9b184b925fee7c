"""The Train page's live figures (mnist37.figures: learning curves, threshold view, live weights).

The live figures skip plotly's validation when they are built (they are redrawn several times a
second), so every one of them is validated in full here.
"""
import base64
import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
import torch

from mnist37 import data, figures
from mnist37.metrics import EpochAccuracy, accuracy_sweep, logit_span
from mnist37.train import TrainConfig, Trainer


@pytest.fixture(scope="module")
def trained():
    torch.set_num_threads(1)
    return Trainer(TrainConfig(epochs=3), data.load_embedded()).run()


class Spec(dict):
    __getattr__ = dict.__getitem__


def _decode(d: dict):
    """A JSON object back as Spec, plotly's typed arrays ({dtype, bdata, shape}) as numpy arrays."""
    if set(d) in ({"dtype", "bdata"}, {"dtype", "bdata", "shape"}):
        a = np.frombuffer(base64.b64decode(d["bdata"]), dtype=d["dtype"])
        return a.reshape([int(n) for n in str(d["shape"]).split(",")]) if "shape" in d else a
    return Spec(d)


def _pruned(d):
    """`d` without empty objects (plotly's validation drops them; plotly.js ignores them)."""
    if isinstance(d, dict):
        return {k: _pruned(v) for k, v in d.items() if v != {}}
    return [_pruned(v) for v in d] if isinstance(d, list) else d


def validated(fig: go.Figure | dict) -> Spec:
    """The figure as the browser gets it (strict JSON, decoded back), after plotly's full validation.
    The live figures are plain dicts: as they are sent, and as a validated go.Figure, they must agree."""
    if isinstance(fig, dict):  # all but the template, which the live figures leave out on purpose
        sent, full = (json.loads(pio.to_json(f, validate=v)) for f, v in ((fig, False), (go.Figure(fig), True)))
        sent["layout"].pop("template"), full["layout"].pop("template")
        assert _pruned(sent) == _pruned(full)
    go.Figure(fig if isinstance(fig, dict) else fig.to_dict())  # raises on any invalid property or value
    text = pio.to_json(fig, validate=True)
    return json.loads(text, object_hook=_decode,
                      parse_constant=lambda c: pytest.fail(f"non-JSON constant {c} in the figure"))


def test_learning_curves(trained):
    losses = list(np.linspace(1, 0.1, 1000))
    acc = EpochAccuracy(trained, 0.0).update()
    spec = validated(figures.learning_curves(losses, [7, 14, 21], [0.3, 0.2, 0.1], acc.train, acc.valid,
                                             "mnist_loss", max_points=300))
    train, valid, train_acc, valid_acc = spec.data
    assert len(train.x) == 300  # thinned
    assert list(valid.x) == [7, 14, 21]
    assert list(valid_acc.x) == [0, 1, 2, 3] and valid_acc.xaxis == "x2"
    assert list(valid_acc.y) == pytest.approx(acc.valid)
    assert spec.layout.yaxis.title.text == "mnist_loss"
    validated(figures.learning_curves([], [], [], [0.5], [0.5]))  # before the first step


def test_threshold_view_counts_every_finite_logit_and_marks_the_threshold():
    z = np.array([-30.0, -2, -1, 0.5, 3, 12, np.nan, np.inf])
    pos = np.array([0, 0, 1, 1, 1, 1, 1, 0], bool)
    sweep = np.linspace(-50, 50, 11)
    spec = validated(figures.threshold_view(z, pos, 2.0, positive=7, sweep=sweep,
                                            sweep_accuracy=accuracy_sweep(z, pos, sweep), span=logit_span(z)))
    sevens, threes, curve, mark = spec.data
    assert sevens.name == "valid 7s" and threes.name == "valid 3s"
    assert sum(sevens.y) == 4  # the 7s' finite logits (nan dropped)
    assert sum(threes.y) == 2  # the 3s' (inf dropped)
    assert spec.layout.shapes[0].x0 == 2.0 and list(mark.x) == [2.0]
    assert spec.layout.xaxis.range == [-50, 50]
    texts = [a.text for a in spec.layout.annotations]
    assert "called 7 →" in texts and "← called 3" in texts


def test_threshold_view_with_overflowed_logits():
    z = np.full(10, np.nan)
    validated(figures.threshold_view(z, np.arange(10) % 2 == 0, 0.0, sweep=np.linspace(-10, 10, 5),
                                     sweep_accuracy=np.full(5, 0.5)))


def test_weight_heatmap_live_is_the_weight_heatmap_with_new_weights():
    w = np.random.default_rng(1).standard_normal(784)
    trace = validated(figures.weight_heatmap_live(w, positive=7, height=300)).data[0]
    ref = figures.weight_heatmap(w, positive=7, height=300).data[0].to_plotly_json()
    assert np.allclose(np.asarray(trace.z).ravel(), w.astype(np.float32))
    assert trace.zmax == pytest.approx(np.abs(w).max()) and trace.zmin == -trace.zmax
    assert trace.colorbar == ref["colorbar"]  # the legend: blue -> 7, red -> 3
    assert "blue → 7" in trace.colorbar.title.text
    assert "row %{y}, col %{x}" in trace.hovertemplate and "weight" in trace.hovertemplate
    w[3] = np.nan  # an overflowed model still draws
    validated(figures.weight_heatmap_live(w))


def test_typed_arrays_are_encoded_as_plotlys_own_encoder_does():
    from _plotly_utils.utils import to_typed_array_spec

    from mnist37.figures.style import _f32

    rng = np.random.default_rng(0)
    for a in (np.arange(5.0), rng.random((28, 28)), np.array([1.5]), np.array([[1, 2, 3]]), rng.random(401) * 1e30,
              np.array([np.nan, np.inf, -0.0])):
        want = to_typed_array_spec(np.asarray(a, dtype=np.float32))
        assert _f32(a) == want
    assert _f32([]) == []

