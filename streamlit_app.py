"""mnist37: fast.ai lesson 4's 3-vs-7 linear model, live. Registers the pages and runs the chosen one."""
import streamlit as st


def run() -> None:
    st.set_page_config(page_title="mnist37: 3 or 7?", page_icon="✏️", layout="wide")
    pages = [
        st.Page("pages/home.py", title="Home", icon="🏠", default=True),
        st.Page("pages/train.py", title="Train", icon="📉", url_path="train"),
        st.Page("pages/draw.py", title="Draw", icon="✏️", url_path="draw"),
        st.Page("pages/model.py", title="Model", icon="🔢", url_path="model"),
    ]
    st.navigation(pages).run()


run()
