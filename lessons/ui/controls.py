"""Widgets drawn from a lesson's :mod:`~lessons.ui.fields`, and the address bar kept in step.

LR Lab binds widgets to the URL itself instead of Streamlit's ``bind="query-params"``:

* :func:`seed` reads the link before any widget exists, parses it with the lesson's own
  ``Params`` (:func:`lessons.ui.fields.from_query`: the same check decides what is applied and
  what the notice says, so they cannot disagree) and puts the values into session state, where
  the widgets pick them up.  Streamlit never parses a link value itself, so no link can raise
  inside a widget (``?fr_seed=inf`` used to raise ``OverflowError`` in ``st.number_input``).
* :func:`publish` writes the view's canonical link after the widgets have run: one spelling
  per value, defaults left out, aliases and malformed values removed.

The URL is read again only when it differs from what this session last wrote (a link followed,
a page opened), so moving a widget never fights the address bar.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import streamlit as st

from lessons.ui import fields as F

__all__ = [
    "auto_forget",
    "auto_keep",
    "auto_read",
    "auto_show",
    "checkbox",
    "multiselect",
    "number_input",
    "publish",
    "radio",
    "seed",
    "segmented",
    "select_slider",
    "selectbox",
    "slider",
    "span_slider",
    "tabs",
    "text_input",
    "toggle",
]

_SNAPSHOT = "_lrlab_url"  # key -> the URL texts this session last wrote or applied (or None)


def _query() -> dict[str, list[str]]:
    qp = st.query_params
    return {k: list(qp.get_all(k)) for k in qp.keys()}  # noqa: SIM118 (a proxy, not a dict)


def _session_value(spec: F.Field, value: Any) -> Any:
    return list(value) if spec.kind == "multi" else value


def seed(specs: Iterable[F.Field], *, sticky: bool = False) -> list[F.Notice]:
    """Apply the link's values for ``specs`` to session state; the notices for what was not
    applied as written.  Call once per full run, before the widgets.

    ``sticky`` fields (app-wide settings such as lecture mode) keep their value when the
    address bar loses the key (moving to another page through the menu), and write it back.
    """
    ss = st.session_state
    snap: dict[str, tuple[str, ...] | None] = ss.setdefault(_SNAPSHOT, {})
    query = _query()
    notices: list[F.Notice] = []
    for spec in specs:
        raw: list[str] = []
        for k in (spec.key, *spec.aliases):
            raw.extend(query.get(k, []))
        now = tuple(raw) or None
        if spec.key in ss and snap.get(spec.key) == now:
            continue  # nothing new in the address bar
        if now is None:
            if sticky and spec.key in ss:
                continue
            if spec.key in ss and snap.get(spec.key) is not None:  # a link without the key
                ss[spec.key] = _session_value(spec, spec.default)
            snap[spec.key] = None
            continue
        value, note = spec.parse(raw)
        ss[spec.key] = _session_value(spec, value)
        snap[spec.key] = now
        if note is not None:
            notices.append(note)
    return notices


def foreign(known: Iterable[str]) -> list[str]:
    """Remove from the address bar every key that is not a setting of this page (``known``)
    and return them as sentences for a notice.  Streamlit's own ``embed`` keys stay."""
    keep = set(known) | {"embed", "embed_options"}
    qp = st.query_params
    out = []
    for k in list(qp.keys()):  # noqa: SIM118 (a proxy, not a dict)
        if k in keep:
            continue
        given = F._clip(" & ".join(qp.get_all(k)), 40).replace("`", "'")
        name = F._clip(k, 40).replace("`", "'")
        out.append(f"The link's `{name}={given}` is not a setting of this page; it is ignored.")
        del qp[k]
    return out


def publish(specs: Iterable[F.Field], values: dict[str, Any] | None = None) -> None:
    """Write the canonical link for ``specs`` (current widget values, or ``values`` by key)."""
    ss = st.session_state
    snap: dict[str, tuple[str, ...] | None] = ss.setdefault(_SNAPSHOT, {})
    qp = st.query_params
    for spec in specs:
        value = (values or {}).get(spec.key, ss.get(spec.key, spec.default))
        if value is None:
            value = spec.default
        text = F.to_text(spec, tuple(value) if isinstance(value, list) else value)
        for alias in spec.aliases:
            if alias in qp:
                del qp[alias]
        current = tuple(qp.get_all(spec.key)) or None
        want = tuple(text) if text else None  # an empty selection cannot be written: left out
        if current != want:
            if want is None:
                del qp[spec.key]
            else:
                qp[spec.key] = list(want) if len(want) > 1 else want[0]
        snap[spec.key] = want


def _default_kw(spec: F.Field, name: str, value: Any) -> dict:
    """Pass the default only while session state has no value (no duplicate-value warning)."""
    return {} if spec.key in st.session_state else {name: value}


def _label(spec: F.Field, label: str | None) -> str:
    return spec.label if label is None else label


