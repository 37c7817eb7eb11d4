"""Figure builders of "Adaptive learning rate" (hypergradient descent).  No Streamlit here.

Every builder takes plain arrays and returns a styled ``plotly.graph_objects.Figure``:

* :func:`facet_figure`: one quantity (the rate, or the loss) per starting rate, fixed-rate runs
  in the left panel and hypergradient runs in the right one, same y axis, same colour and dash
  per starting rate;
* :func:`sensitivity_figure`: final loss against the starting rate, fixed vs HD (the paper's
  point: one curve is steep, the other flat);
* :func:`beta_figure`: final loss against beta, one line per starting rate;
* :func:`surface_figure`: contour of a 2-D loss with the paths, each step coloured by the rate
  it used (log colour scale);
* :func:`surface_rate_figure`: the rate and the loss gap over the steps of those paths, with the
  surface's thresholds as horizontal lines.

Values a log axis cannot show (zero or negative rates: "unlearning"; inf/NaN after a
divergence) are left out of the lines and reported by the builder's caller in words; a run that
blew up gets an ✕ at its last finite point.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from engine import fmt
from lessons.ui.style import GREY, PALETTE, color, dash, marker, run_line, run_marker, styled

__all__ = [
    "MAX_POINTS",
    "positive",
    "thin",
    "facet_figure",
    "sensitivity_figure",
    "beta_figure",
    "surface_figure",
    "surface_rate_figure",
]

#: curves longer than this are thinned (every n-th point) to keep the page light
MAX_POINTS = 400
#: the palette's black: drawn light in the dark theme (:func:`lessons.ui.style.for_dark`)
INK = PALETTE[6]


def positive(y: np.ndarray) -> np.ndarray:
    """``y`` with every value a log axis cannot show (<= 0, inf, NaN) replaced by NaN.

    >>> positive(np.array([0.1, 0.0, -2.0, np.inf, 3.0]))
    array([0.1, nan, nan, nan, 3. ])
    """
    y = np.asarray(y, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(y) & (y > 0), y, np.nan)


def thin(n: int, max_points: int = MAX_POINTS) -> np.ndarray:
    """Indices ``0, s, 2s, ...`` (and always the last one) so that about ``max_points`` remain.

    >>> thin(10, 4).tolist()
    [0, 3, 6, 9]
    >>> thin(3).tolist()
    [0, 1, 2]
    """
    if n <= max_points:
        return np.arange(n)
    s = math.ceil(n / max_points)
    idx = np.arange(0, n, s)
    return idx if idx[-1] == n - 1 else np.append(idx, n - 1)


def _last_finite(y: np.ndarray) -> int | None:
    ok = np.flatnonzero(np.isfinite(y) & (y > 0))
    return None if ok.size == 0 else int(ok[-1])


def _log_range(lo: float, hi: float) -> list[float]:
    return [math.log10(lo), math.log10(hi)]


def _hline(
    value: float,
    text: str,
    *,
    xaxis: str = "x",
    yaxis: str = "y",
    log: bool = True,
    right: bool = False,
):
    """A dotted horizontal reference line across one panel, with its label above its left (or
    ``right``) end on a see-through white box, so the curves crossing it do not hide it (an
    annotation on a log axis is placed by log10 of the value; a shape by the value)."""
    shape = {
        "type": "line",
        "xref": f"{xaxis} domain",
        "yref": yaxis,
        "x0": 0,
        "x1": 1,
        "y0": value,
        "y1": value,
        "line": {"color": GREY, "dash": "dot", "width": 1.5},
    }
    note = {
        "text": text,
        "xref": f"{xaxis} domain",
        "yref": yaxis,
        "x": 1 if right else 0,
        "y": math.log10(value) if log else value,
        "xanchor": "right" if right else "left",
        "yanchor": "bottom",
        "showarrow": False,
        "font": {"color": GREY},
        "bgcolor": "rgba(255,255,255,0.8)",
    }
    return shape, note


def facet_figure(
    x: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    labels: Sequence[str],
    *,
    y_title: str,
    titles: tuple[str, str] = ("Fixed rate", "Hypergradient descent"),
    x_title: str = "iteration",
    styles: Sequence[int] | None = None,
    blown: tuple[Sequence[bool], Sequence[bool]] | None = None,
    log_y: bool = True,
    y_range: tuple[float, float] | None = None,
    height: int = 400,
    big: bool = False,
) -> go.Figure:
    """Two panels side by side with a shared y axis: row ``k`` of ``left`` and of ``right`` is
    drawn in the same colour and dash (``styles[k]``), labelled ``labels[k]`` once.

    Parameters
    ----------
    x : ndarray (T,)
        Common x values (iterations).
    left, right : ndarray (K, T)
        The fixed-rate and the HD runs.  Values <= 0 and non-finite ones are not drawn on a
        log axis.  Long rows are thinned, but every row keeps its last drawable point (the
        value a caption may quote), exactly.
    blown : pair of bool sequences, optional
        Which rows of each panel blew up: they get an ✕ at their last drawable point.
    y_range : (lo, hi), optional
        The y range (in data units; log10 is taken for a log axis).
    """
    x = np.asarray(x, dtype=np.float64)
    left, right = np.atleast_2d(left), np.atleast_2d(right)
    k = left.shape[0]
    styles = list(range(k)) if styles is None else list(styles)
    idx = thin(x.shape[0])
    data = []
    for col, rows in ((1, left), (2, right)):
        axes = {"xaxis": "x" if col == 1 else "x2", "yaxis": "y" if col == 1 else "y2"}
        for i in range(k):
            y = positive(rows[i]) if log_y else np.asarray(rows[i], dtype=np.float64)
            j = _last_finite(y)
            keep = idx if j is None or j in idx else np.sort(np.append(idx, j))
            data.append(
                {
                    "type": "scatter",
                    "x": x[keep].astype(np.float32),
                    "y": y[keep],
                    "mode": "lines",
                    "name": labels[i],
                    "legendgroup": labels[i],
                    "showlegend": col == 1,
                    "line": run_line(styles[i], 2.2),
                    "hovertemplate": f"{labels[i]}<br>{x_title} %{{x}}<br>%{{y:.3g}}<extra></extra>",
                    **axes,
                }
            )
            if blown is not None and blown[col - 1][i] and j is not None:
                data.append(
                    {
                        "type": "scatter",
                        "x": [x[j]],
                        "y": [y[j]],
                        "mode": "markers",
                        "marker": {"symbol": "x", "size": 13, "color": color(styles[i])},
                        "name": f"{labels[i]} blew up",
                        "legendgroup": labels[i],
                        "showlegend": False,
                        "hovertemplate": f"{labels[i]} blew up here<extra></extra>",
                        **axes,
                    }
                )
    # the panel names go under each panel (with the x title), not above it, where the legend
    # wraps onto them at phone width; a name wraps after its comma, because a name on one line
    # is wider than its panel on a phone (by 3 px at 14 px, more in lecture mode)
    names = [t.replace(", ", ",<br>") for t in titles]
    y_axis = {"type": "log", "exponentformat": "power"} if log_y else {}
    if y_range is not None:
        y_axis["range"] = _log_range(*y_range) if log_y else list(y_range)
    layout = {
        "xaxis": {
            "anchor": "y",
            "domain": [0.0, 0.47],
            "title": {"text": f"<b>{names[0]}</b><br>{x_title}"},
        },
        "xaxis2": {
            "anchor": "y2",
            "domain": [0.53, 1.0],
            "title": {"text": f"<b>{names[1]}</b><br>{x_title}"},
        },
        "yaxis": {"anchor": "x", "domain": [0.0, 1.0], "title": {"text": y_title}, **y_axis},
        "yaxis2": {
            "anchor": "x2",
            "domain": [0.0, 1.0],
            "matches": "y",
            "showticklabels": False,
            **y_axis,
        },
    }
    return styled(data, layout, height=height, big=big)


def sensitivity_figure(
    lr0: Sequence[float],
    fixed: np.ndarray,
    hd: np.ndarray,
    *,
    fixed_label: str,
    hd_label: str,
    styles: Sequence[int] | None = None,
    y_title: str = "final validation loss",
    height: int = 380,
    big: bool = False,
) -> go.Figure:
    """Final loss against the starting rate (log x, log y): fixed rate (grey, solid, circles)
    and HD (the palette's black, drawn light in the dark theme; dashed, squares); each marker
    coloured like its starting rate in the other charts.  A run that diverged (non-finite
    loss) is drawn as an ✕ along the top."""
    lr0 = np.asarray(lr0, dtype=np.float64)
    fixed, hd = np.asarray(fixed, dtype=np.float64), np.asarray(hd, dtype=np.float64)
    styles = list(range(lr0.size)) if styles is None else list(styles)
    finite = np.concatenate([fixed[np.isfinite(fixed)], hd[np.isfinite(hd)]])
    finite = finite[finite > 0]
    top = float(finite.max()) * 1.6 if finite.size else 10.0
    bottom = float(finite.min()) / 1.6 if finite.size else 0.1
    data = []
    for vals, label, line_color, line_dash, sym in (
        (fixed, fixed_label, GREY, "solid", "circle"),
        (hd, hd_label, INK, "dash", "square"),
    ):
        ok = np.isfinite(vals) & (vals > 0)
        data.append(
            {
                "type": "scatter",
                "x": lr0,
                "y": np.where(ok, vals, np.nan),
                "mode": "lines+markers",
                "name": label,
                "line": {"color": line_color, "dash": line_dash, "width": 2.5},
                "marker": {
                    "symbol": sym,
                    "size": 12,
                    "color": [color(s) for s in styles],
                    "line": {"width": 1.5, "color": line_color},
                },
                "hovertemplate": f"{label}<br>start %{{x:.2g}}<br>final loss %{{y:.3g}}"
                "<extra></extra>",
            }
        )
        if (~ok).any():
            data.append(
                {
                    "type": "scatter",
                    "x": lr0[~ok],
                    "y": np.full(int((~ok).sum()), top),
                    "mode": "markers",
                    "name": f"{label}: diverged",
                    "marker": {"symbol": "x", "size": 14, "color": line_color},
                    "hovertemplate": f"{label}<br>start %{{x:.2g}}: diverged<extra></extra>",
                }
            )
    layout = {
        "xaxis": {
            "title": {"text": "starting learning rate"},
            "type": "log",
            "exponentformat": "power",
        },
        "yaxis": {
            "title": {"text": y_title},
            "type": "log",
            "range": _log_range(bottom, top * 1.3),
        },
    }
    return styled(data, layout, height=height, big=big)


def beta_figure(
    betas: Sequence[float],
    finals: np.ndarray,
    labels: Sequence[str],
    *,
    chosen: float | None = None,
    styles: Sequence[int] | None = None,
    height: int = 360,
    big: bool = False,
) -> go.Figure:
    """Final loss against beta (log x, log y), one line per starting rate (``finals`` is
    ``(n_beta, K)``).  Diverged runs (non-finite) get an ✕ along the top.  ``chosen`` marks the
    beta of the charts above with a dotted vertical line."""
    b = np.asarray(betas, dtype=np.float64)
    finals = np.atleast_2d(np.asarray(finals, dtype=np.float64))
    k = finals.shape[1]
    styles = list(range(k)) if styles is None else list(styles)
    ok = np.isfinite(finals) & (finals > 0)
    top = float(finals[ok].max()) * 1.6 if ok.any() else 10.0
    bottom = float(finals[ok].min()) / 1.6 if ok.any() else 0.1
    data = []
    for i in range(k):
        data.append(
            {
                "type": "scatter",
                "x": b,
                "y": np.where(ok[:, i], finals[:, i], np.nan),
                "mode": "lines+markers",
                "name": labels[i],
                "line": run_line(styles[i], 2.2),
                "marker": run_marker(styles[i], 8),
                "hovertemplate": f"{labels[i]}<br>β %{{x:.1e}}<br>final loss %{{y:.3g}}"
                "<extra></extra>",
            }
        )
        bad = ~ok[:, i]
        if bad.any():
            data.append(
                {
                    "type": "scatter",
                    "x": b[bad],
                    "y": np.full(int(bad.sum()), top),
                    "mode": "markers",
                    "marker": {"symbol": "x", "size": 13, "color": color(styles[i])},
                    "name": f"{labels[i]}: diverged",
                    "showlegend": False,
                    "hovertemplate": f"{labels[i]}<br>β %{{x:.1e}}: diverged<extra></extra>",
                }
            )
    layout: dict = {
        "xaxis": {
            "title": {"text": "hypergradient learning rate β"},
            "type": "log",
            "exponentformat": "power",
        },
        "yaxis": {
            "title": {"text": "final validation loss"},
            "type": "log",
            "range": _log_range(bottom, top * 1.3),
        },
    }
    if chosen is not None and chosen > 0:
        layout["shapes"] = [
            {
                "type": "line",
                "xref": "x",
                "yref": "y domain",
                "x0": chosen,
                "x1": chosen,
                "y0": 0,
                "y1": 1,
                "line": {"color": GREY, "dash": "dot", "width": 1.5},
            }
        ]
    return styled(data, layout, height=height, big=big)


def surface_figure(
    gx: np.ndarray,
    gy: np.ndarray,
    z: np.ndarray,
    paths: Sequence[np.ndarray],
    rates: Sequence[np.ndarray],
    labels: Sequence[str],
    *,
    minimum: tuple[float, float] | None = None,
    rate_range: tuple[float, float] | None = None,
    height: int = 520,
    big: bool = False,
) -> go.Figure:
    """Contour of ``log10`` of the loss gap ``z`` (shape ``(len(gy), len(gx))``) with the
    paths: path ``i`` (``(T+1, 2)``) is a thin line in dash ``i`` with markers coloured by
    ``log10`` of the rate of the step that led there (one shared colour bar).  Points of a
    path that left the window are clipped by the axes; non-finite points are dropped."""
    gx, gy = np.asarray(gx, dtype=np.float64), np.asarray(gy, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        lz = np.log10(np.maximum(np.asarray(z, dtype=np.float64), 1e-12)).astype(np.float32)
    data: list[dict] = [
        {
            "type": "contour",
            "x": gx.astype(np.float32),
            "y": gy.astype(np.float32),
            "z": lz,
            "colorscale": "Greys",
            "reversescale": True,
            "opacity": 0.55,
            "showscale": False,
            "ncontours": 18,
            "contours": {"coloring": "fill", "showlines": True},
            "line": {"width": 0.6, "color": "#ffffff"},
            "hovertemplate": "x %{x:.2f}, y %{y:.2f}<br>log10 loss %{z:.2f}<extra></extra>",
            "name": "loss",
            "showlegend": False,
        }
    ]
    all_rates = np.concatenate([positive(r) for r in rates]) if rates else np.array([])
    all_rates = all_rates[np.isfinite(all_rates)]
    if rate_range is None:
        rate_range = (
            (float(all_rates.min()), float(all_rates.max())) if all_rates.size else (1e-3, 1.0)
        )
    lo, hi = math.log10(rate_range[0]), math.log10(rate_range[1])
    if hi - lo < 0.5:
        lo, hi = lo - 0.25, hi + 0.25
    ticks = list(range(math.ceil(lo), math.floor(hi) + 1))
    for i, (p, r, label) in enumerate(zip(paths, rates, labels, strict=True)):
        p = np.asarray(p, dtype=np.float64)
        r = positive(r)
        keep = np.all(np.isfinite(p), axis=1)
        idx = np.flatnonzero(keep)[thin(int(keep.sum()), 300)]
        cval = np.log10(np.where(np.isfinite(r[idx]), r[idx], rate_range[0]))
        data.append(
            {
                "type": "scatter",
                "x": p[idx, 0].astype(np.float32),
                "y": p[idx, 1].astype(np.float32),
                "mode": "lines+markers",
                "name": label,
                "line": {"color": INK, "dash": dash(i), "width": 1.4},
                "marker": {
                    "symbol": marker(i),
                    "size": 8,
                    "color": cval.astype(np.float32),
                    "coloraxis": "coloraxis",
                    "line": {"width": 0.6, "color": INK},
                },
                "customdata": np.stack([idx, r[idx]], axis=1).astype(np.float32),
                "hovertemplate": (
                    f"{label}<br>step %{{customdata[0]}}<br>rate %{{customdata[1]:.3g}}"
                    "<extra></extra>"
                ),
            }
        )
    if minimum is not None:
        data.append(
            {
                "type": "scatter",
                "x": [minimum[0]],
                "y": [minimum[1]],
                "mode": "markers",
                "marker": {"symbol": "star", "size": 16, "color": "#E69F00", "line": {"width": 1}},
                "name": "minimum",
                "showlegend": False,
                "hovertemplate": "minimum<extra></extra>",
            }
        )
    layout = {
        "coloraxis": {
            "colorscale": "Viridis",
            "cmin": lo,
            "cmax": hi,
            "colorbar": {
                "title": {"text": "rate", "side": "right"},
                "tickvals": ticks,
                "ticktext": [fmt.rate(10.0**t) for t in ticks],
                "thickness": 14,
                "len": 0.8,
            },
        },
        "xaxis": {"title": {"text": "x"}, "range": [gx[0], gx[-1]], "constrain": "domain"},
        # both axes keep their range and give up plot room instead: with x alone, the y range
        # grew to fill the plot and the contours sat in a band of empty axis
        "yaxis": {
            "title": {"text": "y"},
            "range": [gy[0], gy[-1]],
            "scaleanchor": "x",
            "scaleratio": 1,
            "constrain": "domain",
        },
    }
    return styled(data, layout, height=height, big=big)


def surface_rate_figure(
    rates: Sequence[np.ndarray],
    gaps: Sequence[np.ndarray],
    labels: Sequence[str],
    *,
    lines: Sequence[tuple[float, str]] = (),
    height: int = 480,
    big: bool = False,
) -> go.Figure:
    """The rate of every step (top, log y) and the loss gap f - f* (bottom, log y) of several
    runs over the same steps; ``lines`` are horizontal reference rates ``(value, label)``
    (e.g. 2/lambda_max) in the top panel."""
    data = []
    for i, (r, g, label) in enumerate(zip(rates, gaps, labels, strict=True)):
        steps = np.arange(np.asarray(r).shape[0])
        for row, y, name in ((1, positive(r), "rate"), (2, positive(g), "loss gap")):
            data.append(
                {
                    "type": "scatter",
                    "x": steps[1:] if row == 1 else steps,
                    "y": y[1:] if row == 1 else y,
                    "mode": "lines",
                    "name": label,
                    "legendgroup": label,
                    "showlegend": row == 1,
                    "line": run_line(i, 2.2),
                    "hovertemplate": f"{label}<br>step %{{x}}<br>{name} %{{y:.3g}}<extra></extra>",
                    "xaxis": "x" if row == 1 else "x2",
                    "yaxis": "y" if row == 1 else "y2",
                }
            )
    # labels at alternate ends: two limits close together (2/λmax and 1/λmin) overlapped
    marks = [_hline(value, text, right=i % 2 == 1) for i, (value, text) in enumerate(lines)]
    log = {"type": "log", "exponentformat": "power"}
    layout = {
        "xaxis": {"anchor": "y", "domain": [0.0, 1.0], "matches": "x2", "showticklabels": False},
        "yaxis": {
            "anchor": "x",
            "domain": [0.54, 1.0],
            "title": {"text": "learning rate"},
            **log,
        },
        "xaxis2": {"anchor": "y2", "domain": [0.0, 1.0], "title": {"text": "step"}},
        "yaxis2": {"anchor": "x2", "domain": [0.0, 0.46], "title": {"text": "loss − f*"}, **log},
        "shapes": [m[0] for m in marks],
        "annotations": [m[1] for m in marks],
    }
    return styled(data, layout, height=height, big=big)
