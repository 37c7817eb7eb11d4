"""The class poll in the app: its database connection, the teacher's panel, the students' page.

The rules and the storage are :mod:`classroom` (no Streamlit; tested on SQLite and PostgreSQL).
This module is the Streamlit side, written once for every lesson:

* :func:`engine`: the poll's database through ``st.connection("poll", type="sql")``: the
  ``[connections.poll]`` of ``.streamlit/secrets.toml`` if there is one, else the URL of
  :func:`classroom.database_url` (``$LRLAB_POLL_DB_URL``, else an SQLite file in the temporary
  folder). Every read goes through the engine, in its own short transaction: nothing is cached.
* :func:`panel`: drawn by the shared runner inside a lesson's predict-then-reveal block: the
  room's code, QR code and link, the question, the live count (and, when the teacher asks, the
  bar chart) in an ``st.fragment(run_every=TEACHER_EVERY)``, Reveal, Next question, End poll and
  the results as CSV. :func:`start_button` is the block's *Start a class poll*.
* :func:`page_bar`: drawn by the runner at the top of a page that shows no panel: the teacher's
  guide (*Start a class poll*, which opens the guide's first step) and pages without a question.
* :func:`student_page`: the phone page at ``/poll?room=K7P4QX&v=<voter token>``.

Identity and secrets
--------------------
* **Teacher.** :func:`classroom.create_room` returns the room's code and its host secret. Both
  live in the teacher's ``st.session_state`` only: they follow the teacher from page to page
  inside the app, and never reach an address bar (the projector shows it) or a student's link.
  A reload starts a new session, which has no secret: it cannot run the old room (start a new
  one). Each session has its own opaque creator token, for the flood limit on new rooms.
* **Student.** The voter token is in the student's own address, ``v=...``, made on the first
  visit (the QR code carries none, so every phone that scans it gets its own); a reload keeps
  the address, so the student keeps their vote. There are no names and no accounts.

Which question
--------------
A room's questions are numbered by the step of the teacher's guide (:data:`lessons.ui.guide.PLAN`)
whose page asks them (a page outside the guide uses ``100 +`` its catalogue position). A page's
poll question is the question of its first section that has one, computed from the run at the
page's parameters. *Next question* opens the next step's link; that page asks its question when
it arrives.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from html import escape
from typing import Any, TypeVar
from urllib.parse import urlsplit

import plotly.graph_objects as go
import streamlit as st

import classroom
from classroom import PollError, Reason, Tally
from lessons.ui import guide, pages
from lessons.ui.parts import Question
from lessons.ui.style import GREY, color, plot_config, style

__all__ = [
    "CONNECTION",
    "STUDENT_EVERY",
    "TEACHER_EVERY",
    "engine",
    "join_url",
    "page_bar",
    "panel",
    "qr_svg",
    "start_button",
    "step_of",
    "student_page",
    "tally_figure",
]

log = logging.getLogger("lrlab")

#: the name of the poll's ``st.connection`` (and of its ``[connections.poll]`` in secrets.toml)
CONNECTION = "poll"
#: seconds between two refreshes of the teacher's count and chart, and of a student's phone
TEACHER_EVERY = 2.0
STUDENT_EVERY = 3.0
#: how long one server reuses a room as its students see it (question, reveal, closed): a hall
#: of phones refreshing every few seconds costs one database read per room per ROOM_VIEW_TTL
#: instead of one per phone; the teacher's tally and every vote always read the database
ROOM_VIEW_TTL = 1.0
#: the QR code's side on the teacher's screen, in CSS pixels (a quarter of a 1280 px projector)
QR_PX = 320
#: first question number of a page that is not a step of the teacher's guide
OFF_GUIDE = 100

# session-state keys (the teacher's room, this session's creator token, a message to show once)
_HOST = "_lrlab_poll_host"
_CREATOR = "_lrlab_poll_creator"
_MSG = "_lrlab_poll_msg"
_DRAWN = "_lrlab_poll_drawn"
_STUDENT_MSG = "_lrlab_poll_student_msg"
_VOTER = "_lrlab_poll_voter"
_MINE = "_lrlab_poll_mine"  # (code, question index) -> this student's vote (votes are final)

_T = TypeVar("_T")


# ------------------------------------------------------------------------------ the database


def _in_secrets() -> bool:
    """True when ``.streamlit/secrets.toml`` has a ``[connections.poll]`` table."""
    try:
        if not st.secrets.load_if_toml_exists():
            return False
        conns = st.secrets.get("connections")
        return conns is not None and CONNECTION in conns
    except Exception:  # an unreadable secrets file: the environment decides
        return False


def engine() -> Any:
    """The poll's SQLAlchemy engine, from ``st.connection`` (one per process and URL).

    ``[connections.poll]`` in secrets.toml wins; else ``classroom.database_url()`` (the env var
    ``LRLAB_POLL_DB_URL``, else SQLite in the temporary folder).

    Raises
    ------
    PollError
        ``UNAVAILABLE`` when the connection cannot be made (the reason goes to the log).
    """
    kwargs: dict[str, Any] = {} if _in_secrets() else {"url": classroom.database_url()}
    try:
        return st.connection(CONNECTION, type="sql", pool_pre_ping=True, **kwargs).engine
    except Exception as err:
        log.exception("the class poll's database connection failed")
        raise PollError(
            Reason.UNAVAILABLE,
            "The class poll's database cannot be reached right now: try again in a moment.",
        ) from err


def _db(fn: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """Call a :mod:`classroom` function on the poll's engine at the current time; any failure
    other than a refusal is logged and becomes an ``UNAVAILABLE`` refusal."""
    try:
        return fn(engine(), *args, now=time.time(), **kwargs)
    except PollError:
        raise
    except Exception as err:
        log.exception("class poll: %s failed", getattr(fn, "__name__", fn))
        raise PollError(
            Reason.UNAVAILABLE,
            "The class poll's database cannot be used right now: try again in a moment.",
        ) from err


# ------------------------------------------------------------------------------ links and QR


def base_url() -> str:
    """The app's address as the browser sees it (scheme, host and any base path), no slash."""
    try:
        parts = urlsplit(st.context.url or "")
    except Exception:
        return ""
    if not (parts.scheme and parts.netloc):
        return ""
    root = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"{parts.scheme}://{parts.netloc}" + (f"/{root}" if root else "")


