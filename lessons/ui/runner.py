"""The shared runner: everything every lesson page repeats, written once.

A lesson is a pure model (``Params`` -> ``compute`` -> ``Result`` -> sentences) and a thin view
(controls that return ``Params``, figures drawn from a ``Result``).  The runner puts them on the
page: title and narrative, the link check and its notices, one ``st.fragment`` per section with
one bounded ``st.cache_data`` around ``compute``, the address bar, lecture-mode layout (the
main chart on the first screen of a projector), verdicts with one icon per kind,
predict-then-reveal, CSV export, the next-lesson link, and a short message instead of a
traceback if a view fails.

A lesson's entry file is then three lines::

    from lessons.ui.runner import run
    from lessons.what_is_lr.view import LESSON

    run(LESSON)
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from html import escape
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from engine.verdict import Kind
from lessons.ui import controls, pages, poll, widgets
from lessons.ui import fields as F
from lessons.ui.parts import Question, Row, TakeHome

__all__ = ["Ctx", "Lesson", "Section", "run", "sidebar"]

log = logging.getLogger("lrlab")

#: one icon per verdict kind, on every page
ICONS: dict[Kind, str] = {
    Kind.CONVERGED: "✅",
    Kind.GOOD: "✅",
    Kind.OSCILLATING: "〰️",
    Kind.SLOW: "🐢",
    Kind.TOO_LOW: "🐢",
    Kind.PLATEAU: "🧱",
    Kind.LOCAL_MIN: "⛳",
    Kind.SADDLE: "🧱",
    Kind.DIVERGED: "💥",
    Kind.UNBOUNDED: "📉",
    Kind.TOO_HIGH: "🎢",
    Kind.PENDING: "🤔",
    Kind.NOTHING: "•",
}


@dataclass(frozen=True)
class AppParams:
    """Settings of the whole app, in every link."""

    lecture: bool = F.flag(
        "lecture",
        "Lecture mode",
        help="Projector-ready: the chart first, bigger text and lines, reading text folded away.",
    )


LECTURE = F.field_of(AppParams, "lecture")


@dataclass(frozen=True)
class Section:
    """One controls-plus-charts block of a lesson, rerun on its own (an ``st.fragment``).

    ``controls(ctx)`` draws the widgets (from the model's fields) and returns ``Params``;
    ``compute(params)`` is the model's pure computation (cached here); ``show(ctx, params,
    result)`` draws the figures.  ``question(params, result)`` is the predict-then-reveal
    question (its answer is in the link under ``quiz_key``); ``rows(params, result)`` the
    verdict lines; ``data(params, result)`` the CSV behind the main chart.
    """

    params: type
    compute: Callable[[Any], Any]
    controls: Callable[[Ctx], Any]
    show: Callable[[Ctx, Any, Any], None]
    question: Callable[[Any, Any], Question | None] | None = None
    quiz_key: str | None = None
    rows: Callable[[Any, Any], Sequence[Row]] | None = None
    data: Callable[[Any, Any], pd.DataFrame] | None = None
    data_name: str = "data"
    title: str | None = None
    cache_entries: int = 32
    #: the view as code (``takehome(params, result) -> TakeHome``), in a "Take it home" panel
    takehome: Callable[[Any, Any], TakeHome] | None = None


@dataclass(frozen=True)
class Lesson:
    """A lesson page: its catalogue entry (``path``), words, and sections."""

    path: str
    intro: str
    narrative: str
    sections: tuple[Section, ...]
    narrative_label: str = "What to try, what to notice"
    #: the lesson's own short sentence for lecture mode (default: the intro's first sentence)
    lecture_intro: str | None = None
    #: the page offers *Start a class poll* at its top, which opens the teacher's guide's first
    #: step (the teacher's guide); lesson pages offer it in their question instead
    poll_start: bool = False

    @property
    def info(self) -> pages.PageInfo:
        return pages.by_path(self.path)

    @classmethod
    def of_model(
        cls,
        path: str,
        model: Any,
        *,
        controls: Callable[[Ctx], Any],
        show: Callable[[Ctx, Any, Any], None],
        intro: str | None = None,
        lecture_intro: str | None = None,
        **section: Any,
    ) -> Lesson:
        """The usual lesson: one section over its ``model`` module, which holds ``Params``,
        ``compute``, the words ``INTRO`` and ``NARRATIVE`` and, where the lesson has them,
        ``question``, ``takehome`` and ``LECTURE_INTRO``. ``intro``/``lecture_intro`` override
        the model's words; ``section`` passes the rest to :class:`Section` (``quiz_key``,
        ``cache_entries``...)."""
        return cls(
            path=path,
            intro=model.INTRO if intro is None else intro,
            lecture_intro=getattr(model, "LECTURE_INTRO", None)
            if lecture_intro is None
            else lecture_intro,
            narrative=model.NARRATIVE,
            sections=(
                Section(
                    params=model.Params,
                    compute=model.compute,
                    controls=controls,
                    show=show,
                    question=getattr(model, "question", None),
                    takehome=getattr(model, "takehome", None),
                    **section,
                ),
            ),
        )


@dataclass
class Ctx:
    """What a view draws with: the mode, the layout slots and the shared furniture."""

    lecture: bool
    dark: bool
    top: Any  #: the main chart's slot: first on the screen in lecture mode
    controls: Any  #: the controls' slot: above ``top`` normally, just below it in lecture mode
    body: Any  #: everything else, below
    answered: bool = False  #: the section's prediction has been made (or there is none)
    params: Any = None
    #: what identifies this section's figures besides the chart's key (set by the runner)
    scope: tuple = ()

    def chart(
        self,
        fig: go.Figure | Callable[[], go.Figure],
        *,
        key: str,
        caption: str,
        alt: str | None = None,
        data: pd.DataFrame | Callable[[], pd.DataFrame] | None = None,
        filename: str | None = None,
        depends: Any = None,
    ) -> None:
        """A figure full width, its caption, a text alternative for screen readers (``alt``,
        default: the caption) and, with ``data``, its CSV.

        Give ``fig`` as a function that builds it (``lambda: figures.curve(r, big=...)``) and
        it is built once for this view and kept, ready to send: what a figure shows follows
        from the section's ``Params``, the prediction being made, lecture mode and the theme
        (plus ``depends``, for anything else a builder reads), so a hall opening one link
        builds it once, not a hundred times."""
        if callable(fig):
            ident = (*self.scope, key, self.params, self.answered, self.lecture, self.dark)
            widgets.chart_built(
                fig,
                ident if depends is None else (*ident, depends),
                key=key,
                caption=caption,
                data=data,
                filename=filename,
                alt=alt,
                dark=self.dark,
            )
        else:
            widgets.chart(fig, key=key, caption=caption, data=data, filename=filename, alt=alt)

    def table(self, df: pd.DataFrame, *, decimals: dict[str, int] | None = None) -> None:
        """A table of numbers, without its index; ``decimals``: digits after the point per
        column. Normally interactive (``st.dataframe``); in lecture mode plain HTML
        (``st.table``), whose text the lecture CSS sets at projector size: ``st.dataframe``
        draws its cells on a canvas at 14 px whatever the page's CSS says."""
        decimals = decimals or {}
        if self.lecture:
            shown = df.assign(
                **{c: df[c].map(lambda v, d=d: f"{v:.{d}f}") for c, d in decimals.items()}
            )
            st.table(shown, hide_index=True)
        else:
            config = {
                c: st.column_config.NumberColumn(format=f"%.{d}f") for c, d in decimals.items()
            }
            st.dataframe(df, hide_index=True, width="stretch", column_config=config or None)

    def verdicts(self, rows: Sequence[Row]) -> None:
        """One line per run: icon, label, kind, sentence."""
        show_rows(rows)


