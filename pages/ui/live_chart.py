"""Plotly charts that update in place, for figures redrawn several times a second.

Streamlit 1.67 hashes the figure into each `st.plotly_chart`'s element id, and its frontend sets a
chart's figure only when the chart mounts, so every redraw of a live figure would build a new
chart in the browser. This small component keeps one <div> per figure and hands each new figure
to `Plotly.react`, which updates it in place. Several figures travel in one element: each element
of a redraw costs the server a message of its own. plotly.js comes from the installed plotly
package, served by Streamlit's static file serving (.streamlit/config.toml) from static/. Text
colour and font follow the page, so the charts read in the light and the dark theme.
"""
from __future__ import annotations

import html
import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import plotly
import streamlit as st

STATIC = Path(__file__).resolve().parents[2] / "static"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def _serve_plotly_js() -> None:
    """Copy the installed plotly.min.js into static/ (a copy: Streamlit refuses to serve links)."""
    target = STATIC / "plotly.min.js"
    if not target.exists() or target.stat().st_size != PLOTLY_JS.stat().st_size:
        STATIC.mkdir(exist_ok=True)
        part = target.with_suffix(f".{os.getpid()}.part")  # replicas may start together: copy, then rename
        shutil.copyfile(PLOTLY_JS, part)
        os.replace(part, target)


CSS = """
.live-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 0.5rem 1.5rem; }
.live-grid > .live-cell:first-child { grid-column: 1 / -1; }
.live-cell { min-width: 0; }
.live-caption { font-size: 0.875rem; opacity: 0.7; line-height: 1.4; margin: 0.25rem 0 0.75rem 0; }
"""

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
  const spec = JSON.parse(data.spec);
  let grid = parentElement.querySelector('div.live-grid');
  if (!grid) {
    grid = document.createElement('div'); grid.className = 'live-grid'; parentElement.appendChild(grid);
  }
  while (grid.children.length > spec.figs.length) grid.lastChild.remove();
  while (grid.children.length < spec.figs.length) {
    const cell = document.createElement('div'); cell.className = 'live-cell';
    const plot = document.createElement('div'); plot.className = 'live-plot'; plot.style.width = '100%';
    const cap = document.createElement('div'); cap.className = 'live-caption';
    cell.append(plot, cap); grid.appendChild(cell);
  }
  const style = getComputedStyle(parentElement);
  const grid_ = {gridcolor: 'rgba(128,128,128,0.25)', zerolinecolor: 'rgba(128,128,128,0.4)', ticks: ''};
  loadPlotly().then(P => spec.figs.forEach((fig, i) => {
    const cell = grid.children[i], div = cell.firstChild, cap = cell.lastChild;
    const layout = Object.assign({}, fig.layout);
    layout.font = Object.assign({family: style.fontFamily, color: style.color, size: 12}, layout.font || {});
    for (const k of Object.keys(layout)) {
      if (/^[xy]axis\\d*$/.test(k)) layout[k] = Object.assign({}, grid_, layout[k]);
    }
    if (!layout.xaxis) layout.xaxis = grid_;
    if (!layout.yaxis) layout.yaxis = grid_;
    div.style.height = (layout.height || 350) + 'px';
    if (cap.innerHTML !== (spec.captions[i] || '')) cap.innerHTML = spec.captions[i] || '';
    P.react(div, fig.data, layout, {displayModeBar: false, responsive: true, staticPlot: !!spec.static});
  }));
}
"""

_serve_plotly_js()
_component = st.components.v2.component("mnist37_live_charts", js=JS, css=CSS, isolate_styles=False)


def caption_html(markdown: str) -> str:
    """A caption's **bold**, *italic* and `code` as HTML (the rest escaped)."""
    text = html.escape(markdown)
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    text = re.sub(r"\*(.+?)\*", r"<i>\1</i>", text)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", text)


def _plain(o):
    """json.dumps fallback for numpy scalars and arrays."""
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"{type(o).__name__} is not JSON serialisable")


def charts_spec(figs: list[dict], captions: list[str], static: bool = False) -> str:
    """The figures (plain plotly dicts), each with its caption (markdown: bold, italic, code), as the
    element carries them. `static` draws pictures without hover (cheaper while they change)."""
    spec = {"figs": figs, "captions": [caption_html(c) for c in captions], "static": static}
    return json.dumps(spec, default=_plain, separators=(",", ":"))


def live_charts(spec: str, key: str) -> None:
    """Draw `charts_spec(...)` in one element under `key`; later calls with the same key update the
    same charts in place."""
    _component(data={"spec": spec}, key=key)
