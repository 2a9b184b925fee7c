"""Home: what the app is, and the way through the lesson."""
import streamlit as st

from pages.common import get_config

st.title("3 or 7? A linear model learns to tell them apart")
st.markdown(
    "This app is fast.ai lesson 4's first real neural network, live: **784 weights and a bias** "
    "that learn, with stochastic gradient descent, to tell handwritten 3s from 7s in real MNIST "
    "digits. Train it and watch the weights move, draw a digit and follow it to a decision, and "
    "look at the 785 numbers the model is.")
get_config()
st.page_link("pages/train.py", label="Train: watch the model learn", icon="📉")
st.page_link("pages/draw.py", label="Draw: follow a digit from pixels to a decision", icon="✏️")
st.page_link("pages/model.py", label="Model: the 785 numbers, saved and loaded", icon="🔢")
