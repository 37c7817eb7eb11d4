"""Figure builders of *Four regimes* (and of any lesson that trains real models).

Arrays and labels in, ``plotly.graph_objects.Figure`` out; no Streamlit and no engine import, so
every builder is testable on its own and works for any record of K runs (the curves to draw come
from :mod:`lessons.four_regimes.curves`):

* :func:`thin`: at most ``n`` points of a long curve;
* :func:`loss_curve_figure`: loss against epochs or iterations (log y by default), one line per
  run, an ``x`` where a run diverged (at the loss of the minibatch that blew up, or at the top of
  the axis if that loss was infinite) with a note, and optional markers (e.g. validation loss);
* :func:`metric_curve_figure`: a metric per evaluation (e.g. validation accuracy) with a chance
  line;
* :func:`boundary_figure`: decision regions of K classifiers on a 2-feature data set, shaded by
  the confidence of the predicted class, with the data points on top.

A run is drawn with ``style.run_line(i)`` and ``style.marker(i)`` (colour plus dash plus
marker), where ``i`` is its position in ``styles`` (default ``0, 1, ...``), so the same run
keeps its look across charts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lessons.ui.style import GREY, color, marker, run_line, run_marker, style, styled

#: text positions for the notes beside divergence markers, used in turn so notes do not overlap
_NOTE_POS = ("middle right", "top right", "bottom right", "top center")


# ----------------------------------------------------------------------------- array helpers


def thin(n: int, max_points: int, keep: Sequence[int] = ()) -> np.ndarray:
    """Indices of at most about ``max_points`` evenly spaced points of ``range(n)``.

    The first and last index and every index in ``keep`` (e.g. where runs diverged) are
    always included.

    Examples
    --------
    >>> thin(10, 4).tolist()
    [0, 3, 6, 9]
    >>> thin(10, 4, keep=[4]).tolist()
    [0, 3, 4, 6, 9]
    """
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    if n <= max_points:
        idx = np.arange(n)
    else:
        idx = np.unique(np.linspace(0, n - 1, max(2, int(max_points))).round().astype(np.int64))
    extra = [int(k) for k in keep if 0 <= int(k) < n]
    return np.unique(np.concatenate([idx, np.array(extra, dtype=np.int64)]))


def log_y_range(values: Sequence[np.ndarray], *, pad: float = 0.08) -> tuple[float, float] | None:
    """``(lo, hi)`` in decades (plotly's log-axis units) covering the finite positive values."""
    parts = [np.asarray(v, dtype=np.float64).ravel() for v in values]
    allv = np.concatenate(parts) if parts else np.zeros(0)
    allv = allv[np.isfinite(allv) & (allv > 0)]
    if allv.size == 0:
        return None
    lo, hi = float(np.log10(allv.min())), float(np.log10(allv.max()))
    span = max(hi - lo, 0.3)
    return lo - pad * span, hi + pad * span


def _styles(styles: Sequence[int] | None, K: int) -> list[int]:
    s = list(range(K)) if styles is None else [int(i) for i in styles]
    if len(s) != K:
        raise ValueError(f"styles has {len(s)} entries for {K} runs")
    return s


def _check_labels(labels: Sequence[str], K: int) -> None:
    if len(labels) != K:
        raise ValueError(f"{len(labels)} labels for {K} runs")


# ----------------------------------------------------------------------------- loss curves


def loss_curve_figure(
    x: np.ndarray,
    losses: np.ndarray,
    labels: Sequence[str],
    *,
    diverged_at: Sequence[int] | np.ndarray | None = None,
    diverged_x: Sequence[float] | np.ndarray | None = None,
    blowup_values: Sequence[float] | np.ndarray | None = None,
    notes: Sequence[str] | None = None,
    overlay: tuple[np.ndarray, np.ndarray, str] | None = None,
    styles: Sequence[int] | None = None,
    x_title: str = "epoch",
    y_title: str = "training loss",
    log_y: bool = True,
    title: str | None = None,
    max_points: int = 1200,
    height: int = 440,
    big: bool = False,
) -> go.Figure:
    """Loss curves of K runs against ``x``, with divergence marked.

    Parameters
    ----------
    x : ndarray (T,)
        Position of every point (epochs, iterations, ...).
    losses : ndarray (K, T)
        What to draw per run; NaN where a run has no value (e.g. after it stopped).
    labels : sequence of str (K,)
    diverged_at : sequence of int (K,), optional
        Index into ``x`` where run ``k`` diverged, ``-1`` if it did not.
    diverged_x : sequence of float (K,), optional
        Where to put the ``x`` mark instead of ``x[diverged_at[k]]`` (e.g. when ``losses`` are
        per-epoch means but divergence is known to the iteration).
    blowup_values : sequence of float (K,), optional
        The loss at divergence (may be inf/NaN); the mark sits there, or at the top of the
        axis when it is not finite.  Default: ``losses[k, diverged_at[k]]``.
    notes : sequence of str (K,), optional
        Text beside each divergence mark, e.g. ``"diverged at iteration 7"``.
    overlay : (x_o (E,), values (K, E), name), optional
        Extra markers per run (same colour, the run's marker symbol), e.g. validation loss.
    styles : sequence of int (K,), optional
        Look of each run (``style.run_line(styles[k])``).
    log_y : bool
        Logarithmic loss axis (orders of magnitude matter).
    max_points : int
        Each curve is thinned to about this many points (divergence points kept).
    """
    x = np.asarray(x, dtype=np.float64)
    Y = np.atleast_2d(np.asarray(losses, dtype=np.float64))
    K, T = Y.shape
    if x.shape != (T,):
        raise ValueError(f"x has shape {x.shape}, the losses {Y.shape}")
    _check_labels(labels, K)
    st_ = _styles(styles, K)
    d_at = np.full(K, -1) if diverged_at is None else np.asarray(diverged_at, dtype=np.int64)
    if d_at.shape != (K,):
        raise ValueError("diverged_at needs one entry per run")
    idx = thin(T, max_points, keep=[int(d) for d in d_at if d >= 0])

    # where the divergence marks go
    marks: list[tuple[int, float, float]] = []  # (run, x, y or nan = top of the axis)
    for k in range(K):
        d = int(d_at[k])
        if d < 0:
            continue
        if diverged_x is not None:
            xm = float(diverged_x[k])
        else:
            xm = float(x[d]) if d < T else float(x[-1])
        if blowup_values is not None:
            ym = float(blowup_values[k])
        else:
            ym = float(Y[k, d]) if d < T else np.nan
        marks.append((k, xm, ym))

    scale_values = [Y[:, idx]]
    if overlay is not None:
        scale_values.append(np.asarray(overlay[1], dtype=np.float64))
    scale_values.append(np.array([m[2] for m in marks]))
    has_top = any(not np.isfinite(m[2]) for m in marks)
    y_range = None
    if log_y:
        y_range = log_y_range(scale_values)
        if y_range is not None and has_top:
            y_range = (y_range[0], y_range[1] + 0.6)  # room at the top for "∞"
    else:
        vals = np.concatenate([np.asarray(v, dtype=np.float64).ravel() for v in scale_values])
        vals = vals[np.isfinite(vals)]
        if vals.size:
            lo, hi = float(vals.min()), float(vals.max())
            span = max(hi - lo, 1e-9)
            y_range = (lo - 0.05 * span, hi + (0.2 if has_top else 0.05) * span)
    top = None
    if y_range is not None:
        top = 10 ** (y_range[1] - 0.12) if log_y else y_range[1] - 0.04 * (y_range[1] - y_range[0])

    ends = {k: (xm, top if not np.isfinite(ym) else ym) for k, xm, ym in marks}
    data: list[dict] = []
    for k in range(K):
        i = st_[k]
        xs, ys = x[idx], Y[k, idx]
        if k in ends and ends[k][1] is not None:
            # a diverged run: its line runs on to the blow-up mark
            keep = np.isfinite(ys)
            xs, ys = xs[keep], ys[keep]
            if xs.size == 0 or ends[k][0] >= xs[-1]:
                xs = np.append(xs, ends[k][0])
                ys = np.append(ys, ends[k][1])
        data.append(
            dict(
                type="scatter",
                x=xs,
                y=ys,
                mode="lines",
                name=labels[k],
                legendgroup=f"run{k}",
                line=run_line(i),
                connectgaps=False,
                hovertemplate=f"{labels[k]}<br>{x_title} %{{x:.3g}}<br>{y_title} %{{y:.4g}}"
                "<extra></extra>",
            )
        )
    if overlay is not None:
        xo = np.asarray(overlay[0], dtype=np.float64)
        Vo = np.atleast_2d(np.asarray(overlay[1], dtype=np.float64))
        if Vo.shape != (K, xo.shape[0]):
            raise ValueError("overlay values must have shape (K, len(x_o))")
        for k in range(K):
            i = st_[k]
            data.append(
                dict(
                    type="scatter",
                    x=xo,
                    y=Vo[k],
                    mode="markers",
                    name=f"{labels[k]}: {overlay[2]}",
                    legendgroup=f"run{k}",
                    showlegend=False,
                    marker={
                        "symbol": marker(i),
                        "size": 8,
                        "color": color(i),
                        "line": {"width": 1, "color": "white"},
                    },
                    hovertemplate=f"{labels[k]}<br>{x_title} %{{x:.3g}}<br>{overlay[2]} "
                    "%{y:.4g}<extra></extra>",
                )
            )
        data.append(
            dict(
                type="scatter",
                x=[None],
                y=[None],
                mode="markers",
                name=f"markers: {overlay[2]}",
                marker={"symbol": "circle", "size": 8, "color": GREY},
            )
        )
    for j, (k, xm, ym) in enumerate(marks):
        i = st_[k]
        on_top = not np.isfinite(ym)
        y_show = top if on_top else ym
        if y_show is None:
            continue
        note = notes[k] if notes is not None else "diverged"
        text = f"{note} (loss ∞)" if on_top else note
        data.append(
            dict(
                type="scatter",
                x=[xm],
                y=[y_show],
                mode="markers+text",
                name=f"{labels[k]}: {note}",
                legendgroup=f"run{k}",
                showlegend=False,
                marker={"symbol": "x", "size": 16, "color": color(i), "line": {"width": 1}},
                text=[text],
                textposition=_NOTE_POS[j % len(_NOTE_POS)],
                textfont={"color": color(i)},
                hovertemplate=f"{labels[k]}: {text}<extra></extra>",
            )
        )
    yaxis: dict = {"title": {"text": y_title + (" (log scale)" if log_y else "")}}
    if log_y:
        yaxis["type"] = "log"
        if y_range is not None and y_range[1] - y_range[0] > 2.0:
            yaxis["dtick"] = 1  # one label per decade: no clutter of 2s and 5s
    if y_range is not None:
        yaxis["range"] = list(y_range)
    layout = {"xaxis": {"title": {"text": x_title}, "rangemode": "tozero"}, "yaxis": yaxis}
    if title:
        layout["title"] = {"text": title}
    return styled(data, layout, height=height, big=big)


# ----------------------------------------------------------------------------- metrics


def metric_curve_figure(
    x: np.ndarray,
    values: np.ndarray,
    labels: Sequence[str],
    *,
    y_title: str = "validation accuracy",
    x_title: str = "epoch",
    percent: bool = True,
    chance: float | None = None,
    y_range: tuple[float, float] | None = (0.0, 1.0),
    styles: Sequence[int] | None = None,
    title: str | None = None,
    height: int = 380,
    big: bool = False,
) -> go.Figure:
    """A metric per evaluation (e.g. validation accuracy), lines with the run's markers.

    Parameters
    ----------
    x : ndarray (E,)
    values : ndarray (K, E)
        NaN where a run has no value (it had stopped): its line simply ends.
    chance : float, optional
        Draw a dotted grey line at this value (e.g. ``1 / n_classes``).
    percent : bool
        Show the axis as a percentage (values are fractions).
    """
    x = np.asarray(x, dtype=np.float64)
    V = np.atleast_2d(np.asarray(values, dtype=np.float64))
    K, E = V.shape
    if x.shape != (E,):
        raise ValueError(f"x has shape {x.shape}, the values {V.shape}")
    _check_labels(labels, K)
    st_ = _styles(styles, K)
    data: list[dict] = []
    fmt = ".1%" if percent else ".4g"
    for k in range(K):
        i = st_[k]
        data.append(
            dict(
                type="scatter",
                x=x,
                y=V[k],
                mode="lines+markers",
                name=labels[k],
                line=run_line(i),
                marker=run_marker(i, 8),
                hovertemplate=f"{labels[k]}<br>{x_title} %{{x:.3g}}<br>{y_title} %{{y:{fmt}}}"
                "<extra></extra>",
            )
        )
    if chance is not None and x.size:
        data.append(
            dict(
                type="scatter",
                x=[float(x.min()), float(x.max())],
                y=[chance, chance],
                mode="lines",
                name=f"chance ({chance:.0%})" if percent else f"chance ({chance:.3g})",
                line={"color": GREY, "dash": "dot", "width": 1.5},
                hoverinfo="skip",
            )
        )
    yaxis: dict = {"title": {"text": y_title}}
    if percent:
        yaxis["tickformat"] = ".0%"
    if y_range is not None:
        lo, hi = y_range
        pad = 0.03 * (hi - lo)
        yaxis["range"] = [lo - pad, hi + pad]
    layout = {"xaxis": {"title": {"text": x_title}, "rangemode": "tozero"}, "yaxis": yaxis}
    if title:
        layout["title"] = {"text": title}
    return styled(data, layout, height=height, big=big)


# ----------------------------------------------------------------------------- decision regions


def _hex_rgb(c: str) -> tuple[int, int, int]:
    c = c.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def _tint(c: str, amount: float) -> str:
    """Colour ``c`` mixed with white: amount 0 = white, 1 = the colour."""
    r, g, b = _hex_rgb(c)
    mix = [round(255 - amount * (255 - v)) for v in (r, g, b)]
    return f"rgb({mix[0]},{mix[1]},{mix[2]})"


def region_colorscale(n_classes: int, *, strength: float = 0.55) -> list[list]:
    """A colour scale for ``z = class + confidence`` (see :func:`region_values`).

    Each class owns the band ``[c, c + 1)`` of z, from almost white (confidence 0: no better
    than chance) to a light tint of ``style.color(c)`` (confidence 1).
    """
    C = int(n_classes)
    scale: list[list] = []
    for c in range(C):
        lo, hi = c / C, (c + 1) / C
        scale.append([lo, _tint(color(c), 0.06)])
        scale.append([hi - 1e-6 if c < C - 1 else hi, _tint(color(c), strength)])
    return scale


def region_values(proba: np.ndarray) -> np.ndarray:
    """``class + confidence`` per grid point from probabilities ``(..., C)``.

    Confidence rescales the winning probability from chance (``1/C``) to certainty (1) onto
    ``[0, 0.999]``; non-finite probabilities give NaN (drawn blank).
    """
    P = np.asarray(proba, dtype=np.float64)
    C = P.shape[-1]
    ok = np.all(np.isfinite(P), axis=-1)
    Pz = np.where(np.isfinite(P), P, 0.0)
    cls = np.argmax(Pz, axis=-1)
    pmax = np.max(Pz, axis=-1)
    conf = np.clip((pmax - 1.0 / C) / (1.0 - 1.0 / C), 0.0, 0.999)
    return np.where(ok, cls + conf, np.nan)


def boundary_figure(
    gx: np.ndarray,
    gy: np.ndarray,
    proba: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    titles: Sequence[str],
    *,
    blank: Sequence[str | None] | None = None,
    class_names: Sequence[str] | None = None,
    cols: int = 2,
    height_per_row: int = 300,
    big: bool = False,
) -> go.Figure:
    """Decision regions of K classifiers over a 2-D grid, one panel each, data on top.

    Parameters
    ----------
    gx : ndarray (Gx,), gy : ndarray (Gy,)
        Grid coordinates along the first and second feature.
    proba : ndarray (K, Gy, Gx, C)
        Class probabilities at every grid point (row ``j`` is ``gy[j]``).
    X : ndarray (N, 2), y : ndarray (N,) of int
        Points to draw (colour and marker symbol by class).
    titles : sequence of str (K,)
        Panel titles.
    blank : sequence of (str or None) (K,), optional
        A message instead of the regions (e.g. for a diverged run: its weights mean nothing).
    cols : int
        Panels per row.
    """
    P = np.asarray(proba, dtype=np.float64)
    if P.ndim != 4:
        raise ValueError("proba must have shape (K, Gy, Gx, C)")
    K, Gy, Gx, C = P.shape
    gx = np.asarray(gx, dtype=np.float64)
    gy = np.asarray(gy, dtype=np.float64)
    if gx.shape != (Gx,) or gy.shape != (Gy,):
        raise ValueError("grid coordinates do not match proba")
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2 or y.shape != (X.shape[0],):
        raise ValueError("X must be (N, 2) and y (N,)")
    _check_labels(titles, K)
    names = list(class_names) if class_names is not None else [f"class {c}" for c in range(C)]
    cols = max(1, min(int(cols), K))
    rows = -(-K // cols)
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=list(titles),
        horizontal_spacing=0.04,
        vertical_spacing=0.12 / max(rows - 1, 1) if rows > 1 else 0.0,
        shared_xaxes=True,
        shared_yaxes=True,
    )
    scale = region_colorscale(C)
    Z = region_values(P).astype(np.float32)  # plenty for a colour; half the bytes sent
    base = 20 if big else 14
    for k in range(K):
        r, c = k // cols + 1, k % cols + 1
        msg = blank[k] if blank is not None else None
        if msg is None:
            fig.add_trace(
                go.Heatmap(
                    x=gx,
                    y=gy,
                    z=Z[k],
                    zmin=0.0,
                    zmax=float(C),
                    colorscale=scale,
                    showscale=False,
                    hovertemplate="x₁ %{x:.2f}, x₂ %{y:.2f}<extra></extra>",
                ),
                row=r,
                col=c,
            )
        else:
            xref = "x domain" if k == 0 else f"x{k + 1} domain"
            yref = "y domain" if k == 0 else f"y{k + 1} domain"
            fig.add_annotation(
                text=msg,
                x=0.5,
                y=0.5,
                xref=xref,
                yref=yref,
                showarrow=False,
                font={"size": base - 1, "color": GREY},
                bgcolor="rgba(255,255,255,0.8)",
            )
        for cl in range(C):
            m = y == cl
            fig.add_trace(
                go.Scatter(
                    x=X[m, 0],
                    y=X[m, 1],
                    mode="markers",
                    name=names[cl],
                    legendgroup=f"class{cl}",
                    showlegend=k == 0,
                    marker={
                        "symbol": marker(cl),
                        "size": 6,
                        "color": color(cl),
                        "line": {"width": 0.5, "color": "white"},
                    },
                    hoverinfo="skip",
                ),
                row=r,
                col=c,
            )
    fig.update_xaxes(range=[float(gx.min()), float(gx.max())], showticklabels=False)
    fig.update_yaxes(
        range=[float(gy.min()), float(gy.max())], showticklabels=False, scaleanchor=None
    )
    fig.update_annotations(font_size=base - 2)
    return style(
        fig,
        height=height_per_row * rows + 60,
        big=big,
        then={
            "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
            "legend": {"yanchor": "top", "y": -0.02, "xanchor": "left", "x": 0},
        },
    )
