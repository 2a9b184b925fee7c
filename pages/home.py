"""Home: what the app is, the way from pixels to a decision, and the questions learners ask."""
from __future__ import annotations

import numpy as np
import streamlit as st

from mnist37 import figures
from mnist37.inference import infer, probability_relation
from mnist37.model import other_digit
from pages.ui.charts import chart
from pages.ui.data import HOME_SEED, HOME_THRESHOLD, dataset_or_stop, flip_model, random_accuracy, threshold_demo
from pages.ui.layout import wrapping_columns
from pages.ui.present import fig_height, is_presentation
from pages.ui.routing import route_through_app
from pages.ui.session import current_model, get_config


route_through_app()  # before anything is drawn
st.title("3 or 7? A linear model learns to tell them apart")
st.markdown(
    "This is fast.ai lesson 4's first real model, live: **784 weights and a bias** that learn, by "
    "stochastic gradient descent, to tell handwritten 3s from 7s in real MNIST digits.  \n"
    "**Train** it and watch the weights move, **draw** a digit and follow it to a decision, and open "
    "the **model**: 785 numbers you can save and load.  \n"
    "Start below: one real digit's way through the model, step by step.")

cfg = get_config()
data = dataset_or_stop(cfg.source)
model = current_model()
pos, other, thr = model.positive, other_digit(model.positive), cfg.threshold

# --- the path: pixels -> weights -> logit -> sigmoid -> decision --------------------------------------
st.header("From pixels to a decision")
i = st.slider("Pick a validation digit", 0, data.n_valid - 1, 0, key="home_digit",
              help="One of the real MNIST digits the model never trained on.")
x = data.x_valid[i].astype(np.float32) / 255  # the lesson's /255
label = int(data.y_valid[i])
inf = infer(x, model.weights, model.bias, thr, pos)  # the Draw page's inference: x·w, Σ + b, σ, compare
logit, p, decision = inf.logit, inf.probability, inf.decision

h = fig_height(230)
cols = wrapping_columns("home_path", [(1, 11)] * 5)  # five in a row, or fewer to a row on a narrow screen
with cols[0]:
    st.markdown("**1 · pixels**")
    chart(figures.digit_image(x, height=h), key="home_pixels")
    st.caption(f"a real {label}: 28×28 = 784 numbers from 0 (black) to 1 (white)")
    st.page_link("pages/draw.py", label="Draw your own", icon=":material/draw:")
with cols[1]:
    st.markdown("**2 · weights**")
    chart(figures.compact(figures.weight_heatmap(model.weights, pos, height=h)), key="home_weights")
    st.caption(f"one weight per pixel: blue votes {pos}, red votes {other}")
    st.page_link("pages/train.py", label="Watch them learn", icon=":material/monitoring:")
with cols[2]:
    st.markdown("**3 · logit**")
    chart(figures.compact(figures.contribution_heatmap(x, model.weights, pos, height=h)), key="home_products")
    st.caption(f"pixel × weight (blue pushes toward {pos}, red toward {other}), summed: {inf.total:+.2f}; plus the bias {model.bias:+.2f} "
               f"= logit **{logit:+.2f}**")
    st.page_link("pages/draw.py", label="Every pixel's vote", icon=":material/draw:")
with cols[3]:
    st.markdown("**4 · sigmoid**")
    chart(figures.sigmoid_decision(logit, thr, pos, height=h), key="home_sigmoid")
    st.caption(f"sigmoid squashes the logit into a probability: P({pos}) {probability_relation(p)}")
    st.page_link("pages/train.py", label="Why squash it?", icon=":material/monitoring:")
with cols[4]:
    st.markdown("**5 · decision**")
    st.metric("the model says", str(decision),
              delta="right" if decision == label else f"wrong: it is a {label}",
              delta_color="normal" if decision == label else "inverse")
    st.caption(f"logit {logit:+.2f} {'>' if logit > thr else '≤'} threshold {thr:g}, "
               f"so {decision}")
    st.page_link("pages/model.py", label="Its mistakes", icon=":material/grid_on:")
st.caption(f"Using {model.description}.")

# --- questions learners ask ----------------------------------------------------------------------------
st.header("Questions learners ask")
open_all = is_presentation()

