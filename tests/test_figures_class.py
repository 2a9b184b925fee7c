"""The class's figures and the digit gallery: validated in full by plotly, showing what they must."""
import numpy as np

from mnist37 import figures
from tests.test_figures_train import validated


def test_the_digit_gallery_tiles_every_digit_with_its_title_and_frame():
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (28, 28)) for _ in range(7)] + [rng.random((28, 28))]
    titles = [f"digit {i}" for i in range(8)]
    spec = validated(figures.digit_gallery(images, titles, cols=3, frames=["#ff0000"] * 2 + [None] * 6))
    z = np.asarray(spec.data[0].z, dtype=float)
    assert z.shape == (3 * (32 + 4), 3 * 32 - 4)  # 3 rows of 3, each 28 + a title line, 4 px apart
    assert np.allclose(z[:28, :28], images[0] / 255) and np.allclose(z[36 * 2:36 * 2 + 28, 32:60], images[7])
    assert [a.text for a in spec.layout.annotations] == titles
    assert len(spec.layout.shapes) == 2 and spec.layout.shapes[0].line.color == "#ff0000"


def test_the_class_runs_figure_puts_each_run_on_the_scatter_and_its_curve_beside_it():
    rows = [{"nickname": "Ann", "lr": 0.1, "bs": 256, "epochs": 20, "seed": 1, "loss": "mnist", "final_accuracy": 0.9},
            {"nickname": "Bob", "lr": 1.0, "bs": 64, "epochs": 5, "seed": 2, "loss": "bce", "final_accuracy": 0.97}]
    spec = validated(figures.class_runs(rows, [[0.6, 0.9], [0.8, 0.9, 0.97]]))
    scatter = [t for t in spec.data if t.mode == "markers"]
    assert sorted(len(t.x) for t in scatter) == [1, 1] and spec.layout.xaxis.type == "log"
    assert {t.customdata[0][0] for t in scatter} == {"Ann", "Bob"}
    assert len([t for t in spec.data if t.mode == "lines"]) == 2


def test_the_drawings_sheet_frames_mistakes_red_and_unsaid_ones_grey():
    spec = validated(figures.drawings_sheet([np.zeros((28, 28))] * 3, ["a", "b", "c"], [True, False, None]))
    colours = [s.line.color for s in spec.layout.shapes]
    assert colours == [figures.NEG_COLOUR, figures.POS_COLOUR, "#888888"]
