"""Figure builders for *Descent in 2-D*: contour view, 3-D view, loss vs step, and the
contraction-vs-rate picture.  They take arrays and return plotly figures (no Streamlit).

Marks that must stay visible in the dark theme are drawn in the palette's black
(``style.PALETTE[6]``), which ``style.for_dark`` turns light there."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from engine import fmt
from lessons.ui.style import (
    GREY,
    PALETTE,
    color,
    dash,
    marker,
    run_line,
    run_marker,
    style,
    styled,
)

INK = PALETTE[6]  # black on white; light in the dark theme (style.for_dark)

#: the paths drawn: every step up to HEAD, then evenly spaced, at most MAX_POINTS per run
HEAD = 150
MAX_POINTS = 400
#: filled contours: pale, so the runs' colours stand out (low = white, high = grey-blue)
CONTOUR_SCALE = [[0.0, "#ffffff"], [0.5, "#eef2f6"], [1.0, "#c3cdd8"]]
SURFACE_SCALE = [[0.0, "#f4f6f9"], [0.5, "#c9d4e0"], [1.0, "#7d93ab"]]
N_LEVELS = 24


def thin(n: int, head: int = HEAD, max_points: int = MAX_POINTS) -> np.ndarray:
    """Indices 0 .. n-1 to draw: all of the first ``head``, then evenly spaced, last included.

    Examples
    --------
    >>> thin(5).tolist()
    [0, 1, 2, 3, 4]
    >>> idx = thin(2001)
    >>> len(idx) <= 400, int(idx[0]), int(idx[149]), int(idx[-1])
    (True, 0, 149, 2000)
    """
    if n <= max_points:
        return np.arange(n)
    tail = np.linspace(head, n - 1, max_points - head).round().astype(int)
    return np.unique(np.concatenate([np.arange(head), tail]))


def log_heights(z: np.ndarray, low: float | None = None) -> tuple[np.ndarray, float]:
    """``log10(z - low + delta)`` with ``delta = 1e-4 * (range of z)``: log-spaced levels.

    ``low`` defaults to the smallest finite value (pass the known minimum ``f_min`` so the
    deepest level sits at the minimum).  Returns the transformed grid and ``delta``.

    Examples
    --------
    >>> h, d = log_heights(np.array([[0.0, 1.0], [10.0, 100.0]]))
    >>> d, h.round(3).tolist()
    (0.01, [[-2.0, 0.004], [1.0, 2.0]])
    """
    z = np.asarray(z, dtype=np.float64)
    finite = z[np.isfinite(z)]
    if finite.size == 0:
        return np.full(z.shape, np.nan), 1.0
    lo = float(finite.min()) if low is None else min(float(low), float(finite.min()))
    span = float(finite.max()) - lo
    delta = 1e-4 * span if span > 0 else 1.0
    with np.errstate(all="ignore"):
        return np.log10(np.where(np.isfinite(z), z - lo + delta, np.nan)), delta


def _run_points(
    path: np.ndarray, box: tuple[float, float, float, float] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The steps of one run to draw (thinned) and their positions: the finite part, and with a
    ``box`` (x_lo, x_hi, y_lo, y_hi) only up to the first step outside it (a run that leaves
    the view is drawn up to where it leaves, not zig-zagging across the picture off-screen)."""
    ok = np.all(np.isfinite(path), axis=-1)
    if box is not None:
        with np.errstate(invalid="ignore"):
            inside = (
                (path[:, 0] >= box[0])
                & (path[:, 0] <= box[1])
                & (path[:, 1] >= box[2])
                & (path[:, 1] <= box[3])
            )
        out = np.flatnonzero(~inside)
        if out.size:
            ok[out[0] + 1 :] = False
    bad = np.flatnonzero(~ok)
    last = int(bad[0]) - 1 if bad.size else path.shape[0] - 1
    idx = thin(max(last, 0) + 1)
    return idx, path[idx]


def _marks(
    points: Sequence[Sequence[float]],
    name: str,
    symbol: str,
    size: int,
    fill: str = "#000000",
    edge: str = "#ffffff",
) -> list[dict]:
    """Points to mark (a trace dict, or none), ink and outline of opposite shades: seen on the
    pale contours and in the legend of the dark theme alike."""
    if len(points) == 0:
        return []
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    return [
        {
            "type": "scatter",
            "x": pts[:, 0],
            "y": pts[:, 1],
            "mode": "markers",
            "marker": {
                "symbol": symbol,
                "size": size,
                "color": fill,
                "line": {"width": 2, "color": edge},
            },
            "name": name,
            "hovertemplate": f"{name} (%{{x:.3g}}, %{{y:.3g}})<extra></extra>",
        }
    ]


