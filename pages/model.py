"""Model: the 785 numbers the model is, how they formed, what they get wrong, saved and loaded."""
from __future__ import annotations

import numpy as np
import streamlit as st

from mnist37 import baseline, figures
from mnist37 import jobs as jobs_core
from mnist37 import weights as wio
from mnist37.model import other_digit
from mnist37.config import TrainConfig
from mnist37.session import Model
from mnist37.train import Trainer
from pages.ui import jobs
from pages.ui.charts import chart
from pages.ui.data import dataset_or_stop, get_dataset
from pages.ui.layout import wrapping_columns
from pages.ui.present import fig_height, is_presentation
from pages.ui.routing import route_through_app
from pages.ui.session import TRAINER, UPLOADED, current_model, get_config

UPLOAD_KEY = "weights_upload"
UPLOAD_SEEN = "weights_upload_seen"  # (file_id, error or None) of the last upload handled


# --- shared read-only: deterministic functions of the settings, computed once per server ----------
@st.cache_resource(show_spinner="Computing the mean 3 and mean 7…")
def pixel_baseline(source: str) -> baseline.Baseline:
    return baseline.pixel_similarity(get_dataset(source))


@st.cache_resource(show_spinner=False, max_entries=8)
def mean_image(source: str, digit: int, height: int):
    """The mean 3 or mean 7 of a source's training digits (the same for every session)."""
    base = pixel_baseline(source)
    return figures.digit_image(base.mean3 if digit == 3 else base.mean7, f"mean {digit}", height=height)


def run_for_history(cfg: TrainConfig) -> tuple[Trainer | None, str]:
    """The session's trainer when it has trained an epoch, else a run with the session's settings
    made once per server (None while it trains in the background)."""
    t = st.session_state.get(TRAINER)
    if t is not None and t.epoch > 0:
        return t, f"your training run (epoch {t.epoch} of {t.cfg.epochs})"
    data = get_dataset(cfg.source)
    run = jobs.result(("run", cfg), jobs_core.full_run(cfg, data), jobs_core.run_cost(cfg, data.n_train),
                      "Training a model with your settings")
    return run, ("a run with your settings made for this page (you have not trained a full epoch yet on "
                 "the Train page; same settings, same seed, same result)")


# --- sections --------------------------------------------------------------------------------------
def weights_section(model: Model, cfg: TrainConfig, acc: float) -> None:
    st.subheader("784 weights and a bias")
    left, right = wrapping_columns("model_weights_row", [(3, 18), (2, 14)], gap="large")
    with left:
        chart(figures.weight_heatmap(model.weights, model.positive, height=fig_height(420)), key="weights_fig")
    with right:
        st.metric("bias", f"{model.bias:+.4f}")
        st.metric(f"validation accuracy (threshold {cfg.threshold:g})", f"{acc:.1%}")
        st.markdown(
            f"Each pixel of a digit is multiplied by the weight at the same place and the 784 "
            f"products are added to the bias: that is the logit. **Blue** weights push it up, toward "
            f"**{model.positive}**; **red** ones push it down, toward **{other_digit(model.positive)}**. "
            f"Hover a pixel for its row, column and weight.")
        st.caption(f"Showing {model.description}.")


def replay_section(cfg: TrainConfig) -> Trainer | None:
    st.subheader("Watch the weights form")
    trainer, what = run_for_history(cfg)
    if trainer is None:
        return None
    st.markdown("Press **▶ play** or drag the slider: one frame per epoch, all on one colour scale. "
                "The random start hides the change, so by default you see what training *added* to it: "
                "the digits' shape appears where training digits have ink, while pixels that are always "
                "black get no gradient and keep their random start.")
    change = st.radio("Show", ("what training added (weights − initial weights)", "the weights themselves"),
                      horizontal=True, key="replay_show", label_visibility="collapsed").startswith("what")
    chart(figures.weight_replay(trainer.snapshots, trainer.cfg.positive, height=fig_height(420), change=change),
          key="replay_fig")
    st.caption(f"Snapshots of {what}.")
    return trainer


