"""One look for every chart: a colour-blind-safe palette, a second cue per run, readable fonts.

Figure builders call :func:`style` on the figure they return; it does not import Streamlit, so
builders stay testable without a running app.  Lecture mode is passed in as ``big=True``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable

import plotly.graph_objects as go

#: Okabe & Ito (2008) colour-blind-safe palette, without yellow (poor contrast on white).
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#000000",  # black
)
#: The second cue: where colour encodes a run, so does the dash pattern and the marker.
DASHES: tuple[str, ...] = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot", "solid")
MARKERS: tuple[str, ...] = ("circle", "square", "diamond", "triangle-up", "x", "cross", "star")
GREY = "#7f7f7f"
FONT = "Source Sans Pro, Helvetica Neue, Arial, sans-serif"


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def dash(i: int) -> str:
    return DASHES[i % len(DASHES)]


def marker(i: int) -> str:
    return MARKERS[i % len(MARKERS)]


def run_line(i: int, width: float = 2.5) -> dict:
    """Line style for run ``i``: colour and dash together."""
    return {"color": color(i), "dash": dash(i), "width": width}


def run_marker(i: int, size: float = 6, **extra: object) -> dict:
    """Marker style for run ``i``: its colour and its own symbol (the second cue)."""
    return {"symbol": marker(i), "size": size, "color": color(i), **extra}


def _look(big: bool, height: int, legend: bool, titled: bool) -> tuple[dict, dict]:
    """The LR Lab look as plain dicts: ``(layout update, update of every x and y axis)``."""
    base = 20 if big else 14
    layout = {
        "height": int(height * (1.15 if big else 1.0)),
        "font": {"family": FONT, "size": base},
        "title": {"font": {"size": base + 4}},
        "margin": {"l": 10, "r": 10, "t": 50 if titled else 20, "b": 10},
        "legend": {
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.02,
            "xanchor": "left",
            "x": 0,
            "font": {"size": base - 1},
        },
        "showlegend": legend,
        "hoverlabel": {"font": {"size": base}},
        "colorway": list(PALETTE),
    }
    axis = {"automargin": True, "title": {"font": {"size": base}}, "tickfont": {"size": base - 2}}
    return layout, axis


def style(
    fig: go.Figure, *, height: int = 420, big: bool = False, legend: bool = True
) -> go.Figure:
    """Apply the LR Lab look in place and return the figure.

    No template or background colour is set: ``st.plotly_chart``'s Streamlit theme supplies
    them, so charts read in both the light and the dark theme.

    ``big`` (lecture mode) enlarges fonts and thickens lines for a projector.
    """
    layout, axis = _look(big, height, legend, bool(fig.layout.title.text))
    if not _merge_layout(fig, layout, lambda: copy.deepcopy(axis)):
        fig.update_layout(layout)
        fig.update_xaxes(axis)
        fig.update_yaxes(axis)
    if big:
        for trace in fig.data:
            line = getattr(trace, "line", None)
            if line is not None and "width" in line and line.width is not None:
                line.width = line.width * 1.6
            mk = getattr(trace, "marker", None)
            size = getattr(mk, "size", None) if mk is not None and "size" in mk else None
            if size is not None and not isinstance(size, tuple):
                try:
                    mk.size = float(mk.size) * 1.4
                except (TypeError, ValueError):
                    pass
    return fig


def _merge(into: dict, update: dict) -> dict:
    """``update`` merged into ``into`` (nested dicts merged, everything else replaced), as
    plotly's ``update_layout`` does."""
    for k, v in update.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict):
            _merge(into[k], v)
        else:
            into[k] = copy.deepcopy(v) if isinstance(v, dict) else v
    return into


_AXIS = re.compile(r"[xy]axis[0-9]*")


