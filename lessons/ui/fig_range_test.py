"""Figure builders of "Range test": the loss (or accuracy) against the learning rate with every
rule's suggestion marked and Smith's band shaded, and the "try it" training curves.  No
Streamlit here.

Every builder takes plain arrays and returns a styled ``plotly.graph_objects.Figure``.  A
suggestion is a :class:`Mark`: a vertical line at its rate, drawn as a trace (so it is in the
legend, with its own colour *and* dash) and labelled on the chart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from lessons.ui.style import GREY, PALETTE, color, dash, run_line, run_marker, style

__all__ = [
    "Mark",
    "loss_range",
    "range_test_figure",
    "accuracy_figure",
    "try_it_figure",
]

#: Smith's band (min_lr .. max_lr): the palette's orange (#E69F00), see-through
BAND_FILL = "rgba(230,159,0,0.2)"
#: the smoothed curve: black, thick (the suggestion lines use the palette's colours 0-5)
SMOOTH_LINE = {"color": PALETTE[6], "width": 3}
RAW_MARKER = {"color": GREY, "size": 4, "opacity": 0.55}


@dataclass(frozen=True)
class Mark:
    """One suggestion drawn on the chart.

    Attributes
    ----------
    label : str
        Short name shown on the chart and in the legend (e.g. ``"steepest"``).
    lr : float
        Where the vertical line goes.
    style : int
        Colour and dash index (:func:`lessons.ui.style.color`, :func:`~lessons.ui.style.dash`).
    """

    label: str
    lr: float
    style: int


def _fmt(x: float) -> str:
    return f"{x:.2g}"


def loss_range(raw: np.ndarray, smooth: np.ndarray) -> tuple[float, float]:
    """The y range of the loss chart: from just under the lowest loss to just above the
    smoothed curve's highest value (or the first raw loss), so that a blown-up tail (huge,
    inf or NaN losses) is clipped instead of squashing the interesting part flat.

    Examples
    --------
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


def _add_band(fig: go.Figure, band: tuple[float, float] | None, y0: float, y1: float) -> None:
    """Smith's band ``min_lr .. max_lr``, shaded (a filled trace: it has a legend entry and
    sits in data coordinates on the log axis).  Add it before the curves so it stays behind."""
    if band is None:
        return
    lo, hi = band
    fig.add_trace(
        go.Scatter(
            x=[lo, hi, hi, lo, lo],
            y=[y0, y0, y1, y1, y0],
            fill="toself",
            fillcolor=BAND_FILL,
            line={"width": 0},
            mode="lines",
            name=f"Smith's band {_fmt(lo)} – {_fmt(hi)}",
            hoverinfo="skip",
        )
    )


