"""The figures of one SGD step, the confusion matrix, runs side by side, the sweep and fooling the
model: each validated in full by plotly and checked for the numbers it must show."""
import base64
import io

import numpy as np
import pytest
import torch
from PIL import Image

from mnist37 import data, figures
from mnist37.figures.style import RIGHT_COLOUR, WRONG_COLOUR
from mnist37.fool import fool
from mnist37.metrics import confusion
from mnist37.runs import RunHistory
from mnist37.sgd_step import preview
from mnist37.sweep import SweepRun
from mnist37.config import LR_GRID, TrainConfig
from mnist37.train import Trainer
from tests.test_figures_train import validated


@pytest.fixture(scope="module")
def ds():
    torch.set_num_threads(1)
    return data.load_embedded()


@pytest.fixture(scope="module")
def step(ds):
    t = Trainer(TrainConfig(epochs=3), ds)
    t.advance(5)
    return preview(t)


def transparent(spec) -> bool:
    return spec.layout.paper_bgcolor == spec.layout.plot_bgcolor == "rgba(0,0,0,0)"


def test_batch_strip_marks_each_digit_right_or_wrong(step):
    spec = validated(figures.batch_strip(step.images, step.right, step.targets, step.logits))
    image, hover, wrong, right = spec.data
    png = Image.open(io.BytesIO(base64.b64decode(image.source.split(",", 1)[1]))).convert("RGB")
    assert png.size == (32 * 32, 8 * 32)  # 256 digits, 32 a row, 32 px each
    rgb = np.asarray(png)
    for i in (0, 1, 100, 255):  # each tile's top-left frame pixel is its verdict's colour
        r, c = divmod(i, 32)
        colour = RIGHT_COLOUR if step.right[i] else WRONG_COLOUR
        assert "#%02x%02x%02x" % tuple(rgb[r * 32, c * 32]) == colour
        assert np.allclose(rgb[r * 32 + 2:r * 32 + 30, c * 32 + 2:c * 32 + 30, 0] / 255, step.images[i], atol=1.01 / 255)
    assert len(hover.hovertext) == 256 and ("right" in hover.hovertext[0]) == bool(step.right[0])
    assert wrong.name == f"wrong ({step.n_wrong})" and len(wrong.x) == step.n_wrong
    assert right.name == f"right ({256 - step.n_wrong})" and transparent(spec)


def test_the_last_short_batch_and_a_large_one_fit(ds):
    t = Trainer(TrainConfig(bs=1000), ds)
    t.train_step()
    p = preview(t)  # the epoch's last 682 digits: the first 256 are shown
    spec = validated(figures.batch_strip(p.images, p.right, p.targets, p.logits))
    assert len(spec.data[1].hovertext) == 256


def test_gradient_and_update_maps_are_28x28_on_symmetric_scales(step):
    g = validated(figures.gradient_map(step.weights_grad)).data[0]
    assert np.allclose(np.asarray(g.z, np.float64).ravel(), step.weights_grad, rtol=1e-6, atol=0)
    assert g.zmin == -g.zmax and g.zmax == pytest.approx(np.abs(step.weights_grad).max()) and g.zmid == 0
    u = validated(figures.update_map(step.update, positive=3)).data[0]
    assert np.allclose(np.asarray(u.z, np.float64).ravel(), -step.lr * step.weights_grad, rtol=1e-6)
    assert u.zmin == -u.zmax and "blue → 3" in u.colorbar.title.text


def test_weights_before_and_after_share_one_scale(step):
    spec = validated(figures.weights_before_after(step.weights_before, step.weights_after))
    before, after = spec.data
    assert before.zmax == after.zmax == -before.zmin
    assert np.allclose(np.asarray(after.z, np.float64).ravel(), step.weights_after)
    assert [a.text for a in spec.layout.annotations] == ["<b>before</b>", "<b>after</b>"]


