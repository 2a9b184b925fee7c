"""Every run goes through streamlit_app.py's st.navigation, even a fresh server's first request."""
from __future__ import annotations

import streamlit as st


def route_through_app() -> None:
    """Make sure streamlit_app.py's st.navigation routes this run; every page calls it first.

    Streamlit 1.67 sees the `pages/` folder and runs sessions in its legacy pages-folder mode
    (every .py in pages/ a page, streamlit_app.py not run first) until st.navigation has been
    called once in the server process. When the first request after a start is a link to a
    sub-page, it never would be: that run is switched to st.navigation mode and rerun. Once routed
    this is one attribute read.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
