"""URL state: every lesson widget mirrors its value into the address bar.

Widgets are created through the wrappers below, which pass ``bind="query-params"`` (Streamlit >=
1.55) so a copied link reopens the same view.  Before a widget is created its query value is
checked against the widget's own bounds; a malformed or out-of-range value is dropped by
Streamlit (the widget falls back to its default) and we say so with a quiet toast instead of an
error.  Each wrapper records the widget's default and current value, so :func:`view_query`
can rebuild the link to the current view on the server (used by tests and the teacher's guide).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

import streamlit as st

_REGISTRY = "_lrlab_bound"  # key -> (default, current, label format) for this page's widgets
_NOTICED = "_lrlab_noticed"
LECTURE_KEY = "lecture"


def _registry() -> dict[str, tuple[Any, Any, Callable[[Any], str] | None]]:
    return st.session_state.setdefault(_REGISTRY, {})


def _raw(key: str) -> list[str]:
    try:
        return list(st.query_params.get_all(key))
    except Exception:  # pragma: no cover - query params unavailable
        return []


def _notice(key: str, label: str, raw: Sequence[str], why: str) -> None:
    noticed = st.session_state.setdefault(_NOTICED, set())
    tag = (key, tuple(raw))
    if tag in noticed:
        return
    noticed.add(tag)
    shown = ", ".join(r[:40] for r in raw)
    st.toast(f"The link's value for **{label}** ({shown!s}) {why}; using the default instead.")


def _as_float(text: str) -> float | None:
    try:
        v = float(text)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _check_number(key: str, label: str, lo: float, hi: float, integer: bool) -> None:
    raw = _raw(key)
    if not raw:
        return
    v = _as_float(raw[-1])
    if v is None or (integer and v != int(v)):
        _notice(key, label, raw, "is not a number")
    elif not lo <= v <= hi:
        _notice(key, label, raw, f"is outside {lo:g} … {hi:g}")


def _check_option(key: str, label: str, options: Sequence[Any], fmt: Callable[[Any], str]) -> None:
    raw = _raw(key)
    if not raw:
        return
    # Streamlit matches a link's text against the options' labels (format_func), and numbers
    # by value; anything else it drops
    labels = {fmt(o) for o in options}
    numbers = {float(o) for o in options if isinstance(o, (int, float)) and not isinstance(o, bool)}
    bad = [r for r in raw if r not in labels and _as_float(r) not in numbers]
    if bad:
        _notice(key, label, bad, "is not one of the choices")


def _record(key: str, default: Any, value: Any, fmt: Callable[[Any], str] | None = None) -> Any:
    """Remember a bound widget; ``fmt`` is its ``format_func``: Streamlit writes option
    widgets' *labels* into the URL, so a rebuilt link must too."""
    _registry()[key] = (default, value, fmt)
    return value


def _clip_remembered(key: str, lo: float, hi: float) -> None:
    """Keep a remembered value inside bounds that changed since the last run.

    Streamlit (1.67) keeps a keyed slider's old value when its bounds move and raises
    ``StreamlitValueAboveMaxError`` on the next change; clip it to the new bounds first.
    """
    cur = st.session_state.get(key)
    if isinstance(cur, (int, float)) and not isinstance(cur, bool) and not lo <= cur <= hi:
        st.session_state[key] = type(cur)(min(max(cur, lo), hi))


def slider(label: str, lo: float, hi: float, value: float, *, key: str, **kw: Any) -> Any:
    """A bound ``st.slider`` (numeric, single value)."""
    _check_number(key, label, lo, hi, integer=isinstance(value, int))
    _clip_remembered(key, lo, hi)
    v = st.slider(label, lo, hi, value, key=key, bind="query-params", **kw)
    return _record(key, value, v)


def number_input(label: str, lo: float, hi: float, value: float, *, key: str, **kw: Any) -> Any:
    """A bound ``st.number_input`` with mandatory bounds."""
    _check_number(key, label, lo, hi, integer=isinstance(value, int))
    _clip_remembered(key, lo, hi)
    v = st.number_input(label, lo, hi, value, key=key, bind="query-params", **kw)
    return _record(key, value, v)