def join_url(code: str, base: str | None = None) -> str:
    """The students' link to room ``code``: ``<base>/poll?room=K7P4QX`` (no voter token)."""
    base = base_url() if base is None else base
    return f"{base.rstrip('/')}/{pages.POLL.url_path}?room={code}"


def qr_svg(url: str) -> str:
    """``url`` as a QR code: inline SVG that scales to its box (dark on white, in both themes).

    Error correction M (15%) keeps the modules large enough to scan across a hall.
    """
    import segno  # only the teacher's panel needs it

    qr = segno.make(url, error="m", micro=False)
    return qr.svg_inline(scale=1, border=2, omitsize=True, dark="#000000", light="#ffffff")


def _short(url: str) -> str:
    """A link as people read it off a screen: without ``http://`` or ``https://``."""
    return url.split("://", 1)[-1]


# ------------------------------------------------------------------------------ guide steps


def step_of(path: str, hint: int | None = None) -> int:
    """The question number of the page at ``path``: the guide step ``hint`` if it shows this
    page, else the first step that does, else ``OFF_GUIDE +`` its catalogue position."""
    plan = guide.PLAN
    if hint is not None and 0 <= hint < len(plan) and plan[hint].path == path:
        return hint
    for i, s in enumerate(plan):
        if s.path == path:
            return i
    for i, p in enumerate(pages.LESSONS):
        if p.path == path:
            return OFF_GUIDE + i
    return OFF_GUIDE + len(pages.LESSONS)


def _next_step(step: int) -> int | None:
    """The guide step after ``step`` whose page exists (None after the last)."""
    for j in range(step + 1, len(guide.PLAN)):
        if guide.PLAN[j].page.exists:
            return j
    return None


