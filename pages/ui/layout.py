"""Columns that wrap: side by side while each has room, one under another when the main area is
narrower (a tablet with the sidebar open, a projector in presentation mode, a phone).

st.columns stacks only when the whole window is under 640 px, so with the sidebar open a tablet gets
columns a few words wide; st.container(horizontal=True) wraps, but lets its stretching children
shrink to nothing before it does. Here each column of a horizontal container gets a minimum width,
in rem so it grows with presentation mode's larger text: narrower than that, it wraps (CSS on the
layout wrapper Streamlit puts around each child).
"""
from __future__ import annotations

import streamlit as st


def wrapper(key: str) -> str:
    """The CSS selector of the flex item that holds the container keyed `key` in a horizontal
    container: Streamlit wraps each child in a layout wrapper, and that wrapper is what wraps."""
    return f'[data-testid="stLayoutWrapper"]:has(> .st-key-{key})'


def wrapping_columns(key: str, spec: list[tuple[float, float]], gap: str = "medium",
                     vertical_alignment: str = "top") -> list:
    """Containers for `spec` = [(relative width, minimum width in rem), ...], like st.columns'
    relative widths; the row's and the columns' keys are `key` and f"{key}_{i}"."""
    rules = " ".join(f"{wrapper(f'{key}_{i}')} {{ flex: {grow:g} 1 0%; min-width: min({rem:g}rem, 100%); }}"
                     for i, (grow, rem) in enumerate(spec))
    st.html(f"<style>{rules}</style>")
    with st.container(horizontal=True, gap=gap, vertical_alignment=vertical_alignment, key=key):
        return [st.container(key=f"{key}_{i}") for i in range(len(spec))]