def show_rows(rows: Sequence[Row]) -> None:
    """The verdict lines as a live region: a screen reader reads them out when they change."""
    items = []
    for r in rows:
        icon = ICONS.get(Kind(r.kind), "•") if r.kind in Kind._value2member_map_ else "•"
        items.append(
            f"<li><span aria-hidden='true'>{icon}</span> <b>{escape(r.label)}</b> — "
            f"<i>{escape(str(r.kind))}</i>: {escape(r.text)}</li>"
        )
    if items:
        st.html(
            "<div class='lrlab-verdicts' role='status' aria-live='polite'>"
            f"<ul style='margin:0 0 0.5rem 0;padding-left:1.2rem'>{''.join(items)}</ul></div>"
        )


lecture = widgets.lecture


# ------------------------------------------------------------------------------ caching

_CACHED: dict[int, Callable[[Any], Any]] = {}


def cached(section: Section) -> Callable[[Any], Any]:
    """``section.compute`` behind one bounded ``st.cache_data`` keyed on ``Params``."""
    fn = _CACHED.get(id(section.compute))
    if fn is None:
        fn = st.cache_data(max_entries=section.cache_entries, show_spinner=False)(section.compute)
        _CACHED[id(section.compute)] = fn
    return fn


# ------------------------------------------------------------------------------ the page


