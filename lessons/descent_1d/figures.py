"""Pictures for "Descent in 1-D": arrays in, ``plotly.graph_objects.Figure`` out (no Streamlit).

* :func:`curve_figure`: the loss curve with each run's iterates drawn *on* the curve (markers
  joined by thin lines, so zig-zags across the minimum are visible), replayed up to a step; a
  run that leaves the window is cut at the edge and labelled;
* :func:`loss_figure`: the loss gap ``f(x_k) - f_min`` against the step on a log axis (geometric
  convergence is a straight line), with an ``x`` where a run diverged;
* :func:`rate_axis_figure`: a log axis of learning rates with the thresholds ``1/f''`` and
  ``2/f''`` and the three bands they separate, and where each chosen rate sits, marked with
  what its run did.

A run is drawn with ``style.color(i)``, ``style.dash(i)`` and ``style.marker(i)``, where ``i``
is its entry in ``styles``, so the same run keeps its look across the three charts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from engine import fmt
from engine.verdict import NEVER
from lessons.descent_1d.model import curve_y_range, visible_prefix
from lessons.ui.style import GREY, PALETTE, color, dash, marker, run_marker, styled

# ----------------------------------------------------------------------------- helpers


#: the smallest text a projector shows in lecture mode (px): annotations and tick labels
LECTURE_TEXT = 18
#: a log axis writes its exponents at about 0.88 of the tick size: ticks this big keep them
#: at LECTURE_TEXT
LECTURE_LOG_TICKS = 21


def _sc(**kw: object) -> dict:
    """A scatter trace as a plain dict: the figure is validated once, when it is built."""
    return {"type": "scatter", **kw}


def _styles(styles: Sequence[int] | None, k: int) -> list[int]:
    s = list(range(k)) if styles is None else [int(i) for i in styles]
    if len(s) != k:
        raise ValueError(f"styles has {len(s)} entries for {k} runs")
    return s


def _runs(arr: np.ndarray | Sequence, name: str) -> np.ndarray:
    a = np.asarray(arr, dtype=np.float64)
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2:
        raise ValueError(f"{name} must have shape (runs, steps + 1)")
    return a


# ----------------------------------------------------------------------------- the curve


def curve_figure(
    xs: np.ndarray,
    fx: np.ndarray,
    paths: np.ndarray,
    losses: np.ndarray,
    labels: Sequence[str],
    *,
    step: int,
    styles: Sequence[int] | None = None,
    minima: Sequence[float] = (),
    model: tuple[np.ndarray, np.ndarray] | None = None,
    big: bool = False,
) -> go.Figure:
    """The loss curve and each run's iterates ``x_0 .. x_step`` on it.

    Parameters
    ----------
    xs, fx : the curve, sampled over the window ``xs[0] .. xs[-1]``.
    paths, losses : ``(K, T+1)`` iterates and their losses (NaN after a run blew up).
    labels : one per run.
    step : draw iterates up to this step (the replay slider).
    styles : style index of each run (default ``0 .. K-1``).
    minima : x of the known minima, marked with a star.
    model : optional ``(xs, ys)`` of the local quadratic model, drawn dashed.
    """
    paths, losses = _runs(paths, "paths"), _runs(losses, "losses")
    k = paths.shape[0] if paths.size else 0
    if len(labels) != k:
        raise ValueError(f"{len(labels)} labels for {k} runs")
    sty = _styles(styles, k)
    xs, fx = np.asarray(xs, dtype=np.float64), np.asarray(fx, dtype=np.float64)
    x_range = (float(xs[0]), float(xs[-1]))
    y_range = curve_y_range(fx)
    traces = []
    traces.append(
        _sc(
            x=xs,
            y=np.where(np.isfinite(fx), fx, np.nan),
            mode="lines",
            name="loss f(x)",
            showlegend=False,
            line={"color": GREY, "width": 3},
            hovertemplate="x = %{x:.3g}<br>f = %{y:.4g}<extra></extra>",
        )
    )
    if model is not None:
        mx, my = (np.asarray(v, dtype=np.float64) for v in model)
        with np.errstate(invalid="ignore"):
            keep = np.isfinite(my) & (my <= y_range[1]) & (my >= y_range[0])
        traces.append(
            _sc(
                x=mx,
                y=np.where(keep, my, np.nan),
                mode="lines",
                name="parabola with the same f''",
                # grey dots over the grey curve: visible in both themes, not a run's colour
                line={"color": GREY, "width": 2, "dash": "dot"},
                hoverinfo="skip",
            )
        )
    mins = [float(m) for m in minima if x_range[0] <= m <= x_range[1]]
    if mins:
        fm = np.interp(mins, xs, np.where(np.isfinite(fx), fx, 0.0))
        traces.append(
            _sc(
                x=mins,
                y=fm,
                mode="markers",
                name="minimum",
                showlegend=False,
                marker={"symbol": "star", "size": 13, "color": GREY, "line": {"width": 0}},
                hovertemplate="minimum at x = %{x:.3g}<extra></extra>",
            )
        )
    step = max(0, min(int(step), paths.shape[1] - 1 if k else 0))
    notes = []
    for i in range(k):
        s = sty[i]
        p, lo = paths[i, : step + 1], losses[i, : step + 1]
        n = visible_prefix(p, x_range)
        # the line goes on to the first iterate off the chart (clipped at the edge): the exit
        m = n + 1 if n < p.size and np.isfinite(p[n]) and np.isfinite(lo[n]) else n
        idx = np.arange(m)
        traces.append(
            _sc(
                x=p[:m],
                y=lo[:m],
                mode="lines+markers",
                name=labels[i],
                legendgroup=labels[i],
                line={"color": color(s), "width": 1.3, "dash": dash(s)},
                marker=run_marker(s, 8, opacity=0.8),
                customdata=idx,
                hovertemplate=f"{labels[i]}<br>step %{{customdata}}: x = %{{x:.4g}}, "
                "f = %{y:.4g}<extra></extra>",
            )
        )
        if n:
            traces.append(
                _sc(
                    x=[p[n - 1]],
                    y=[lo[n - 1]],
                    mode="markers",
                    showlegend=False,
                    legendgroup=labels[i],
                    marker={
                        "symbol": marker(s),
                        "size": 15,
                        "color": color(s),
                        "line": {"color": "white", "width": 1.5},
                    },
                    hovertemplate=f"{labels[i]}: step {n - 1}, x = %{{x:.4g}}<extra></extra>",
                )
            )
        if n <= step:  # left the window (or blew up) within the replayed steps
            nxt = p[n]
            side = "right" if (np.isfinite(nxt) and nxt > x_range[1]) else "left"
            if not np.isfinite(nxt):
                side = "right" if n == 0 or p[n - 1] >= 0 else "left"
            notes.append((labels[i], n, side, color(s)))
    annotations = []
    for j, (label, n, side, col) in enumerate(notes):
        # two short lines: they fit a phone's chart at projector size too
        text = (
            f"{label}<br>leaves the chart at step {n} →"
            if side == "right"
            else f"{label}<br>← leaves the chart at step {n}"
        )
        annotations.append(
            {
                "x": 1.0 if side == "right" else 0.0,
                "y": 0.98 - 0.16 * j,
                "xref": "paper",
                "yref": "paper",
                "xanchor": side,
                "yanchor": "top",
                "text": text,
                "showarrow": False,
                "font": {"color": col, "size": LECTURE_TEXT if big else 12},
                "bgcolor": "rgba(255,255,255,0.75)",
            }
        )
    layout = {
        "xaxis": {"title": {"text": "x (the parameter)"}, "range": list(x_range)},
        "yaxis": {"title": {"text": "loss f(x)"}, "range": list(y_range)},
    }
    if annotations:
        layout["annotations"] = annotations
    return styled(traces, layout, height=400, big=big)


# ----------------------------------------------------------------------------- loss vs step


def loss_figure(
    losses: np.ndarray,
    labels: Sequence[str],
    *,
    f_min: float | None,
    step: int | None = None,
    diverged_at: Sequence[int] | None = None,
    styles: Sequence[int] | None = None,
    linear_range: tuple[float, float] | None = None,
    big: bool = False,
) -> go.Figure:
    """Loss against step, one line per run.

    With ``f_min`` known the y axis is the gap ``f(x_k) - f_min`` on a log scale (geometric
    convergence is a straight line; an exact 0 is drawn at the bottom of the axis and said so in
    the hover), and a run that blew up (``diverged_at[k] != NEVER``) gets an ``x`` at its last
    point.  Without it, the loss itself on a linear axis over ``linear_range`` (e.g. the curve's
    own range; default: from the lowest loss to a little above the start), each run drawn up to
    the first point off the chart (the line is clipped at the edge, showing where it went).
    """
    losses = _runs(losses, "losses")
    k, t1 = losses.shape
    if len(labels) != k:
        raise ValueError(f"{len(labels)} labels for {k} runs")
    sty = _styles(styles, k)
    blow = [NEVER] * k if diverged_at is None else [int(b) for b in diverged_at]
    steps = np.arange(t1)
    log = f_min is not None
    with np.errstate(all="ignore"):
        y = losses - f_min if log else losses.copy()
    traces = []
    if log:
        pos = y[np.isfinite(y) & (y > 0)]
        top = float(pos.max()) if pos.size else 1.0
        start = y[:, 0][np.isfinite(y[:, 0]) & (y[:, 0] > 0)]
        ref = float(start.max()) if start.size else top
        # down to 1e-16 of the starting gap (double precision): lower gaps run off the bottom
        floor = max(float(pos.min()) if pos.size else ref * 1e-16, ref * 1e-16, 1e-300) / 3.0
        ylo, yhi = math.log10(floor), math.log10(max(top, floor * 10)) + 0.6
    elif linear_range is not None:
        ylo, yhi = (float(v) for v in linear_range)
    else:
        fin = y[np.isfinite(y)]
        lo = float(fin.min()) if fin.size else 0.0
        start = float(np.nanmax(y[:, 0])) if np.isfinite(y[:, 0]).any() else lo + 1.0
        span = max(start - lo, 1e-9)
        ylo, yhi = lo - 0.08 * span, start + 0.5 * span
    for i in range(k):
        s = sty[i]
        row = y[i]
        with np.errstate(invalid="ignore"):
            exact = log & (row <= 0)
            if log:
                shown = np.where(exact, 10.0**ylo, row)
            else:
                out = ~np.isfinite(row) | (row > yhi) | (row < ylo)
                n = int(np.argmax(out)) if out.any() else t1
                # the line runs on to the first point off the chart (clipped at the edge)
                upto = n + 1 if n < t1 and np.isfinite(row[n]) else n
                shown = np.where(steps < upto, row, np.nan)
        traces.append(
            _sc(
                x=steps,
                y=shown,
                mode="lines+markers" if t1 <= 60 else "lines",
                name=labels[i],
                line={"color": color(s), "width": 2.5, "dash": dash(s)},
                marker=run_marker(s, 6),
                customdata=np.where(exact, "0 (exactly at the minimum)", "") if log else None,
                hovertemplate=f"{labels[i]}<br>step %{{x}}: "
                + ("gap %{y:.3g} %{customdata}" if log else "loss %{y:.4g}")
                + "<extra></extra>",
            )
        )
        if log and blow[i] != NEVER:
            fin_idx = np.flatnonzero(np.isfinite(shown))
            if fin_idx.size:
                j = int(fin_idx[-1])
                txt = f"blew up (step {blow[i]})"
                traces.append(
                    _sc(
                        x=[j],
                        y=[shown[j]],
                        mode="markers+text",
                        showlegend=False,
                        marker={"symbol": "x", "size": 14, "color": color(s)},
                        text=[txt],
                        textposition="middle right" if j < 0.6 * (t1 - 1) else "middle left",
                        textfont={"color": color(s)},
                        hoverinfo="skip",
                    )
                )
    layout: dict = {"xaxis": {"title": {"text": "step k"}, "range": [-0.5, t1 - 0.5]}}
    if step is not None:
        layout["shapes"] = [
            {"type": "line", "xref": "x", "yref": "paper", "x0": int(step), "x1": int(step),
             "y0": 0, "y1": 1, "line": {"color": GREY, "width": 1, "dash": "dot"}}
        ]  # fmt: skip
    if log:
        layout["yaxis"] = {
            "type": "log",
            "title": {"text": "f(x_k) − f_min (log scale)"},
            "range": [ylo, yhi],
            "exponentformat": "power",
        }
    else:
        layout["yaxis"] = {"title": {"text": "loss f(x_k)"}, "range": [ylo, yhi]}
    after = {"yaxis": {"tickfont": {"size": LECTURE_LOG_TICKS}}} if big and log else None
    return styled(traces, layout, height=400, big=big, then=after)


# ----------------------------------------------------------------------------- the rate axis

#: the bands' fill (below 1/f'', between the thresholds, above 2/f'') and its opacity
_BANDS = ((PALETTE[2], 0.10), (PALETTE[4], 0.14), (PALETTE[1], 0.12))


def rate_axis_figure(
    lrs: Sequence[float],
    labels: Sequence[str],
    *,
    fastest: float | None,
    diverge: float | None,
    band_names: Sequence[str] = ("below 1/f''", "1/f'' to 2/f''", "above 2/f''"),
    kinds: Sequence[str] | None = None,
    styles: Sequence[int] | None = None,
    big: bool = False,
) -> go.Figure:
    """Where each chosen rate sits relative to ``1/f''`` (``fastest``) and ``2/f''`` (``diverge``).

    A log axis with three bands when the thresholds are known, named ``band_names`` (the model
    decides: what the thresholds predict where the runs did it); each rate's mark carries its
    label and, on a second line, ``kinds[i]``: what its run did.
    """
    marks = (
        list(labels)
        if kinds is None
        else [f"{lab}<br>{k}" for lab, k in zip(labels, kinds, strict=True)]
    )
    rates = [float(v) for v in lrs]
    if len(labels) != len(rates):
        raise ValueError(f"{len(labels)} labels for {len(rates)} rates")
    sty = _styles(styles, len(rates))
    ok = (  # thresholds a log axis can draw (a huge or flat curvature gives 0, inf or nan)
        fastest is not None
        and diverge is not None
        and math.isfinite(fastest)
        and math.isfinite(diverge)
        and 0 < fastest < diverge
    )
    if not ok:
        fastest = diverge = None
    rates_ok = [v for v in rates if math.isfinite(v) and v > 0]
    known = [v for v in (*rates_ok, fastest, diverge) if v is not None and v > 0]
    lo = min(known) / 3.0 if known else 1e-3
    hi = max(known) * 8.0 if known else 10.0  # room on the right for the labels
    rows = max(len(rates), 1)
    font = {"size": LECTURE_TEXT if big else 12, "color": "#333"}
    shapes: list[dict] = []
    notes: list[dict] = []
    if fastest is not None and diverge is not None and lo > 0:
        edges = (lo, fastest, diverge, hi)
        for j, ((col, alpha), name) in enumerate(zip(_BANDS, band_names, strict=True)):
            shapes.append(
                {
                    "type": "rect",
                    "xref": "x",
                    "yref": "paper",
                    "x0": edges[j],
                    "x1": edges[j + 1],
                    "y0": 0,
                    "y1": 1,
                    "fillcolor": col,
                    "opacity": alpha,
                    "line": {"width": 0},
                    "layer": "below",
                }
            )
            mid = 0.5 * (math.log10(edges[j]) + math.log10(edges[j + 1]))  # no underflow
            # the middle band spans a factor 2 only: its name sits a line higher, clear of
            # its neighbours' names however narrow the chart
            notes.append(
                {"x": mid, "y": 1.0, "yref": "paper", "yanchor": "bottom",
                 "yshift": round(1.3 * font["size"]) if j == 1 else 0,
                 "text": name, "showarrow": False, "font": font}
            )  # fmt: skip
        span = math.log(hi) - math.log(lo)
        sides = []
        for value, name, side in ((fastest, "1/f''", "right"), (diverge, "2/f''", "left")):
            shapes.append(
                {"type": "line", "xref": "x", "yref": "paper", "x0": value, "x1": value,
                 "y0": 0, "y1": 1, "line": {"color": "#333", "width": 2, "dash": "dash"}}
            )  # fmt: skip
            # 1/f'' to the left of its line and 2/f'' to the right, unless the edge is near:
            # then on the side with room, and a second label sharing a side sits higher
            where = (math.log(value) - math.log(lo)) / span
            if side == "right" and where < 0.3:
                side = "left"
            elif side == "left" and where > 0.7:
                side = "right"
            notes.append(
                {"x": math.log10(value), "y": 0.0, "yref": "paper", "yanchor": "bottom",
                 "xanchor": side, "yshift": 26 if side in sides else 0,
                 "text": f"{name} = {fmt.rate(value)}", "showarrow": False, "font": font,
                 "bgcolor": "rgba(255,255,255,0.8)"}
            )  # fmt: skip
            sides.append(side)
    traces = []
    for i, (v, label, mark) in enumerate(zip(rates, labels, marks, strict=True)):
        s = sty[i]
        row = rows - 1 - i
        traces.append(
            _sc(
                x=[v],
                y=[row],
                mode="markers",
                name=label,
                showlegend=False,
                marker=run_marker(s, 15),
                hovertemplate=f"{label}<extra></extra>",
            )
        )
        # the mark goes on the side with more room
        right = (math.log(v) - math.log(lo)) / (math.log(hi) - math.log(lo)) < 0.5
        notes.append(
            {
                "x": math.log10(v),
                "y": row,
                "xanchor": "left" if right else "right",
                "xshift": 12 if right else -12,
                "text": mark,
                "showarrow": False,
                "font": {"color": color(s), "size": LECTURE_TEXT if big else 13},
                "bgcolor": "rgba(255,255,255,0.8)",
            }
        )
    layout = {
        "shapes": shapes,
        "annotations": notes,
        "xaxis": {
            "type": "log",
            "range": [math.log10(lo), math.log10(hi)],
            "title": {"text": "learning rate (log scale)"},
            "dtick": 1,  # a label per decade: no small minor digits between them
        },
        "yaxis": {"visible": False, "range": [-1.3 if kinds is None else -1.6, rows - 0.4]},
    }
    return styled(
        traces, layout, height=130 + (30 if kinds is None else 44) * rows, big=big, legend=False,
        then={"margin": {"t": 30 + (round(1.3 * font["size"]) if shapes else 0), "b": 10}},
    )  # fmt: skip
