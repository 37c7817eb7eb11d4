"""A class poll: a teacher's room, one predict-then-reveal question at a time, students' votes.

The flow
--------
1. The teacher's session calls :func:`create_room` and gets a :class:`HostKey`: the room code
   to read aloud or put in a link (``K7P-4QX``) and the host secret, which only the teacher's
   session keeps.
2. :func:`set_question` (or :func:`next_question`) shows a question; students' phones call
   :func:`current` (joining is the same call) and :func:`vote`; a reload finds the student's
   vote again with :func:`my_vote`.
3. The teacher watches :func:`tally` (the number of votes, and the counts when they choose to
   show them) and calls :func:`reveal`; from then on :func:`current` carries the answer and the
   question takes no more votes.
4. After the lecture :func:`results_csv`; :func:`close_room` ends voting.

Rules
-----
* Host actions need the host secret: a wrong or missing secret is refused and changes nothing.
* Students never see counts, and see the answer only once it is revealed.
* One vote per voter per question, and it is final: a second vote on the same question, for the
  same option or another, is refused with ``Reason.ALREADY_VOTED`` (the message names the vote
  already counted) and stores nothing. A vote names the question it answers (``index``), so a
  tap that arrives after the teacher moved on is refused (``Reason.MOVED_ON``) instead of
  landing on the next question.
* Every refusal is a :class:`PollError` with a sentence for the page and a :class:`Reason`;
  a refused call leaves the database as it was. A database that is busy past its timeout or
  cannot be reached is ``Reason.UNAVAILABLE``.

Bounded cost
------------
Rooms expire ``ROOM_TTL`` seconds after the teacher's last action (votes do not keep a room
alive: they would make every vote a write to one hot row); expired rooms are refused at once and
deleted, with their questions and votes, by the next :func:`create_room` (or
:func:`purge_expired`). At most ``MAX_OPEN_ROOMS`` open rooms and ``MAX_STORED_ROOMS`` rooms in
all (closed ones keep their results until they expire), ``MAX_QUESTIONS_PER_ROOM``
questions and ``MAX_VOTES_PER_ROOM`` votes per room; one creator token makes at most
``MAX_ROOMS_PER_CREATOR`` rooms per ``CREATOR_WINDOW`` seconds and one voter token casts at most
``MAX_VOTES_PER_VOTER`` votes per ``VOTER_WINDOW`` seconds. Tokens are made by the client, so the
token limits stop a runaway tab, not a determined attacker: the per-room and global caps are
what bound the cost. Room creation is serialised (an advisory lock on PostgreSQL), so its caps
are exact; the vote cap may be passed by at most the number of votes in flight at once.

Concurrency
-----------
Every host action locks its room's row (``SELECT ... FOR UPDATE``) and every vote holds it
shared (``FOR SHARE``) while it checks and inserts, so on PostgreSQL a vote never lands on a
question after its reveal commits, nor in a room after it closes, while votes do not wait for
each other. On SQLite each write transaction holds the database's write lock (``BEGIN
IMMEDIATE``, see :mod:`classroom.schema`), which gives the same guarantees.

Time
----
Every function that depends on time takes ``now`` (seconds since the epoch, ``time.time()``),
so tests and benches control the clock.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import hmac
import io
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, ParamSpec, TypeVar

from sqlalchemy import Connection, Engine, Row, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from classroom.codes import (
    PollError,
    Reason,
    check_secret,
    check_token,
    format_code,
    new_code,
    new_secret,
    normalise_code,
)
from classroom.schema import pg_lock, prepare, questions, read_tx, rooms, votes, write_tx

__all__ = [
    "CODE_ATTEMPTS",
    "CREATOR_WINDOW",
    "MAX_LESSON_LEN",
    "MAX_OPEN_ROOMS",
    "MAX_OPTIONS",
    "MAX_OPTION_LEN",
    "MAX_QUESTIONS_PER_ROOM",
    "MAX_QUESTION_INDEX",
    "MAX_ROOMS_PER_CREATOR",
    "MAX_STORED_ROOMS",
    "MAX_TEXT_LEN",
    "MAX_VOTES_PER_ROOM",
    "MAX_VOTES_PER_VOTER",
    "MIN_OPTIONS",
    "ROOM_TTL",
    "VOTER_WINDOW",
    "HostKey",
    "Question",
    "RoomView",
    "Tally",
    "close_room",
    "create_room",
    "current",
    "my_vote",
    "next_question",
    "purge_expired",
    "results_csv",
    "reveal",
    "set_question",
    "tally",
    "vote",
]

# -- limits (every one of them; tests change them with monkeypatch) ---------------------------

#: seconds after the teacher's last action when a room expires (a double lecture and a break)
ROOM_TTL = 4 * 3600.0
#: open rooms in the whole database (a school's worth of lectures at once)
MAX_OPEN_ROOMS = 100
#: rooms stored, open or closed (a closed room keeps its results until it expires)
MAX_STORED_ROOMS = 300
#: rooms one creator token may start within CREATOR_WINDOW seconds
MAX_ROOMS_PER_CREATOR = 3
CREATOR_WINDOW = 600.0
#: votes stored per room (400 students x 25 questions); with MAX_STORED_ROOMS it bounds the
#: database: at most 3 million vote rows, a few hundred MB
MAX_VOTES_PER_ROOM = 10_000
#: votes one voter token may cast within VOTER_WINDOW seconds (a student casts one per question)
MAX_VOTES_PER_VOTER = 5
VOTER_WINDOW = 10.0
#: questions per room, and the largest question index (the teacher's guide step)
MAX_QUESTIONS_PER_ROOM = 100
MAX_QUESTION_INDEX = 999
#: answer options per question, and the longest texts stored
MIN_OPTIONS = 2
MAX_OPTIONS = 8
MAX_LESSON_LEN = 100
MAX_TEXT_LEN = 1_000
MAX_OPTION_LEN = 200
#: fresh codes tried before create_room gives up (a collision needs ~1e9 / MAX_OPEN_ROOMS tries)
CODE_ATTEMPTS = 8


# -- what the functions return ------------------------------------------------------------------


@dataclass(frozen=True)
class HostKey:
    """What the teacher's session keeps: the room's code and its host secret.

    The secret is left out of ``repr`` so that it does not end up in logs.
    """

    code: str
    secret: str = field(repr=False)

    @property
    def display(self) -> str:
        """The code as people read it (``K7P-4QX``)."""
        return format_code(self.code)


@dataclass(frozen=True)
class Question:
    """A question as a student may see it: ``answer`` is None until it is revealed."""

    index: int
    lesson: str
    text: str
    options: tuple[str, ...]
    revealed: bool
    answer: int | None


@dataclass(frozen=True)
class RoomView:
    """What a student's phone shows: the room and its current question (None before the first).

    No counts: students never see how others voted.
    """

    code: str
    closed: bool
    question: Question | None

    @property
    def display(self) -> str:
        """The code as people read it (``K7P-4QX``)."""
        return format_code(self.code)


@dataclass(frozen=True)
class Tally:
    """The teacher's view of one question: votes per option, the answer, whether revealed."""

    index: int
    lesson: str
    text: str
    options: tuple[str, ...]
    counts: tuple[int, ...]
    answer: int
    revealed: bool

    @property
    def total(self) -> int:
        """How many students have voted."""
        return sum(self.counts)