def baseline_section(trainer: Trainer | None, cfg: TrainConfig, lin: float) -> None:
    st.subheader("The lesson's first model: pixel similarity")
    base = pixel_baseline(cfg.source)
    st.markdown("Before any learning, the lesson averages every training 3 into an *ideal 3* and every "
                "7 into an *ideal 7*, and calls a digit a 3 when it is closer to the ideal 3 "
                "(`mnist_distance`: the mean absolute pixel difference).")
    c1, c2, c3 = wrapping_columns("model_baseline_row", [(1, 9), (1, 9), (1.2, 15)])
    chart(mean_image(cfg.source, 3, fig_height(240)), key="mean3_fig", box=c1)
    chart(mean_image(cfg.source, 7, fig_height(240)), key="mean7_fig", box=c2)
    c3.metric("pixel similarity: validation accuracy", f"{base.accuracy:.1%}")
    c3.metric("the linear model: validation accuracy", f"{lin:.1%}",
              delta=f"{(lin - base.accuracy) * 100:+.1f} points")
    c3.caption(f"Both on the same {base.n_valid} validation digits.")
    if trainer is None:
        st.caption("What training added to the weights appears here beside mean 3 − mean 7 when the run above "
                   "is done.")
        return
    pos = trainer.cfg.positive
    diff = base.difference(pos)
    w, _ = trainer.params()
    learned = w - trainer.snapshots[0][0]
    r = baseline.similarity(learned, diff)
    d1, d2 = wrapping_columns("model_learned_row", [(1, 16), (1, 16)])
    chart(figures.diverging_heatmap(diff, pos, f"mean {pos} − mean {other_digit(pos)}", name="difference",
                                    height=fig_height(320)), key="diff_fig", box=d1)
    chart(figures.weight_heatmap(learned, pos, "what training added: weights − initial weights",
                                 height=fig_height(320)), key="learned_fig", box=d2)
    st.markdown(
        f"**They look alike** (correlation {r:.2f}). A gradient step adds each training digit's pixels "
        f"to the weights, pushed toward {pos} for a {pos} and away for a {other_digit(pos)}, so the "
        f"weights drift toward *mean {pos} − mean {other_digit(pos)}*; and `x · (mean {pos} − mean "
        f"{other_digit(pos)})` is just how much more a digit overlaps the ideal {pos} than the ideal "
        f"{other_digit(pos)}: pixel similarity, learned.")


def losses_section(cfg: TrainConfig) -> None:
    st.subheader("mnist_loss or binary cross-entropy?")
    data = get_dataset(cfg.source)
    res = jobs.result(("losses", cfg), jobs_core.loss_comparison(cfg, data),
                      2 * jobs_core.run_cost(cfg, data.n_train), "Training with mnist_loss and with cross-entropy")
    if res is None:
        return
    chart(figures.loss_comparison(res, height=fig_height(300)), key="loss_fig")
    a, b, c = wrapping_columns("model_losses_row", [(1, 15)] * 3)
    a.metric("final accuracy, mnist_loss", f"{res['mnist']['accuracy']:.1%}")
    b.metric("final accuracy, binary cross-entropy", f"{res['bce']['accuracy']:.1%}",
             delta=f"{(res['bce']['accuracy'] - res['mnist']['accuracy']) * 100:+.1f} points")
    for loss, col in (("mnist", a), ("bce", b)):
        if res[loss]["status"] == "diverged":
            col.warning(res[loss]["message"])
    c.caption(f"Both trained from seed {cfg.seed}: the same initial weights and the same batches, "
              f"{cfg.epochs} epochs at lr {cfg.lr:g}; only the loss differs.")
    st.markdown(
        "`mnist_loss` is the distance of `sigmoid(logit)` from the target: once a digit is confidently "
        "wrong the sigmoid is flat and its gradient vanishes, so the worst mistakes barely teach. "
        "Cross-entropy, `-log(p)` of the right answer, grows without bound for confident mistakes "
        "and keeps pushing on them: it usually learns faster and ends higher.")


