"""Presentation mode: larger text and figures for a projector, advanced controls hidden."""
from __future__ import annotations

import streamlit as st

PRESENTATION = "presentation"  # session_state key of the presentation-mode toggle
PRESENT_PARAM = "present"  # ?present=1 opens the app in presentation mode

# Everything Streamlit draws is sized in rem, so a larger root font scales text, widgets and
# spacing together; figures get taller through fig_height.
PRESENTATION_CSS = """<style>
html { font-size: 22px; }
[data-testid="stMainBlockContainer"] { max-width: 100%; padding-left: 2rem; padding-right: 2rem; }
[data-testid="stCaptionContainer"] { font-size: 0.95rem; }
</style>"""


def is_presentation() -> bool:
    return bool(st.session_state.get(PRESENTATION, False))


def presentation_toggle() -> None:
    """The sidebar's switch (a link with ?present=1 opens with it on), and the larger styles."""
    if PRESENTATION not in st.session_state:
        st.session_state[PRESENTATION] = st.query_params.get(PRESENT_PARAM) == "1"
    st.sidebar.toggle("Presentation mode", key=PRESENTATION,
                      help="Larger text and figures for a projector; advanced controls are hidden.")
    if is_presentation():
        st.html(PRESENTATION_CSS)


def fig_height(base: int) -> int:
    """A figure's height, larger in presentation mode."""
    return int(base * 1.4) if is_presentation() else base