# -- helpers ------------------------------------------------------------------------------------

_P = ParamSpec("_P")
_T = TypeVar("_T")


def _refusals(fn: Callable[_P, _T]) -> Callable[_P, _T]:
    """A database that is locked past its timeout, or unreachable, becomes a PollError."""

    @functools.wraps(fn)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return fn(*args, **kwargs)
        except OperationalError as err:
            raise PollError(
                Reason.UNAVAILABLE,
                "The class poll is busy or cannot reach its database: try again in a moment.",
            ) from err

    return wrapper


def _check_now(now: object) -> float:
    if isinstance(now, bool) or not isinstance(now, int | float) or not math.isfinite(now):
        raise ValueError(f"now must be a finite number of seconds, not {now!r}")
    return float(now)


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def _letter(i: int) -> str:
    return chr(ord("A") + i)


def _no_room(code: str) -> PollError:
    return PollError(
        Reason.NO_ROOM,
        f"There is no room {format_code(code)}, or it has ended: check the code with your teacher.",
    )


def _room(
    conn: Connection, code: str, now: float, lock: Literal["update", "share"] | None = None
) -> Row[Any]:
    """The live room with this code, or NO_ROOM (unknown, or expired but not yet purged)."""
    query = select(rooms).where(rooms.c.code == code, rooms.c.active_at >= now - ROOM_TTL)
    if lock == "update":
        query = query.with_for_update()
    elif lock == "share":
        query = query.with_for_update(read=True)
    room = conn.execute(query).one_or_none()
    if room is None:
        raise _no_room(code)
    return room