def contour_figure(
    xs: np.ndarray,
    ys: np.ndarray,
    z: np.ndarray,
    paths: np.ndarray,
    labels: Sequence[str],
    *,
    f_min: float | None = None,
    minima: Sequence[Sequence[float]] = (),
    saddles: Sequence[Sequence[float]] = (),
    styles: Sequence[int] | None = None,
    big: bool = False,
) -> go.Figure:
    """Top view: log-spaced contours of the loss with every run's path.

    Parameters
    ----------
    xs, ys : ndarray (n,), (m,)
        Grid axes; ``z[i, j] = f(xs[j], ys[i])``.
    paths : ndarray (K, T+1, 2)
        Positions of each run (NaN after a blow-up).  The view stays on the surface's window,
        so a diverging run visibly leaves it.
    labels : K str
    f_min : float, optional
        Known minimum value (the deepest contour level).
    minima, saddles : points to mark.
    styles : K int, optional
        Colour/dash/marker index of each run.
    """
    paths = np.asarray(paths, dtype=float)
    heights, _ = log_heights(z, f_min)
    finite = heights[np.isfinite(heights)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    size = (hi - lo) / N_LEVELS if hi > lo else 1.0
    data: list[dict] = [
        {
            "type": "contour",
            "x": np.asarray(xs, dtype=np.float32),
            "y": np.asarray(ys, dtype=np.float32),
            "z": heights.astype(np.float32),
            "colorscale": CONTOUR_SCALE,
            "contours": {"start": lo, "end": hi, "size": size, "coloring": "fill"},
            "line": {"width": 0.6, "color": "rgba(80,90,110,0.45)"},
            "showscale": False,
            "hoverinfo": "skip",
            "name": "loss (log-spaced contours)",
        }
    ]
    box = (float(xs[0]), float(xs[-1]), float(ys[0]), float(ys[-1]))
    styles = list(range(len(labels))) if styles is None else list(styles)
    for i, path, label in zip(styles, paths, labels, strict=True):
        idx, pts = _run_points(path, box)
        data.append(
            {
                "type": "scatter",
                "x": pts[:, 0],
                "y": pts[:, 1],
                "customdata": idx,
                "mode": "lines+markers",
                "line": run_line(i, width=2),
                "marker": run_marker(i, 6),
                "name": label,
                "hovertemplate": f"{label}<br>step %{{customdata}}: (%{{x:.3g}}, %{{y:.3g}})"
                "<extra></extra>",
            }
        )
    if paths.size:
        data += _marks([paths[0, 0]], "start", "circle", 14, fill="#ffffff", edge="#000000")
    data += _marks(minima, "minimum", "star", 15)
    data += _marks(saddles, "saddle point", "x", 13)
    layout = {
        "xaxis": {
            "title": {"text": "x"},
            "range": [float(xs[0]), float(xs[-1])],
            "constrain": "domain",
            "showgrid": False,
            "zeroline": False,
        },
        "yaxis": {
            "title": {"text": "y"},
            "range": [float(ys[0]), float(ys[-1])],
            "scaleanchor": "x",
            "scaleratio": 1,
            "constrain": "domain",
            "showgrid": False,
            "zeroline": False,
        },
    }
    then = {"legend": {"y": -0.12, "yanchor": "top"}, "margin": {"b": 10}}
    return styled(data, layout, height=520, big=big, then=then)


def surface3d_figure(
    xs: np.ndarray,
    ys: np.ndarray,
    z: np.ndarray,
    paths: np.ndarray,
    losses: np.ndarray,
    labels: Sequence[str],
    *,
    minima: Sequence[Sequence[float]] = (),
    styles: Sequence[int] | None = None,
    cap: float | None = None,
    big: bool = False,
) -> go.Figure:
    """3-D view: the loss surface (heights above ``cap`` cut off) with each run on it.

    ``losses`` (K, T+1) are the runs' losses; points outside the window or above the cap are
    not drawn, so a diverging run ends where it leaves the picture.
    """
    z = np.asarray(z, dtype=float)
    finite = z[np.isfinite(z)]
    top = float(np.max(finite)) if cap is None and finite.size else float(cap or 1.0)
    bottom = float(np.min(finite)) if finite.size else 0.0
    shown = np.where(np.isfinite(z) & (z <= top), z, np.nan)
    fig = go.Figure()
    fig.add_trace(
        go.Surface(
            x=np.asarray(xs, dtype=np.float32),
            y=np.asarray(ys, dtype=np.float32),
            z=shown.astype(np.float32),
            colorscale=SURFACE_SCALE,
            showscale=False,
            opacity=0.9,
            hoverinfo="skip",
            # no contour lines on the surface (the top view has them): plotly's surface
            # contours take 10-60 s to draw in a browser without GPU (software WebGL), the
            # surface alone about 1 s (measured in headless Chromium)
            name="loss",
        )
    )
    x_lo, x_hi, y_lo, y_hi = float(xs[0]), float(xs[-1]), float(ys[0]), float(ys[-1])
    lift = 0.01 * (top - bottom)
    styles = list(range(len(labels))) if styles is None else list(styles)
    for i, path, loss, label in zip(
        styles, np.asarray(paths), np.asarray(losses), labels, strict=True
    ):
        idx, pts = _run_points(path, (x_lo, x_hi, y_lo, y_hi))
        f = np.asarray(loss, dtype=float)[idx]
        inside = (
            (pts[:, 0] >= x_lo)
            & (pts[:, 0] <= x_hi)
            & (pts[:, 1] >= y_lo)
            & (pts[:, 1] <= y_hi)
            & np.isfinite(f)
            & (f <= top)
        )
        fig.add_trace(
            go.Scatter3d(
                x=np.where(inside, pts[:, 0], np.nan),
                y=np.where(inside, pts[:, 1], np.nan),
                z=np.where(inside, f + lift, np.nan),
                customdata=idx,
                mode="lines+markers",
                line={"color": color(i), "width": 5, "dash": dash(i)},
                marker={"symbol": _marker3d(i), "size": 3, "color": color(i)},
                name=label,
                hovertemplate=f"{label}<br>step %{{customdata}}: loss %{{z:.3g}}<extra></extra>",
            )
        )
    if len(minima):
        m = np.asarray(minima, dtype=float).reshape(-1, 2)
        fig.add_trace(
            go.Scatter3d(
                x=m[:, 0],
                y=m[:, 1],
                z=np.full(len(m), bottom),
                mode="markers",
                marker={
                    "symbol": "diamond",
                    "size": 5,
                    "color": "#000000",
                    "line": {"color": "#ffffff", "width": 1},
                },
                name="minimum",
                hoverinfo="skip",
            )
        )
    fig.update_layout(
        scene={
            "xaxis": {"title": {"text": "x"}, "range": [x_lo, x_hi]},
            "yaxis": {"title": {"text": "y"}, "range": [y_lo, y_hi]},
            "zaxis": {"title": {"text": "loss"}, "range": [bottom, top + 2 * lift]},
            "camera": {"eye": {"x": 1.5, "y": -1.5, "z": 1.0}},
            "aspectmode": "cube",
        }
    )
    then = {"legend": {"y": -0.02, "yanchor": "top"}, "margin": {"l": 0, "r": 0, "b": 0}}
    return style(fig, height=520, big=big, then=then)


def _marker3d(i: int) -> str:
    """Scatter3d knows fewer symbols than 2-D scatter: a second cue among those."""
    return ("circle", "square", "diamond", "cross", "x", "circle-open", "square-open")[i % 7]


def loss_figure(
    values: np.ndarray,
    labels: Sequence[str],
    *,
    gap: bool = True,
    blowup: Sequence[int] | None = None,
    styles: Sequence[int] | None = None,
    big: bool = False,
) -> go.Figure:
    """Loss against step, one line per run.

    Parameters
    ----------
    values : ndarray (K, T+1)
        ``loss - f_min`` when ``gap`` (drawn on a log axis, values at or below zero shown at
        the axis floor 1e-16) or the loss itself (linear axis) when the minimum is unknown.
    blowup : K int, optional
        Step at which each run blew up (-1: never); marked with an ✕ at the top of the axis.
    """
    values = np.asarray(values, dtype=float)
    k, t1 = values.shape
    steps = np.arange(t1)
    idx = thin(t1)
    styles = list(range(k)) if styles is None else list(styles)
    fig = go.Figure()
    with np.errstate(all="ignore"):
        shown = np.where(values > 1e-16, values, 1e-16) if gap else values.copy()
    finite = shown[np.isfinite(shown)]
    if gap:
        lo = float(np.log10(finite.min())) if finite.size else -16.0
        start = shown[:, 0][np.isfinite(shown[:, 0])]
        ceiling = float(np.log10(start.max())) + 3.0 if start.size else 3.0
        top = min(float(np.log10(finite.max())) if finite.size else 1.0, ceiling) + 0.3
        lo = min(lo, top - 2.0) - 0.3
    else:
        spread = float(np.ptp(finite)) if finite.size else 1.0
        lo = float(finite.min()) - 0.05 * spread if finite.size else -1.0
        top = float(finite.max()) + 0.05 * spread if finite.size else 1.0
        start = values[:, 0][np.isfinite(values[:, 0])]
        if start.size and finite.size:  # keep a run that runs off to -inf from flattening all
            span0 = max(float(np.ptp(start)), float(np.max(np.abs(start))), 1.0)
            lo = max(lo, float(start.min()) - 20.0 * span0)
            top = min(top, float(start.max()) + 20.0 * span0)
    for i, row, label in zip(styles, shown, labels, strict=True):
        fig.add_trace(
            go.Scatter(
                x=steps[idx],
                y=row[idx],
                mode="lines",
                line=run_line(i),
                name=label,
                hovertemplate=f"{label}<br>step %{{x}}: %{{y:.3g}}<extra></extra>",
            )
        )
    for i, b, label in zip(styles, blowup if blowup is not None else [-1] * k, labels, strict=True):
        if b is not None and b >= 0:
            fig.add_trace(
                go.Scatter(
                    x=[b],
                    y=[10**top if gap else top],
                    mode="markers",
                    marker={"symbol": "x", "size": 13, "color": color(i), "line": {"width": 1}},
                    name=f"{label}: blew up",
                    showlegend=False,
                    hovertemplate=f"{label}: blew up at step {b}<extra></extra>",
                )
            )
    ytitle = "loss − minimum (log scale)" if gap else "loss"
    fig.update_layout(
        xaxis={"title": {"text": "step"}, "range": [0, t1 - 1]},
        yaxis={
            "title": {"text": ytitle},
            "type": "log" if gap else "linear",
            "range": [lo, top] if gap else [lo, top],
            "exponentformat": "power",
        },
    )
    return style(fig, height=400, big=big, then={"legend": {"y": -0.2, "yanchor": "top"}})


def contraction_figure(
    eigenvalues: Sequence[float],
    lrs: Sequence[float],
    measured: Sequence[float],
    labels: Sequence[str],
    *,
    best: float | None = None,
    diverge: float | None = None,
    styles: Sequence[int] | None = None,
    big: bool = False,
) -> go.Figure:
    """Per-step contraction of gradient descent against the learning rate.

    Thin lines: ``|1 - lr lambda|`` for the smallest and the largest curvature; thick grey: their
    maximum, the predicted contraction (a V with its bottom at the best rate and crossing 1 at
    ``2/lambda_max``).  Markers: each run's measured contraction at its rate.
    """
    lam = np.sort(np.asarray(eigenvalues, dtype=float))
    lrs = np.asarray(lrs, dtype=float)
    refs = [v for v in (diverge, *lrs) if v is not None and np.isfinite(v) and v > 0]
    hi = max(1.5 * diverge if diverge else 0.0, 1.15 * max(refs)) if refs else 1.0
    grid = np.linspace(0.0, hi, 161)
    shapes = [
        {"type": "rect", "xref": "paper", "x0": 0, "x1": 1, "y0": 1.0, "y1": 10.0,
         "fillcolor": "#D55E00", "opacity": 0.07, "line": {"width": 0}, "layer": "below"},
        {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": 1.0, "y1": 1.0,
         "line": {"color": GREY, "width": 1.5}},
    ]  # fmt: skip
    notes = []
    data: list[dict] = []
    for lam_i, name, d in ((lam[0], "λmin", "dot"), (lam[-1], "λmax", "dash")):
        data.append(
            {
                "type": "scatter",
                "x": grid,
                "y": np.abs(1.0 - grid * lam_i),
                "mode": "lines",
                "line": {"color": GREY, "width": 1.5, "dash": d},
                "name": f"|1 − lr·{name}| ({name} = {fmt.num(lam_i, 4)})",
                "hoverinfo": "skip",
            }
        )
    data.append(
        {
            "type": "scatter",
            "x": grid,
            "y": np.max(np.abs(1.0 - grid[:, None] * lam[None, :]), axis=1),
            "mode": "lines",
            "line": {"color": INK, "width": 4},
            "name": "predicted: max |1 − lr·λ|",
            "hovertemplate": "lr %{x:.3g}: predicted %{y:.3f} per step<extra></extra>",
        }
    )
    styles = list(range(len(labels))) if styles is None else list(styles)
    for i, lr, m, label in zip(styles, lrs, measured, labels, strict=True):
        if not np.isfinite(m):
            continue
        data.append(
            {
                "type": "scatter",
                "x": [lr],
                "y": [m],
                "mode": "markers",
                "marker": {
                    "symbol": marker(i),
                    "size": 13,
                    "color": color(i),
                    "line": {"width": 1.5, "color": "#000000"},
                },
                "name": f"measured: {label}",
                "hovertemplate": f"{label}<br>measured %{{y:.4f}} per step<extra></extra>",
            }
        )
    for x, text, side in ((best, "best", "right"), (diverge, "2/λmax", "left")):
        if x is not None and np.isfinite(x):
            shapes.append(
                {"type": "line", "yref": "paper", "x0": x, "x1": x, "y0": 0, "y1": 1,
                 "line": {"color": GREY, "width": 1, "dash": "dot"}}
            )  # fmt: skip
            notes.append(
                {"x": x, "y": 1, "yref": "paper", "text": text, "showarrow": False,
                 "xanchor": side, "yanchor": "top", "font": {"size": 18 if big else 12}}
            )  # fmt: skip
    layout = {
        "xaxis": {"title": {"text": "learning rate"}, "range": [0, hi]},
        # on two lines: on a phone in lecture mode the plot is shorter than the title on one
        "yaxis": {"title": {"text": "shrink factor<br>per step"}, "range": [0, 1.6]},
        "shapes": shapes,
        "annotations": notes,
    }
    return styled(
        data, layout, height=380, big=big, then={"legend": {"y": -0.25, "yanchor": "top"}}
    )


def _visible(tex: str) -> int:
    """Roughly how many characters a TeX snippet shows (commands and braces dropped)."""
    return len(re.sub(r"\\[a-zA-Z]+|[{}^_&\\]", "", tex))


def latex_lines(formula: str, width: int = 34) -> list[str]:
    """Split a long LaTeX formula into lines that fit a phone screen.

    Parts joined by ``,\\quad`` or ``,\\;`` become separate lines; a part longer than ``width``
    characters of TeX is broken before a top-level ``+`` or ``-`` (outside any brackets) into an
    ``aligned`` block.

    Examples
    --------
    >>> latex_lines(r"f(x) = x^{2},\\quad u = 2")
    ['f(x) = x^{2}', 'u = 2']
    >>> latex_lines("f = (a + b) + c + d", width=12)
    ['\\\\begin{aligned}f = &(a + b)\\\\\\\\ &+ c + d\\\\end{aligned}']
    """
    parts = [p.strip() for p in re.split(r",\s*\\quad|,\s*\\;", formula) if p.strip()]
    out = []
    for part in parts:
        if _visible(part) <= width or "=" not in part:
            out.append(part)
            continue
        lhs, rhs = part.split("=", 1)
        pieces, depth, cur = [], 0, ""
        for i, ch in enumerate(rhs):
            if ch in "({[":
                depth += 1
            elif ch in ")}]":
                depth -= 1
            if depth == 0 and ch in "+-" and i > 0 and rhs[i - 1] == " " and cur.strip():
                pieces.append(cur)
                cur = ""
            cur += ch
        pieces.append(cur)
        lines, line = [], ""
        for piece in pieces:
            used = _visible(line + piece) + (_visible(lhs) + 3 if not lines else 3)
            if line and used > width:
                lines.append(line.strip())
                line = ""
            line += piece
        lines.append(line.strip())
        if len(lines) == 1:
            out.append(part)
            continue
        body = r"\\ &".join(lines)
        out.append(rf"\begin{{aligned}}{lhs.strip()} = &{body}\end{{aligned}}")
    return out
