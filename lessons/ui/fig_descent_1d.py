"""Pictures for "Descent in 1-D", and the learning-rate grid its sliders move on.

Arrays in, ``plotly.graph_objects.Figure`` out; no Streamlit, so every builder is testable on
its own:

* :func:`curve_figure`: the loss curve with each run's iterates drawn *on* the curve (markers
  joined by thin lines, so zig-zags across the minimum are visible), replayed up to a step; a
  run that leaves the window is cut at the edge and labelled;
* :func:`loss_figure`: the loss gap ``f(x_k) - f_min`` against the step on a log axis (geometric
  convergence is a straight line), with an ``x`` where a run diverged;
* :func:`rate_axis_figure`: a log axis of learning rates with the thresholds ``1/f''`` and
  ``2/f''`` and the three bands they separate, and where each chosen rate sits.

The grid helpers (:data:`LR_GRID`, :func:`snap`, :func:`regime_rates`, :func:`threshold_rates`)
turn the theory's thresholds into rates the sliders can show.

A run is drawn with ``style.color(i)``, ``style.dash(i)`` and ``style.marker(i)``, where ``i``
is its entry in ``styles``, so the same run keeps its look across the three charts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from lessons.ui.style import GREY, PALETTE, color, dash, marker, run_marker, style

# ----------------------------------------------------------------------------- the rate grid

#: mantissas of the log-ish grid: steps of at most 12.5% (so a preset lands close to its target)
_MANTISSAS = (
    *(round(1.0 + 0.1 * i, 1) for i in range(11)),  # 1.0 ... 2.0
    2.2, 2.4, 2.5, 2.6, 2.8, 3.0, 3.2, 3.4, 3.6, 3.8, 4.0,
    *(round(4.5 + 0.5 * i, 1) for i in range(11)),  # 4.5 ... 9.5
)  # fmt: skip
#: every learning rate a slider offers, 1e-4 ... 100, ascending
LR_GRID: tuple[float, ...] = tuple(
    float(f"{m * 10.0**e:.6g}") for e in range(-4, 2) for m in _MANTISSAS
) + (100.0,)
#: the slider value of a run that is switched off
OFF = 0.0

#: the four regimes as multiples of 1/f'': (name, target, open interval it must stay in)
REGIMES: tuple[tuple[str, float, tuple[float, float]], ...] = (
    ("too low", 0.1, (0.0, 0.3)),
    ("good", 0.8, (0.6, 1.0)),
    ("high: zig-zags", 1.7, (1.3, 1.95)),
    ("too high: diverges", 2.2, (2.05, 3.0)),
)
#: the "at the thresholds" preset, as multiples of 1/f''
THRESHOLD_MULTIPLES: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0)


def snap(lr: float, lo: float = 0.0, hi: float = math.inf) -> float:
    """The grid rate closest to ``lr`` (in log terms), strictly inside ``(lo, hi)`` if possible.

    Examples
    --------
    >>> snap(0.283), snap(2.9), snap(1e-7), snap(0.25)
    (0.28, 3.0, 0.0001, 0.25)
    >>> snap(2.0, lo=2.0, hi=3.0)  # strictly above 2/f''
    2.2
    """
    grid = np.asarray(LR_GRID)
    inside = grid[(grid > lo * (1 + 1e-12)) & (grid < hi * (1 - 1e-12))]
    pool = inside if inside.size else grid
    target = math.log(min(max(float(lr), grid[0]), grid[-1]))
    return float(pool[np.argmin(np.abs(np.log(pool) - target))])


def regime_rates(fastest: float) -> tuple[float, ...]:
    """Four grid rates, too low / good / high (zig-zags) / too high (diverges), for ``1/f''``.

    Each is the grid rate closest to its target multiple of ``fastest`` = 1/f'' that stays in
    its regime's interval (see :data:`REGIMES`).

    Examples
    --------
    >>> regime_rates(1.0)
    (0.1, 0.8, 1.7, 2.2)
    >>> regime_rates(0.25)
    (0.025, 0.2, 0.45, 0.55)
    """
    return tuple(snap(m * fastest, a * fastest, b * fastest) for _, m, (a, b) in REGIMES)


def threshold_rates(fastest: float) -> tuple[float, ...]:
    """Grid rates nearest to ½, 1, 1.5 and 2 times ``1/f''`` (exact on a parabola's grid).

    Examples
    --------
    >>> threshold_rates(1.0)
    (0.5, 1.0, 1.5, 2.0)
    """
    return tuple(snap(m * fastest) for m in THRESHOLD_MULTIPLES)


def presets_fit(fastest: float) -> bool:
    """Whether the sliders' range 1e-4 ... 100 holds all four regimes for this ``1/f''``.

    Examples
    --------
    >>> presets_fit(1.0), presets_fit(60.0), presets_fit(1e-4)
    (True, False, False)
    """
    lo, hi = REGIMES[0][2][1] * fastest, REGIMES[-1][2][0] * fastest
    return lo >= LR_GRID[0] and hi < LR_GRID[-1]


def fmt_rate(lr: float) -> str:
    """A slider label: ``off`` for a switched-off run, else the rate with up to 3 digits.

    Examples
    --------
    >>> fmt_rate(0.0), fmt_rate(0.00015), fmt_rate(2.2), fmt_rate(1e-4), fmt_rate(100.0)
    ('off', '0.00015', '2.2', '0.0001', '100')
    """
    return "off" if lr == OFF else f"{lr:g}"


# ----------------------------------------------------------------------------- helpers


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


def visible_prefix(path: np.ndarray, x_range: tuple[float, float]) -> int:
    """How many leading iterates of ``path`` are finite and inside ``x_range``.

    Examples
    --------
    >>> visible_prefix(np.array([4.0, -4.8, 5.8, np.nan]), (-5.0, 5.0))
    2
    """
    p = np.asarray(path, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        bad = ~(np.isfinite(p) & (p >= x_range[0]) & (p <= x_range[1]))
    return int(np.argmax(bad)) if bad.any() else int(p.size)


def curve_y_range(fx: np.ndarray, pad: float = 0.08) -> tuple[float, float]:
    """A y range that shows the curve: its finite values, ignoring spikes near a singularity.

    Examples
    --------
    >>> curve_y_range(np.array([0.0, 1.0, 4.0]), pad=0.0)
    (0.0, 4.0)
    """
    v = np.asarray(fx, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return (-1.0, 1.0)
    lo, hi = float(v.min()), float(v.max())
    q = float(np.quantile(v, 0.9))
    if hi - lo > 20 * max(q - lo, 1e-12):  # a spike (e.g. 1/x near 0): show the body
        hi = float(np.quantile(v, 0.97))
    span = hi - lo if hi > lo else max(abs(hi), 1.0)
    return lo - pad * span, hi + pad * span


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
        go.Scatter(
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
            go.Scatter(
                x=mx,
                y=np.where(keep, my, np.nan),
                mode="lines",
                name="parabola with the same f''",
                line={"color": "#333333", "width": 1.5, "dash": "dash"},
                hoverinfo="skip",
            )
        )
    mins = [float(m) for m in minima if x_range[0] <= m <= x_range[1]]
    if mins:
        fm = np.interp(mins, xs, np.where(np.isfinite(fx), fx, 0.0))
        traces.append(
            go.Scatter(
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
            go.Scatter(
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
                go.Scatter(
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
    fig = go.Figure(data=traces)  # one validation pass, not one per trace
    annotations = []
    for j, (label, n, side, col) in enumerate(notes):
        arrow = "→" if side == "right" else "←"
        text = (
            f"{label} leaves the chart at step {n} {arrow}"
            if side == "right"
            else (f"{arrow} {label} leaves the chart at step {n}")
        )
        annotations.append(
            {
                "x": 1.0 if side == "right" else 0.0,
                "y": 0.98 - 0.09 * j,
                "xref": "paper",
                "yref": "paper",
                "xanchor": side,
                "yanchor": "top",
                "text": text,
                "showarrow": False,
                "font": {"color": col, "size": 17 if big else 12},
                "bgcolor": "rgba(255,255,255,0.75)",
            }
        )
    if annotations:
        fig.update_layout(annotations=annotations)
    fig.update_xaxes(title_text="x (the parameter)", range=list(x_range))
    fig.update_yaxes(title_text="loss f(x)", range=list(y_range))
    return style(fig, height=400, big=big)


# ----------------------------------------------------------------------------- loss vs step


def loss_figure(
    losses: np.ndarray,
    labels: Sequence[str],
    *,
    f_min: float | None,
    step: int | None = None,
    blowup_step: Sequence[int] | None = None,
    styles: Sequence[int] | None = None,
    linear_range: tuple[float, float] | None = None,
    big: bool = False,
) -> go.Figure:
    """Loss against step, one line per run.

    With ``f_min`` known the y axis is the gap ``f(x_k) - f_min`` on a log scale (geometric
    convergence is a straight line; an exact 0 is drawn at the bottom of the axis and said so in
    the hover), and a run that blew up (``blowup_step[k] >= 0``) gets an ``x`` at its last
    point.  Without it, the loss itself on a linear axis over ``linear_range`` (e.g. the curve's
    own range; default: from the lowest loss to a little above the start), each run drawn up to
    the first point off the chart (the line is clipped at the edge, showing where it went).
    """
    losses = _runs(losses, "losses")
    k, t1 = losses.shape
    if len(labels) != k:
        raise ValueError(f"{len(labels)} labels for {k} runs")
    sty = _styles(styles, k)
    blow = [-1] * k if blowup_step is None else [int(b) for b in blowup_step]
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
            go.Scatter(
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
        if log and blow[i] >= 0:
            fin_idx = np.flatnonzero(np.isfinite(shown))
            if fin_idx.size:
                j = int(fin_idx[-1])
                txt = f"blew up (step {blow[i]})"
                traces.append(
                    go.Scatter(
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
    fig = go.Figure(data=traces)
    if step is not None:
        fig.update_layout(
            shapes=[
                {"type": "line", "xref": "x", "yref": "paper", "x0": int(step), "x1": int(step),
                 "y0": 0, "y1": 1, "line": {"color": GREY, "width": 1, "dash": "dot"}}
            ]
        )  # fmt: skip
    fig.update_xaxes(title_text="step k", range=[-0.5, t1 - 0.5])
    if log:
        fig.update_yaxes(
            type="log",
            title_text="f(x_k) − f_min (log scale)",
            range=[ylo, yhi],
            exponentformat="power",
        )
    else:
        fig.update_yaxes(title_text="loss f(x_k)", range=[ylo, yhi])
    return style(fig, height=400, big=big)


# ----------------------------------------------------------------------------- the rate axis

_BANDS = (
    ("creeps in", PALETTE[2], 0.10),
    ("zig-zags in", PALETTE[4], 0.14),
    ("diverges", PALETTE[1], 0.12),
)


def rate_axis_figure(
    lrs: Sequence[float],
    labels: Sequence[str],
    *,
    fastest: float | None,
    diverge: float | None,
    styles: Sequence[int] | None = None,
    big: bool = False,
) -> go.Figure:
    """Where each chosen rate sits relative to ``1/f''`` (``fastest``) and ``2/f''`` (``diverge``).

    A log axis with three bands when the thresholds are known: below 1/f'' descent creeps in
    from one side, between 1/f'' and 2/f'' it zig-zags in, above 2/f'' it zig-zags out.
    """
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
    font = {"size": 16 if big else 12, "color": "#333"}
    shapes: list[dict] = []
    notes: list[dict] = []
    if fastest is not None and diverge is not None and lo > 0:
        edges = (lo, fastest, diverge, hi)
        for j, (name, col, alpha) in enumerate(_BANDS):
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
            notes.append(
                {"x": mid, "y": 1.0, "yref": "paper", "yanchor": "bottom",
                 "text": name, "showarrow": False, "font": font}
            )  # fmt: skip
        for value, name in ((fastest, "1/f''"), (diverge, "2/f''")):
            shapes.append(
                {"type": "line", "xref": "x", "yref": "paper", "x0": value, "x1": value,
                 "y0": 0, "y1": 1, "line": {"color": "#333", "width": 2, "dash": "dash"}}
            )  # fmt: skip
            notes.append(
                {"x": math.log10(value), "y": 0.0, "yref": "paper", "yanchor": "bottom",
                 "text": f"{name} = {value:.3g}", "showarrow": False, "font": font,
                 "bgcolor": "rgba(255,255,255,0.8)"}
            )  # fmt: skip
    traces = []
    for i, (v, label) in enumerate(zip(rates, labels, strict=True)):
        s = sty[i]
        row = rows - 1 - i
        traces.append(
            go.Scatter(
                x=[v],
                y=[row],
                mode="markers",
                name=label,
                showlegend=False,
                marker=run_marker(s, 15),
                hovertemplate=f"{label}<extra></extra>",
            )
        )
        right = (math.log(v) - math.log(lo)) / (math.log(hi) - math.log(lo)) < 0.7
        notes.append(
            {
                "x": math.log10(v),
                "y": row,
                "xanchor": "left" if right else "right",
                "xshift": 12 if right else -12,
                "text": label,
                "showarrow": False,
                "font": {"color": color(s), "size": 16 if big else 13},
                "bgcolor": "rgba(255,255,255,0.8)",
            }
        )
    # one layout update, not one per shape: plotly validates the whole layout on every add_*
    fig = go.Figure(data=traces, layout={"shapes": shapes, "annotations": notes})
    fig.update_xaxes(
        type="log", range=[math.log10(lo), math.log10(hi)], title_text="learning rate (log scale)"
    )
    fig.update_yaxes(visible=False, range=[-1.3, rows - 0.4])
    fig = style(fig, height=130 + 30 * rows, big=big, legend=False)
    fig.update_layout(margin={"t": 30, "b": 10})
    return fig
