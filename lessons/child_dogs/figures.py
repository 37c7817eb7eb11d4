"""Pictures for "The child and the dogs": icon strips (HTML) and plotly figures.

Arrays in, HTML strings or ``plotly.graph_objects.Figure`` out; no Streamlit, so every builder is
testable on its own.  The animal icons are the hand-drawn SVGs in ``assets/animals/``; the dog the
child *imagines* is the white-dog drawing filled with the grey of his belief (1 = black, 0 =
white), so his belief is a picture as well as a number.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

from engine import fmt
from lessons.ui.style import GREY, PALETTE, run_line, run_marker, styled

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "animals"
#: sequence letter -> icon file
ICON_FILES = {
    "B": "black_dog.svg",
    "W": "white_dog.svg",
    "C": "white_cat.svg",
    "K": "black_cat.svg",
}
NAMES = {"B": "black dog", "W": "white dog", "C": "white cat", "K": "black cat"}
OVERSHOOT = PALETTE[1]  # vermillion: a belief beyond black or white
#: the animals' marks above the belief chart: a black animal is ink ringed in paper, a white one
#: paper ringed in ink, so every mark shows on a light and on a dark background alike
MARK_INK = "#1f1f1f"
MARK_PAPER = "#ffffff"

_BODY_WHITE = '<use href="#d" fill="#ffffff"/>'
_EAR_WHITE = 'fill="#e2e2e2"'
_EYE_WHITE = '<circle cx="51.5" cy="13" r="1.3" fill="#333333"/>'


@cache
def icon_svg(letter: str) -> str:
    """The SVG text of an animal's icon."""
    return (ASSETS / ICON_FILES[letter]).read_text(encoding="utf-8").strip()


def data_uri(svg: str) -> str:
    """A base64 ``data:`` URI for an SVG string (for an ``<img src=...>``)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


@cache
def icon_uri(letter: str) -> str:
    return data_uri(icon_svg(letter))


def grey_of(belief: float) -> str:
    """The shade of the imagined dog: belief 1 -> near black, 0 -> white (clipped to 0 ... 1)."""
    v = float(np.clip(belief, 0.0, 1.0)) if np.isfinite(belief) else (1.0 if belief > 0 else 0.0)
    level = int(round(255 - v * (255 - 31)))
    return f"#{level:02x}{level:02x}{level:02x}"


@cache
def _imagined_svg(shade: str) -> str:
    base = icon_svg("W")
    level = int(shade[1:3], 16)
    ear_level = level - 28 if level > 60 else level + 40
    ear = f"#{ear_level:02x}{ear_level:02x}{ear_level:02x}"
    eye = "#ffffff" if level < 110 else "#333333"
    svg = base.replace(_BODY_WHITE, f'<use href="#d" fill="{shade}"/>')
    svg = svg.replace(_EAR_WHITE, f'fill="{ear}"')
    svg = svg.replace(_EYE_WHITE, f'<circle cx="51.5" cy="13" r="1.3" fill="{eye}"/>')
    return svg.replace("<title>white dog</title>", "<title>the dog he imagines</title>")


def imagined_dog_svg(belief: float) -> str:
    """The dog the child imagines when his belief is ``belief`` (grey level = belief)."""
    return _imagined_svg(grey_of(belief))


def fmt_belief(b: float) -> str:
    """A belief for a small label (two significant digits, through :mod:`engine.fmt`)."""
    return fmt.num(float(b), 2)


#: a cell's width in px: (normal, lecture) at most, and at least: the cells shrink to keep a
#: row of animals on one line where it fits (the story's 12 cells in lecture mode at 1280 px,
#: even with the sidebar open), and wrap only when even the smallest cells do not fit (a phone)
CELL_MAX = (60, 84)
CELL_MIN = (46, 56)
GAP = 4


def min_row_width(cells: int, big: bool) -> int:
    """The narrowest a row of ``cells`` cells gets before it wraps, in px (above 640 px)."""
    return cells * CELL_MIN[big] + (cells - 1) * GAP


_CSS = f"""
<style>
.cd-strip,.cd-cmp{{--cdw:{CELL_MAX[0]}px;--cdmin:{CELL_MIN[0]}px;--cdf:13px}}
@media (min-width:1600px){{.cd-strip,.cd-cmp{{--cdw:72px;--cdf:14px}}}}
.cd-big{{--cdw:{CELL_MAX[1]}px;--cdmin:{CELL_MIN[1]}px;--cdf:18px}}
@media (max-width:640px){{.cd-strip,.cd-big{{--cdw:50px;--cdmin:42px;--cdf:12px}}
 .cd-cmp,.cd-cmp.cd-big{{--cdw:42px;--cdmin:38px;--cdf:11px}}}}