def gallery_section(model: Model, cfg: TrainConfig, data) -> None:
    st.subheader("What it gets wrong")
    logits = baseline.valid_logits(model.weights, model.bias, data)
    misses = baseline.misclassified(logits, data.y_valid, model.positive, cfg.threshold)
    n = 12 if is_presentation() else st.slider("digits to show", 6, 48, 18, step=6, key="gallery_n")
    if not misses:
        st.success(f"No validation digit is misclassified at threshold {cfg.threshold:g}.")
        return
    st.markdown(f"{len(misses)} of {data.n_valid} validation digits are on the wrong side of the "
                f"threshold ({cfg.threshold:g}); the most wrong first: their logit is furthest on the "
                f"wrong side. Many are odd handwriting; some would fool a person too.")
    shown = misses[:n]
    chart(figures.digit_gallery(
        [data.x_valid[m.index] for m in shown],
        [f"a {m.label}, logit {m.logit:+.1f}" for m in shown], cols=6,
        height_per_row=fig_height(150)), key="gallery_fig")


def download_section(model: Model) -> None:
    st.subheader("Save the 785 numbers, or load some")
    st.markdown("The whole model fits in a 4 KB file. Download it, open the CSV in a spreadsheet (28 rows "
                "of 28 weights: the picture above as numbers), or load a weights file back: the Draw "
                "page then uses it.")
    row = st.container(horizontal=True)  # three buttons in a row, wrapping on a narrow screen
    row.download_button("Weights (.pt, torch)", wio.to_bytes(np.array(model.weights), model.bias, model.cfg),
                        file_name="mnist37_weights.pt", mime="application/octet-stream", key="dl_pt",
                        help="torch.save of {'weights' (784, 1), 'bias' (1,), 'config'}; "
                             "load with torch.load(path, weights_only=True)")
    row.download_button("Weights (.npz, numpy)", wio.to_npz(model.weights, model.bias),
                        file_name="mnist37_weights.npz", mime="application/octet-stream", key="dl_npz")
    row.download_button("Weights (28×28 .csv)", wio.to_csv(model.weights), file_name="mnist37_weights.csv",
                        mime="text/csv", key="dl_csv", help="the bias is not in the CSV: it is "
                                                            f"{model.bias:+.6f}")


def upload_section() -> None:
    up = st.file_uploader("Load weights (.pt or .npz)", type=["pt", "pth", "npz"], key=UPLOAD_KEY,
                          help="Checked before use: only tensors named weights (784, 1) and bias (1,), "
                               "all finite; a file that would run code is refused.")
    seen = st.session_state.get(UPLOAD_SEEN)
    if up is not None and (seen is None or seen[0] != up.file_id):
        try:
            w, b, cfg = wio.from_bytes(up.getvalue(), name=up.name)
        except wio.WeightsError as e:
            st.session_state[UPLOAD_SEEN] = (up.file_id, str(e))
        else:
            positive = cfg.positive if cfg is not None else get_config().positive
            w.setflags(write=False)
            st.session_state[UPLOADED] = Model(w, b, positive, f"the weights loaded from {up.name}", cfg)
            st.session_state[UPLOAD_SEEN] = (up.file_id, None)
            st.rerun()  # redraw the whole page with the loaded model
    if up is not None and st.session_state.get(UPLOAD_SEEN, (None, None))[1]:
        st.error(f"Not loaded: {st.session_state[UPLOAD_SEEN][1]}.", icon=":material/block:")
    if UPLOADED in st.session_state:
        st.info(f"The Draw page and this page use {st.session_state[UPLOADED].description}.")
        if st.button("Stop using the loaded weights", key="drop_upload"):
            del st.session_state[UPLOADED]
            st.rerun()


# --- the page --------------------------------------------------------------------------------------
route_through_app()  # before anything is drawn
st.title("The model is 785 numbers")
st.markdown("784 weights, one per pixel, and a bias: that is all the model is. Here they are as a "
            "picture, as they formed epoch by epoch, next to the lesson's simpler first idea, and as a "
            "file you can save and load.")

cfg = get_config()
data = dataset_or_stop(cfg.source)
model = current_model()

accuracy = baseline.linear_accuracy(model.weights, model.bias, data, model.positive, cfg.threshold)
weights_section(model, cfg, accuracy)
trainer = replay_section(cfg)
baseline_section(trainer, cfg, accuracy)
losses_section(cfg)
gallery_section(model, cfg, data)
if not is_presentation():
    download_section(model)
    upload_section()
