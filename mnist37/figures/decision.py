"""From logit to decision: the sigmoid with one digit's point on it, and the validation digits'
logits with the threshold through them and the accuracy at every threshold."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.colors import sequential

from ..inference import probability_relation, sigmoid
from ..model import other_digit
from .style import MARK_COLOUR, NEG_COLOUR, POS_COLOUR, VALID_COLOUR, _f32, _fast, _finite


def sigmoid_decision(logit: float | None, threshold: float = 0.0, positive: int = 3,
                     height: int = 260) -> go.Figure:
    """sigmoid(z) over the logit axis, split at the threshold into the other digit's side (red,
    left) and the positive digit's (blue, right), with this digit's point (logit, sigmoid(logit)).

    The axis widens to show the point; a logit beyond ±30 is drawn at the edge, labelled with its value.
    """
    other = other_digit(positive)
    reach = max(6.0, abs(threshold) + 2.0, min(abs(logit) * 1.15, 30.0) if logit is not None else 0.0)
    z = np.linspace(-reach, reach, 241)
    traces = [go.Scatter(x=z, y=1 / (1 + np.exp(-z)), mode="lines", line=dict(color="#777777", width=2),
                         hovertemplate="logit %{x:.2f}<br>sigmoid %{y:.3f}<extra></extra>")]
    band = dict(type="rect", xref="x", yref="paper", y0=0, y1=1, opacity=0.12, line_width=0, layer="below")
    shapes = [{**band, "x0": -reach, "x1": threshold, "fillcolor": NEG_COLOUR},
              {**band, "x0": threshold, "x1": reach, "fillcolor": POS_COLOUR},
              dict(type="line", xref="x", yref="paper", x0=threshold, x1=threshold, y0=0, y1=1,
                   line=dict(color="#555555", dash="dash", width=1.5))]
    notes = [dict(x=-reach, y=1, xref="x", yref="paper", text=f"<b>→ {other}</b>", showarrow=False,
                  xanchor="left", yanchor="top", font=dict(color=NEG_COLOUR, size=15)),
             dict(x=reach, y=0, xref="x", yref="paper", text=f"<b>→ {positive}</b>", showarrow=False,
                  xanchor="right", yanchor="bottom", font=dict(color=POS_COLOUR, size=15)),
             dict(x=threshold, y=1, xref="x", yref="paper", text=f"threshold {threshold:g}", showarrow=False,
                  xanchor="right" if threshold > reach / 2 else "left" if threshold < -reach / 2 else "center",
                  yanchor="bottom", font=dict(size=11, color="#555555"))]
    if logit is not None:
        p = sigmoid(logit)
        shown = float(np.clip(logit, -reach, reach))
        colour = POS_COLOUR if logit > threshold else NEG_COLOUR
        traces.append(go.Scatter(x=[shown], y=[p], mode="markers",
                                 marker=dict(size=15, color=colour, line=dict(width=2, color="#ffffff")),
                                 hovertemplate=f"logit {logit:.3f}<br>sigmoid {p:.4f}<extra></extra>"))
        notes.append(dict(x=shown, y=p, text=f"σ({logit:.2f}) {probability_relation(p)}", showarrow=True, arrowhead=0,
                          ax=-70 if shown > 0 else 70, ay=30 if p > 0.5 else -30,
                          bgcolor="rgba(255,255,255,0.85)", font=dict(size=13, color=colour)))
    return go.Figure(traces, layout=dict(
        height=height, showlegend=False, shapes=shapes, annotations=notes,
        margin=dict(l=10, r=10, t=22, b=10), paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        xaxis=dict(title=dict(text="logit", standoff=4), range=[-reach, reach], zeroline=False, showgrid=False),
        yaxis=dict(title=dict(text=f"P({positive}) = σ(logit)", standoff=4), range=[-0.04, 1.04],
                   tickvals=[0, 0.5, 1], showgrid=False, zeroline=False)))


def threshold_view(logits, is_positive, threshold: float = 0.0, positive: int = 3, sweep=None,
                   sweep_accuracy=None, accuracy: float | None = None, span: float = 10.0, bins: int = 40,
                   height: int = 380) -> dict:
    """Two panels on one logit axis from -span to span (the threshold slider's range). Top:
    histograms of the (n,) logits of the positive digit's images and of the other digit's (logits
    beyond the range are drawn in the edge bins; non-finite ones are left out). Bottom: accuracy
    at every threshold in `sweep` (`sweep_accuracy`). The threshold is a line through both, its
    accuracy a marked point; right of it the model says `positive`."""
    z = np.asarray(logits, dtype=np.float64).ravel()
    pos = np.asarray(is_positive).ravel().astype(bool)
    other = other_digit(positive)
    edges = np.linspace(-span, span, bins + 1)
    centres, width = (edges[:-1] + edges[1:]) / 2, edges[1] - edges[0]
    data, beyond = [], 0
    for digit, mask, colour in ((positive, pos, POS_COLOUR), (other, ~pos, NEG_COLOUR)):
        v = _finite(z[mask])
        beyond += int((np.abs(v) > span).sum())
        counts, _ = np.histogram(np.clip(v, -span, span), bins=edges)
        data.append(dict(type="bar", x=_f32(centres), y=_f32(counts), width=width,
                         name=f"valid {digit}s", marker=dict(color=colour), opacity=0.6,
                         hovertemplate=f"logit %{{x:.2f}}<br>%{{y}} {digit}s<extra></extra>"))
    notes = [dict(x=threshold, y=1, xref="x", yref="paper", yanchor="top", xanchor=anchor, text=text,
                  showarrow=False, xshift=shift, bgcolor="rgba(255,255,255,0.6)")
             for text, anchor, shift in ((f"← called {other}", "right", -4), (f"called {positive} →", "left", 4))]
    if beyond:
        notes.append(dict(x=1, y=0.98, xref="paper", yref="paper", xanchor="right", yanchor="top",
                          showarrow=False, font=dict(size=11), text=f"{beyond} logits beyond ±{span:g} at the edges"))
    if sweep is not None:
        t, a = np.asarray(sweep, np.float64), np.asarray(sweep_accuracy, np.float64)
        acc = float(np.interp(threshold, t, a)) if accuracy is None else accuracy
        data += [dict(type="scatter", x=_f32(t), y=_f32(a), mode="lines", name="accuracy", showlegend=False,
                      xaxis="x2", yaxis="y2", line=dict(color=VALID_COLOUR, width=2),
                      hovertemplate="threshold %{x:.2f}<br>valid accuracy %{y:.1%}<extra></extra>"),
                 dict(type="scatter", x=[threshold], y=[acc], mode="markers+text", name="your threshold",
                      showlegend=False, xaxis="x2", yaxis="y2", text=[f" {acc:.1%} "],
                      textposition="middle right" if threshold < 0 else "middle left",
                      marker=dict(size=11, color=MARK_COLOUR, symbol="diamond"),
                      hovertemplate="threshold %{x:.2f}<br>valid accuracy %{y:.1%}<extra></extra>")]
    layout = dict(
        barmode="overlay", bargap=0,
        xaxis=dict(range=[-span, span], anchor="y", showticklabels=False),
        yaxis=dict(domain=[0.42, 1], title=dict(text="valid images")),
        xaxis2=dict(range=[-span, span], anchor="y2", matches="x", title=dict(text="logit / threshold")),
        yaxis2=dict(domain=[0, 0.32], title=dict(text="accuracy"), tickformat=".0%", range=[0, 1.15]),
        shapes=[dict(type="line", x0=threshold, x1=threshold, y0=0, y1=1, xref="x", yref="paper",
                     line=dict(color=MARK_COLOUR, width=2, dash="dash"))],
        annotations=notes,
        legend=dict(orientation="h", x=1, xanchor="right", y=1.01, yanchor="bottom"))
    return _fast(data, layout, height, top=30)


_BLUES = [[i / (len(sequential.Blues) - 1), c] for i, c in enumerate(sequential.Blues)]


def confusion_matrix(conf: dict, positive: int = 3, threshold: float = 0.0, height: int = 260) -> dict:
    """The 2x2 confusion matrix of `mnist37.metrics.confusion` (rows: the true digit, columns: the
    decision at the threshold), each cell its count and its share of the row, shaded by that share;
    precision and recall for the positive digit underneath. A plain dict: it is redrawn live."""
    from ..metrics import precision_recall

    other = other_digit(positive)
    counts = [[conf["tp"], conf["fn"]], [conf["fp"], conf["tn"]]]
    names = [["tp", "fn"], ["fp", "tn"]]
    share = [[c / max(1, sum(row)) for c in row] for row in counts]
    text = [[f"<b>{c}</b> {n}<br>{s:.0%} of the {d}s" for c, n, s in zip(row, nrow, srow)]
            for row, nrow, srow, d in zip(counts, names, share, (positive, other))]
    precision, recall = precision_recall(conf)
    shown = lambda v: "—" if v is None else f"{v:.1%}"  # noqa: E731
    trace = dict(type="heatmap", z=share, x=[f"called {positive}", f"called {other}"],
                 y=[f"true {positive}", f"true {other}"], text=text, texttemplate="%{text}",
                 textfont=dict(size=15), zmin=0, zmax=1, colorscale=_BLUES, showscale=False, xgap=3, ygap=3,
                 hovertemplate="%{y}, %{x}: %{text}<extra></extra>")
    layout = dict(xaxis=dict(side="top", showgrid=False), yaxis=dict(autorange="reversed", showgrid=False),
                  title=dict(text=f"at threshold {threshold:g}: precision for {positive} {shown(precision)}, "
                                  f"recall {shown(recall)}", x=0.5, xanchor="center", y=0.02, yanchor="bottom",
                             font=dict(size=12)))
    fig = _fast([trace], layout, height)
    fig["layout"]["margin"] = dict(l=70, r=10, t=30, b=40)
    return fig
