"""Every chart a page draws goes through `chart` (the live ones through pages.ui.live_chart): the
same plotly config and screen layout everywhere (mnist37.figures.for_screen): a swipe over a chart
scrolls the page on a touch screen, no plotly toolbar covers a label, Streamlit's fullscreen button
enlarges a chart, and text grows with presentation mode. `CHART_CSS` draws chart text in the page's
own text colour, in either theme."""
from __future__ import annotations

import streamlit as st

from mnist37 import figures
from pages.ui.present import font_scale


# Streamlit's chart theme draws plotly's text in a grey that falls short of WCAG AA's 4.5:1 on the
# light theme's white page; the page's text colour reads in both themes, and follows a theme
# change at once. Hover labels (the last svg) keep their own colours, on their own background.
CHART_CSS = """<style>
.stPlotlyChart .main-svg :is(.cartesianlayer, .infolayer, .layer-above, .menulayer) text {
  fill: currentColor !important;
}
</style>"""


def style_charts() -> None:
    """Put CHART_CSS on the page (every run: Streamlit keeps only what the run draws)."""
    st.html(CHART_CSS)


def chart(fig, key: str, box=st, **kw) -> None:
    """`fig` (a go.Figure or a figure dict) drawn as every page draws charts, in `box` (a column
    or container; the page by default)."""
    box.plotly_chart(figures.for_screen(fig, font_scale()), key=key, config=figures.CONFIG, **kw)
