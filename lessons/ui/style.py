"""One look for every chart: a colour-blind-safe palette, a second cue per run, readable fonts.

Figure builders call :func:`style` on the figure they return; it does not import Streamlit, so
builders stay testable without a running app.  Lecture mode is passed in as ``big=True``.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable, Sequence

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
#: the app's own font first ("Source Sans", which Streamlit loads for its text), so charts read
#: like the page around them and as narrow on every machine; then the usual fallbacks
FONT = '"Source Sans", "Source Sans Pro", "Helvetica Neue", Arial, sans-serif'

#: lecture mode: no chart text (ticks, legend, notes, colour bars) under this many px, so it
#: reads from the back of a hall (the browser test's limit)
MIN_BIG_PX = 18
#: a log axis labels its powers of ten "10⁻³" at 1.25 x the tick font with the exponent at 70 %
#: of that (plotly): in lecture mode such an axis gets a tick font whose exponent is
#: ``MIN_BIG_PX`` at least
POWER_TICK_BIG_PX = math.ceil(MIN_BIG_PX / (1.25 * 0.7))
#: a legend entry longer than this many characters wraps (at ", ", ": ", " (" or a space): one
#: entry must fit a 390 px phone (legend font 13 px; 19 px in lecture mode)
LEGEND_CHARS = {False: 46, True: 32}
#: trace types whose colour bar :func:`style` sizes like the axes
_COLORBAR_TRACES = frozenset(
    {"heatmap", "contour", "surface", "histogram2d", "histogram2dcontour", "mesh3d", "cone",
     "streamtube", "volume", "isosurface"}
)  # fmt: skip


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


def note_size(big: bool = False) -> int:
    """The font size of words written on a chart (labels beside lines and marks): the tick
    labels' size, 18 px in lecture mode."""
    return _base(big) - 2


def _base(big: bool) -> int:
    return 20 if big else 14


def _look(big: bool, height: int, legend: bool, titled: bool) -> tuple[dict, dict]:
    """The LR Lab look as plain dicts: ``(layout update, update of every x and y axis)``."""
    base = _base(big)
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
    fig: go.Figure,
    *,
    height: int = 420,
    big: bool = False,
    legend: bool = True,
    then: dict | None = None,
) -> go.Figure:
    """Apply the LR Lab look in place and return the figure.

    No template or background colour is set: ``st.plotly_chart``'s Streamlit theme supplies
    them, so charts read in both the light and the dark theme.

    ``big`` (lecture mode) enlarges fonts and thickens lines for a projector. ``then`` is a
    layout update applied after the look (e.g. the legend under the chart), before what
    depends on the finished layout (:func:`_finish`).
    """
    layout, axis = _look(big, height, legend, bool(fig.layout.title.text))
    fast = _merge_layout(fig, layout, lambda: copy.deepcopy(axis))
    if not fast:
        fig.update_layout(layout)
        fig.update_xaxes(axis)
        fig.update_yaxes(axis)
    if then:
        fig.update_layout(then)
    traces, update = _finish(fig.data, fig.layout, big)
    for trace, patch in zip(fig.data, traces, strict=True):
        if patch:
            trace.update(patch)
    notes = update.pop("annotations", None)
    if fast:  # this module's own constants, as in _merge_layout
        _merge(fig.layout._props, update)
    elif update:
        fig.update_layout(update)
    for note, patch in zip(fig.layout.annotations, notes or (), strict=False):
        if patch:
            note.update(patch)
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


#: free space at the top of a figure, where the chart's toolbar appears over it
TOOLBAR_PX = 40


def legend_below(y: float = -0.2) -> dict:
    """A layout update (for :func:`styled`'s ``then``) that puts the legend under the plot,
    left-aligned at ``y`` (a share of the plot's height), with room at the top for the chart's
    toolbar: on a phone a legend on top would sit under the toolbar (which appears at the top
    right) and push the plot down."""
    return {
        "legend": {"y": y, "yanchor": "top", "x": 0, "xanchor": "left"},
        "margin": {"t": TOOLBAR_PX, "b": 10},
    }


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
    patches, update = _finish(traces, out, big)
    for t, patch in zip(traces, patches, strict=True):
        for k, v in patch.items():
            t[k] = _merge(copy.deepcopy(t.get(k)) or {}, v) if isinstance(v, dict) else v
    notes = update.pop("annotations", None)
    _merge(out, update)
    for note, patch in zip(out.get("annotations") or (), notes or (), strict=False):
        _merge(note, patch)
    return go.Figure(data=traces, layout=out)


def _get(obj: object, *path: str) -> object:
    """``obj[path[0]][path[1]]...`` of a dict or a plotly object, None where unset or unknown."""
    for key in path:
        if obj is None:
            return None
        if isinstance(obj, dict):
            obj = obj.get(key)
            continue
        try:
            obj = obj[key]
        except (KeyError, ValueError, TypeError):
            return None
    return obj