.cd-row{{display:flex;flex-wrap:wrap;gap:6px {GAP}px;align-items:flex-start;margin:2px 0 10px 0}}
.cd-cell{{flex:1 1 var(--cdmin);min-width:var(--cdmin);max-width:var(--cdw);display:flex;
 flex-direction:column;align-items:center;background:#f3f4f6;border-radius:8px;
 padding:3px 0 4px 0;color:#222;font-size:var(--cdf);line-height:1.25;box-sizing:border-box;
 border:2px solid transparent;white-space:nowrap;overflow:hidden}}
.cd-cell img{{width:calc(100% - 6px);max-width:calc(var(--cdw) - 8px);height:auto;display:block}}
.cd-n{{font-size:calc(var(--cdf) - 2px);color:#555}}
.cd-big .cd-n{{font-size:var(--cdf)}}
.cd-big .cd-think{{display:none}}
.cd-b{{font-variant-numeric:tabular-nums;font-weight:600}}
.cd-cat{{color:#666;font-weight:400}}
.cd-over{{border:2px dashed #D55E00}}
.cd-over .cd-b{{color:#b34700}}
.cd-label{{margin:8px 0 2px 0;font-weight:600}}
.cd-dim{{color:inherit;opacity:.75;font-weight:400}}
</style>
"""


def _label(alt: str) -> str:
    return f' role="group" aria-label="{html.escape(alt)}"' if alt else ""


def _size_class(big: bool) -> str:
    return " cd-big" if big else ""


def _animal_cell(i: int, letter: str) -> str:
    name = NAMES[letter]
    return (
        f'<div class="cd-cell" title="animal {i}: a {name}"><span class="cd-n">{i}</span>'
        f'<img src="{icon_uri(letter)}" alt="{name}"></div>'
    )


def _belief_cell(i: int, letter: str | None, b: float, *, show_animal: bool) -> str:
    over = (not np.isfinite(b)) or b < -0.005 or b > 1.005  # beyond what "0.00"/"1.00" shows
    cat = letter in ("C", "K")
    cls = "cd-cell" + (" cd-over" if over else "")
    what = "before any animal" if letter is None else f"after animal {i} (a {NAMES[letter]})"
    tip = f"{what}: belief b = {fmt_belief(b)}" + (
        " — beyond black or white: an overshoot" if over else ""
    )
    if cat:
        tip += " — a cat says nothing about the colour of dogs"
    parts = [f'<div class="{cls}" title="{html.escape(tip)}">']
    if show_animal:
        top = "start" if letter is None else str(i)
        parts.append(f'<span class="cd-n">{top}</span>')
        if letter is None:
            parts.append(f'<img src="{data_uri(_QUESTION)}" alt="no animal yet">')
        else:
            parts.append(f'<img src="{icon_uri(letter)}" alt="{NAMES[letter]}">')
        parts.append('<span class="cd-n"><span class="cd-think">thinks </span>↓</span>')
    parts.append(f'<img src="{data_uri(imagined_dog_svg(b))}" alt="imagined dog">')
    value = f"= {fmt_belief(b)}" if cat else fmt_belief(b)  # a cat leaves the belief alone
    parts.append(f'<span class="cd-b{" cd-cat" if cat else ""}">{value}</span></div>')
    return "".join(parts)


_QUESTION = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 48" width="64" height="48">'
    '<text x="32" y="36" font-size="30" text-anchor="middle" fill="#777" '
    'font-family="sans-serif">?</text></svg>'
)


def strip_html(sequence: str, beliefs: Sequence[float], *, big: bool = False, alt: str = "") -> str:
    """One child: each animal in order with the dog he imagines after it and his belief.

    ``beliefs`` has ``len(sequence) + 1`` entries (the first is before any animal); ``alt`` is
    the whole picture in words, for a screen reader.
    """
    beliefs = np.asarray(beliefs, dtype=float)
    if beliefs.shape != (len(sequence) + 1,):
        raise ValueError("beliefs must have len(sequence) + 1 entries")
    cells = [_belief_cell(0, None, float(beliefs[0]), show_animal=True)]
    cells += [
        _belief_cell(i + 1, ch, float(beliefs[i + 1]), show_animal=True)
        for i, ch in enumerate(sequence)
    ]
    return (
        _CSS
        + f'<div class="cd-strip{_size_class(big)}"{_label(alt)}><div class="cd-row">'
        + "".join(cells)
        + "</div></div>"
    )


def comparison_html(
    sequence: str,
    beliefs: np.ndarray,
    labels: Sequence[str],
    notes: Sequence[str],
    *,
    big: bool = False,
    alt: str = "",
) -> str:
    """Several children shown the same animals: one row of imagined dogs per learning rate.

    ``beliefs`` is (K, n + 1); every row has the same cell width as the row of animals on top,
    so the columns line up (also when the rows wrap on a phone).
    """
    beliefs = np.asarray(beliefs, dtype=float)
    if beliefs.ndim != 2 or beliefs.shape[1] != len(sequence) + 1:
        raise ValueError("beliefs must be (K, len(sequence) + 1)")
    if not len(labels) == len(notes) == beliefs.shape[0]:
        raise ValueError("one label and one note per row of beliefs")
    start = (
        '<div class="cd-cell" title="before any animal"><span class="cd-n">start</span>'
        f'<img src="{data_uri(_QUESTION)}" alt="no animal yet"></div>'
    )
    animals = [start] + [_animal_cell(i + 1, ch) for i, ch in enumerate(sequence)]
    # the lesson's main picture: the browser test looks for its top on a projector's first screen
    out = [_CSS, f'<div class="cd-cmp lrlab-main-figure{_size_class(big)}"{_label(alt)}>']
    out.append('<div class="cd-label">The animals, in order</div>')
    out.append('<div class="cd-row">' + "".join(animals) + "</div>")
    for row, label, note in zip(beliefs, labels, notes, strict=True):
        out.append(
            f'<div class="cd-label">{html.escape(label)} '
            f'<span class="cd-dim">— {html.escape(note)}</span></div>'
        )
        cells = [_belief_cell(0, None, float(row[0]), show_animal=False)]
        cells += [
            _belief_cell(i + 1, ch, float(row[i + 1]), show_animal=False)
            for i, ch in enumerate(sequence)
        ]
        out.append('<div class="cd-row">' + "".join(cells) + "</div>")
    out.append("</div>")
    return "".join(out)


# --------------------------------------------------------------------------------------------
# Plotly figures
# --------------------------------------------------------------------------------------------


def _sc(**kw: object) -> dict:
    """A scatter trace as a plain dict: the figure is validated once, when it is built."""
    return {"type": "scatter", **kw}


#: the band of beliefs between white (0) and black (1), behind the lines
_HRECT = {
    "type": "rect", "xref": "x domain", "yref": "y", "x0": 0, "x1": 1, "y0": 0, "y1": 1,
    "fillcolor": GREY, "opacity": 0.07, "line": {"width": 0}, "layer": "below",
}  # fmt: skip


def _hline(y: float, dash: str | None) -> dict:
    """A thin grey line across the plot at ``y`` (as ``fig.add_hline`` draws it)."""
    line = {"color": GREY, "width": 1} | ({"dash": dash} if dash else {})
    return {"type": "line", "xref": "x domain", "yref": "y", "x0": 0, "x1": 1, "y0": y, "y1": y,
            "line": line}  # fmt: skip


def _belief_range(beliefs: np.ndarray) -> tuple[float, float]:
    finite = beliefs[np.isfinite(beliefs)]
    lo = min(-0.1, float(finite.min()) - 0.1) if finite.size else -0.1
    hi = max(1.1, float(finite.max()) + 0.1) if finite.size else 1.1
    return max(lo, -3.0), min(hi, 4.0)


def belief_figure(
    sequence: str,
    beliefs: np.ndarray,
    labels: Sequence[str],
    truth: np.ndarray,
    *,
    styles: Sequence[int] | None = None,
    big: bool = False,
) -> go.Figure:
    """Belief after each animal for K learning rates, with the share of black dogs seen.

    Parameters
    ----------
    sequence : str
        The animals (n letters).
    beliefs : ndarray (K, n + 1)
        Belief before any animal and after each one, one row per rate.
    labels : K str
        Legend entry of each row.
    truth : ndarray (n + 1,)
        Share of black dogs among the dogs seen so far (NaN before the first dog).
    styles : K int, optional
        Colour/dash/marker index of each row (default 0 ... K-1), so a rate keeps its look
        whichever other rates are shown.

    The animals' marks along the top are a dark shape ringed in white (a black animal) or a
    white shape ringed in dark ink (a white one): each is visible on a light and on a dark
    background alike, whatever theme the page turns out to have.
    """
    beliefs = np.asarray(beliefs, dtype=float)
    n = len(sequence)
    x = np.arange(n + 1)
    lo, hi = _belief_range(beliefs)
    span = hi - lo
    tick = 0.2 if span <= 1.5 else 0.5 if span <= 4 else 1.0
    ticks = np.round(np.arange(np.ceil(lo / tick), np.floor(hi / tick) + 1) * tick, 6).tolist()
    traces = [
        _sc(
            x=x,
            y=truth,
            mode="lines",
            line={"color": GREY, "width": 6, "shape": "hv"},
            opacity=0.45,
            name="share of black dogs seen<br>(the long-run truth)",
            hovertemplate="after animal %{x}: %{y:.0%} of the dogs were black<extra></extra>",
        )
    ]
    styles = list(range(len(labels))) if styles is None else list(styles)
    for i, row, label in zip(styles, beliefs, labels, strict=True):
        shown = np.where(np.isfinite(row), np.clip(row, -1e6, 1e6), np.nan)
        traces.append(
            _sc(
                x=x,
                y=shown,
                mode="lines+markers",
                line=run_line(i),
                marker=run_marker(i, 7),
                name=label,
                hovertemplate=f"{label}<br>after animal %{{x}}: b = %{{y:.2f}}<extra></extra>",
            )
        )
    # the animals, as a row of marks in a strip of their own along the top (filled = black,
    # open = white; ▲ = cat), so a diverging line, clipped at the plot's edge, never crosses them
    size = 10 if n <= 15 else 7 if n <= 30 else 5
    for letters, name, symbol, fill, ring in (
        ("B", "black dog", "circle", MARK_INK, MARK_PAPER),
        ("W", "white dog", "circle", MARK_PAPER, MARK_INK),
        ("K", "black cat", "triangle-up", MARK_INK, MARK_PAPER),
        ("C", "white cat", "triangle-up", MARK_PAPER, MARK_INK),
    ):
        idx = [i + 1 for i, ch in enumerate(sequence) if ch in letters]
        if not idx:
            continue
        traces.append(
            _sc(
                x=idx,
                y=[0.0] * len(idx),
                yaxis="y2",
                mode="markers",
                marker={
                    "symbol": symbol,
                    "size": size,
                    "color": fill,
                    "line": {"width": 1.5, "color": ring},
                },
                name=name,
                showlegend=False,
                hovertemplate=f"animal %{{x}}: a {name}<extra></extra>",
            )
        )
    layout = dict(
        shapes=[_HRECT, _hline(0.5, "dot")],
        xaxis={
            "title": {"text": "animals shown"},
            "range": [-0.5, n + 0.5],
            "tickmode": "linear" if n <= 20 else "auto",
            "dtick": 1 if n <= 20 else None,
        },
        yaxis={
            "title": {"text": "belief b (1 black, 0 white)"},
            "range": [lo, hi],
            "zeroline": False,
            "tickvals": ticks,
            "domain": [0.0, 0.88],
        },
        yaxis2={
            "domain": [0.91, 1.0],
            "range": [-1.0, 1.0],
            "visible": False,
            "fixedrange": True,
        },
    )
    return styled(
        traces,
        layout,
        height=420,
        big=big,
        then={"legend": {"y": -0.22, "yanchor": "top"}, "margin": {"b": 10}},
    )


#: feature lines: black for colour, then colours the rate lines (palette 0-3) do not use
_FEATURE_LINES = (
    {"color": PALETTE[6], "dash": "solid", "width": 3.5},  # colour
    {"color": GREY, "dash": "dash", "width": 2},  # four legs
    {"color": PALETTE[4], "dash": "solid", "width": 2.5},  # barks
    {"color": GREY, "dash": "dot", "width": 2},  # tail
    {"color": PALETTE[5], "dash": "dashdot", "width": 2.5},  # whiskers
)


def weights_figure(
    sequence: str,
    weights: np.ndarray,
    features: Sequence[str],
    label: str,
    *,
    big: bool = False,
) -> go.Figure:
    """The feature child's weights after each animal, at one learning rate.

    Parameters
    ----------
    weights : ndarray (n + 1, P)
        Weights before any animal and after each.
    features : P str
    label : str
        The rate, for the axis title.
    """
    weights = np.asarray(weights, dtype=float)
    x = np.arange(len(sequence) + 1)
    traces = []
    for j, name in enumerate(features):
        traces.append(
            _sc(
                x=x,
                y=weights[:, j],
                mode="lines",
                line=_FEATURE_LINES[j % len(_FEATURE_LINES)],
                name=name,
                hovertemplate=f"{name}: %{{y:.2f}} after animal %{{x}}<extra></extra>",
            )
        )
    layout = {
        "shapes": [_hline(0.0, None)],
        "xaxis": {"title": {"text": "animals shown"}},
        "yaxis": {"title": {"text": f"weight ({label})"}},
    }
    return styled(
        traces, layout, height=380, big=big, then={"legend": {"y": -0.25, "yanchor": "top"}}
    )


def p_dog_figure(
    p_white: np.ndarray,
    labels: Sequence[str],
    *,
    styles: Sequence[int] | None = None,
    big: bool = False,
) -> go.Figure:
    """``P(dog | white dog)`` after each animal, one line per learning rate (rows of ``p_white``).

    ``styles`` gives each row's colour/dash/marker index, as in :func:`belief_figure`.
    """
    p_white = np.asarray(p_white, dtype=float)
    x = np.arange(p_white.shape[1])
    traces = []
    styles = list(range(len(labels))) if styles is None else list(styles)
    for i, row, label in zip(styles, p_white, labels, strict=True):
        traces.append(
            _sc(
                x=x,
                y=row,
                mode="lines+markers",
                line=run_line(i),
                marker=run_marker(i, 6),
                name=label,
                hovertemplate=f"{label}: %{{y:.2f}} after animal %{{x}}<extra></extra>",
            )
        )
    layout = {
        "shapes": [_hline(0.5, "dot")],
        "xaxis": {"title": {"text": "animals shown"}},
        "yaxis": {"title": {"text": "P(dog | white dog)"}, "range": [0, 1]},
    }
    return styled(
        traces, layout, height=380, big=big, then={"legend": {"y": -0.25, "yanchor": "top"}}
    )