def select_slider(label: str, options: Sequence[Any], value: Any, *, key: str, **kw: Any) -> Any:
    """A bound ``st.select_slider`` (e.g. learning rates on a log grid)."""
    fmt = kw.get("format_func", str)
    _check_option(key, label, options, fmt)
    v = st.select_slider(
        label, options=list(options), value=value, key=key, bind="query-params", **kw
    )
    return _record(key, value, v, fmt)


def selectbox(label: str, options: Sequence[Any], index: int = 0, *, key: str, **kw: Any) -> Any:
    """A bound ``st.selectbox``."""
    fmt = kw.get("format_func", str)
    _check_option(key, label, options, fmt)
    v = st.selectbox(label, list(options), index=index, key=key, bind="query-params", **kw)
    return _record(key, options[index], v, fmt)


def radio(label: str, options: Sequence[Any], index: int = 0, *, key: str, **kw: Any) -> Any:
    """A bound ``st.radio``."""
    fmt = kw.get("format_func", str)
    _check_option(key, label, options, fmt)
    v = st.radio(label, list(options), index=index, key=key, bind="query-params", **kw)
    return _record(key, options[index], v, fmt)


def segmented(label: str, options: Sequence[Any], default: Any, *, key: str, **kw: Any) -> Any:
    """A bound single-choice ``st.segmented_control`` that never returns None."""
    fmt = kw.get("format_func", str)
    _check_option(key, label, options, fmt)
    v = st.segmented_control(
        label, list(options), default=default, key=key, bind="query-params", **kw
    )
    if v is None:  # the learner clicked the selected segment again
        v = default
    return _record(key, default, v, fmt)


def multiselect(
    label: str, options: Sequence[Any], default: Sequence[Any], *, key: str, **kw: Any
) -> list:
    """A bound ``st.multiselect``."""
    fmt = kw.get("format_func", str)
    _check_option(key, label, options, fmt)
    v = st.multiselect(
        label, list(options), default=list(default), key=key, bind="query-params", **kw
    )
    return _record(key, list(default), list(v), fmt)


def toggle(label: str, value: bool = False, *, key: str, **kw: Any) -> bool:
    """A bound ``st.toggle``."""
    raw = _raw(key)
    if raw and raw[-1].lower() not in ("true", "false"):
        _notice(key, label, raw, "is not true/false")
    v = st.toggle(label, value, key=key, bind="query-params", **kw)
    return _record(key, value, bool(v))


def checkbox(label: str, value: bool = False, *, key: str, **kw: Any) -> bool:
    """A bound ``st.checkbox``."""
    raw = _raw(key)
    if raw and raw[-1].lower() not in ("true", "false"):
        _notice(key, label, raw, "is not true/false")
    v = st.checkbox(label, value, key=key, bind="query-params", **kw)
    return _record(key, value, bool(v))


def text_input(label: str, value: str, *, key: str, max_chars: int = 200, **kw: Any) -> str:
    """A bound ``st.text_input``; the caller validates the text (see ``engine.expr``)."""
    raw = _raw(key)
    if raw and len(raw[-1]) > max_chars:
        _notice(key, label, [raw[-1][:20] + "…"], f"is longer than {max_chars} characters")
    v = st.text_input(label, value, key=key, max_chars=max_chars, bind="query-params", **kw)
    return _record(key, value, v)


def tabs(labels: Sequence[str], *, key: str, label: str = "View") -> list:
    """Bound, lazy ``st.tabs``: the open tab is in the URL (a link opens that view), and only
    the open tab's content needs computing and sending: draw into ``tab`` only if ``tab.open``.
    """
    labels = list(labels)
    _check_option(key, label, labels, str)
    out = st.tabs(labels, key=key, default=labels[0], bind="query-params")
    _record(key, labels[0], st.session_state.get(key, labels[0]))
    return list(out)