def _host_room(
    conn: Connection, code: str, secret: str, now: float, *, lock: bool, open_only: bool
) -> Row[Any]:
    room = _room(conn, code, now, "update" if lock else None)
    if not hmac.compare_digest(room.host_hash, _hash(secret)):
        raise PollError(Reason.NOT_HOST, "Only the teacher who started this room can run it.")
    if open_only and room.closed:
        raise PollError(Reason.CLOSED, f"Room {format_code(code)} is closed.")
    return room


def _question_row(conn: Connection, room_id: int, index: int) -> Row[Any] | None:
    return conn.execute(
        select(questions).where(questions.c.room_id == room_id, questions.c.idx == index)
    ).one_or_none()


def _check_question(
    index: object, lesson: object, text: object, options: object, answer: object
) -> tuple[int, str, str, tuple[str, ...], int]:
    def bad(why: str) -> PollError:
        return PollError(Reason.BAD_QUESTION, f"This question cannot be asked: {why}.")

    if not _is_int(index) or not 0 <= index <= MAX_QUESTION_INDEX:
        raise bad(f"its number must be a whole number from 0 to {MAX_QUESTION_INDEX}")
    for name, value, longest in (("lesson", lesson, MAX_LESSON_LEN), ("text", text, MAX_TEXT_LEN)):
        if not isinstance(value, str) or not value.strip() or len(value) > longest:
            raise bad(f"its {name} must be 1 to {longest} characters")
    if isinstance(options, str | bytes) or not isinstance(options, Sequence):
        raise bad("its options must be a list of texts")
    opts = tuple(options)
    if not MIN_OPTIONS <= len(opts) <= MAX_OPTIONS:
        raise bad(f"it needs {MIN_OPTIONS} to {MAX_OPTIONS} options")
    if any(not isinstance(o, str) or not o.strip() or len(o) > MAX_OPTION_LEN for o in opts):
        raise bad(f"every option must be 1 to {MAX_OPTION_LEN} characters")
    if not _is_int(answer) or not 0 <= answer < len(opts):
        raise bad("its answer must be the number of one of its options")
    return index, lesson, text, opts, answer  # type: ignore[return-value]


def _question(row: Row[Any], *, with_answer: bool) -> Question:
    return Question(
        index=row.idx,
        lesson=row.lesson,
        text=row.text,
        options=tuple(json.loads(row.options)),
        revealed=bool(row.revealed),
        answer=row.answer if with_answer or row.revealed else None,
    )


def _counts(conn: Connection, room_id: int) -> dict[tuple[int, int], int]:
    """Votes per (question index, option) in one room (for the CSV), from the tally index."""
    rows = conn.execute(
        select(votes.c.idx, votes.c.choice, func.count())
        .where(votes.c.room_id == room_id)
        .group_by(votes.c.idx, votes.c.choice)
    )
    return {(idx, choice): n for idx, choice, n in rows}


# -- the teacher's side -------------------------------------------------------------------------


def _purge(conn: Connection, now: float) -> int:
    # lock the expired rooms first: a room that a host action brings back to life meanwhile is
    # re-checked after that action commits (PostgreSQL) and kept, with its questions and votes
    dead = list(
        conn.scalars(select(rooms.c.id).where(rooms.c.active_at < now - ROOM_TTL).with_for_update())
    )
    if not dead:
        return 0
    conn.execute(delete(votes).where(votes.c.room_id.in_(dead)))
    conn.execute(delete(questions).where(questions.c.room_id.in_(dead)))
    return conn.execute(delete(rooms).where(rooms.c.id.in_(dead))).rowcount


@_refusals
def purge_expired(engine: Engine, *, now: float) -> int:
    """Delete every expired room with its questions and votes; :func:`create_room` does it too.

    Returns
    -------
    int
        How many rooms were deleted.
    """
    now = _check_now(now)
    prepare(engine)
    with write_tx(engine) as conn:
        pg_lock(conn)
        return _purge(conn, now)


