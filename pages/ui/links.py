"""The address bar is always a shareable link: it holds the session's settings (and presentation
mode), and a session opened from a link starts with them (mnist37.config.from_query)."""
from __future__ import annotations

import streamlit as st

from mnist37.config import to_query
from pages.ui.present import PRESENT_PARAM, is_presentation
from pages.ui.session import NOTICES, get_config


def link_params() -> dict[str, str]:
    """The query parameters that describe this session."""
    want = to_query(get_config())
    if is_presentation():
        want[PRESENT_PARAM] = "1"
    return want


def sync_url() -> None:
    """Write the session's settings into the address bar (st.query_params). Called before and
    after every page run: Streamlit drops the query string when the user switches pages."""
    want = link_params()
    if st.query_params.to_dict() != want:
        st.query_params.from_dict(want)


def show_config_notices() -> None:
    """Show, once, what was wrong with the link the session was opened with."""
    for n in st.session_state.pop(NOTICES, None) or []:
        st.warning(n, icon="🔗")