def slider(spec: F.Field, *, lo=None, hi=None, label: str | None = None, **kw: Any) -> Any:
    """A numeric slider between the field's bounds (or tighter ``lo``/``hi`` for this view)."""
    lo = spec.lo if lo is None else lo
    hi = spec.hi if hi is None else hi
    _clip_remembered(spec.key, lo, hi)
    default = None if spec.default is None else min(max(spec.default, lo), hi)
    kw.setdefault("help", spec.help)
    if spec.step is not None:
        kw.setdefault("step", spec.step)
    return st.slider(
        _label(spec, label), lo, hi, key=spec.key, **_default_kw(spec, "value", default), **kw
    )


def number_input(spec: F.Field, *, label: str | None = None, **kw: Any) -> Any:
    """A number box between the field's bounds."""
    _clip_remembered(spec.key, spec.lo, spec.hi)
    kw.setdefault("help", spec.help)
    if spec.step is not None:
        kw.setdefault("step", spec.step)
    return st.number_input(
        _label(spec, label),
        spec.lo,
        spec.hi,
        key=spec.key,
        **_default_kw(spec, "value", spec.default),
        **kw,
    )


def _options(spec: F.Field, options: Sequence[Any] | None) -> list:
    opts = list(spec.options if options is None else options)
    cur = st.session_state.get(spec.key)
    if spec.kind == "choice" and spec.key in st.session_state and cur not in opts:
        st.session_state[spec.key] = spec.default if spec.default in opts else opts[0]
    return opts


def select_slider(
    spec: F.Field, *, options: Sequence[Any] | None = None, label: str | None = None, **kw: Any
) -> Any:
    """A slider over the field's options (e.g. learning rates on a log grid)."""
    opts = _options(spec, options)
    kw.setdefault("help", spec.help)
    return st.select_slider(
        _label(spec, label),
        options=opts,
        key=spec.key,
        format_func=spec.name,
        **_default_kw(spec, "value", spec.default),
        **kw,
    )


def span_slider(spec: F.Field, *, label: str | None = None, **kw: Any) -> tuple:
    """A range slider over the field's options: returns ``(low, high)``.

    The default pair is always passed (a value kept in session state still wins): Streamlit
    decides from ``value`` whether a select slider is a range, and without it draws (and
    sends back) a single value on the next run."""
    kw.setdefault("help", spec.help)
    cur = st.session_state.get(spec.key)
    if isinstance(cur, list):
        st.session_state[spec.key] = tuple(cur)
    v = st.select_slider(
        _label(spec, label),
        options=list(spec.options),
        key=spec.key,
        format_func=spec.name,
        value=tuple(spec.default),
        **kw,
    )
    return tuple(v)


def selectbox(
    spec: F.Field, *, options: Sequence[Any] | None = None, label: str | None = None, **kw: Any
) -> Any:
    """A drop-down list of the field's options."""
    opts = _options(spec, options)
    kw.setdefault("help", spec.help)
    idx = opts.index(spec.default) if spec.default in opts else 0
    return st.selectbox(
        _label(spec, label),
        opts,
        key=spec.key,
        format_func=spec.name,
        **_default_kw(spec, "index", idx),
        **kw,
    )


def radio(
    spec: F.Field, *, options: Sequence[Any] | None = None, label: str | None = None, **kw: Any
) -> Any:
    """Radio buttons for the field's options."""
    opts = _options(spec, options)
    kw.setdefault("help", spec.help)
    idx = opts.index(spec.default) if spec.default in opts else 0
    return st.radio(
        _label(spec, label),
        opts,
        key=spec.key,
        format_func=spec.name,
        **_default_kw(spec, "index", idx),
        **kw,
    )


def segmented(
    spec: F.Field, *, options: Sequence[Any] | None = None, label: str | None = None, **kw: Any
) -> Any:
    """A segmented control that never returns None (a second click keeps the selection)."""
    opts = _options(spec, options)
    kw.setdefault("help", spec.help)
    if st.session_state.get(spec.key, spec.default) is None:
        st.session_state[spec.key] = spec.default
    v = st.segmented_control(
        _label(spec, label),
        opts,
        key=spec.key,
        format_func=spec.name,
        **_default_kw(spec, "default", spec.default),
        **kw,
    )
    return spec.default if v is None else v


def multiselect(spec: F.Field, *, label: str | None = None, **kw: Any) -> tuple:
    """Several of the field's options (kept in the options' order; at most the field's
    ``max_count``)."""
    kw.setdefault("help", spec.help)
    if spec.max_count is not None:
        kw.setdefault("max_selections", spec.max_count)
    v = st.multiselect(
        _label(spec, label),
        list(spec.options),
        key=spec.key,
        format_func=spec.name,
        **_default_kw(spec, "default", list(spec.default)),
        **kw,
    )
    order = {id(o): i for i, o in enumerate(spec.options)}
    return tuple(sorted(v, key=lambda o: order.get(id(o), 0)))


