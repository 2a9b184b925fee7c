"""A plotly chart that updates in place, for figures redrawn several times a second.

Streamlit 1.67 hashes the figure into each `st.plotly_chart`'s element id, and its frontend sets
a chart's figure only when the chart mounts: every redraw of a live figure throws the chart away
and builds a new one in the browser, which on a 2-core machine caps the Train page at about two
redraws a second (a stable, key-only id freezes the chart instead). This small component keeps one
<div> per key and hands each new figure to `Plotly.react`, which updates it in place
(streamlit/streamlit#16052 will do the same upstream). plotly.js comes from the installed plotly
package, served by Streamlit's static file serving (.streamlit/config.toml) from static/.
Text colour and font follow the page, so the charts read in the light and the dark theme.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import plotly
import plotly.io as pio
import streamlit as st

STATIC = Path(__file__).resolve().parents[2] / "static"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def _serve_plotly_js() -> None:
    """Copy the installed plotly.min.js into static/ (a copy: Streamlit refuses to serve links)."""
    target = STATIC / "plotly.min.js"
    if not target.exists() or target.stat().st_size != PLOTLY_JS.stat().st_size:
        STATIC.mkdir(exist_ok=True)
        shutil.copyfile(PLOTLY_JS, target)


JS = """
function loadPlotly() {
  if (!window.__mnist37Plotly) window.__mnist37Plotly = new Promise((ok, bad) => {
    if (window.Plotly) return ok(window.Plotly);
    const s = document.createElement('script');
    s.src = new URL('app/static/plotly.min.js', document.baseURI.replace(/[^/]*$/, '')).href;
    s.onload = () => ok(window.Plotly); s.onerror = bad; document.head.appendChild(s);
  });
  return window.__mnist37Plotly;
}
export default function(component) {
  const { data, parentElement } = component;
  let div = parentElement.querySelector('div.live-plot');
  if (!div) {
    div = document.createElement('div'); div.className = 'live-plot'; div.style.width = '100%';
    parentElement.appendChild(div);
  }
  const fig = JSON.parse(data.spec);
  const style = getComputedStyle(parentElement);
  const layout = Object.assign({}, fig.layout);
  layout.font = Object.assign({family: style.fontFamily, color: style.color, size: 12}, layout.font || {});
  const grid = {gridcolor: 'rgba(128,128,128,0.25)', zerolinecolor: 'rgba(128,128,128,0.4)', ticks: ''};
  for (const k of Object.keys(layout)) {
    if (/^[xy]axis\\d*$/.test(k)) layout[k] = Object.assign({}, grid, layout[k]);
  }
  if (!layout.xaxis) layout.xaxis = grid;
  if (!layout.yaxis) layout.yaxis = grid;
  div.style.height = (layout.height || 350) + 'px';
  loadPlotly().then(P => P.react(div, fig.data, layout,
    {displayModeBar: false, responsive: true, staticPlot: !!data.static}));
}
"""

_serve_plotly_js()
_component = st.components.v2.component("mnist37_live_chart", js=JS, isolate_styles=False)


def live_plotly_chart(fig, key: str, static: bool = False) -> None:
    """Draw `fig` under `key`; later calls with the same key update the same chart in place."""
    _component(data={"spec": pio.to_json(fig, validate=False), "static": static}, key=key)
