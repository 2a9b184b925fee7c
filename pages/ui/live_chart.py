"""Plotly charts that update in place, for figures redrawn several times a second.

Streamlit 1.67 hashes the figure into each `st.plotly_chart`'s element id, and its frontend sets a
chart's figure only when the chart mounts, so every redraw of a live figure would build a new
chart in the browser. This small component keeps one <div> per figure and hands each new figure
to `Plotly.react`, which updates it in place. Several figures travel in one element: each element
of a redraw costs the server a message of its own. plotly.js comes from the installed plotly
package, served by Streamlit's static file serving (.streamlit/config.toml) from static/. Text
colour and font follow the page, so the charts read in the light and the dark theme; the plotly
config and screen layout are every chart's (mnist37.figures.for_screen, pages.ui.charts).
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

from mnist37 import figures
from pages.ui.present import font_scale

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


# The first two figures share a row, the others three to a row; on a narrower element two to a
# row, and on a phone one (container queries: the element's own width, sidebar open or not).
CSS = """
.live-root { container-type: inline-size; }
.live-grid { display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 0.5rem 1.5rem; }
.live-cell { min-width: 0; grid-column: span 2; }
.live-cell:nth-child(-n+2) { grid-column: span 3; }
@container (max-width: 960px) { .live-cell { grid-column: span 3; } }
@container (max-width: 560px) { .live-cell, .live-cell:nth-child(-n+2) { grid-column: 1 / -1; } }
.live-caption { font-size: 0.875rem; opacity: 0.7; line-height: 1.4; margin: 0.25rem 0 0.75rem 0; }
"""

LOAD_JS = """
function loadPlotly() {
  if (!window.__mnist37Plotly) window.__mnist37Plotly = new Promise((ok, bad) => {
    if (window.Plotly) return ok(window.Plotly);
    const s = document.createElement('script');
    s.src = new URL('app/static/plotly.min.js', document.baseURI.replace(/[^/]*$/, '')).href;
    s.onload = () => ok(window.Plotly); s.onerror = bad; document.head.appendChild(s);
  });
  return window.__mnist37Plotly;
}
"""

JS = LOAD_JS + """
export default function(component) {
  const { data, parentElement } = component;
  const spec = JSON.parse(data.spec);
  let grid = parentElement.querySelector('div.live-grid');
  if (!grid) {
    const root = document.createElement('div'); root.className = 'live-root'; parentElement.appendChild(root);
    grid = document.createElement('div'); grid.className = 'live-grid'; root.appendChild(grid);
  }
  while (grid.children.length > spec.figs.length) grid.lastChild.remove();
  while (grid.children.length < spec.figs.length) {
    const cell = document.createElement('div'); cell.className = 'live-cell';
    const plot = document.createElement('div'); plot.className = 'live-plot'; plot.style.width = '100%';
    const cap = document.createElement('div'); cap.className = 'live-caption';
    cell.append(plot, cap); grid.appendChild(cell);
  }
  const figs = spec.figs.map(f => JSON.stringify(f));
  const grid_ = {gridcolor: 'rgba(128,128,128,0.25)', zerolinecolor: 'rgba(128,128,128,0.4)', ticks: ''};
  // Text takes the page's colour and font, so it reads in the light and the dark theme. A figure
  // is redrawn only when it or the page's look changed: a settings change that leaves the charts
  // as they were costs the browser nothing.
  const paint = () => {
    const style = getComputedStyle(parentElement), look = style.color + '|' + style.fontFamily;
    loadPlotly().then(P => spec.figs.forEach((fig, i) => {
      const cell = grid.children[i], div = cell.firstChild, cap = cell.lastChild;
      if (cap.innerHTML !== (spec.captions[i] || '')) cap.innerHTML = spec.captions[i] || '';
      const drawn = look + '|' + !!spec.static + '|' + figs[i];
      if (div.__mnist37Drawn === drawn) return;
      div.__mnist37Drawn = drawn;
      const layout = Object.assign({}, fig.layout);
      layout.font = Object.assign({family: style.fontFamily, color: style.color, size: 12}, layout.font || {});
      for (const k of Object.keys(layout)) {
        if (/^[xy]axis\\d*$/.test(k)) layout[k] = Object.assign({}, grid_, layout[k]);
      }
      if (!layout.xaxis) layout.xaxis = grid_;
      if (!layout.yaxis) layout.yaxis = grid_;
      const traces = fig.data.map(t => t.text || t.texttemplate
        ? Object.assign({}, t, {textfont: Object.assign({color: style.color}, t.textfont || {})}) : t);
      div.style.height = (layout.height || 350) + 'px';
      P.react(div, traces, layout, Object.assign({responsive: true, staticPlot: !!spec.static}, spec.config));
    }));
    return look;
  };
  let look = paint();
  // Streamlit's theme can change without a rerun (its settings menu): follow it.
  clearInterval(parentElement.__mnist37Watch);
  parentElement.__mnist37Watch = setInterval(() => {
    const style = getComputedStyle(parentElement);
    if (style.color + '|' + style.fontFamily !== look) look = paint();
  }, 1000);
  return () => clearInterval(parentElement.__mnist37Watch);
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


def preload_plotly() -> None:
    """Start loading plotly.js at the top of the page, so the browser has it (3.5 MB, parsed and
    run) by the time the live charts arrive, while the page is still loading: not just after, when
    it blocks the browser for a second or more as the user starts to use the page."""
    st.html(f"<script>{LOAD_JS}\nloadPlotly();</script>", unsafe_allow_javascript=True)


def charts_spec(figs: list[dict], captions: list[str], static: bool = False) -> str:
    """The figures (plain plotly dicts), each with its caption (markdown: bold, italic, code), as the
    element carries them, in every chart's screen layout and config (mnist37.figures.for_screen).
    `static` draws pictures without hover (cheaper while they change)."""
    spec = {"figs": [figures.for_screen(f, font_scale()) for f in figs], "config": figures.CONFIG,
            "captions": [caption_html(c) for c in captions], "static": static}
    return json.dumps(spec, default=_plain, separators=(",", ":"))


def live_charts(spec: str, key: str) -> None:
    """Draw `charts_spec(...)` in one element under `key`; later calls with the same key update the
    same charts in place."""
    _component(data={"spec": spec}, key=key)