def _encode(value: Any, fmt: Callable[[Any], str] | None = None) -> list[str]:
    """A widget value as URL text: option widgets by their label (``fmt``), as Streamlit does."""
    fmt = fmt or str
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, (list, tuple)):
        return [fmt(v) for v in value]
    return [fmt(value)]


def view_query(keys: Sequence[str] | None = None) -> dict[str, list[str]]:
    """Query parameters that reproduce the current view (non-default bound widget values)."""
    out: dict[str, list[str]] = {}
    for key, (default, _, fmt) in _registry().items():
        if keys is not None and key not in keys:
            continue
        value = st.session_state.get(key, default)
        if value is None or value == default:
            continue
        out[key] = _encode(value, fmt)
    return out


def query_string(params: dict[str, Any]) -> str:
    """``urlencode`` with repeated keys for lists, e.g. ``{"lr": [0.1, 0.2]}``."""
    flat = []
    for k, v in params.items():
        for item in v if isinstance(v, (list, tuple)) else [v]:
            flat.extend([(k, s) for s in _encode(item)])
    return urlencode(flat)


def lecture() -> bool:
    """True when lecture (projector) mode is on."""
    return bool(st.session_state.get(LECTURE_KEY, False))


def begin_run() -> None:
    """Start a fresh registry for this full run (called by ``app.py`` before the page)."""
    st.session_state[_REGISTRY] = {}


_COPY_LINK_HTML = """
<button id="b" style="font:14px sans-serif;padding:6px 10px;border-radius:8px;
 border:1px solid #bbb;background:#fff;cursor:pointer;width:100%">Copy link to this view</button>
<script>
const b = document.getElementById('b');
b.onclick = async () => {
  const url = window.parent.location.href;
  try { await navigator.clipboard.writeText(url); b.textContent = 'Link copied'; }
  catch (e) { window.prompt('Copy this link:', url); }
  setTimeout(() => { b.textContent = "Copy link to this view"; }, 2000);
};
</script>
"""


_LECTURE_CSS = """
<style>
[data-testid="stMain"] { font-size: 1.25rem; }
[data-testid="stMain"] p, [data-testid="stMain"] li { font-size: 1.25rem; line-height: 1.5; }
[data-testid="stMain"] h1 { font-size: 3rem; }
[data-testid="stMain"] .stButton button { font-size: 1.35rem; min-height: 3.2rem; padding: 0.4rem 1.4rem; }
[data-testid="stMain"] [data-testid="stWidgetLabel"] p { font-size: 1.2rem; }
</style>
"""


def _follow_link_lecture_flag() -> None:
    """Let a link's ``lecture=`` value win over the toggle's remembered state.

    The sidebar toggle is drawn on every page, so Streamlit keeps its value across page changes
    and would ignore ``lecture=true`` in a link followed inside the app (e.g. from the teacher's
    guide). The toggle writes its value into the URL, so the two only differ right after such a
    navigation.
    """
    raw = _raw(LECTURE_KEY)
    if not raw or raw[-1].lower() not in ("true", "false"):
        return
    want = raw[-1].lower() == "true"
    if LECTURE_KEY in st.session_state and st.session_state[LECTURE_KEY] != want:
        st.session_state[LECTURE_KEY] = want


def sidebar() -> None:
    """The shared sidebar: lecture-mode switch and the copy-link control."""
    begin_run()
    _follow_link_lecture_flag()
    with st.sidebar:
        on = toggle(
            "Lecture mode",
            False,
            key=LECTURE_KEY,
            help="Projector-ready: bigger text and lines, narrative folded away, fewer controls.",
        )
        st.iframe(_COPY_LINK_HTML, height=44)
        st.caption(
            "Every control is saved in the address bar: the copied link reopens this exact view, "
            "same numbers, same seeds."
        )
    if on:
        st.html(_LECTURE_CSS)
