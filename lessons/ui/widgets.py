"""Page furniture the runner and the views share: charts with export and a text alternative,
secondary controls folded away in lecture mode, preset buttons, CSV download and the link on
to the next lesson."""

from __future__ import annotations

import math
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

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


def download_csv(
    df: pd.DataFrame, filename: str, *, key: str, label: str = "Download data (CSV)"
) -> None:
    """A download button with the data behind a chart (the CSV is written when clicked)."""
    st.download_button(
        label,
        lambda: df.to_csv(index=False).encode("utf-8"),
        file_name=filename,
        mime="text/csv",
        key=key,
        icon=":material/download:",
        on_click="ignore",
    )


def chart(
    fig: go.Figure,
    *,
    key: str,
    caption: str,
    data: pd.DataFrame | None = None,
    filename: str | None = None,
    alt: str | None = None,
) -> None:
    """Show a figure full width with a PNG export for slides, a caption in words, and its CSV.

    ``alt`` is the chart's text alternative for screen readers (default: the caption)."""
    name = filename or key
    if theme() == "dark":
        fig = for_dark(fig)
    st.plotly_chart(fig, width="stretch", config=plot_config(name), key=key, alt=alt or caption)
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
