"""mnist37: fast.ai lesson 4's 3-vs-7 linear model, live. Registers the pages and runs the chosen one.

Every run also keeps the address bar a shareable link (the session's settings as query
parameters) and offers presentation mode (larger text and figures, advanced controls hidden).
"""
import streamlit as st

from pages.ui import classmode, classpush
from pages.ui.charts import style_charts
from pages.ui.links import show_config_notices, sync_url
from pages.ui.present import presentation_toggle
from pages.ui.routing import route_through_app
from pages.ui.session import stop_background


def run() -> None:
    route_through_app()  # the first run after a start may come in Streamlit's legacy pages/ mode
    st.set_page_config(page_title="mnist37: 3 or 7?", page_icon="✏️", layout="wide")
    pages = [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("pages/train.py", title="Train", icon=":material/monitoring:", url_path="train"),
        st.Page("pages/step.py", title="One step", icon=":material/footprint:", url_path="step"),
        st.Page("pages/draw.py", title="Draw", icon=":material/draw:", url_path="draw"),
        st.Page("pages/model.py", title="Model", icon=":material/grid_on:", url_path="model"),
        st.Page("pages/class.py", title="Class", icon=":material/groups:", url_path="class"),
    ]
    page = st.navigation(pages)
    if page.url_path != "train":
        stop_background()  # only the Train page trains on a thread; other pages read a still model
    presentation_toggle()
    style_charts()
    classmode.read_link()  # a teacher's or a students' link, before the address bar is rewritten
    classmode.sidebar(page.url_path)
    st.sidebar.caption("The address bar always holds a link to your current settings: copy it to share them.")
    sync_url(page.url_path)  # a session's first run reads its settings from the link; later runs write them back
    show_config_notices()
    classpush.banner()
    page.run()
    classpush.poll()
    sync_url(page.url_path)  # the page may have changed the settings


run()
