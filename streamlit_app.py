"""mnist37: fast.ai lesson 4's 3-vs-7 linear model, live. Registers the pages and runs the chosen one.

Every run also keeps the address bar a shareable link (the session's settings as query
parameters) and offers presentation mode (larger text and figures, advanced controls hidden).
"""
import streamlit as st

from pages.common import route_through_app
from pages.common import (PRESENT_PARAM, PRESENTATION, is_presentation, show_config_notices, stop_background,
                          sync_url)

# Presentation mode: everything Streamlit draws is sized in rem, so a larger root font scales text,
# widgets and spacing together; figures get taller through pages.common.fig_height.
PRESENTATION_CSS = """<style>
html { font-size: 22px; }
[data-testid="stMainBlockContainer"] { max-width: 100%; padding-left: 2rem; padding-right: 2rem; }
[data-testid="stCaptionContainer"] { font-size: 0.95rem; }
</style>"""


def sidebar() -> None:
    if PRESENTATION not in st.session_state:  # a link with ?present=1 opens in presentation mode
        st.session_state[PRESENTATION] = st.query_params.get(PRESENT_PARAM) == "1"
    with st.sidebar:
        st.toggle("Presentation mode", key=PRESENTATION,
                  help="Larger text and figures for a projector; advanced controls are hidden.")
        st.caption("The address bar always holds a link to your current settings: copy it to share them.")
    if is_presentation():
        st.html(PRESENTATION_CSS)


def run() -> None:
    route_through_app()  # the first run after a start may come in Streamlit's legacy pages/ mode
    st.set_page_config(page_title="mnist37: 3 or 7?", page_icon="✏️", layout="wide")
    pages = [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("pages/train.py", title="Train", icon=":material/monitoring:", url_path="train"),
        st.Page("pages/step.py", title="One step", icon=":material/footprint:", url_path="step"),
        st.Page("pages/draw.py", title="Draw", icon=":material/draw:", url_path="draw"),
        st.Page("pages/model.py", title="Model", icon=":material/grid_on:", url_path="model"),
    ]
    page = st.navigation(pages)
    if page.url_path != "train":
        stop_background()  # only the Train page trains on a thread; other pages read a still model
    sidebar()
    sync_url()  # a session's first run reads its settings from the link; later runs write them back
    show_config_notices()
    page.run()
    sync_url()  # the page may have changed the settings


run()
