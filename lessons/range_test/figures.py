"""Figure builders of "Range test": the loss (or accuracy) against the learning rate with every
rule's suggestion marked and Smith's band shaded, and the "try it" training curves.  No
Streamlit here.

Every builder takes plain arrays and returns a styled ``plotly.graph_objects.Figure``.  A
suggestion is a :class:`~lessons.range_test.model.Mark`: a vertical line at its rate, in its own
colour *and* dash, labelled on the chart with its name and rate after a square of its colour.  The labels are laid out in
rows so that none overlaps another even on a phone (:func:`label_rows`); the legend sits under
the chart, away from the chart's toolbar at its top right.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from engine import fmt
from lessons.range_test.model import Mark
from lessons.ui.style import (
    GREY,
    PALETTE,
    color,
    dash,
    legend_below,
    note_size,
    run_line,
    run_marker,
    styled,
)

__all__ = [
    "accuracy_figure",
    "label_rows",
    "loss_range",
    "range_test_figure",
    "try_it_figure",
]

#: Smith's band (min_lr .. max_lr): the palette's orange (#E69F00), see-through
BAND_FILL = "rgba(230,159,0,0.2)"
#: the smoothed curve: black (drawn light in the dark theme), thick
SMOOTH_LINE = {"color": PALETTE[6], "width": 3}
RAW_MARKER = {"color": GREY, "size": 4, "opacity": 0.55}
#: the narrowest plot the labels must fit: a 390 px phone leaves about 300 px for the plot
NARROW_PX = 300.0
#: a label's width per character, as a share of its font size (Source Sans, digits and lower case)
CHAR_WIDTH = 0.56
#: the height of a row of labels, as a share of the plot's height
ROW_HEIGHT = 0.075
#: what stands before a rule's label on the chart, in its line's colour (:func:`mark_label`)
SWATCH = "■ "
#: the labels' words: dark grey on their white box (``style.for_dark`` makes both dark-theme)
INK_TEXT = "#333333"


def loss_range(raw: np.ndarray, smooth: np.ndarray) -> tuple[float, float]:
    """The y range of the loss chart: from just under the lowest loss to just above the
    smoothed curve's highest value (or the first raw loss), so that a blown-up tail (huge,
    inf or NaN losses) is clipped instead of squashing the interesting part flat.

    >>> loss_range(np.array([2.0, 1.0, 1e9, np.inf]), np.array([2.0, 1.5, np.nan, np.nan]))
    (0.0, 2.2)
    """
    raw = np.asarray(raw, dtype=np.float64)
    smooth = np.asarray(smooth, dtype=np.float64)
    fin_s = smooth[np.isfinite(smooth)]
    fin_r = raw[np.isfinite(raw)]
    top_parts = [float(fin_s.max())] if fin_s.size else []
    if fin_r.size:
        top_parts.append(float(fin_r[0]))
    top = max(top_parts) if top_parts else 1.0
    low_parts = [float(v.min()) for v in (fin_s, fin_r) if v.size]
    low = min(low_parts) if low_parts else 0.0
    lo = 0.0 if low >= 0 else 1.1 * low
    hi = 1.1 * top if top > 0 else 1.0
    if not hi > lo:
        hi = lo + 1.0
    return round(lo, 12), round(hi, 12)


def _log_range(xs: Sequence[float]) -> list[float]:
    """A log-axis range (in log10 units) covering the positive ``xs`` with a small margin."""
    pos = [float(x) for x in xs if x is not None and math.isfinite(x) and x > 0]
    if not pos:
        return [-1.0, 1.0]
    lo, hi = math.log10(min(pos)), math.log10(max(pos))
    pad = max(0.05 * (hi - lo), 0.05)
    return [lo - pad, hi + pad]


def label_rows(
    xs: Sequence[float],
    texts: Sequence[str],
    span: Sequence[float],
    font: float,
    *,
    width_px: float = NARROW_PX,
    obstacles: Sequence[tuple[float, float, int]] = (),
) -> list[tuple[int, str]]:
    """Row (0 = top) and side (``"left"``: the text starts at its line, ``"right"``: it ends
    there) of every label, so that no two labels in one row overlap on a plot ``width_px``
    wide, and none runs off the plot.

    ``xs`` are the lines' positions in axis units (log10 of the rate), ``span`` the axis range
    in the same units, ``font`` the labels' font size in px.  ``obstacles`` are ``(x0, x1,
    row)`` stretches already taken (e.g. a marker).  Labels are placed from left to right;
    each takes the first row where it fits.

    >>> label_rows([0.0, 0.1, 3.0], ["aaaa", "bbbb", "cc"], (-1, 4), 10, width_px=250)
    [(0, 'left'), (1, 'left'), (0, 'left')]
    >>> label_rows([3.9], ["near the right end"], (-1, 4), 10, width_px=250)
    [(0, 'right')]
    """
    lo, hi = float(span[0]), float(span[1])
    per_unit = width_px / max(hi - lo, 1e-9)
    taken: dict[int, list[tuple[float, float]]] = {}
    for x0, x1, row in obstacles:
        taken.setdefault(row, []).append((x0, x1))
    out: list[tuple[int, str]] = [(0, "left")] * len(xs)
    for i in sorted(range(len(xs)), key=lambda j: xs[j]):
        x = float(xs[i])
        w = (CHAR_WIDTH * font * len(texts[i]) + 6.0) / per_unit
        side = "left" if x + w <= hi else "right"
        a, b = (x, x + w) if side == "left" else (x - w, x)
        row = 0
        while any(a < q and p < b for p, q in taken.get(row, [])):
            row += 1
        taken.setdefault(row, []).append((a, b))
        out[i] = (row, side)
    return out


def _band(band: tuple[float, float] | None, y0: float, y1: float) -> list[dict]:
    """Smith's band ``min_lr .. max_lr``, shaded (a filled trace: it has a legend entry and
    sits in data coordinates on the log axis).  Drawn first, so it stays behind the curves."""
    if band is None:
        return []
    lo, hi = band
    return [
        {
            "type": "scatter",
            "x": [lo, hi, hi, lo, lo],
            "y": [y0, y0, y1, y1, y0],
            "fill": "toself",
            "fillcolor": BAND_FILL,
            "line": {"width": 0},
            "mode": "lines",
            "name": f"Smith's band {fmt.rate(lo)}–{fmt.rate(hi)}",
            "hoverinfo": "skip",
        }
    ]


def _marks(
    marks: Sequence[Mark],
    y0: float,
    y1: float,
    span: Sequence[float],
    big: bool,
    obstacle: tuple[float, float] | None = None,
) -> tuple[list[dict], list[dict]]:
    """One vertical line per mark (not in the legend: its label on the chart names it), and its
    label, in rows that never overlap (:func:`label_rows`): ``(traces, annotations)``."""
    size = note_size(big)
    obstacles = []
    if obstacle is not None:  # a marker at (log10 x, paper y): keep labels off its row
        ox, oy = obstacle
        row = int(max(0.0, 1.0 - oy) // ROW_HEIGHT)
        obstacles = [(ox - 0.15, ox + 0.15, r) for r in (row - 1, row, row + 1) if r >= 0]
    layout = label_rows(
        [math.log10(m.lr) for m in marks],
        [SWATCH + m.label for m in marks],
        span,
        size,
        obstacles=obstacles,
    )
    lines, notes = [], []
    for m, (row, side) in zip(marks, layout, strict=True):
        lines.append(
            {
                "type": "scatter",
                "x": [m.lr, m.lr],
                "y": [y0, y1],
                "mode": "lines",
                "line": {"color": color(m.style), "dash": dash(m.style), "width": 2.5},
                "name": m.label,
                "showlegend": False,
                "hovertemplate": f"{m.label}<extra></extra>",
            }
        )
        notes.append(
            {
                "x": math.log10(m.lr),
                "y": 1.0 - ROW_HEIGHT * row,
                "xref": "x",
                "yref": "paper",
                "yanchor": "top",
                "xanchor": side,
                "text": mark_label(m.label, color(m.style)),
                "showarrow": False,
                "font": {"size": size, "color": INK_TEXT},
                "bgcolor": "rgba(255,255,255,0.8)",
                "borderpad": 1,
            }
        )
    return lines, notes


def mark_label(label: str, colour: str) -> str:
    """A rule's label on the chart: a square in its line's colour, then its words in dark ink
    (words in the light colours of the palette, sky blue and orange, were
    hard to read on white, the orange one on Smith's orange band most of all).

    >>> mark_label("max 0.412", "#E69F00")
    "<span style='color:#E69F00'>■</span> max 0.412"
    """
    return f"<span style='color:{colour}'>{SWATCH.strip()}</span> {label}"


def _figure(traces: list[dict], layout: dict, *, height: int, big: bool) -> go.Figure:
    """The figure in the LR Lab look, validated once, with the legend under the chart."""
    return styled(traces, layout, height=height, big=big, then=legend_below(-0.2))


def _log_axis(span: Sequence[float]) -> dict:
    return {
        "title": {"text": "learning rate (log scale)"},
        "type": "log",
        "range": list(span),
        "exponentformat": "power",
    }


def range_test_figure(
    lrs: np.ndarray,
    raw: np.ndarray,
    smooth: np.ndarray,
    marks: Sequence[Mark] = (),
    band: tuple[float, float] | None = None,
    *,
    stop: tuple[float, str] | None = None,
    big: bool = False,
) -> go.Figure:
    """Raw and smoothed loss against the learning rate on a log x axis.

    Parameters
    ----------
    lrs, raw, smooth : ndarray (n,)
        The ramp's rates, the raw batch losses and their smoothed values (NaN after a blow-up).
    marks : sequence of Mark
        The suggestions to draw as labelled vertical lines.
    band : (float, float), optional
        Smith's ``(min_lr, max_lr)``, shaded.
    stop : (lr, text), optional
        Where the run stopped early and why: an ``x`` on the curve, clipped to the chart.
    big : bool
        Lecture mode.
    """
    lrs = np.asarray(lrs, dtype=np.float64)
    raw = np.asarray(raw, dtype=np.float64)
    smooth = np.asarray(smooth, dtype=np.float64)
    lo, hi = loss_range(raw, smooth)
    span = _log_range([lrs.min(), lrs.max(), *(m.lr for m in marks), *(band or ())])
    traces = _band(band, lo, hi)
    traces += [
        {
            "type": "scatter",
            "x": lrs,
            "y": np.where(np.isfinite(raw), raw, np.nan),
            "mode": "markers",
            "marker": RAW_MARKER,
            "name": "batch loss (raw)",
            "hovertemplate": "lr = %{x:.3g}<br>batch loss %{y:.3f}<extra></extra>",
        },
        {
            "type": "scatter",
            "x": lrs,
            "y": smooth,
            "mode": "lines",
            "line": SMOOTH_LINE,
            "name": "smoothed loss",
            "hovertemplate": "lr = %{x:.3g}<br>smoothed %{y:.3f}<extra></extra>",
        },
    ]
    obstacle = cross = None
    if stop is not None:
        lr_stop, text = stop
        k = int(np.argmin(np.abs(np.log(lrs) - math.log(lr_stop)))) if lr_stop > 0 else -1
        y = smooth[k] if np.isfinite(smooth[k]) else hi
        y = float(min(max(y, lo), hi))
        obstacle = (math.log10(lr_stop), (y - lo) / (hi - lo))
        cross = {
            "type": "scatter",
            "x": [lr_stop],
            "y": [y],
            "mode": "markers",
            "marker": {"symbol": "x", "size": 14, "color": PALETTE[1], "line": {"width": 1}},
            "name": f"stopped at lr = {fmt.rate(lr_stop)}",
            "hovertemplate": f"stopped at lr = {fmt.rate(lr_stop)}: {text}<extra></extra>",
        }
    lines, notes = _marks(marks, lo, hi, span, big, obstacle)
    traces += lines + ([cross] if cross else [])
    layout = {
        "annotations": notes,
        "xaxis": _log_axis(span),
        "yaxis": {"title": {"text": "training loss"}, "range": [lo, hi]},
    }
    return _figure(traces, layout, height=500, big=big)


def accuracy_figure(
    val_lrs: np.ndarray,
    val_acc: np.ndarray,
    marks: Sequence[Mark] = (),
    band: tuple[float, float] | None = None,
    *,
    lr_span: tuple[float, float] | None = None,
    big: bool = False,
) -> go.Figure:
    """Validation accuracy against the learning rate (Smith's original plot), log x axis.

    ``val_lrs`` is the rate of the last update before each validation; ``lr_span`` the x range
    to show (the ramp's), so the chart lines up with the loss chart.
    """
    x = np.asarray(val_lrs, dtype=np.float64)
    y = 100.0 * np.asarray(val_acc, dtype=np.float64)
    extent = lr_span if lr_span is not None else (float(np.nanmin(x)), float(np.nanmax(x)))
    span = _log_range([*extent, *(m.lr for m in marks), *(band or ())])
    traces = _band(band, 0.0, 100.0)
    traces.append(
        {
            "type": "scatter",
            "x": x,
            "y": y,
            "mode": "lines+markers",
            "line": {"color": PALETTE[6], "width": 2.5},
            "marker": {"size": 5, "color": PALETTE[6]},
            "name": "validation accuracy",
            "hovertemplate": "lr = %{x:.3g}<br>accuracy %{y:.1f}%<extra></extra>",
        }
    )
    lines, notes = _marks(marks, 0.0, 100.0, span, big)
    layout = {
        "annotations": notes,
        "xaxis": _log_axis(span),
        "yaxis": {"title": {"text": "validation accuracy (%)"}, "range": [0, 100]},
    }
    return _figure(traces + lines, layout, height=500, big=big)


def try_it_figure(
    epochs: np.ndarray,
    val_loss: np.ndarray,
    labels: Sequence[str],
    *,
    styles: Sequence[int] | None = None,
    diverged_epoch: Sequence[float | None] | None = None,
    big: bool = False,
) -> go.Figure:
    """Validation loss per epoch of a few fresh runs (rows of ``val_loss``), log y axis.

    A run that diverged ends where its loss stopped being finite; an ``x`` at the top of the
    chart marks the epoch where it blew up.
    """
    epochs = np.asarray(epochs, dtype=np.float64)
    val_loss = np.asarray(val_loss, dtype=np.float64)
    styles = list(range(len(labels))) if styles is None else list(styles)
    div = list(diverged_epoch) if diverged_epoch is not None else [None] * len(labels)
    fin = val_loss[np.isfinite(val_loss) & (val_loss > 0)]
    lo = float(fin.min()) if fin.size else 0.1
    hi = float(fin.max()) if fin.size else 10.0
    y_lo, y_hi = math.log10(lo) - 0.1, math.log10(hi) + 0.25
    traces = []
    for i, row, label, d in zip(styles, val_loss, labels, div, strict=True):
        ok = np.isfinite(row)
        traces.append(
            {
                "type": "scatter",
                "x": epochs[ok],
                "y": row[ok],
                "mode": "lines+markers",
                "line": run_line(i),
                "marker": run_marker(i, 7),
                "name": label,
                "hovertemplate": f"{label}<br>epoch %{{x:.2f}}: loss %{{y:.3f}}<extra></extra>",
            }
        )
        if d is not None:
            traces.append(
                {
                    "type": "scatter",
                    "x": [d],
                    "y": [10 ** (y_hi - 0.12)],
                    "mode": "markers+text",
                    "cliponaxis": False,
                    "marker": {"symbol": "x", "size": 14, "color": color(i)},
                    "text": ["diverged"],
                    "textposition": "middle right",
                    "textfont": {"color": color(i)},
                    "name": f"{label}: diverged",
                    "showlegend": False,
                    "hovertemplate": f"{label}: diverged at epoch {fmt.num(d)}<extra></extra>",
                }
            )
    layout = {
        "xaxis": {"title": {"text": "epoch"}, "rangemode": "tozero"},
        "yaxis": {
            "title": {"text": "validation loss (log scale)"},
            "type": "log",
            "range": [y_lo, y_hi],
            # 1, 2, 5 in every decade on a short axis; only the powers of ten on a long one
            "dtick": "D2" if y_hi - y_lo <= 2.5 else 1,
        },
    }
    return _figure(traces, layout, height=400, big=big)