def test_gradient_sizes_show_both_losses_per_digit(step):
    spec = validated(figures.gradient_sizes(step.margin, step.grad_mnist, step.grad_bce))
    mnist, bce = spec.data[2], spec.data[3]
    assert (mnist.name, bce.name) == ("mnist_loss", "cross-entropy")
    assert np.allclose(mnist.y, step.grad_mnist) and np.allclose(bce.y, step.grad_bce) and len(mnist.y) == 256
    assert transparent(spec)


def test_confusion_matrix_shows_the_four_counts(ds):
    t = Trainer(TrainConfig(epochs=3), ds).run()
    c = confusion(t.valid_logits().numpy(), t.valid_y.numpy(), 1.5)
    spec = validated(figures.confusion_matrix(c, positive=3, threshold=1.5))
    hm = spec.data[0]
    assert list(hm.y) == ["true 3", "true 7"] and list(hm.x) == ["called 3", "called 7"]
    cells = [[c["tp"], c["fn"]], [c["fp"], c["tn"]]]
    for row, counts in zip(hm.text, cells):
        for text, n in zip(row, counts):
            assert text.startswith(f"<b>{n}</b>")
    assert "1.5" in spec.layout.title.text and transparent(spec)


def test_sweep_plot_has_every_lr_on_a_log_axis_and_marks_diverged_runs():
    runs = [SweepRun(lr, 0.5 + i / 30, 0.5 - i / 30, lr > 4, 20) for i, lr in enumerate(LR_GRID)]
    runs[-1] = SweepRun(10.0, 0.5, float("nan"), True, 3)
    spec = validated(figures.sweep_plot([r.lr for r in runs], [r.valid_accuracy for r in runs],
                                        [r.valid_loss for r in runs], [r.diverged for r in runs], "mnist_loss", 1.0))
    acc, acc_bad, loss, loss_bad = spec.data
    assert list(acc.x) == list(LR_GRID) and spec.layout.xaxis.type == spec.layout.xaxis2.type == "log"
    assert list(acc_bad.x) == [5.0, 10.0] and acc_bad.name == "diverged" and acc_bad.marker.symbol == "x"
    assert loss_bad.customdata[-1] == "nan" and np.isfinite(loss.y).all()  # drawn at the top edge
    assert spec.layout.yaxis2.title.text == "final valid mnist_loss"
    assert [s.x0 for s in spec.layout.shapes] == [1.0, 1.0]


def test_runs_curves_bold_current_and_faded_labelled_earlier(ds):
    h = RunHistory()
    for lr in (0.1, 2.0):
        h.add_trainer(Trainer(TrainConfig(epochs=3, lr=lr), ds).run())
    spec = validated(figures.runs_curves([(r.label, r.valid_accuracy) for r in h], ("now: lr 1", [0.5, 0.8, 0.9])))
    first, second, current = spec.data
    assert first.name == "#1: lr 0.1, epochs 3" and first.opacity < 1 and list(first.y) == list(h.runs[0].valid_accuracy)
    assert current.name == "now: lr 1" and current.line.width > first.line.width and "opacity" not in current
    assert {"#1", "#2", "90 %"} <= {a.text for a in spec.layout.annotations}


def test_fool_overlay_marks_the_pixels_to_change(ds):
    t = Trainer(TrainConfig(), ds).run()
    w, b = t.params()
    x = ds.x_valid[0] / 255
    f = fool(x, w, b)
    spec = validated(figures.fool_overlay(x, f.changes))
    add, erase = spec.data[1], spec.data[2]
    n_add = sum(c.new == 1.0 for c in f.changes)
    assert add.name == f"add ink ({n_add})" and erase.name == f"erase ({f.count - n_add})"
    assert sorted(zip(add.y, add.x)) == sorted((c.row, c.col) for c in f.changes if c.new == 1.0)
    after = validated(figures.fool_overlay(x, f.changes, after=True)).data[0]
    assert np.allclose(np.asarray(after.z, np.float64), f.x_after)