def _quiz_field(section: Section) -> F.Field | None:
    if section.quiz_key is None:
        return None
    return F.Field(section.quiz_key, "Your prediction", None, "number", 1, 9, integer=True)


_NOTICES = "_lrlab_notices"  # (page path, notices) of the link that opened this page


def _notices(path: str, notes: Sequence[F.Notice | str]) -> None:
    """Say what a link asked for and did not get; kept while the learner stays on the page."""
    ss = st.session_state
    stored = ss.get(_NOTICES)
    if notes:
        stored = (path, [n if isinstance(n, str) else n.text for n in notes])
        ss[_NOTICES] = stored
    elif stored is not None and stored[0] != path:
        stored = None
        ss.pop(_NOTICES, None)
    if stored is not None:
        st.info("\n\n".join(stored[1]), icon=":material/link:")


def _header(lesson: Lesson, big: bool) -> None:
    st.title(lesson.info.title)
    if big:
        st.markdown(lesson.lecture_intro or _first_sentence(lesson.intro))
    else:
        st.markdown(lesson.intro)


def _first_sentence(text: str) -> str:
    for end in (". ", "? ", "! ", ": "):
        i = text.find(end)
        if i > 0:
            return text[: i + 1]
    return text


def _narrative(lesson: Lesson, big: bool) -> None:
    if big:
        with st.expander(lesson.narrative_label, expanded=False):
            st.markdown(lesson.narrative)
    else:
        with st.container(border=True):
            st.markdown(f"**{lesson.narrative_label}**\n\n{lesson.narrative}")


def _poll_section(lesson: Lesson) -> int | None:
    """The section whose question the class poll asks: the first one that has a question."""
    for i, s in enumerate(lesson.sections):
        if s.question is not None and s.quiz_key:
            return i
    return None


def _predict(section: Section, q: Question, ctx: Ctx, lesson: Lesson, polled: bool) -> None:
    """Predict-then-reveal: answer first, then the run's explanation.

    On the page's poll question (``polled``) a class poll run by this session takes the block
    over (:func:`lessons.ui.poll.panel`: the hall votes, the teacher reveals); without one,
    lecture mode adds *Start a class poll*.
    """
    key = section.quiz_key
    title = lesson.info.title
    if polled and poll.panel(lesson.path, title, key, q, big=ctx.lecture):
        return
    with st.container(border=True):
        st.markdown(f"**🤔 Predict first:** {q.text}")
        choice = st.radio(
            "Your prediction",
            list(range(len(q.options))),
            index=None,
            key=f"{key}_radio",
            format_func=lambda i: q.options[i],
            label_visibility="collapsed",
        )
        st.session_state[key] = None if choice is None else int(choice) + 1
        if choice is None:
            st.caption("Pick an answer to see what really happens.")
        elif choice == q.answer:
            st.success(f"Right. {q.explanation}")
        else:
            st.warning(f"Not quite: the answer is **{q.options[q.answer]}**. {q.explanation}")
        if polled and ctx.lecture and not poll.running():
            poll.start_button(lesson.path, title, q)


def _answered(section: Section) -> bool:
    if section.quiz_key is None:
        return True
    return st.session_state.get(section.quiz_key) is not None


def _seed_quiz(section: Section) -> list[F.Notice]:
    spec = _quiz_field(section)
    if spec is None:
        return []
    notes = controls.seed([spec])
    v = st.session_state.get(spec.key)
    radio = f"{spec.key}_radio"
    if v is not None and st.session_state.get(radio) is None:
        st.session_state[radio] = int(v) - 1
    return notes