def _step_link(step: int) -> tuple[str, dict[str, str | list[str]]] | None:
    """The page and query of guide step ``step`` (lecture mode on), or None off the guide."""
    if not 0 <= step < len(guide.PLAN):
        return None
    s = guide.PLAN[step]
    return s.path, {**s.query, "lecture": "true"}


def _step_title(step: int) -> str:
    if 0 <= step < len(guide.PLAN):
        return guide.PLAN[step].page.title
    i = step - OFF_GUIDE
    return pages.LESSONS[i].title if 0 <= i < len(pages.LESSONS) else "another page"


def _letter(i: int) -> str:
    return chr(ord("A") + i)


# ------------------------------------------------------------------------------ teacher's state


def _host() -> dict[str, Any] | None:
    """The teacher's room in this session: code, secret, step, asked content, closed."""
    return st.session_state.get(_HOST)


def _creator() -> str:
    token = st.session_state.get(_CREATOR)
    if token is None:
        token = st.session_state[_CREATOR] = secrets.token_urlsafe(16)
    return token


def _say(message: str) -> None:
    """A message for the teacher's panel, shown on its next run."""
    st.session_state[_MSG] = message


def _said() -> None:
    msg = st.session_state.pop(_MSG, None)
    if msg:
        st.warning(msg, icon=":material/info:")


def _content(q: Question, title: str) -> tuple:
    return (title, q.text, tuple(q.options), q.answer)


def _ask(h: dict[str, Any], step: int, title: str, q: Question) -> None:
    """Make ``q`` the room's question number ``step`` (moving the room there)."""
    _db(
        classroom.set_question,
        h["code"],
        h["secret"],
        index=step,
        lesson=title,
        text=q.text,
        options=list(q.options),
        answer=q.answer,
    )
    h["step"], h["asked"] = step, _content(q, title)


def _start(path: str, step: int, title: str, q: Question | None) -> bool:
    """Start a room (and ask ``q`` as question ``step``); False with a message if refused."""
    try:
        key = _db(classroom.create_room, creator=_creator())
    except PollError as err:
        _say(err.message)
        return False
    h = {"code": key.code, "secret": key.secret, "step": step, "asked": None, "closed": False}
    st.session_state[_HOST] = h
    if q is not None:
        try:
            _ask(h, step, title, q)
        except PollError as err:
            _say(err.message)
    return True


def _forget() -> None:
    st.session_state.pop(_HOST, None)


def _reveal(quiz_key: str) -> None:
    h = _host()
    if h is None:
        return
    try:
        q = _db(classroom.reveal, h["code"], h["secret"])
    except PollError as err:
        _say(err.message)
        return
    if q.answer is not None:
        st.session_state[quiz_key] = q.answer + 1
        st.session_state[f"{quiz_key}_radio"] = q.answer


def _end() -> None:
    h = _host()
    if h is None:
        return
    try:
        _db(classroom.close_room, h["code"], h["secret"])
    except PollError as err:
        _say(err.message)
        if err.reason is not Reason.NO_ROOM:
            return
    h["closed"] = True


def _results(code: str, secret: str) -> Callable[[], bytes]:
    def build() -> bytes:
        try:
            return _db(classroom.results_csv, code, secret).encode("utf-8")
        except PollError as err:
            return f"error\n{err.message}\n".encode()

    return build


def _csv_button(h: dict[str, Any]) -> None:
    st.download_button(
        "CSV",
        _results(h["code"], h["secret"]),
        file_name=f"class-poll-{h['code']}.csv",
        mime="text/csv",
        key=f"poll_csv_{h['code']}",
        icon=":material/download:",
        on_click="ignore",
        help="Download the room's results: every question, its options and their counts "
        "(no names, no voter ids).",
    )


# ------------------------------------------------------------------------------ teacher's panel