def _finish(traces: Sequence, layout: object, big: bool) -> tuple[list[dict], dict]:
    """What every figure needs once its content is known, as updates: ``(one patch per trace,
    layout update)``; the update's ``annotations`` is one patch per annotation.

    * legend entries too long for a phone wrap onto two lines (:func:`wrap_words`);
    * a legend under the plot (``y < 0``, in plot heights) is placed at the bottom of the
      figure instead, under the x-axis title whatever the plot's height: on a phone, where
      the plot is squeezed, a legend some plot heights below it landed on the axis title;
    * colour bars get the axes' font sizes (Streamlit's theme draws them at 12 px);
    * in lecture mode nothing is under ``MIN_BIG_PX``: notes and text beside marks are raised
      to it, a log axis drops its small "2 ... 9" labels between the powers of ten (drawn at
      75 % of the tick font) and, when it writes "10⁻³", gets a tick font big enough for the
      exponent.
    """
    base = _base(big)
    bar = {"tickfont": {"size": base - 2}, "title": {"font": {"size": base}}}
    shown = _get(layout, "showlegend") is not False
    patches = []
    for t in traces:
        patch: dict = {}
        name = _get(t, "name")
        if shown and isinstance(name, str) and _get(t, "showlegend") is not False:
            wrapped = wrap_words(name, LEGEND_CHARS[big])
            if wrapped != name:
                patch["name"] = wrapped
        if _get(t, "type") in _COLORBAR_TRACES and _get(t, "showscale") is not False:
            patch["colorbar"] = bar
        if _get(t, "marker", "showscale") is True:
            patch["marker"] = {"colorbar": bar}
        size = _get(t, "textfont", "size")
        if big and isinstance(size, int | float) and size < MIN_BIG_PX:
            patch["textfont"] = {"size": MIN_BIG_PX}
        patches.append(patch)
    update: dict = {}
    y, yref = _get(layout, "legend", "y"), _get(layout, "legend", "yref")
    if isinstance(y, int | float) and y < 0 and yref in (None, "paper"):
        update["legend"] = {"yref": "container", "y": 0, "yanchor": "bottom"}
    keys = _layout_keys(layout)
    for k in keys:
        if k.startswith("coloraxis"):
            update[k] = {"colorbar": bar}
        elif big and k.startswith(("xaxis", "yaxis")) and _get(layout, k, "type") == "log":
            update[k] = {"minorloglabels": "none"}
            if _get(layout, k, "exponentformat") == "power":
                update[k]["tickfont"] = {"size": POWER_TICK_BIG_PX}
    if big:
        notes = []
        for note in _get(layout, "annotations") or ():
            size = _get(note, "font", "size")
            small = isinstance(size, int | float) and size < MIN_BIG_PX
            notes.append({"font": {"size": MIN_BIG_PX}} if small else {})
        if any(notes):
            update["annotations"] = notes
    return patches, update


def _layout_keys(layout: object) -> list[str]:
    """The layout's axes and colour axes that are set."""
    names = layout.keys() if isinstance(layout, dict) else (layout._props or {}).keys()
    return [k for k in names if re.fullmatch(r"(xaxis|yaxis|coloraxis)\d*", k)]


def wrap_words(text: str, width: int) -> str:
    """``text`` on lines of at most about ``width`` characters (legend entries, category
    labels), broken before " (" or after ", " or ": " where it can, else at a space; text
    that fits, or has its own ``<br>``, is kept.

    Examples
    --------
    >>> wrap_words("measured: lr = 0.105 (above 2/λmax)", 28)
    'measured: lr = 0.105<br>(above 2/λmax)'
    >>> wrap_words("stage 2: 8 rates (grid), all data, 5 ep.", 28)
    'stage 2: 8 rates (grid),<br>all data, 5 ep.'
    >>> wrap_words("rung 1: 4 steps", 12)
    'rung 1:<br>4 steps'
    >>> wrap_words("short", 28)
    'short'
    """
    if len(text) <= width or "<br>" in text:
        return text
    # chunks: a break is preferred after ", " or ": " and before " (" (parentheses stay
    # together)
    chunks = [c for c in re.split(r"(?<=[,:] )|(?= \()", text) if c]
    words: list[str] = []
    for c in chunks:
        words += [c] if len(c.strip()) <= width else re.split(r"(?<= )", c)
    lines = [""]
    for w in words:
        if lines[-1] and len((lines[-1] + w).strip()) > width:
            lines.append("")
        lines[-1] += w
    return "<br>".join(line.strip() for line in lines)


#: what the palette's black becomes on a dark background
DARK_INK = "#E6E6E6"
#: what words in the palette's blue become on a dark background: the same blue mixed with 40 %
#: white (7:1 on Streamlit's dark background, where the blue itself is 3.4:1); lines keep the
#: blue, which reads as a mark (3:1 is enough for those)
DARK_BLUE_TEXT = "#66AAD1"


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
        # words in the palette's blue (a run's note) read 3.4:1 on the dark background
        font = getattr(trace, "textfont", None)
        if font is not None and "color" in font and str(font.color).upper() == PALETTE[0]:
            font.color = DARK_BLUE_TEXT
    # dark text on white label boxes, and dark threshold lines, drawn by some builders
    for note in out.layout.annotations:
        if str(note.font.color).lower() in _DARK_TEXT:
            note.font.color = DARK_INK
        elif str(note.font.color).upper() == PALETTE[0]:
            note.font.color = DARK_BLUE_TEXT
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