@_refusals
def create_room(engine: Engine, *, creator: str, now: float) -> HostKey:
    """Start a room: purge expired rooms, check the caps, store a fresh code and the secret's hash.

    Parameters
    ----------
    engine : Engine
        The poll's database (``st.connection("poll", type="sql").engine``).
    creator : str
        The teacher session's opaque token (for the flood limit; see :func:`check_token`).
    now : float
        Seconds since the epoch.

    Returns
    -------
    HostKey
        The code (never the code of a live room) and the host secret (stored only as SHA-256).

    Raises
    ------
    PollError
        ``BAD_TOKEN``; ``TOO_MANY_ROOMS`` (``MAX_OPEN_ROOMS`` open or ``MAX_STORED_ROOMS`` in
        all); ``TOO_FAST``
        (``MAX_ROOMS_PER_CREATOR`` within ``CREATOR_WINDOW``); ``UNAVAILABLE``.
    """
    creator = check_token(creator, "teacher")
    now = _check_now(now)
    prepare(engine)
    for _ in range(CODE_ATTEMPTS):
        code, secret = new_code(), new_secret()
        try:
            with write_tx(engine) as conn:
                pg_lock(conn)  # creations one at a time: the caps below are exact
                _purge(conn, now)
                stored, open_rooms = conn.execute(
                    select(func.count(), func.count().filter(rooms.c.closed.is_(False)))
                ).one()
                if open_rooms >= MAX_OPEN_ROOMS or stored >= MAX_STORED_ROOMS:
                    raise PollError(
                        Reason.TOO_MANY_ROOMS,
                        "Too many class polls are running right now: try again later, or close "
                        "a room you no longer need.",
                    )
                recent = conn.scalar(
                    select(func.count())
                    .select_from(rooms)
                    .where(rooms.c.creator == creator, rooms.c.created_at > now - CREATOR_WINDOW)
                )
                if recent >= MAX_ROOMS_PER_CREATOR:
                    raise PollError(
                        Reason.TOO_FAST,
                        f"You started {recent} rooms in the last {CREATOR_WINDOW / 60:.0f} "
                        "minutes: use one of them, or wait a few minutes.",
                    )
                if conn.scalar(select(rooms.c.id).where(rooms.c.code == code)) is not None:
                    continue  # the code of a live (or closed, not yet expired) room: draw again
                conn.execute(
                    insert(rooms).values(
                        code=code,
                        host_hash=_hash(secret),
                        creator=creator,
                        created_at=now,
                        active_at=now,
                        closed=False,
                        current_idx=None,
                    )
                )
            return HostKey(code, secret)
        except IntegrityError:
            continue  # another server took the same code at the same moment
    raise PollError(Reason.UNAVAILABLE, "No free room code was found: try again.")


def _ask(
    conn: Connection,
    room: Row[Any],
    now: float,
    content: tuple[int, str, str, tuple[str, ...], int],
) -> int:
    index, lesson, text, opts, answer = content
    stored = json.dumps(list(opts), ensure_ascii=False)
    row = _question_row(conn, room.id, index)
    if row is None:
        asked = conn.scalar(
            select(func.count()).select_from(questions).where(questions.c.room_id == room.id)
        )
        if asked >= MAX_QUESTIONS_PER_ROOM:
            raise PollError(
                Reason.ROOM_FULL,
                f"This room has asked {asked} questions, its limit: start a new room.",
            )
        conn.execute(
            insert(questions).values(
                room_id=room.id,
                idx=index,
                lesson=lesson,
                text=text,
                options=stored,
                answer=answer,
                revealed=False,
                asked_at=now,
            )
        )
    elif (row.lesson, row.text, row.options, row.answer) != (lesson, text, stored, answer):
        has_votes = conn.scalar(
            select(func.count())
            .select_from(votes)
            .where(votes.c.room_id == room.id, votes.c.idx == index)
        )
        if has_votes:
            raise PollError(
                Reason.BAD_QUESTION,
                "This question number already has votes for another question: "
                "ask the new one under a new number.",
            )
        conn.execute(
            update(questions)
            .where(questions.c.room_id == room.id, questions.c.idx == index)
            .values(lesson=lesson, text=text, options=stored, answer=answer, revealed=False)
        )
    # else: going back to a question already asked shows it again as it was (votes, reveal)
    conn.execute(
        update(rooms).where(rooms.c.id == room.id).values(current_idx=index, active_at=now)
    )
    return index