def _section(lesson: Lesson, section: Section, index: int) -> None:
    big = lecture()
    dark = widgets.theme() == "dark"
    if section.title:
        st.header(section.title)
    if big:
        top, ctrl, ask, body = st.container(), st.container(), st.container(), st.container()
    else:
        ctrl, top, ask, body = st.container(), st.container(), st.container(), st.container()
    ctx = Ctx(big, dark, top, ctrl, body, answered=_answered(section))
    ctx.scope = (lesson.path, index)
    specs = list(F.fields(section.params).values())
    try:
        with ctrl:
            params = section.controls(ctx)
        ctx.params = params
        controls.publish(specs, {s.key: v for s, v in zip(specs, _values(params), strict=True)})
        result = cached(section)(params)
        q = section.question(params, result) if section.question else None
        if q is not None and section.quiz_key:
            with ask:
                _predict(section, q, ctx, lesson, index == _poll_section(lesson))
            ctx.answered = _answered(section)
            qspec = _quiz_field(section)
            controls.publish([qspec], {qspec.key: st.session_state.get(qspec.key)})
        section.show(ctx, params, result)
        with body:
            if section.rows is not None:
                show_rows(section.rows(params, result))
            if section.data is not None:
                widgets.download_csv(
                    partial(section.data, params, result),
                    f"{section.data_name}.csv",
                    key=f"_csv_{lesson.info.url_path}_{index}",
                )
            if section.takehome is not None:
                _take_home(lesson, section, index, params, result)
    except Exception:  # a view must never show a traceback: log it, say so briefly
        log.exception("lesson %s, section %d failed", lesson.path, index)
        st.error(
            "This view could not be drawn. Try other settings or reload the page; "
            "the details are in the server's log.",
            icon=":material/error:",
        )


def view_url(lesson: Lesson, params: Any) -> str:
    """The link to this view (the app's address, the page, the canonical query)."""
    from urllib.parse import urlencode, urlsplit

    try:
        parts = urlsplit(st.context.url or "")
        base = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    except Exception:  # pragma: no cover - no request context
        base = ""
    query = F.to_query(params)
    q = urlencode([(k, v) for k, vs in query.items() for v in vs])
    return f"{base}/{lesson.info.route}" + (f"?{q}" if q else "")


#: generated code kept per view (the code depends on the section's Params only)
KEEP_TAKEHOME = 128
_takehome: OrderedDict[Any, TakeHome] = OrderedDict()
_takehome_lock = threading.Lock()


def _code(lesson: Lesson, section: Section, index: int, params: Any, result: Any) -> TakeHome:
    ident = (lesson.path, index, params)
    try:
        hash(ident)
    except TypeError:
        return section.takehome(params, result)
    with _takehome_lock:
        th = _takehome.get(ident)
        if th is not None:
            _takehome.move_to_end(ident)
            return th
    th = section.takehome(params, result)
    with _takehome_lock:
        _takehome[ident] = th
        while len(_takehome) > KEEP_TAKEHOME:
            _takehome.popitem(last=False)
    return th


def take_home_key(lesson: Lesson, index: int) -> str:
    """The Take it home panel's key: its open state is in ``st.session_state`` under it."""
    return f"_th_{lesson.info.url_path}_{index}"


def _take_home(lesson: Lesson, section: Section, index: int, params: Any, result: Any) -> None:
    """The view as code: engine lines, PyTorch, and a notebook with both (built on click).

    The code is drawn only while the panel is open (opening it reruns the section): two
    syntax-highlighted listings cost a browser about 15% of a lesson's drawing time, on every
    view, for a panel most visits never open."""
    key = take_home_key(lesson, index)
    with st.expander(
        "Take it home: this view as code", icon=":material/code:", key=key, on_change="rerun"
    ):
        if st.session_state.get(key):
            _take_home_body(lesson, section, index, params, result)


def _take_home_body(lesson: Lesson, section: Section, index: int, params: Any, result: Any) -> None:
    """The open panel: the code in tabs, and the notebook download."""
    th = _code(lesson, section, index, params, result)
    url = view_url(lesson, params)
    tabs = ["LR Lab's engine"] + ([th.torch_label] if th.torch is not None else [])
    panes = st.tabs(tabs)
    with panes[0]:
        st.caption("Recomputes this view's numbers in a notebook or script (same seed).")
        st.code(th.engine.source, language="python")
    if th.torch is not None:
        with panes[1]:
            needs = ", ".join(sorted(set(th.torch.requires))) or "torch"
            st.caption(f"The same in PyTorch (needs `pip install {needs}`).")
            st.code(th.torch.source, language="python")
            for note in th.torch.notes:
                st.caption(note)

    def notebook() -> str:
        from takehome import notebook_json

        return notebook_json(
            title=lesson.info.title,
            url=url if url.startswith("http") else None,
            engine=th.engine,
            torch=th.torch,
        )

    st.download_button(
        "Download as a Jupyter notebook",
        notebook,
        file_name=f"lr-lab-{lesson.info.url_path}"
        + (f"-{index + 1}" if len(lesson.sections) > 1 else "")
        + ".ipynb",
        mime="application/x-ipynb+json",
        key=f"_nb_{lesson.info.url_path}_{index}",
        icon=":material/download:",
        on_click="ignore",
    )


