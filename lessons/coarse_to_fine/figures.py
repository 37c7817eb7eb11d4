"""Figure builders of "Coarse-to-fine search": final loss against the learning rate for both
stages (with the pick, the refined interval and, optionally, the brute-force full grid), the
cost of each strategy, and the rungs of successive halving.  No Streamlit here.

Every builder takes plain arrays (and the model's statuses) and returns a styled
``plotly.graph_objects.Figure``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from engine import fmt
from lessons.coarse_to_fine.model import STALL_DROP, Fate, Status
from lessons.ui.style import GREY, color, styled, wrap_words

__all__ = [
    "log_range",
    "log_ticks",
    "search_figure",
    "cost_figure",
    "halving_figure",
]

#: per stage: (colour index, marker of a learning run, marker of a stalled run)
_STAGE_LOOK = ((0, "circle", "circle-open"), (1, "square", "square-open"))
#: per halving status: (legend name, colour, marker, size)
_RUNG_LOOK = {
    Fate.PROMOTED: ("promoted to the next rung", color(2), "circle", 11),
    Fate.DROPPED: ("dropped (worse than the survivors)", GREY, "circle-open", 10),
    Fate.NO_GAIN: ("dropped: no better than untrained", color(4), "triangle-down-open", 11),
    Fate.DIVERGED: ("dropped: diverged", color(1), "x", 11),
    Fate.WINNER: ("the winner", color(2), "star", 18),
}
_fmt_lr = fmt.rate
#: the cost bars' parts: grey for the full grid, then colours that read on light and dark
#: backgrounds (not the palette's black)
_BAR_COLOURS = (GREY, color(4), color(5), color(3), color(0))
#: the row labels of the cost and halving charts wrap after about this many characters
ROW_LABEL_CHARS = 12


def log_range(values: Sequence[np.ndarray], *, pad: float = 0.06) -> tuple[float, float]:
    """A log10 axis range around the finite, positive values of ``values`` (padded by ``pad``
    of its width, at least 0.05 decades each side); ``(-1, 1)`` if there are none.

    Examples
    --------
    >>> log_range([np.array([0.1, 10.0, np.inf, np.nan])], pad=0.0)
    (-1.05, 1.05)
    """
    parts = [np.asarray(v, dtype=np.float64).ravel() for v in values]
    allv = np.concatenate(parts) if parts else np.array([])
    allv = allv[np.isfinite(allv) & (allv > 0)]
    if allv.size == 0:
        return (-1.0, 1.0)
    lo, hi = float(np.log10(allv.min())), float(np.log10(allv.max()))
    p = max(pad * (hi - lo), 0.05)
    return (lo - p, hi + p)


def log_ticks(lo: float, hi: float, *, labels=None) -> tuple[list[float], list[str]]:
    """Tick values and labels for a log axis spanning ``10**lo ... 10**hi``: every decade when
    the span is wide, else 1-2-5 (or finer) mantissas, so there are at least three ticks
    (empty lists, i.e. plotly's own ticks, for a span too narrow for two of them).

    Examples
    --------
    >>> log_ticks(-7.2, 0.2)[1]
    ['1e-7', '1e-6', '1e-5', '1e-4', '0.001', '0.01', '0.1', '1']
    >>> log_ticks(-0.6, 0.1)[1]
    ['0.3', '0.5', '1']
    """
    name = labels or _fmt_lr
    for mantissas in ((1,), (1, 2, 5), (1, 2, 3, 5), (1, 1.5, 2, 3, 4, 5, 6, 8)):
        vals = [
            m * 10.0**e
            for e in range(math.floor(lo) - 1, math.ceil(hi) + 1)
            for m in mantissas
            if lo <= math.log10(m * 10.0**e) <= hi
        ]
        if len(vals) >= 3 or (mantissas == (1,) and hi - lo >= 2.5 and len(vals) >= 2):
            break
    if len(vals) < 2:  # narrower than these mantissas: leave the ticks to plotly
        return [], []
    return vals, [name(v) for v in vals]


def _y_fmt(v: float) -> str:
    return fmt.num(v)


def _ticks(axis: dict, lo: float, hi: float, labels=None) -> dict:
    """``axis`` with readable ticks on a log axis ("1e-7", "0.001", "1"; "0.15", "0.2")
    where they fit (plotly's own otherwise)."""
    vals, text = log_ticks(lo, hi, labels=labels)
    return {**axis, "tickvals": vals, "ticktext": text} if vals else axis


# ----------------------------------------------------------------------------- figures


def search_figure(
    stages: Sequence[tuple[str, np.ndarray, np.ndarray, np.ndarray]],
    *,
    pick: tuple[float, float] | None,
    interval: tuple[float, float] | None = None,
    full: tuple[np.ndarray, np.ndarray] | None = None,
    full_name: str = "full fine grid, all data",
    y_title: str = "final validation loss",
    zoom: tuple[float, float] | None = None,
    big: bool = False,
) -> go.Figure:
    """Final loss against the learning rate (log x, log y) for each search stage.

    Parameters
    ----------
    stages : sequence of (name, lrs, final_loss, status)
        At most two stages (stage 1 circles, stage 2 squares, each in its own colour);
        ``status`` from :func:`~lessons.coarse_to_fine.model.classify`.  A stalled run is drawn
        hollow, a diverged one as an ``x`` at the top edge (named in the legend).
    pick : (lr, loss) or None
        The chosen rate, a large star with its value written beside it.
    interval : (lo, hi), optional
        The range stage 2 searched, shaded.
    full : (lrs, final_loss), optional
        The brute-force baseline, a thin grey line behind everything (diverged points leave a
        gap).
    zoom : (lo, hi), optional
        Show only this range of rates (a close-up of stage 2): the axes fit the points inside
        it, the interval is shaded without a label, and the legend is left to the full view.
    """
    if len(stages) > len(_STAGE_LOOK):
        raise ValueError(f"at most {len(_STAGE_LOOK)} stages")
    pairs = [
        (np.asarray(s[1], dtype=np.float64), np.asarray(s[2], dtype=np.float64)) for s in stages
    ]
    if full is not None:
        pairs.append((np.asarray(full[0], dtype=np.float64), np.asarray(full[1], dtype=np.float64)))
    if zoom is not None:
        xlo, xhi = log_range([np.asarray(zoom, dtype=np.float64)], pad=0.08)
        inside = [y[(x >= 10**xlo) & (x <= 10**xhi)] for x, y in pairs]
        ylo, yhi = log_range(inside, pad=0.1)
    else:
        xlo, xhi = log_range([x for x, _ in pairs], pad=0.04)
        ylo, yhi = log_range([y for _, y in pairs])
    span = yhi - ylo
    yhi += 0.12 * span  # head room for the "diverged" marks
    ylo -= 0.06 * span  # and foot room for the star of the pick
    top = 10 ** (yhi - 0.05 * (yhi - ylo))

    data: list[dict] = []
    layout: dict = {}
    if interval is not None:
        layout["shapes"] = [
            {
                "type": "rect",
                "xref": "x",
                "yref": "y domain",
                "x0": interval[0],
                "x1": interval[1],
                "y0": 0,
                "y1": 1,
                "fillcolor": color(1),
                "opacity": 0.10,
                "line": {"width": 0},
                "layer": "below",
            }
        ]
        if zoom is None:  # named in the legend: a label on the chart collided with the ×s
            data.append(
                {
                    "type": "scatter",
                    "x": [None],
                    "y": [None],
                    "mode": "markers",
                    "name": "stage 2 searched here (shaded)",
                    "marker": {"symbol": "square", "size": 14, "color": color(1), "opacity": 0.3},
                    "hoverinfo": "skip",
                }
            )
    if full is not None:
        fl = np.asarray(full[1], dtype=np.float64)
        data.append(
            {
                "type": "scatter",
                "x": np.asarray(full[0], dtype=np.float64),
                "y": np.where(np.isfinite(fl), fl, np.nan),
                "mode": "lines",
                "name": full_name,
                "line": {"color": GREY, "width": 1.5},
                "connectgaps": False,
                "hovertemplate": "lr %{x:.3g}<br>loss %{y:.3f}<extra>full grid</extra>",
            }
        )
    for i, (name, lrs, loss, status) in enumerate(stages):
        ci, sym, sym_open = _STAGE_LOOK[i]
        x = np.asarray(lrs, dtype=np.float64)
        y = np.asarray(loss, dtype=np.float64)
        st_ = np.asarray(status, dtype=object)
        ok = st_ != Status.DIVERGED
        data.append(  # the curve through the finite points, learning or stalled
            {
                "type": "scatter",
                "x": x[ok],
                "y": y[ok],
                "mode": "lines+markers",
                "name": name,
                "line": {"color": color(ci), "width": 2, "dash": "dot" if i == 0 else "solid"},
                "marker": {
                    "color": color(ci),
                    "size": 11 if i == 0 else 10,
                    "symbol": [sym_open if s == Status.STALLED else sym for s in st_[ok]],
                    "line": {"width": 2, "color": color(ci)},
                },
                "hovertemplate": "lr %{x:.3g}<br>loss %{y:.3f}<extra>" + name + "</extra>",
            }
        )
        stalled = st_ == Status.STALLED
        if stalled.any():
            data.append(  # a legend entry for the hollow marks
                {
                    "type": "scatter",
                    "x": x[stalled],
                    "y": y[stalled],
                    "mode": "markers",
                    "name": f"{name.split(':')[0]}: stalled (loss fell < {fmt.pct(STALL_DROP)})",
                    "marker": {"color": color(ci), "size": 11, "symbol": sym_open},
                    "hoverinfo": "skip",
                }
            )
        if (~ok).any():
            n_bad = int((~ok).sum())
            data.append(  # named in the legend ("stage 1: diverged"); words on the chart ran
                {  # into each other and off its right edge
                    "type": "scatter",
                    "x": x[~ok],
                    "y": np.full(n_bad, top),
                    "mode": "markers",
                    "name": f"{name.split(':')[0]}: diverged",
                    "marker": {"color": color(ci), "size": 14, "symbol": "x"},
                    "hovertemplate": "lr %{x:.3g}: diverged<extra></extra>",
                }
            )
    if pick is not None and np.isfinite(pick[0]) and np.isfinite(pick[1]):
        # its value above the curves with a short line down to the star, on a see-through
        # white box: written beside the star it sat on stage 2's squares, which crowd around
        # the pick, and stage 1's line may pass behind it
        layout["annotations"] = [
            {
                "x": math.log10(pick[0]),
                "y": math.log10(pick[1]),
                "text": f"pick: {_fmt_lr(pick[0])}",
                "showarrow": True,
                "arrowhead": 0,
                "arrowwidth": 1.5,
                "arrowcolor": color(2),
                "ax": -40,
                "ay": -55 if big else -45,
                "font": {"color": color(2), "size": 22 if big else 16},
                "bgcolor": "rgba(255,255,255,0.85)",
            }
        ]
        data.append(
            {
                "type": "scatter",
                "x": [pick[0]],
                "y": [pick[1]],
                "mode": "markers",
                "name": f"the pick: lr = {_fmt_lr(pick[0])}",
                "marker": {
                    "color": color(2),
                    "size": 22,
                    "symbol": "star",
                    "line": {"width": 1, "color": "#000000"},
                },
                "hovertemplate": "pick: lr %{x:.3g}<br>loss %{y:.3f}<extra></extra>",
            }
        )
    layout["xaxis"] = _ticks(
        {"type": "log", "title": {"text": "learning rate (log scale)"}, "range": [xlo, xhi]},
        xlo,
        xhi,
    )
    layout["yaxis"] = _ticks(
        {"type": "log", "title": {"text": f"{y_title} (log scale)"}, "range": [ylo, yhi]},
        ylo,
        yhi,
        _y_fmt,
    )
    if zoom is not None:
        return styled(data, layout, height=320, big=big, legend=False)
    # a projector's first screen (1280 x 720) holds the whole chart under the title
    return styled(data, layout, height=400 if big else 440, big=big)


def cost_figure(
    labels: Sequence[str],
    parts: Sequence[tuple[str, Sequence[float]]],
    *,
    reference: float,
    x_title: str = "examples processed",
    big: bool = False,
) -> go.Figure:
    """Horizontal stacked bars: the cost of each strategy, split into its parts.

    Parameters
    ----------
    labels : sequence of str
        One bar per strategy, drawn top to bottom in this order.
    parts : sequence of (name, values)
        Each part's value for every bar (0 where it does not apply); colour plus a fill
        pattern tell the parts apart.
    reference : float
        The cost that is 100 % (the full grid): each bar ends with its share of it.
    """
    n = len(labels)
    values = []
    for name, v in parts:
        arr = np.asarray(v, dtype=np.float64)
        if arr.shape != (n,):
            raise ValueError(f"part {name!r} needs {n} values")
        values.append(arr)
    totals = np.sum(values, axis=0) if values else np.zeros(n)
    top = float(totals.max()) if n else 1.0
    patterns = ("", "/", ".", "x", "-")
    data = [
        {
            "type": "bar",
            "y": list(labels),
            "x": v,
            "name": name,
            "orientation": "h",
            "marker": {
                "color": _BAR_COLOURS[j % len(_BAR_COLOURS)],
                "pattern": {"shape": patterns[j % len(patterns)]},
            },
            "hovertemplate": "%{y}<br>" + name + ": %{x:,.0f}<extra></extra>",
        }
        for j, ((name, _), v) in enumerate(zip(parts, values, strict=True))
    ]
    data.append(
        {
            "type": "scatter",
            "y": list(labels),
            "x": totals,
            "mode": "text",
            "text": [f"  {fmt.pct(t / reference)}" if reference > 0 else "" for t in totals],
            "textposition": "middle right",
            "showlegend": False,
            "hoverinfo": "skip",
        }
    )
    layout = {
        "barmode": "stack",
        "legend": {"traceorder": "normal"},
        # room right of the longest bar for its share ("100%"), also in lecture mode on a phone
        "xaxis": {
            "title": {"text": x_title},
            "range": [0, (1.6 if big else 1.32) * top],
            "tickformat": "~s",
        },
        "yaxis": _rows(labels),
    }
    return styled(data, layout, height=120 + 55 * n, big=big)


def halving_figure(
    rungs: Sequence[tuple[str, np.ndarray, np.ndarray]],
    *,
    big: bool = False,
) -> go.Figure:
    """Which candidate rates survived each rung of successive halving.

    Parameters
    ----------
    rungs : sequence of (label, lrs, status)
        One row per rung (top to bottom); ``status`` per rate: a
        :class:`~lessons.coarse_to_fine.model.Fate`.
    """
    labels = [r[0] for r in rungs]
    data = []
    for kind, (name, col, sym, size) in _RUNG_LOOK.items():
        xs, ys = [], []
        for label, lrs, status in rungs:
            m = np.asarray(status, dtype=object) == kind
            xs.extend(np.asarray(lrs, dtype=np.float64)[m].tolist())
            ys.extend([label] * int(m.sum()))
        if not xs:
            continue
        data.append(
            {
                "type": "scatter",
                "x": xs,
                "y": ys,
                "mode": "markers",
                "name": name,
                "marker": {
                    "color": col,
                    "size": size,
                    "symbol": sym,
                    "line": {"width": 2 if "open" in sym or sym == "x" else 1, "color": col},
                },
                "hovertemplate": "lr %{x:.3g}<extra>" + name + "</extra>",
            }
        )
    xlo, xhi = log_range([np.asarray(r[1], dtype=np.float64) for r in rungs], pad=0.04)
    layout = {
        "xaxis": _ticks(
            {"type": "log", "title": {"text": "learning rate (log scale)"}, "range": [xlo, xhi]},
            xlo,
            xhi,
        ),
        "yaxis": {"type": "category", "categoryorder": "array", **_rows(labels)},
    }
    return styled(data, layout, height=170 + 60 * len(rungs), big=big)


def _rows(labels: Sequence[str]) -> dict:
    """A category y axis with one row per label, top to bottom, each label wrapped onto short
    lines: on one line the labels took half a phone's width and left the plot too narrow for
    its x title and the bars' percentages (in lecture mode)."""
    return {
        "categoryarray": list(labels),
        "tickvals": list(labels),
        "ticktext": [wrap_words(label, ROW_LABEL_CHARS) for label in labels],
        "autorange": "reversed",
    }
