"""Page furniture the runner and the views share: charts with export and a text alternative,
secondary controls folded away in lecture mode, preset buttons, CSV download and the link on
to the next lesson."""

from __future__ import annotations

import math
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import partial
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.basedatatypes import BaseFigure

from lessons.ui import pages
from lessons.ui.style import for_dark, plot_config


def lecture() -> bool:
    """True when lecture (projector) mode is on (the sidebar's switch, or ``lecture=true``)."""
    return bool(st.session_state.get("lecture", False))


def more_controls(label: str = "More settings") -> AbstractContextManager:
    """A container for secondary controls: open normally, folded away in lecture mode."""
    return st.expander(label, expanded=not lecture())


@dataclass(frozen=True)
class Preset:
    """One preset button: its label, the value it sets, its icon, its widget key, a tooltip."""

    label: str
    value: float
    icon: str
    key: str
    help: str | None = None


def _set_state(key: str, value: float) -> None:
    st.session_state[key] = value


def preset_buttons(target: str, presets: Sequence[Preset], current: float) -> None:
    """A row of buttons, each setting the widget with key ``target`` to its value; the one
    equal to ``current`` (the widget's value now) is highlighted."""
    row = st.container(horizontal=True, gap="small")
    for p in presets:
        row.button(
            p.label,
            key=p.key,
            icon=p.icon,
            on_click=_set_state,
            args=(target, p.value),
            type="primary" if math.isclose(current, p.value, rel_tol=1e-9) else "secondary",
            help=p.help,
        )


def _csv(df: pd.DataFrame | Callable[[], pd.DataFrame]) -> bytes:
    table = df() if callable(df) else df
    return table.to_csv(index=False).encode("utf-8")


def download_csv(
    df: pd.DataFrame | Callable[[], pd.DataFrame],
    filename: str,
    *,
    key: str,
    label: str = "Download data (CSV)",
) -> None:
    """A download button with the data behind a chart (``df``, or a function that makes it).

    The CSV is written only when the button is clicked (Streamlit's deferred download: ``data``
    is a callable), not on every run: writing every chart's CSV on every run cost more server
    time than sending the page (bench/bench_load.py), and each open tab kept its bytes; given
    as a function, the table itself is made only then too."""
    st.download_button(
        label,
        partial(_csv, df),
        file_name=filename,
        mime="text/csv",
        key=key,
        icon=":material/download:",
        on_click="ignore",
    )


class _Converted(BaseFigure):
    """A figure already converted to the dict ``st.plotly_chart`` sends.

    ``st.plotly_chart`` asks the figure it is given for ``to_dict()`` and uses nothing else of
    it; a plotly figure answers with a deep copy and a base64 pass over every array, each time.
    For a cached figure, sent again on every view, that conversion was most of the cost of
    sending a page (bench/bench_charts.py: 3 to 36 ms per view). BaseFigure's own ``__init__``
    is skipped on purpose: only ``to_dict`` is ever called."""

    def __init__(self, spec: dict) -> None:
        self._spec = spec

    def to_dict(self) -> dict:
        return self._spec


#: conversions kept for figures shown more than once (cached figures): at most this many, the
#: most recently shown; a figure built afresh on every run is converted and never kept
KEEP_CONVERSIONS = 32
_kept: OrderedDict[tuple[int, bool], tuple[weakref.ref, _Converted]] = OrderedDict()
_seen: OrderedDict[tuple[int, bool], weakref.ref] = OrderedDict()
_lock = threading.Lock()


def _converted(fig: go.Figure, dark: bool) -> _Converted:
    """``fig`` as sent (its dark-theme copy if ``dark``). The second time the same figure object
    is shown its conversion is kept (in a small LRU, so memory stays bounded: about a third of
    the figure's own size each) and reused from then on."""
    key = (id(fig), dark)
    with _lock:
        kept = _kept.get(key)
        if kept is not None and kept[0]() is fig:
            _kept.move_to_end(key)
            return kept[1]
        seen = _seen.pop(key, None)
        again = seen is not None and seen() is fig
    done = _Converted((for_dark(fig) if dark else fig).to_dict())
    with _lock:
        if again:
            _kept[key] = (weakref.ref(fig), done)
            while len(_kept) > KEEP_CONVERSIONS:
                _kept.popitem(last=False)
        else:
            _seen[key] = weakref.ref(fig)
            while len(_seen) > 8 * KEEP_CONVERSIONS:
                _seen.popitem(last=False)
    return done


def chart(
    fig: go.Figure,
    *,
    key: str,
    caption: str,
    data: pd.DataFrame | Callable[[], pd.DataFrame] | None = None,
    filename: str | None = None,
    alt: str | None = None,
) -> None:
    """Show a figure full width with a PNG export for slides, a caption in words, and its CSV.

    ``alt`` is the chart's text alternative for screen readers (default: the caption). A figure
    shown again (a cached one) is not converted again: its conversion is kept. So a figure must
    not change once it has been shown (build a new one), as ``st.cache_resource`` requires."""
    name = filename or key
    spec = _converted(fig, theme() == "dark")
    st.plotly_chart(spec, width="stretch", config=plot_config(name), key=key, alt=alt or caption)
    st.caption(caption)
    if data is not None:
        download_csv(data, f"{name}.csv", key=f"{key}_csv")


#: figures built from a builder, ready to send: at most this many views' figures (each about
#: a third of its figure's size, tens of KB), the most recently shown kept
KEEP_BUILT = 256
_built: OrderedDict[Any, _Converted] = OrderedDict()


def chart_built(
    build: Callable[[], go.Figure],
    ident: Hashable,
    *,
    key: str,
    caption: str,
    dark: bool,
    data: pd.DataFrame | Callable[[], pd.DataFrame] | None = None,
    filename: str | None = None,
    alt: str | None = None,
) -> None:
    """:func:`chart` for a figure given by its builder: built and converted once per
    ``ident`` (everything the figure depends on), then sent as kept."""
    try:
        hash(ident)
    except TypeError:  # something unhashable in the view's identity: build, do not keep
        ident = None
    with _lock:
        spec = _built.get(ident) if ident is not None else None
        if spec is not None:
            _built.move_to_end(ident)
    if spec is None:
        fig = build()
        spec = _Converted((for_dark(fig) if dark else fig).to_dict())
        if ident is not None:
            with _lock:
                _built[ident] = spec
                while len(_built) > KEEP_BUILT:
                    _built.popitem(last=False)
    name = filename or key
    st.plotly_chart(spec, width="stretch", config=plot_config(name), key=key, alt=alt or caption)
    st.caption(caption)
    if data is not None:
        download_csv(data, f"{name}.csv", key=f"{key}_csv")


def theme() -> str:
    """The browser's theme type; on a session's first run Streamlit does not know it yet
    (streamlit#11920), so fall back on the configured base theme."""
    kind = getattr(st.context.theme, "type", None)
    return kind or (st.get_option("theme.base") or "light")


def next_lesson(path: str) -> None:
    """A link on to the next lesson."""
    nxt = pages.next_page(path)
    if nxt is not None:
        # lecture mode travels with the link, so the address bar needs no rewrite on arrival
        query = {"lecture": "true"} if lecture() else None
        st.page_link(nxt.path, label=f"Next: {nxt.title} →", icon=nxt.icon, query_params=query)
