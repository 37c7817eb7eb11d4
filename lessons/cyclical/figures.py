"""Figure builders of "Cyclical schedules": the rate (and momentum) per iteration, the training
loss and the validation accuracy of several schedules side by side.  No Streamlit here.

Every builder takes plain arrays and returns a styled ``plotly.graph_objects.Figure``.  The x axis
is the epoch (iteration / iterations per epoch) everywhere, so the three charts line up; hovering
shows the iteration too.  ``styles`` gives each run's colour/dash/marker index, so a schedule
keeps its look whichever others are shown.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from engine import fmt
from lessons.ui.style import GREY, color, legend_below, run_line, run_marker, styled

__all__ = ["log_ticks", "schedule_figure", "loss_figure", "accuracy_figure"]


def log_ticks(lo: float, hi: float) -> list[float]:
    """Tick values for a log axis spanning ``lo .. hi``: 1-2-5 in every decade, or only the
    powers of ten when the span exceeds three decades; ``[]`` (plotly's own ticks) when fewer
    than two would show.

    Examples
    --------
    >>> log_ticks(0.03, 0.7)
    [0.05, 0.1, 0.2, 0.5]
    >>> log_ticks(0.01, 2000.0)
    [0.01, 0.1, 1.0, 10.0, 100.0, 1000.0]
    """
    e0, e1 = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    steps = (1, 2, 5) if e1 - e0 <= 3 else (1,)
    vals = [float(f"{m}e{e}") for e in range(e0, e1 + 1) for m in steps]
    out = [v for v in vals if lo * 0.999 <= v <= hi * 1.001]
    return out if len(out) >= 2 else []  # too narrow a span: leave the ticks to plotly


def schedule_figure(
    lrs: np.ndarray,
    labels: Sequence[str],
    iters_per_epoch: int,
    *,
    bounds: tuple[float, float],
    styles: Sequence[int] | None = None,
    momentum: np.ndarray | None = None,
    momentum_label: str = "",
    big: bool = False,
) -> go.Figure:
    """The learning rate of each schedule over the run, with the two bounds as dotted lines.

    Parameters
    ----------
    lrs : ndarray (K, T)
        Rate of every schedule at iterations ``0 .. T-1``.
    labels : K str
    iters_per_epoch : int
    bounds : (lower, upper)
        Drawn as dotted horizontal lines.
    momentum : ndarray (T,), optional
        A momentum schedule, drawn in a second panel underneath (the 1cycle policy's).
    momentum_label : str
        Its legend entry.
    """
    lrs = np.atleast_2d(np.asarray(lrs, dtype=np.float64))
    T = lrs.shape[1]
    it = np.arange(T)
    x = it / iters_per_epoch
    styles = list(range(len(labels))) if styles is None else list(styles)
    two = momentum is not None
    traces = [
        {
            "type": "scatter",
            "x": x,
            "y": row,
            "customdata": it,
            "mode": "lines",
            "line": run_line(i),
            "name": label,
            "hovertemplate": (
                f"{label}<br>iteration %{{customdata}} (epoch %{{x:.2f}})"
                "<br>lr = %{y:.4g}<extra></extra>"
            ),
        }
        for i, row, label in zip(styles, lrs, labels, strict=True)
    ]
    lo, hi = bounds
    shapes, notes = [], []
    for y, name, side in ((hi, "upper bound", "bottom"), (lo, "lower bound", "top")):
        shapes.append(
            {
                "type": "line",
                "xref": "x domain",
                "x0": 0,
                "x1": 1,
                "yref": "y",
                "y0": y,
                "y1": y,
                "line": {"color": GREY, "width": 1, "dash": "dot"},
            }
        )
        notes.append(
            {
                "xref": "x domain",
                "x": 1,
                "xanchor": "right",
                "yref": "y",
                "y": y,
                "yanchor": side,
                "text": f"{name} {fmt.rate(y)}",
                "showarrow": False,
                "font": {"color": GREY},
                "bgcolor": "rgba(255,255,255,0.8)",
            }
        )
    top = float(np.nanmax(lrs)) if np.isfinite(lrs).any() else hi
    x_title = {"text": f"epoch ({iters_per_epoch} iterations each)"}
    layout: dict = {
        "shapes": shapes,
        "annotations": notes,
        "yaxis": {
            "title": {"text": "learning rate"},
            "range": [0, 1.12 * max(top, hi, 1e-12)],
            "rangemode": "tozero",
        },
    }
    if two:
        m = np.asarray(momentum, dtype=np.float64)
        traces.append(
            {
                "type": "scatter",
                "x": x,
                "y": m,
                "customdata": it,
                "mode": "lines",
                "line": {"color": GREY, "width": 2, "dash": "solid"},
                "name": momentum_label or "momentum",
                "hovertemplate": "iteration %{customdata}: momentum %{y:.3f}<extra></extra>",
                "xaxis": "x2",
                "yaxis": "y2",
            }
        )
        span = float(np.ptp(m)) if m.size else 0.0
        pad = max(0.02, 0.15 * span)
        layout["xaxis"] = {"anchor": "y", "matches": "x2", "showticklabels": False}
        layout["yaxis"] |= {"domain": [0.4, 1.0], "anchor": "x"}
        layout["xaxis2"] = {"anchor": "y2", "title": x_title}
        layout["yaxis2"] = {
            "domain": [0.0, 0.27],
            "anchor": "x2",
            "title": {"text": "momentum"},
            "range": [float(np.min(m)) - pad, float(np.max(m)) + pad],
        }
    else:
        layout["xaxis"] = {"title": x_title}
    return _figure(traces, layout, height=460 if two else 380, big=big)


def loss_figure(
    x: np.ndarray,
    curves: np.ndarray,
    labels: Sequence[str],
    iters_per_epoch: int,
    *,
    styles: Sequence[int] | None = None,
    raw: np.ndarray | None = None,
    diverged_at: Sequence[int] | None = None,
    big: bool = False,
) -> go.Figure:
    """Training (minibatch) loss of each run, averaged over bins of iterations, on a log y axis.

    Parameters
    ----------
    x : ndarray (B,)
        The bins' centres, in epochs.
    curves : ndarray (K, B)
        Mean batch loss of every run in every bin (NaN after a divergence).
    raw : ndarray (K, T), optional
        The batch losses per iteration: a run that diverged (``diverged_at``: the iteration,
        -1 if it did not) is marked with a cross at its last finite loss.
    """
    styles = list(range(len(labels))) if styles is None else list(styles)
    dv = [-1] * len(labels) if diverged_at is None else list(diverged_at)
    curves = np.asarray(curves, dtype=np.float64)
    traces = []
    for k, (i, y, label, d) in enumerate(zip(styles, curves, labels, dv, strict=True)):
        traces.append(
            {
                "type": "scatter",
                "x": x,
                "y": y,
                "mode": "lines",
                "line": run_line(i),
                "name": label,
                "hovertemplate": f"{label}<br>epoch %{{x:.2f}}: loss %{{y:.3g}}<extra></extra>",
            }
        )
        if d >= 0 and raw is not None:
            row = np.asarray(raw[k], dtype=np.float64)[: d + 1]
            finite = np.flatnonzero(np.isfinite(row) & (row > 0))
            if finite.size:
                j = int(finite[-1])
                traces.append(
                    {
                        "type": "scatter",
                        "x": [j / iters_per_epoch],
                        "y": [row[j]],
                        "mode": "markers+text",
                        "marker": {"symbol": "x", "size": 14, "color": color(i)},
                        "text": [f"diverged at iteration {d}"],
                        "textposition": "top center",
                        "textfont": {"color": color(i)},
                        "showlegend": False,
                        "name": f"{label} diverged",
                        "hovertemplate": f"{label}: diverged at iteration {d}<extra></extra>",
                    }
                )
    shown = [
        v
        for tr in traces
        for v in np.asarray(tr["y"], dtype=float).ravel()
        if np.isfinite(v) and v > 0
    ]
    ticks = log_ticks(min(shown), max(shown)) if shown else []
    layout = {
        "xaxis": {
            "title": {"text": f"epoch ({iters_per_epoch} iterations each)"},
            "rangemode": "tozero",
        },
        "yaxis": {
            "title": {"text": "training loss (log scale)"},
            "type": "log",
            "tickvals": ticks,
            "ticktext": [fmt.num(v) for v in ticks],
        },
    }
    return _figure(traces, layout, height=400, big=big)


def accuracy_figure(
    eval_epochs: Sequence[np.ndarray],
    accs: Sequence[np.ndarray],
    labels: Sequence[str],
    *,
    target: float,
    reached: Sequence[float | None],
    styles: Sequence[int] | None = None,
    big: bool = False,
) -> go.Figure:
    """Validation accuracy of each run over the epochs, the target as a dashed line, and a star
    where each run first reaches it.

    Parameters
    ----------
    eval_epochs : K arrays (E_k,)
        Epoch of every evaluation.
    accs : K arrays (E_k,)
        Validation accuracy (0..1) at those epochs.
    target : float
        Target accuracy (0..1).
    reached : K float or None
        Epoch at which each run first reached the target (None: never).
    """
    styles = list(range(len(labels))) if styles is None else list(styles)
    traces, lasts = [], []
    for i, x, a, label, r in zip(styles, eval_epochs, accs, labels, reached, strict=True):
        a = np.asarray(a, dtype=np.float64)
        x = np.asarray(x, dtype=np.float64)
        if np.isfinite(a).any():
            lasts.append(float(a[np.isfinite(a)][-1]))
        traces.append(
            {
                "type": "scatter",
                "x": x,
                "y": a,
                "mode": "lines+markers",
                "line": run_line(i),
                "marker": run_marker(i, 6),
                "name": label,
                "hovertemplate": f"{label}<br>epoch %{{x:.2f}}: %{{y:.1%}}<extra></extra>",
            }
        )
        if r is not None:
            k = int(np.argmin(np.abs(x - r)))
            traces.append(
                {
                    "type": "scatter",
                    "x": [r],
                    "y": [a[k]],
                    "mode": "markers",
                    "marker": {
                        "symbol": "star",
                        "size": 16,
                        "color": color(i),
                        "line": {"width": 1, "color": "#ffffff"},
                    },
                    "showlegend": False,
                    "name": f"{label} reaches the target",
                    "hovertemplate": f"{label}: {fmt.pct(target)} first reached at epoch "
                    f"{fmt.num(r)}<extra></extra>",
                }
            )
    # zoom on the band near the target, low enough that every run's last value shows
    lo = max(0.0, min([target - 0.1, *(v - 0.05 for v in lasts)]))
    layout = {
        "shapes": [
            {
                "type": "line",
                "xref": "x domain",
                "x0": 0,
                "x1": 1,
                "yref": "y",
                "y0": target,
                "y1": target,
                "line": {"color": GREY, "width": 1.5, "dash": "dash"},
            }
        ],
        "annotations": [
            {
                "xref": "x domain",
                "x": 1,
                "xanchor": "right",
                "yref": "y",
                "y": target,
                "yanchor": "top",
                "text": f"target {fmt.pct(target)}",
                "showarrow": False,
                "font": {"color": GREY},
            }
        ],
        "xaxis": {"title": {"text": "epoch"}, "rangemode": "tozero"},
        "yaxis": {
            "title": {"text": "validation accuracy"},
            "tickformat": ".0%",
            "range": [lo, 1.005],
        },
    }
    return _figure(traces, layout, height=400, big=big)


def _figure(traces: list[dict], layout: dict, *, height: int, big: bool) -> go.Figure:
    """The figure in the LR Lab look, validated once, with the legend under the chart."""
    return styled(traces, layout, height=height, big=big, then=legend_below(-0.18))