@_refusals
def set_question(
    engine: Engine,
    code: str,
    secret: str,
    *,
    index: int,
    lesson: str,
    text: str,
    options: Sequence[str],
    answer: int,
    now: float,
) -> int:
    """Show question ``index`` (the teacher's guide step) to the room (host only).

    A new index stores the question. An index asked before shows it again as it was (its votes
    and reveal kept); if the text, options or answer differ it is replaced, but only while it
    has no votes.

    Parameters
    ----------
    engine : Engine
        The poll's database.
    code, secret : str
        The room's code (any spelling :func:`normalise_code` accepts) and host secret.
    index : int
        0 ... ``MAX_QUESTION_INDEX``.
    lesson, text : str
        The lesson's title and the question.
    options : Sequence[str]
        ``MIN_OPTIONS`` ... ``MAX_OPTIONS`` answers.
    answer : int
        The index of the correct option.
    now : float
        Seconds since the epoch.

    Returns
    -------
    int
        ``index``.

    Raises
    ------
    PollError
        ``BAD_CODE``, ``NO_ROOM``, ``NOT_HOST``, ``CLOSED``, ``BAD_QUESTION``, ``ROOM_FULL``.
    """
    code, secret, now = normalise_code(code), check_secret(secret), _check_now(now)
    content = _check_question(index, lesson, text, options, answer)
    prepare(engine)
    with write_tx(engine) as conn:
        room = _host_room(conn, code, secret, now, lock=True, open_only=True)
        return _ask(conn, room, now, content)


@_refusals
def next_question(
    engine: Engine,
    code: str,
    secret: str,
    *,
    lesson: str,
    text: str,
    options: Sequence[str],
    answer: int,
    now: float,
) -> int:
    """Move the room on to the question after the current one (0 if none yet): as
    :func:`set_question` with ``index`` = current + 1.

    Returns
    -------
    int
        The new question's index.
    """
    code, secret, now = normalise_code(code), check_secret(secret), _check_now(now)
    _check_question(0, lesson, text, options, answer)
    prepare(engine)
    with write_tx(engine) as conn:
        room = _host_room(conn, code, secret, now, lock=True, open_only=True)
        index = 0 if room.current_idx is None else room.current_idx + 1
        return _ask(conn, room, now, _check_question(index, lesson, text, options, answer))


@_refusals
def reveal(engine: Engine, code: str, secret: str, *, now: float) -> Question:
    """Reveal the current question's answer (host only; revealing twice changes nothing).

    From now on :func:`current` carries the answer and :func:`vote` refuses the question.

    Returns
    -------
    Question
        The revealed question, with its answer.

    Raises
    ------
    PollError
        ``BAD_CODE``, ``NO_ROOM``, ``NOT_HOST``, ``CLOSED``, ``NO_QUESTION``.
    """
    code, secret, now = normalise_code(code), check_secret(secret), _check_now(now)
    prepare(engine)
    with write_tx(engine) as conn:
        room = _host_room(conn, code, secret, now, lock=True, open_only=True)
        if room.current_idx is None:
            raise PollError(Reason.NO_QUESTION, "There is no question to reveal yet.")
        where = (questions.c.room_id == room.id, questions.c.idx == room.current_idx)
        conn.execute(update(questions).where(*where).values(revealed=True))
        conn.execute(update(rooms).where(rooms.c.id == room.id).values(active_at=now))
        row = conn.execute(select(questions).where(*where)).one()
        return _question(row, with_answer=True)


@_refusals
def close_room(engine: Engine, code: str, secret: str, *, now: float) -> None:
    """End voting in the room (host only; idempotent). Its results stay downloadable until it
    expires, ``ROOM_TTL`` after this call.

    Raises
    ------
    PollError
        ``BAD_CODE``, ``NO_ROOM``, ``NOT_HOST``.
    """
    code, secret, now = normalise_code(code), check_secret(secret), _check_now(now)
    prepare(engine)
    with write_tx(engine) as conn:
        room = _host_room(conn, code, secret, now, lock=True, open_only=False)
        conn.execute(update(rooms).where(rooms.c.id == room.id).values(closed=True, active_at=now))