with st.expander(f"Why does logit > 0 mean \"{pos}\"?", expanded=True):
    st.markdown(
        f"Only because we said so: the training labels call {pos} **1** and {other} **0**, so SGD "
        f"pushes the logits of {pos}s up and of {other}s down. Say the other digit is 1 instead and the "
        f"same training learns the mirror image: the weights' colours flip.")
    flip = st.radio("Label 1 stands for", (3, 7), index=(3, 7).index(pos), horizontal=True, key="home_positive")
    fw, fb, facc = flip_model(flip)
    a, b = wrapping_columns("home_flip_row", [(3, 16), (2, 12)])
    chart(figures.weight_heatmap(fw, flip, f"trained with label 1 = {flip}", height=fig_height(300)), key="home_flip",
          box=a)
    b.metric("bias", f"{fb:+.3f}")
    b.metric("validation accuracy", f"{facc:.1%}")
    b.caption(f"Both trained with the lesson's settings but from all-zero weights (init std 0), so only "
              f"the labels differ: every weight and the bias change sign, and blue now means {flip}. From "
              f"random weights the random start stays and only the learned part flips.")

with st.expander("Why is accuracy about 50 % before training?", expanded=open_all):
    share = float(np.mean(data.y_valid == pos))
    st.markdown(
        f"Random weights are as likely to push a {pos} up as down, so the decision is a coin flip. "
        f"And the validation set is {share:.0%} {pos}s, so guessing gets about half right.")
    seed = st.slider("Seed of the random initial weights", 0, 99, HOME_SEED, key="home_seed")
    acc = random_accuracy(seed, cfg.source, pos)
    st.metric("validation accuracy with random weights", f"{acc:.1%}", help="Before any training",
              delta=f"{(acc - 0.5) * 100:+.1f} points from a coin flip", delta_color="off")

with st.expander("Does a non-zero threshold still work?", expanded=open_all):
    st.markdown(
        "Yes. `logit > t` is `x·w + (b − t) > 0`: a threshold is just a bias. Add t to the bias and "
        "every decision is the same as before; train with the threshold and SGD shifts the logits by "
        "about t itself.")
    t = st.select_slider("Threshold on the logit", options=[-8, -4, -2, -1, 0, 1, 2, 4, 8], value=int(HOME_THRESHOLD),
                         key="home_threshold")
    r = threshold_demo(float(t))
    c1, c2, c3 = wrapping_columns("home_threshold_row", [(1, 13)] * 3)
    c1.metric(f"default model at threshold {t}", f"{r['default']:.1%}")
    c2.metric(f"… with its bias {t:+d}", f"{r['default_shifted']:.1%}")
    c3.metric(f"trained for threshold {t}", f"{r['trained']:.1%}",
              help=f"its typical logit moved by {r['shift']:+.2f}")
    st.caption(f"Trained for threshold {t}, the median logit moved by {r['shift']:+.2f}: mostly through the "
               "weights on pixels every digit inks, which act like a bias. The lesson's settings on the "
               "embedded sample; the Train page's *fit threshold* switch does the same.")

with st.expander("What is the model?", expanded=open_all):
    st.markdown(
        "785 numbers: a weight for each of the 784 pixels, and a bias. Nothing else is needed to "
        "classify a digit: the Model page downloads them as a 4 KB file, or as a 28×28 spreadsheet.")
    r1, r2 = st.columns(2)
    row = r1.slider("row", 0, 27, 14, key="home_row")
    col = r2.slider("column", 0, 27, 14, key="home_col")
    st.markdown(f"The weight of pixel ({row}, {col}) is **{model.weights[row * 28 + col]:+.4f}**; "
                f"the bias is **{model.bias:+.4f}**.")
    st.page_link("pages/model.py", label="See, save and load all 785", icon=":material/grid_on:")

with st.expander("How does it learn from a mini-batch?", expanded=open_all):
    st.markdown("One step of SGD: predict 256 digits, measure the loss, let `loss.backward()` give each of the "
                "785 numbers its gradient, and move each a little against it: `p.data -= p.grad*lr`. See your "
                "model's next step worked out with its own numbers, then take it.")
    st.page_link("pages/step.py", label="One SGD step, up close", icon=":material/footprint:")

with st.expander("How does inference work?", expanded=open_all):
    st.markdown(f"Multiply, add, squash, compare, on the validation digit picked above (a real {label}):")
    st.code(
        f"x = pixels / 255                     # 784 numbers in [0, 1]\n"
        f"x @ weights     = {inf.total:+10.4f}    # multiply each pixel by its weight, add up\n"
        f"      + bias    = {logit:+10.4f}    # the logit\n"
        f"sigmoid(logit)  = {p:10.4f}    # squash: the probability it is a {pos}\n"
        f"logit > {thr:g}       -> {str(logit > thr):5}         # compare: it is a {decision}",
        language="python")
    st.caption("Move the digit slider at the top to follow another digit.")
