"""The address bar is always a shareable link: it holds the session's settings (and presentation
mode), and a session opened from a link starts with them (mnist37.config.from_query)."""
from __future__ import annotations

import streamlit as st

from mnist37.config import to_query
from pages.ui.classmode import class_params
from pages.ui.present import PRESENT_PARAM, is_presentation
from pages.ui.session import NOTICES, get_config

LINK_PAGE = "link_page"  # session_state: the url path of the page the link was last written for

def link_params(page: str = "") -> dict[str, str]:
    """The query parameters that describe this session on the page with url path `page`."""
    want = to_query(get_config())
    if is_presentation():
        want[PRESENT_PARAM] = "1"
    return {**want, **class_params(page == "class")}


def sync_url(page: str | None = None) -> None:
    """Write the session's settings into the address bar (st.query_params) when the browser's copy
    differs, for the page with url path `page` (by default the page this run shows). Called at the
    start and the end of every page run (Streamlit drops the query string when the user switches
    pages), by set_config whenever the settings change, and by fragments that change them.

    st.query_params is refilled from the query string the browser sent with each run, so a
    message lost to an interrupted run is sent again by the next run that calls this."""
    if page is None:
        page = st.session_state.get(LINK_PAGE, "")
    st.session_state[LINK_PAGE] = page
    want = link_params(page)
    if st.query_params.to_dict() != want:
        st.query_params.from_dict(want)


def show_config_notices() -> None:
    """Show, once, what was wrong with the link the session was opened with."""
    for n in st.session_state.pop(NOTICES, None) or []:
        st.warning(n, icon="🔗")