def toggle(spec: F.Field, *, label: str | None = None, **kw: Any) -> bool:
    """A switch."""
    kw.setdefault("help", spec.help)
    return bool(
        st.toggle(
            _label(spec, label), key=spec.key, **_default_kw(spec, "value", spec.default), **kw
        )
    )


def checkbox(spec: F.Field, *, label: str | None = None, **kw: Any) -> bool:
    """A tick box."""
    kw.setdefault("help", spec.help)
    return bool(
        st.checkbox(
            _label(spec, label), key=spec.key, **_default_kw(spec, "value", spec.default), **kw
        )
    )


def text_input(spec: F.Field, *, label: str | None = None, **kw: Any) -> str:
    """A text box of at most the field's ``max_chars``; the model validates the content."""
    kw.setdefault("help", spec.help)
    return st.text_input(
        _label(spec, label),
        key=spec.key,
        max_chars=spec.max_chars,
        **_default_kw(spec, "value", spec.default),
        **kw,
    )


def tabs(spec: F.Field) -> list:
    """Lazy tabs whose open tab is the field's value (in the link): draw into a tab only if
    ``tab.open``; only the open tab is computed and sent."""
    labels = [spec.name(o) for o in spec.options]
    cur = st.session_state.get(spec.key, spec.default)
    if cur in spec.options:  # session state holds the option; st.tabs wants its label
        st.session_state[spec.key] = spec.name(cur)
    out = st.tabs(labels, key=spec.key, default=spec.name(spec.default), on_change="rerun")
    return list(out)


def tab_value(spec: F.Field) -> Any:
    """The option of the open tab (after :func:`tabs`)."""
    label = st.session_state.get(spec.key, spec.name(spec.default))
    for o in spec.options:
        if spec.name(o) == label:
            return o
    return spec.default


def _clip_remembered(key: str, lo: float | None, hi: float | None) -> None:
    """Keep a remembered value inside bounds that moved since the last run (Streamlit 1.67
    keeps a keyed slider's old value and raises on the next change)."""
    cur = st.session_state.get(key)
    if isinstance(cur, (int, float)) and not isinstance(cur, bool):
        v = cur
        if lo is not None:
            v = max(v, lo)
        if hi is not None:
            v = min(v, hi)
        if v != cur:
            st.session_state[key] = type(cur)(v)


# ------------------------------------------------------------------ values the page works out
#
# A field whose default is None (``fields.number(..., default=None)``) shows a value the page
# works out (a surface's own start, rates measured for a model) until the learner or a link
# sets one.  The view reads the field with :func:`auto_read` (None while it follows the page:
# the link leaves it out), computes, then calls :func:`auto_show` with the worked-out value
# before drawing the widget.  :func:`auto_keep` turns what the widgets show into the learner's
# own values (e.g. rates that must stay put when the surface gets steeper), :func:`auto_forget`
# hands fields back to the page (e.g. a new surface brings its own start).

_FOLLOW = "_lrlab_follow"  # key -> the page's value the widget shows while it follows the page


def _follow() -> dict[str, Any]:
    return st.session_state.setdefault(_FOLLOW, {})


def auto_read(spec: F.Field) -> Any:
    """The field's value for ``Params``: None while the widget shows the page's own value."""
    ss = st.session_state
    cur = ss.get(spec.key)
    if cur is None:
        return None
    follow = _follow()
    if spec.key in follow and F._same(follow[spec.key], cur):
        return None
    follow.pop(spec.key, None)
    return cur


def auto_show(spec: F.Field, value: Any) -> None:
    """Before drawing the field's widget: let it show ``value`` if it follows the page."""
    ss = st.session_state
    follow = _follow()
    cur = ss.get(spec.key)
    if cur is None or (spec.key in follow and F._same(follow[spec.key], cur)):
        ss[spec.key] = value
        follow[spec.key] = value


def state(params_cls: type, readers: dict[str, Any] | None = None) -> Any:
    """The widgets' state as ``params_cls``, for a view that draws its widgets after the
    compute (beside the chart): a field whose page works its value out reads through
    :func:`auto_read`, a field named in ``readers`` through its reader (``reader(spec)``),
    every other field is its widget's value, or its default before the widget exists."""
    ss = st.session_state
    readers = readers or {}
    values = {}
    for name, spec in F.fields(params_cls).items():
        if spec.default is None:
            values[name] = auto_read(spec)
        elif name in readers:
            values[name] = readers[name](spec)
        else:
            v = ss.get(spec.key)
            values[name] = spec.default if v is None else v
    return params_cls(**values)


def auto_keep(*specs: F.Field) -> None:
    """The values these widgets show become the learner's own (in the link from now on).
    Call from a widget callback, before the widgets are drawn."""
    follow = _follow()
    for spec in specs:
        follow.pop(spec.key, None)


def auto_forget(*specs: F.Field) -> None:
    """These fields follow the page again (out of the link).  Call from a widget callback."""
    follow = _follow()
    for spec in specs:
        st.session_state[spec.key] = None
        follow.pop(spec.key, None)