_PANEL_CSS = """
<style>
.lrlab-poll-code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-weight: 700;
  font-size: 4.2rem; line-height: 1.05; letter-spacing: 0.08em; margin: 0.1rem 0 0.3rem 0; }
.lrlab-poll-link { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 1.25rem;
  font-weight: 600; word-break: break-all; margin: 0 0 0.6rem 0; }
.lrlab-poll-count { font-size: 2.6rem; font-weight: 700; line-height: 1.1; }
.lrlab-poll-count span { font-size: 1.3rem; font-weight: 400; }
.st-key-lrlab_poll_panel .stDownloadButton button,
.st-key-lrlab_poll_ended .stDownloadButton button { min-height: 3.2rem; font-size: 1.35rem;
  padding: 0.4rem 1.4rem; }
</style>
"""


def _join_card(code: str) -> None:
    """The code to read aloud, the link to type and the QR code to scan."""
    url = join_url(code)
    display = classroom.format_code(code)
    st.html(_PANEL_CSS)
    st.html(
        "<div class='lrlab-poll-join'>"
        "<div>Join on your phone:</div>"
        f"<div class='lrlab-poll-link'>{escape(_short(url))}</div>"
        f"<div>Room code</div><div class='lrlab-poll-code'>{escape(display)}</div></div>"
    )
    # st.html strips SVG; st.image shows it as an image (sharp at any size)
    st.image(qr_svg(url), width=QR_PX, alt=f"QR code of the link {url}")