@_refusals
def tally(
    engine: Engine, code: str, secret: str, *, now: float, index: int | None = None
) -> Tally | None:
    """Votes per option for the current question, or question ``index`` (host only).

    Returns
    -------
    Tally or None
        None while the room has no question (or none with that index).

    Raises
    ------
    PollError
        ``BAD_CODE``, ``NO_ROOM``, ``NOT_HOST``, ``BAD_QUESTION`` (an index that is no int).
    """
    code, secret, now = normalise_code(code), check_secret(secret), _check_now(now)
    if index is not None and (not _is_int(index) or index < 0):
        raise PollError(Reason.BAD_QUESTION, "There is no such question.")
    prepare(engine)
    with read_tx(engine) as conn:
        room = _host_room(conn, code, secret, now, lock=False, open_only=False)
        idx = room.current_idx if index is None else index
        if idx is None:
            return None
        row = _question_row(conn, room.id, idx)
        if row is None:
            return None
        counted = dict(
            conn.execute(
                select(votes.c.choice, func.count())
                .where(votes.c.room_id == room.id, votes.c.idx == idx)
                .group_by(votes.c.choice)
            ).all()
        )
    q = _question(row, with_answer=True)
    return Tally(
        index=q.index,
        lesson=q.lesson,
        text=q.text,
        options=q.options,
        counts=tuple(counted.get(i, 0) for i in range(len(q.options))),
        answer=row.answer,
        revealed=q.revealed,
    )


@_refusals
def results_csv(engine: Engine, code: str, secret: str, *, now: float) -> str:
    """Every question's votes as CSV, one row per option (host only; no voter ids).

    Columns: ``step`` (question index + 1, as people count), ``lesson``, ``question``,
    ``option`` (A, B, ...), ``option_text``, ``votes``, ``correct`` (``yes``/``no``),
    ``revealed`` (``yes``/``no``).

    Raises
    ------
    PollError
        ``BAD_CODE``, ``NO_ROOM``, ``NOT_HOST``.
    """
    code, secret, now = normalise_code(code), check_secret(secret), _check_now(now)
    prepare(engine)
    with read_tx(engine) as conn:
        room = _host_room(conn, code, secret, now, lock=False, open_only=False)
        rows = conn.execute(
            select(questions).where(questions.c.room_id == room.id).order_by(questions.c.idx)
        ).all()
        counts = _counts(conn, room.id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["step", "lesson", "question", "option", "option_text", "votes", "correct", "revealed"]
    )
    for row in rows:
        for i, option in enumerate(json.loads(row.options)):
            writer.writerow(
                [
                    row.idx + 1,
                    row.lesson,
                    row.text,
                    _letter(i),
                    option,
                    counts.get((row.idx, i), 0),
                    "yes" if i == row.answer else "no",
                    "yes" if row.revealed else "no",
                ]
            )
    return out.getvalue()


# -- the students' side -------------------------------------------------------------------------


@_refusals
def current(engine: Engine, code: str, *, now: float) -> RoomView:
    """The room as a student sees it (joining a room is this call): its current question, and
    the answer only once revealed. No counts.

    Raises
    ------
    PollError
        ``BAD_CODE``; ``NO_ROOM`` (unknown or expired code).
    """
    code, now = normalise_code(code), _check_now(now)
    prepare(engine)
    with read_tx(engine) as conn:
        room = _room(conn, code, now)
        row = None if room.current_idx is None else _question_row(conn, room.id, room.current_idx)
    question = None if row is None else _question(row, with_answer=False)
    return RoomView(code=room.code, closed=bool(room.closed), question=question)