def _values(params: Any) -> list[Any]:
    return [getattr(params, name) for name in F.fields(params)]


def run(lesson: Lesson) -> None:
    """Draw ``lesson``'s page."""
    big = lecture()
    _header(lesson, big)
    notes: list[F.Notice | str] = []
    known = {LECTURE.key}
    for section in lesson.sections:
        specs = F.fields(section.params).values()
        notes += controls.seed(specs)
        notes += _seed_quiz(section)
        known |= {k for s in specs for k in (s.key, *s.aliases)}
        if section.quiz_key:
            known.add(section.quiz_key)
    notes += controls.foreign(known)
    _notices(lesson.path, notes)
    poll_bar = st.container()  # the class poll, on a page that shows no poll panel
    if not big:
        _narrative(lesson, big)
    poll.drawn_reset()
    for i, section in enumerate(lesson.sections):
        st.fragment(lambda s=section, i=i: _section(lesson, s, i))()
    if lesson.poll_start or (poll.running() and not poll.drawn()):
        with poll_bar:
            poll.page_bar(lesson.path, start_here=lesson.poll_start)
    if big:
        _narrative(lesson, big)
    widgets.next_lesson(lesson.path)


# ------------------------------------------------------------------------------ sidebar

_COPY_LINK_HTML = """
<button id="b" style="font:14px sans-serif;padding:6px 10px;border-radius:8px;
 border:1px solid #bbb;background:#fff;color:#222;cursor:pointer;width:100%">Copy link to this view</button>
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
[data-testid="stMain"] [data-testid="stCaptionContainer"],
[data-testid="stMain"] [data-testid="stCaptionContainer"] p { font-size: 1.15rem; }
[data-testid="stMain"] code, [data-testid="stMain"] pre { font-size: 1.15rem !important; }
[data-testid="stMain"] [data-testid="stSliderTickBar"],
[data-testid="stMain"] [data-testid="stSliderThumbValue"] p { font-size: 1.15rem; }
[data-testid="stMain"] table, [data-testid="stMain"] [data-testid="stTable"] td,
[data-testid="stMain"] [data-testid="stTable"] th { font-size: 1.15rem; }
[data-testid="stMain"] [data-testid="stExpander"] summary p { font-size: 1.2rem; }
[data-testid="stMain"] [data-testid="stAlertContainer"] p { font-size: 1.2rem; }
[data-testid="stMain"] [data-testid="stMultiSelectTagsContainer"] [data-tag],
[data-testid="stMain"] [data-testid="stMultiSelectTagsContainer"] [data-tag] span,
[data-testid="stMain"] [data-baseweb="select"] div { font-size: 1.15rem; }
[data-testid="stMain"] [data-testid="stNumberInput"] input,
[data-testid="stMain"] [data-testid="stTextInput"] input { font-size: 1.15rem; }
</style>
"""


#: every page: captions drawn at 82% of the text colour (4.5:1 or better in both themes,
#: where Streamlit's faded grey is 3.9:1 on white), and display formulas that never scroll
_APP_CSS = """
<style>
[data-testid="stCaptionContainer"] { color: inherit !important; opacity: 0.82; }
.katex-display { overflow: visible !important; }
</style>
"""


def _menu() -> None:
    """The page menu: one link per page, grouped by section (Streamlit marks the current one)."""
    for section, infos in _sections().items():
        st.markdown(f"**{section}**")
        for info in infos:
            st.page_link(info.path, label=info.title, icon=info.icon)


def _sections() -> dict[str, list[pages.PageInfo]]:
    out: dict[str, list[pages.PageInfo]] = {}
    for info in pages.available():
        out.setdefault(info.section, []).append(info)
    return out


def sidebar() -> None:
    """The shared sidebar: the page menu, lecture-mode switch and the copy-link control."""
    for note in controls.seed([LECTURE], sticky=True):
        st.toast(note.text, icon=":material/link:")
    st.html(_APP_CSS)
    with st.sidebar:
        _menu()
        st.divider()
        on = controls.toggle(LECTURE)
        controls.publish([LECTURE])
        st.iframe(_COPY_LINK_HTML, height=44)
        st.caption(
            "Every control is saved in the address bar: the copied link reopens this exact view, "
            "same numbers, same seeds."
        )
    if on:
        st.html(_LECTURE_CSS)