def _add_marks(fig: go.Figure, marks: Sequence[Mark], y0: float, y1: float, big: bool) -> None:
    """One labelled vertical line per mark."""
    size = 15 if big else 11
    for j, m in enumerate(marks):
        fig.add_trace(
            go.Scatter(
                x=[m.lr, m.lr],
                y=[y0, y1],
                mode="lines",
                line={"color": color(m.style), "dash": dash(m.style), "width": 2.5},
                name=f"{m.label}: {_fmt(m.lr)}",
                hovertemplate=f"{m.label}: lr = {m.lr:.3g}<extra></extra>",
            )
        )
        # staggered labels at the top of the plot, so neighbouring lines stay readable
        fig.add_annotation(
            x=math.log10(m.lr),
            y=1.0 - 0.085 * (j % 6),
            xref="x",
            yref="paper",
            yanchor="top",
            xanchor="left",
            text=f"{m.label}",
            showarrow=False,
            font={"color": color(m.style), "size": size},
            bgcolor="rgba(255,255,255,0.75)",
            borderpad=1,
        )


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
    fig = go.Figure()
    _add_band(fig, band, lo, hi)
    with np.errstate(all="ignore"):
        shown_raw = np.where(np.isfinite(raw), raw, np.nan)
    fig.add_trace(
        go.Scatter(
            x=lrs,
            y=shown_raw,
            mode="markers",
            marker=RAW_MARKER,
            name="batch loss (raw)",
            hovertemplate="lr = %{x:.3g}<br>batch loss %{y:.3f}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=lrs,
            y=smooth,
            mode="lines",
            line=SMOOTH_LINE,
            name="smoothed loss",
            hovertemplate="lr = %{x:.3g}<br>smoothed %{y:.3f}<extra></extra>",
        )
    )
    _add_marks(fig, marks, lo, hi, big)
    if stop is not None:
        lr_stop, text = stop
        k = int(np.argmin(np.abs(np.log(lrs) - math.log(lr_stop)))) if lr_stop > 0 else -1
        y = smooth[k] if np.isfinite(smooth[k]) else hi
        y = float(min(max(y, lo), hi))
        fig.add_trace(
            go.Scatter(
                x=[lr_stop],
                y=[y],
                mode="markers",
                marker={"symbol": "x", "size": 14, "color": PALETTE[1], "line": {"width": 1}},
                name=f"stopped at lr = {_fmt(lr_stop)}",
                hovertemplate=f"stopped at lr = {lr_stop:.3g}: {text}<extra></extra>",
            )
        )
    fig.update_layout(
        xaxis={
            "title": {"text": "learning rate (log scale)"},
            "type": "log",
            "range": _log_range([lrs.min(), lrs.max(), *(m.lr for m in marks), *(band or ())]),
            "exponentformat": "power",
        },
        yaxis={"title": {"text": "training loss"}, "range": [lo, hi]},
    )
    style(fig, height=500, big=big)
    fig.update_layout(legend={"y": -0.24, "yanchor": "top"}, margin={"b": 10})
    return fig


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
    fig = go.Figure()
    _add_band(fig, band, 0.0, 100.0)
    fig.add_trace(
        go.Scatter(
            x=x,
            y=y,
            mode="lines+markers",
            line={"color": PALETTE[6], "width": 2.5},
            marker={"size": 5, "color": PALETTE[6]},
            name="validation accuracy",
            hovertemplate="lr = %{x:.3g}<br>accuracy %{y:.1f}%<extra></extra>",
        )
    )
    _add_marks(fig, marks, 0.0, 100.0, big)
    span = lr_span if lr_span is not None else (float(np.nanmin(x)), float(np.nanmax(x)))
    fig.update_layout(
        xaxis={
            "title": {"text": "learning rate (log scale)"},
            "type": "log",
            "range": _log_range([*span, *(m.lr for m in marks), *(band or ())]),
            "exponentformat": "power",
        },
        yaxis={"title": {"text": "validation accuracy (%)"}, "range": [0, 100]},
    )
    style(fig, height=500, big=big)
    fig.update_layout(legend={"y": -0.24, "yanchor": "top"}, margin={"b": 10})
    return fig


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
    fig = go.Figure()
    for i, row, label, d in zip(styles, val_loss, labels, div, strict=True):
        ok = np.isfinite(row)
        fig.add_trace(
            go.Scatter(
                x=epochs[ok],
                y=row[ok],
                mode="lines+markers",
                line=run_line(i),
                marker=run_marker(i, 7),
                name=label,
                hovertemplate=f"{label}<br>epoch %{{x:.2f}}: loss %{{y:.3f}}<extra></extra>",
            )
        )
        if d is not None:
            fig.add_trace(
                go.Scatter(
                    x=[d],
                    y=[10 ** (y_hi - 0.08)],
                    mode="markers+text",
                    marker={"symbol": "x", "size": 14, "color": color(i)},
                    text=["diverged"],
                    textposition="bottom center",
                    textfont={"color": color(i)},
                    name=f"{label}: diverged",
                    showlegend=False,
                    hovertemplate=f"{label}: diverged at epoch {d:.2f}<extra></extra>",
                )
            )
    fig.update_layout(
        xaxis={"title": {"text": "epoch"}, "rangemode": "tozero"},
        yaxis={
            "title": {"text": "validation loss (log scale)"},
            "type": "log",
            "range": [y_lo, y_hi],
            "dtick": "D2",
        },
    )
    style(fig, height=400, big=big)
    fig.update_layout(legend={"y": -0.22, "yanchor": "top"}, margin={"b": 10})
    return fig