@_refusals
def vote(engine: Engine, code: str, voter: str, *, index: int, option: int, now: float) -> None:
    """Cast a student's vote for ``option`` on question ``index`` (the one their phone shows).

    Parameters
    ----------
    engine : Engine
        The poll's database.
    code : str
        The room code from the link (any spelling :func:`normalise_code` accepts).
    voter : str
        The student's opaque token (kept in their link or a cookie, so a reload keeps it).
    index : int
        The question the student answers; must be the room's current question.
    option : int
        0 ... number of options - 1.
    now : float
        Seconds since the epoch.

    Raises
    ------
    PollError
        ``BAD_CODE``, ``BAD_TOKEN``, ``BAD_OPTION`` (not an int, or out of range); ``NO_ROOM``,
        ``CLOSED``, ``NO_QUESTION``, ``MOVED_ON`` (not the current question), ``REVEALED``,
        ``ALREADY_VOTED`` (votes are final), ``TOO_FAST``, ``ROOM_FULL``. Nothing is stored.
    """
    code, voter, now = normalise_code(code), check_token(voter), _check_now(now)
    if not _is_int(option) or not _is_int(index) or index < 0 or option < 0:
        raise PollError(Reason.BAD_OPTION, "That is not one of the answers: pick one of them.")
    prepare(engine)
    try:
        with write_tx(engine) as conn:
            room = _room(conn, code, now, "share")
            if room.closed:
                raise PollError(Reason.CLOSED, "This poll is closed: thank you for voting.")
            if room.current_idx is None:
                raise PollError(Reason.NO_QUESTION, "There is no question yet: wait a moment.")
            if index != room.current_idx:
                raise PollError(
                    Reason.MOVED_ON,
                    "The teacher has moved on to another question: your vote was not counted. "
                    "Here is the question now.",
                )
            # the question and every count the checks below need, in one round trip
            mine = select(votes.c.choice).where(
                votes.c.room_id == room.id, votes.c.idx == index, votes.c.voter == voter
            )
            recent = (
                select(func.count())
                .select_from(votes)
                .where(votes.c.voter == voter, votes.c.voted_at > now - VOTER_WINDOW)
            )
            stored = select(func.count()).select_from(votes).where(votes.c.room_id == room.id)
            row = conn.execute(
                select(
                    questions.c.revealed,
                    questions.c.options,
                    mine.scalar_subquery().label("mine"),
                    recent.scalar_subquery().label("recent"),
                    stored.scalar_subquery().label("stored"),
                ).where(questions.c.room_id == room.id, questions.c.idx == index)
            ).one()  # current_idx always names a stored question
            if row.revealed:
                raise PollError(
                    Reason.REVEALED, "The answer has been revealed: this question is closed."
                )
            if option >= len(json.loads(row.options)):
                raise PollError(
                    Reason.BAD_OPTION, "That is not one of the answers: pick one of them."
                )
            if row.mine is not None:
                raise PollError(
                    Reason.ALREADY_VOTED,
                    f"You have already voted ({_letter(row.mine)}): one vote per question.",
                )
            if row.recent >= MAX_VOTES_PER_VOTER:
                raise PollError(Reason.TOO_FAST, "Too many votes at once: wait a few seconds.")
            if row.stored >= MAX_VOTES_PER_ROOM:
                raise PollError(
                    Reason.ROOM_FULL, "This poll has taken all the votes it can: sorry."
                )
            conn.execute(
                insert(votes).values(
                    room_id=room.id, idx=index, voter=voter, choice=option, voted_at=now
                )
            )
    except IntegrityError as err:  # the same voter's vote committed a moment earlier
        raise PollError(
            Reason.ALREADY_VOTED, "You have already voted: one vote per question."
        ) from err


@_refusals
def my_vote(
    engine: Engine, code: str, voter: str, *, now: float, index: int | None = None
) -> int | None:
    """The option this voter chose on the current question (or question ``index``), or None.

    A student who reloads the page finds their vote again with this.

    Raises
    ------
    PollError
        ``BAD_CODE``, ``BAD_TOKEN``, ``BAD_OPTION`` (an index that is no int), ``NO_ROOM``.
    """
    code, voter, now = normalise_code(code), check_token(voter), _check_now(now)
    if index is not None and (not _is_int(index) or index < 0):
        raise PollError(Reason.BAD_OPTION, "There is no such question.")
    prepare(engine)
    with read_tx(engine) as conn:
        room = _room(conn, code, now)
        idx = room.current_idx if index is None else index
        if idx is None:
            return None
        return conn.scalar(
            select(votes.c.choice).where(
                votes.c.room_id == room.id, votes.c.idx == idx, votes.c.voter == voter
            )
        )