def _merge_layout(fig: go.Figure, layout: dict, axis: Callable[[], dict]) -> bool:
    """Write ``layout``, and ``axis()`` into every 2-D axis, straight into the figure's layout
    properties (the dict plotly keeps them in and reads them back from); False if this plotly
    keeps them elsewhere (the caller then takes the public, slow path).

    Same result as ``update_layout`` + ``update_xaxes`` + ``update_yaxes`` (tests/lessons/
    test_style.py compares the two), about a hundred times faster: those go through plotly's
    relayout machinery and validators key by key, 10-25 ms per figure, which was half the cost
    of building a figure (bench/bench_load.py --profile). The values are this module's own
    constants, so skipping their validation loses nothing."""
    props = fig.__dict__.get("_layout")
    if not isinstance(props, dict) or props is not fig.layout._props:
        return False
    _merge(props, copy.deepcopy(layout))
    for key in dict.fromkeys(["xaxis", "yaxis", *(k for k in props if _AXIS.fullmatch(k))]):
        if not isinstance(props.get(key), dict):
            props[key] = {}
        _merge(props[key], axis())
    return True


def styled(
    data: list[dict],
    layout: dict,
    *,
    height: int = 420,
    big: bool = False,
    legend: bool = True,
    then: dict | None = None,
) -> go.Figure:
    """A figure given as plain dicts (``data``: trace dicts, ``layout``), in the look of
    :func:`style`, validated once; ``then`` is a layout update applied after the look.

    The same figure as ``style(go.Figure(data, layout)).update_layout(then)``, in about a
    third of the time: plotly validates every property again at every ``update_*`` call, and
    a page that draws its figures on every rerun pays for each one.  ``data`` and ``layout``
    are not changed.
    """
    title = layout.get("title")
    titled = bool(title.get("text") if isinstance(title, dict) else title)
    look, axis = _look(big, height, legend, titled)
    out = _merge(copy.deepcopy(layout), look)
    names = {"xaxis", "yaxis"}
    names |= {k for k in out if k.startswith(("xaxis", "yaxis")) and k[5:].isdigit()}
    for name in sorted(names):
        out[name] = _merge(out.get(name) or {}, axis)
    traces = []
    for trace in data:
        t = dict(trace)
        if big:
            line = t.get("line")
            if isinstance(line, dict) and line.get("width") is not None:
                t["line"] = {**line, "width": line["width"] * 1.6}
            mk = t.get("marker")
            if isinstance(mk, dict) and mk.get("size") is not None:
                try:
                    t["marker"] = {**mk, "size": float(mk["size"]) * 1.4}
                except (TypeError, ValueError):
                    pass
        traces.append(t)
    if then:
        _merge(out, then)
    return go.Figure(data=traces, layout=out)


#: what the palette's black becomes on a dark background
DARK_INK = "#E6E6E6"


def for_dark(fig: go.Figure) -> go.Figure:
    """A copy of ``fig`` for Streamlit's dark theme: the palette's black (baselines, smoothed
    curves) turns light so it stays visible. Only lines, and markers drawn on lines, change:
    marker-only points (e.g. minima on a contour map, whose fill stays light) keep their ink.
    The original, which pages may cache and share, is left untouched."""
    ink = PALETTE[6].lower()
    out = go.Figure(fig)
    for trace in out.data:
        line = getattr(trace, "line", None)
        if line is not None and "color" in line and str(line.color).lower() == ink:
            line.color = DARK_INK
            mk = getattr(trace, "marker", None)
            if mk is not None and "color" in mk and str(mk.color).lower() == ink:
                mk.color = DARK_INK
    # dark text on white label boxes, and dark threshold lines, drawn by some builders
    for note in out.layout.annotations:
        if str(note.font.color).lower() in _DARK_TEXT:
            note.font.color = DARK_INK
        bg = str(note.bgcolor).replace(" ", "")
        if bg.startswith("rgba(255,255,255,"):
            note.bgcolor = "rgba(14,17,23," + bg.split(",")[-1]
    for shape in out.layout.shapes:
        if shape.line is not None and str(shape.line.color).lower() in _DARK_TEXT:
            shape.line.color = DARK_INK
    return out


_DARK_TEXT = {"#333", "#333333", "#000", "#000000", "black"}


def plot_config(filename: str) -> dict:
    """``st.plotly_chart`` config: a high-resolution PNG export for slides, no plotly logo."""
    return {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 3},
        "modeBarButtonsToRemove": ["lasso2d", "select2d"],
    }