def tally_figure(t: Tally, *, big: bool = True) -> go.Figure:
    """Votes per option as bars (A, B, ...). Before the reveal every bar is the same colour;
    after it the right answer is green and marked with a tick (a cue that is not colour)."""
    letters = [_letter(i) for i in range(len(t.options))]
    right = [t.revealed and i == t.answer for i in range(len(t.options))]
    colours = [color(2) if r else (GREY if t.revealed else color(0)) for r in right]
    labels = [f"✓ {n}" if r else str(n) for n, r in zip(t.counts, right, strict=True)]
    fig = go.Figure(
        go.Bar(
            x=letters,
            y=list(t.counts),
            text=labels,
            textposition="outside",
            cliponaxis=False,
            marker={"color": colours},
            hovertext=list(t.options),
            hovertemplate="%{x}: %{hovertext}<br>%{y} answers<extra></extra>",
        )
    )
    top = max(max(t.counts, default=0), 1)
    fig.update_yaxes(
        title="answers", range=[0, top * 1.25], tickformat="d", dtick=max(1, -(-top // 5))
    )
    fig.update_xaxes(title=None, type="category")
    return style(fig, height=190, big=big, legend=False)


def _live(code: str, secret: str, step: int, big: bool) -> None:
    """The count of answers and, on demand, the chart: refreshed every ``TEACHER_EVERY`` s."""
    try:
        t = _db(classroom.tally, code, secret, index=step)
    except PollError as err:
        st.warning(err.message, icon=":material/info:")
        return
    if t is None:
        st.caption("The question is being sent to the room…")
        return
    word = "answer" if t.total == 1 else "answers"
    st.html(
        f"<div class='lrlab-poll-count' role='status' aria-live='polite'>{t.total} "
        f"<span>{word} so far</span></div>"
    )
    # the switch stays after the reveal (the chart then shows anyway): the elements below keep
    # their places, so a refresh never leaves a stale copy of the chart behind
    show = st.toggle(
        "Show the answers",
        key=f"poll_chart_{code}_{step}",
        help="The bar chart of the answers, on the projector. The students never see it.",
        disabled=t.revealed,
    )
    if show or t.revealed:
        alt = ", ".join(f"{_letter(i)}: {n}" for i, n in enumerate(t.counts))
        st.plotly_chart(
            tally_figure(t, big=big),
            width="stretch",
            key=f"poll_fig_{code}_{step}",
            config=plot_config(f"class-poll-{code}-step-{step + 1}"),
            alt=f"Answers per option: {alt}.",
        )


def start_button(path: str, title: str, q: Question, hint: int | None = None) -> None:
    """*Start a class poll* (lecture mode, no room yet): a room whose first question is ``q``."""
    _said()
    step = step_of(path, hint)
    st.button(
        "Start a class poll",
        key="poll_start",
        icon=":material/groups:",
        on_click=_start,
        args=(path, step, title, q),
        help="The hall answers this question on their phones: a room code, a QR code and a "
        "link appear here.",
    )


def panel(path: str, title: str, quiz_key: str, q: Question, *, big: bool) -> bool:
    """The poll's part of a predict-then-reveal block, when this session runs a room.

    Returns True when the poll takes the question over (the caller then draws no radio of its
    own): the room is asking this page's question. Syncs ``quiz_key`` with the room: the
    question counts as answered (the held-back run appears) once the teacher has revealed it.
    """
    h = _host()
    if h is None:
        return False
    st.session_state[_DRAWN] = True
    if h.get("closed"):
        _ended(h)
        # the page's own radio comes back: written again in this run, so that the browser shows
        # the answer revealed earlier (a value set in an earlier run is not sent to a new widget)
        radio = f"{quiz_key}_radio"
        if st.session_state.get(radio) is not None:
            st.session_state[radio] = st.session_state[radio]
        return False
    step = step_of(path, h.get("step"))
    if h.get("step") != step:
        _elsewhere(h, path, title, q, step)
        return False
    try:
        if h.get("asked") != _content(q, title):
            try:
                _ask(h, step, title, q)
            except PollError as err:
                if err.reason is not Reason.BAD_QUESTION:
                    raise
                st.caption(
                    "The settings changed after the first votes came in: the room keeps the "
                    "question as it was asked."
                )
        t = _db(classroom.tally, h["code"], h["secret"], index=step)
    except PollError as err:
        _lost(h, err)
        return False
    if t is None:
        return False
    revealed = t.revealed
    st.session_state[quiz_key] = t.answer + 1 if revealed else None
    st.session_state[f"{quiz_key}_radio"] = t.answer if revealed else None
    with st.container(border=True, key="lrlab_poll_panel"):
        _said()
        left, right = st.columns([2, 3], gap="large")
        with left:
            st.markdown(f"**:material/groups: Class poll** · step {step + 1}")
            _join_card(h["code"])
        with right:
            st.markdown(f"**🤔 {t.text}**")
            st.markdown(_options_text(t.options))
            st.fragment(
                lambda: _live(h["code"], h["secret"], step, big),
                run_every=TEACHER_EVERY,
                key="poll_live",
            )()
            if revealed:
                right_text = t.options[t.answer]
                extra = f" {q.explanation}" if _content(q, title) == h.get("asked") else ""
                st.success(f"The answer is **{_letter(t.answer)}: {right_text}**.{extra}")
            _controls(h, step, quiz_key, revealed)
    return True


def _options_text(options: tuple[str, ...]) -> str:
    """The options as Markdown: on one line when they are short (the panel then fits a 720 px
    projector with its chart), else one per line."""
    items = [f"**{_letter(i)}** · {o}" for i, o in enumerate(options)]
    if sum(len(o) for o in options) <= 48:
        return " &emsp; ".join(items)
    return "  \n".join(items)


def _controls(h: dict[str, Any], step: int, quiz_key: str, revealed: bool) -> None:
    row = st.container(horizontal=True, gap="small")
    row.button(
        "Reveal",
        key="poll_reveal",
        icon=":material/visibility:",
        type="secondary" if revealed else "primary",
        disabled=revealed,
        on_click=_reveal,
        args=(quiz_key,),
        help="Shows the run on the projector and the answer on every phone.",
    )
    nxt = _next_step(step) if step < OFF_GUIDE else None
    go_on = row.button(
        "Next question",
        key="poll_next",
        icon=":material/skip_next:",
        type="primary" if revealed else "secondary",
        disabled=nxt is None,
        help="Opens the next step of the teacher's guide; its question goes to the phones."
        if nxt is not None
        else "This is the last step of the teacher's guide.",
    )
    row.button("End poll", key="poll_end", icon=":material/stop_circle:", on_click=_end)
    with row:
        _csv_button(h)
    if go_on and nxt is not None:
        _go_to(h, nxt)


def _go_to(h: dict[str, Any], step: int) -> None:
    """Open guide step ``step``: its page asks its question when it arrives."""
    link = _step_link(step)
    if link is None:
        return
    h["step"] = step
    st.switch_page(link[0], query_params=link[1])


def _elsewhere(h: dict[str, Any], path: str, title: str, q: Question, step: int) -> None:
    """This page is not the room's step: offer to ask its question, or to go back there."""
    with st.container(border=True):
        _said()
        where = h.get("step")
        st.markdown(
            f"**:material/groups: Class poll {classroom.format_code(h['code'])}** is on step "
            f"{where + 1}: {_step_title(where)}."
            if where is not None
            else f"**:material/groups: Class poll {classroom.format_code(h['code'])}**"
        )
        row = st.container(horizontal=True, gap="small")
        if row.button("Ask this question instead", key="poll_here", icon=":material/how_to_vote:"):
            try:
                _ask(h, step, title, q)
            except PollError as err:
                _say(err.message)
            st.rerun()
        link = _step_link(where) if where is not None else None
        if link is not None:
            with row:
                st.page_link(
                    link[0], label=f"Back to step {where + 1}", query_params=link[1], icon="↩️"
                )


def _ended(h: dict[str, Any]) -> None:
    with st.container(border=True, key="lrlab_poll_ended"):
        st.html(_PANEL_CSS)
        _said()
        st.markdown(
            f"**:material/groups: Class poll {classroom.format_code(h['code'])} has ended.** "
            "Its results stay here for a few hours."
        )
        row = st.container(horizontal=True, gap="small")
        with row:
            _csv_button(h)
        row.button("Close this panel", key="poll_forget", on_click=_forget)


def _lost(h: dict[str, Any], err: PollError) -> None:
    """The room is gone (expired) or the database failed: say so; forget a room that is gone."""
    if err.reason is Reason.NO_ROOM:
        _forget()
        st.warning(
            f"Class poll {classroom.format_code(h['code'])} has expired. Start a new one.",
            icon=":material/info:",
        )
    else:
        st.warning(err.message, icon=":material/info:")


def page_bar(path: str, *, start_here: bool) -> None:
    """The poll on a page with no panel: *Start a class poll* on the teacher's guide
    (``start_here``), which opens the guide's first step; a short bar while a room runs."""
    h = _host()
    if h is None:
        if not start_here:
            return
        _said()
        first = _next_step(-1)
        if first is None:
            return
        if st.button(
            "Start a class poll",
            key="poll_start_guide",
            icon=":material/groups:",
            type="primary",
            help="Opens step 1 in lecture mode with a room code and QR code: the hall answers "
            "each step's question on their phones.",
        ) and _start(path, first, "", None):
            _go_to(st.session_state[_HOST], first)
        _said()
        return
    if h.get("closed"):
        _ended(h)
        return
    with st.container(border=True):
        _said()
        code = classroom.format_code(h["code"])
        step = h.get("step")
        st.markdown(
            f"**:material/groups: Class poll {code}** is running"
            + (f", on step {step + 1}: {_step_title(step)}." if step is not None else ".")
        )
        row = st.container(horizontal=True, gap="small")
        link = _step_link(step) if step is not None else None
        if link is not None and link[0] != path:
            with row:
                st.page_link(
                    link[0], label=f"Go to step {step + 1}", query_params=link[1], icon="▶️"
                )
        nxt = _next_step(step) if step is not None and step < OFF_GUIDE else None
        if link is not None and link[0] == path and nxt is not None:
            if row.button("Next question", key="poll_next_bar", icon=":material/skip_next:"):
                _go_to(h, nxt)
        row.button("End poll", key="poll_end_bar", icon=":material/stop_circle:", on_click=_end)
        with row:
            _csv_button(h)


def drawn_reset() -> None:
    """Called by the runner before a page's sections: no panel drawn yet in this run."""
    st.session_state[_DRAWN] = False


def drawn() -> bool:
    """Whether a panel was drawn in this run (the runner then needs no :func:`page_bar`)."""
    return bool(st.session_state.get(_DRAWN))


def running() -> bool:
    """Whether this session runs a room."""
    return _host() is not None


# ------------------------------------------------------------------------------ students' page

_PHONE_CSS = """
<style>
[data-testid="stMainBlockContainer"] { max-width: 36rem; padding: 4rem 1rem 4rem 1rem; }
[data-testid="stMain"] p, [data-testid="stMain"] li { font-size: 1.25rem; line-height: 1.45; }
[data-testid="stMain"] h1 { font-size: 1.9rem; padding-top: 0; }
[data-testid="stMain"] h3 { font-size: 1.55rem; line-height: 1.3; }
[data-testid="stMain"] .stButton button { min-height: 3.6rem; font-size: 1.3rem;
  justify-content: flex-start; text-align: left; padding: 0.5rem 1rem; }
[data-testid="stMain"] .stButton button p { font-size: 1.3rem; }
[data-testid="stMain"] h4 { font-size: 1.45rem; }
[data-testid="stMain"] [data-testid="stHeaderActionElements"] { display: none; }
</style>
"""


def _voter() -> str:
    """This student's voter token: the address's ``v`` if valid, else a new one written there
    (with a note when the address carried one that is not valid)."""
    raw = st.query_params.get_all("v")
    if len(raw) == 1:
        try:
            return classroom.codes.check_token(raw[0])
        except PollError:
            pass
    token = st.session_state.get(_VOTER)
    if token is None:
        token = st.session_state[_VOTER] = secrets.token_urlsafe(12)
    if raw:
        st.info(
            "The voter id in this link was not valid, so this page made you a new one.",
            icon=":material/link:",
        )
    st.query_params["v"] = token
    return token


def _join_form(message: str | None = None) -> None:
    """Typing a room code by hand (``/poll`` without a room, or a code that is no code)."""
    if message:
        st.error(message, icon=":material/error:")
    with st.form("poll_join", border=False):
        typed = st.text_input(
            "Room code",
            max_chars=classroom.codes.MAX_CODE_INPUT,
            placeholder="K7P-4QX",
            help="The six characters on your teacher's screen.",
        )
        if st.form_submit_button("Join", type="primary", width="stretch"):
            try:
                code = classroom.normalise_code(typed)
            except PollError as err:
                st.error(err.message, icon=":material/error:")
            else:
                st.query_params["room"] = code
                st.rerun()


_VIEWS: dict[str, tuple[float, classroom.RoomView]] = {}
_VIEWS_LOCK = threading.Lock()


def _room_view(code: str) -> classroom.RoomView:
    """The room as its students see it, read at most once per ``ROOM_VIEW_TTL`` seconds per
    server (shared by every phone in the room); refusals are never kept."""
    t = time.monotonic()
    with _VIEWS_LOCK:
        hit = _VIEWS.get(code)
        if hit is not None and t - hit[0] < ROOM_VIEW_TTL:
            return hit[1]
    view = _db(classroom.current, code)
    with _VIEWS_LOCK:
        if len(_VIEWS) > 1000:  # rooms live for hours: drop the stale ones now and then
            for k in [k for k, (at, _) in _VIEWS.items() if t - at >= ROOM_VIEW_TTL]:
                del _VIEWS[k]
        _VIEWS[code] = (t, view)
    return view


def _mine(code: str, voter: str, index: int) -> int | None:
    """This student's vote on question ``index``: read once per question and session, then
    remembered (a vote is final; this session's own votes are recorded as they are cast)."""
    known: dict[tuple[str, int], int | None] = st.session_state.setdefault(_MINE, {})
    if (code, index) not in known:
        known[(code, index)] = _db(classroom.my_vote, code, voter, index=index)
    return known[(code, index)]


def _cast(code: str, voter: str, index: int, option: int) -> None:
    """A student's tap on an option: the vote, or the refusal's message for the page."""
    known: dict[tuple[str, int], int | None] = st.session_state.setdefault(_MINE, {})
    try:
        _db(classroom.vote, code, voter, index=index, option=option)
    except PollError as err:
        st.session_state[_STUDENT_MSG] = (err.reason.value, err.message)
        known.pop((code, index), None)  # e.g. voted from another tab: read it again
    else:
        known[(code, index)] = option


def student_page() -> None:
    """The students' phone page: the room's current question, one vote, the answer once
    revealed; it follows the room every ``STUDENT_EVERY`` seconds."""
    st.html(_PHONE_CSS)
    st.title("Class poll")
    raw = [r for r in st.query_params.get_all("room") if r.strip()]
    if not raw:
        st.markdown("Type the room code your teacher shows.")
        _join_form()
        return
    try:
        code = classroom.normalise_code(raw[-1])
    except PollError as err:
        _join_form(err.message)
        return
    if raw != [code]:
        st.query_params["room"] = code  # the canonical spelling, once
    voter = _voter()
    try:
        view = _room_view(code)
    except PollError as err:
        view = None
        gone = err
    else:
        gone = None
    # a room that is gone or closed is not followed (no refresh every few seconds)
    terminal = (gone is not None and gone.reason is Reason.NO_ROOM) or (
        view is not None and view.closed
    )
    st.fragment(
        lambda: _student_live(code, voter, terminal),
        run_every=None if terminal else STUDENT_EVERY,
        key="poll_phone",
    )()
    if gone is not None and gone.reason in (Reason.NO_ROOM, Reason.BAD_CODE):
        _join_form()
    st.caption(
        "No name, no account: this page only knows the room code and a random id that keeps "
        "your vote if you reload. To invite someone, give them the room code; this page's "
        "address is yours."
    )


def _student_live(code: str, voter: str, terminal: bool) -> None:
    try:
        view = _room_view(code)
        mine = _mine(code, voter, view.question.index) if view.question is not None else None
    except PollError as err:
        st.session_state.pop(_STUDENT_MSG, None)
        st.error(err.message, icon=":material/error:")
        if not terminal and err.reason is Reason.NO_ROOM:
            st.rerun()  # stop following a room that is gone
        return
    st.caption(f"Room {view.display}")
    if view.closed:
        st.session_state.pop(_STUDENT_MSG, None)
        st.info("This poll has ended. Thank you for taking part!", icon=":material/check:")
        if not terminal:
            st.rerun()
        return
    q = view.question
    if q is None:
        st.info(
            "You are in. Waiting for your teacher's first question…",
            icon=":material/hourglass_top:",
        )
        return
    st.caption(f"Step {q.index + 1} · {q.lesson}")
    st.markdown(f"### {q.text}")
    said = st.session_state.pop(_STUDENT_MSG, None)
    if q.revealed:
        right = q.answer if q.answer is not None else -1
        for i, o in enumerate(q.options):
            tags = []
            if i == right:
                tags.append("✅ right answer")
            if i == mine:
                tags.append("your answer")
            line = f"**{_letter(i)}** · {o}" + (f" — *{', '.join(tags)}*" if tags else "")
            if i == right:
                st.success(line)
            else:
                st.markdown(line)
        if mine is None:
            st.markdown("You did not vote on this question.")
        elif mine == right:
            st.markdown("#### ✅ You got it right.")
        else:
            st.markdown(f"#### Your answer: {_letter(mine)}. The answer: {_letter(right)}.")
        st.caption("Wait for the next question.")
        return
    if mine is not None:
        chosen = q.options[mine] if 0 <= mine < len(q.options) else ""
        st.markdown(f"#### Your answer: {_letter(mine)} · {chosen}")
        st.caption("Votes are final. Your teacher reveals the answer soon.")
        if said is not None and said[0] != Reason.ALREADY_VOTED.value:
            st.warning(said[1], icon=":material/info:")
        return
    if said is not None:
        st.warning(said[1], icon=":material/info:")
    for i, o in enumerate(q.options):
        st.button(
            f"**{_letter(i)}** · {o}",
            key=f"pv_{q.index}_{i}",
            width="stretch",
            on_click=_cast,
            args=(code, voter, q.index, i),
        )
