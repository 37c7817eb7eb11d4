"""The class poll against a real SQLite file and a real PostgreSQL server (every DB test runs on
both; see conftest.py). Refusals are checked for their reason, a message, and an unchanged
database (every table compared before and after)."""

from __future__ import annotations

import csv
import io
import itertools
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, inspect, select, update

from classroom import (
    PollError,
    Reason,
    SchemaVersionError,
    close_room,
    create_room,
    current,
    my_vote,
    next_question,
    normalise_code,
    prepare,
    purge_expired,
    results_csv,
    reveal,
    set_question,
    tally,
    vote,
)
from classroom import poll as P
from classroom.codes import CODE_ALPHABET, CODE_LENGTH, format_code
from classroom.schema import SCHEMA_VERSION, meta, questions, rooms, votes

Q0 = {
    "lesson": "Descent in 1-D",
    "text": "The rate is just above 2/f''. What will the ball do?",
    "options": ["creep", "converge", "oscillate and converge", "diverge"],
    "answer": 3,
}
Q1 = {
    "lesson": "Range test",
    "text": 'Where does the loss "turn ragged", to the nearest decade?',
    "options": ["1e-4", "1e-2, or so", "1"],
    "answer": 1,
}

_ids = itertools.count()


def token(prefix: str = "voter") -> str:
    """A fresh valid token (unique within the test run)."""
    return f"{prefix}-{next(_ids):06d}"


def snapshot(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every poll table: equal snapshots mean nothing was stored or changed."""
    with engine.connect() as conn:
        return {
            t.name: sorted(tuple(r) for r in conn.execute(select(t)).all())
            for t in (meta, rooms, questions, votes)
        }


def counts(engine: Engine) -> dict[str, int]:
    return {name: len(rows) for name, rows in snapshot(engine).items()}


def refused(reason: Reason, engine: Engine, fn, *args, **kwargs) -> PollError:
    """Call ``fn(engine, *args, **kwargs)``; expect a PollError with this reason and a message,
    and an unchanged database."""
    before = snapshot(engine)
    with pytest.raises(PollError) as info:
        fn(engine, *args, **kwargs)
    err = info.value
    assert err.reason == reason, (err.reason, str(err))
    assert str(err) and str(err)[0].isupper() and str(err).endswith((".", "!"))
    assert snapshot(engine) == before
    return err


def room_with_question(engine: Engine, now: float, question=Q0):
    key = create_room(engine, creator=token("teacher"), now=now)
    set_question(engine, key.code, key.secret, index=0, now=now, **question)
    return key


# -- the whole flow -----------------------------------------------------------------------------


def test_a_lesson_from_start_to_csv(engine, clock):
    key = create_room(engine, creator=token("teacher"), now=clock())
    assert len(key.code) == CODE_LENGTH and set(key.code) <= set(CODE_ALPHABET)
    assert key.display == f"{key.code[:3]}-{key.code[3:]}" and key.secret not in repr(key)
    view = current(engine, key.display.lower(), now=clock(1))  # any spelling joins
    assert view.code == key.code and not view.closed and view.question is None
    assert tally(engine, key.code, key.secret, now=clock(1)) is None

    set_question(engine, key.code, key.secret, index=0, now=clock(2), **Q0)
    q = current(engine, key.code, now=clock(3)).question
    assert q is not None and (q.index, q.text, q.options) == (0, Q0["text"], tuple(Q0["options"]))
    assert not q.revealed and q.answer is None  # students don't see the answer before reveal

    chosen = [3, 3, 2, 0, 3, 2, 3]
    voters = [token() for _ in chosen]
    for v, c in zip(voters, chosen, strict=True):
        assert my_vote(engine, key.code, v, now=clock(4)) is None
        vote(engine, key.code, v, index=0, option=c, now=clock(4))
        assert my_vote(engine, key.code, v, now=clock(4)) == c  # a reload finds it again
    t = tally(engine, key.code, key.secret, now=clock(5))
    assert t.counts == (1, 0, 2, 4) and t.total == 7 and t.answer == 3 and not t.revealed

    shown = reveal(engine, key.code, key.secret, now=clock(6))
    assert shown.revealed and shown.answer == 3
    q = current(engine, key.code, now=clock(7)).question
    assert q.revealed and q.answer == 3
    refused(Reason.REVEALED, engine, vote, key.code, token(), index=0, option=1, now=clock(8))
    reveal(engine, key.code, key.secret, now=clock(9))  # twice: nothing changes
    assert tally(engine, key.code, key.secret, now=clock(9)).counts == (1, 0, 2, 4)

    assert next_question(engine, key.code, key.secret, now=clock(10), **Q1) == 1
    q = current(engine, key.code, now=clock(11)).question
    assert (q.index, q.revealed, q.answer) == (1, False, None)
    assert my_vote(engine, key.code, voters[0], now=clock(11)) is None  # a new question
    assert my_vote(engine, key.code, voters[0], now=clock(11), index=0) == 3
    vote(engine, key.code, voters[0], index=1, option=1, now=clock(12))
    vote(engine, key.code, voters[1], index=1, option=0, now=clock(12))
    assert tally(engine, key.code, key.secret, now=clock(13)).counts == (1, 1, 0)
    assert tally(engine, key.code, key.secret, now=clock(13), index=0).counts == (1, 0, 2, 4)
    assert tally(engine, key.code, key.secret, now=clock(13), index=5) is None
    assert counts(engine) == {"poll_meta": 1, "poll_room": 1, "poll_question": 2, "poll_vote": 9}

    close_room(engine, key.code, key.secret, now=clock(14))
    assert current(engine, key.code, now=clock(15)).closed
    rows = list(
        csv.DictReader(io.StringIO(results_csv(engine, key.code, key.secret, now=clock(15))))
    )
    assert [(r["step"], r["option"], r["votes"], r["correct"]) for r in rows] == [
        ("1", "A", "1", "no"),
        ("1", "B", "0", "no"),
        ("1", "C", "2", "no"),
        ("1", "D", "4", "yes"),
        ("2", "A", "1", "no"),
        ("2", "B", "1", "yes"),
        ("2", "C", "0", "no"),
    ]


def test_csv_content_quoting_and_no_personal_data(engine, clock):
    odd = {
        "lesson": "Cyclical, schedules",
        "text": 'Which "schedule"\nwins? (€, ü, 学习率)',
        "options": ["triangular, 2", "1cycle", "='=1+1"],
        "answer": 1,
    }
    key = room_with_question(engine, clock(), odd)
    voters = [token("student-secret") for _ in range(3)]
    for v, c in zip(voters, [1, 1, 2], strict=True):
        vote(engine, key.code, v, index=0, option=c, now=clock(1))
    out = results_csv(engine, key.code, key.secret, now=clock(2))
    assert out.splitlines()[0] == "step,lesson,question,option,option_text,votes,correct,revealed"
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["option_text"] for r in rows] == odd["options"]
    assert {r["question"] for r in rows} == {odd["text"]} and {r["lesson"] for r in rows} == {
        odd["lesson"]
    }
    assert [int(r["votes"]) for r in rows] == [0, 2, 1]
    assert [r["correct"] for r in rows] == ["no", "yes", "no"]
    assert {r["revealed"] for r in rows} == {"no"}
    assert not any(v in out for v in voters) and "student-secret" not in out
    assert key.secret not in out


def test_sql_looking_text_is_stored_as_text(engine, clock):
    evil = dict(Q1, text="'); DROP TABLE poll_vote; --", lesson="Robert'); --")
    key = room_with_question(engine, clock(), evil)
    q = current(engine, key.code, now=clock(1)).question
    assert q.text == evil["text"] and q.lesson == evil["lesson"]
    vote(engine, key.code, token(), index=0, option=0, now=clock(1))
    assert counts(engine)["poll_vote"] == 1


# -- one vote per voter, and votes that are refused ---------------------------------------------


def test_one_vote_per_voter_per_question(engine, clock):
    key = room_with_question(engine, clock())
    v = token()
    vote(engine, key.code, v, index=0, option=2, now=clock(1))
    for again in (2, 0):  # the same vote replayed, or a change of mind: both refused
        err = refused(
            Reason.ALREADY_VOTED, engine, vote, key.code, v, index=0, option=again, now=clock(2)
        )
        assert "(C)" in str(err)
    assert my_vote(engine, key.code, v, now=clock(3)) == 2
    assert tally(engine, key.code, key.secret, now=clock(3)).counts == (0, 0, 1, 0)


def test_options_out_of_range_or_not_int_are_refused(engine, clock):
    key = room_with_question(engine, clock())
    for option in [-1, 4, 99, 2**70, 1.0, "1", True, None, [1]]:
        err = refused(
            Reason.BAD_OPTION, engine, vote, key.code, token(), index=0, option=option, now=clock(1)
        )
        assert "answers" in str(err)
    for index in [-1, 1.0, "0", None, False]:  # the question's index must be an int too
        refused(
            Reason.BAD_OPTION, engine, vote, key.code, token(), index=index, option=0, now=clock(1)
        )
    assert counts(engine)["poll_vote"] == 0


def test_a_late_vote_for_the_previous_question_is_refused(engine, clock):
    key = room_with_question(engine, clock())
    next_question(engine, key.code, key.secret, now=clock(1), **Q1)
    refused(Reason.MOVED_ON, engine, vote, key.code, token(), index=0, option=0, now=clock(2))
    refused(Reason.MOVED_ON, engine, vote, key.code, token(), index=7, option=0, now=clock(2))


def test_no_votes_before_the_first_question_or_after_closing(engine, clock):
    key = create_room(engine, creator=token("teacher"), now=clock())
    refused(Reason.NO_QUESTION, engine, vote, key.code, token(), index=0, option=0, now=clock(1))
    set_question(engine, key.code, key.secret, index=0, now=clock(2), **Q0)
    close_room(engine, key.code, key.secret, now=clock(3))
    refused(Reason.CLOSED, engine, vote, key.code, token(), index=0, option=0, now=clock(4))
    refused(Reason.CLOSED, engine, set_question, key.code, key.secret, index=1, now=clock(4), **Q1)
    refused(Reason.CLOSED, engine, reveal, key.code, key.secret, now=clock(4))
    close_room(engine, key.code, key.secret, now=clock(5))  # idempotent
    assert tally(engine, key.code, key.secret, now=clock(5)).total == 0


# -- host only ----------------------------------------------------------------------------------


def test_forged_host_secrets_are_refused_and_change_nothing(engine, clock):
    key = room_with_question(engine, clock())
    other = room_with_question(engine, clock())
    vote(engine, key.code, token(), index=0, option=1, now=clock(1))
    flipped = ("A" if key.secret[0] != "A" else "B") + key.secret[1:]
    forged = [other.secret, flipped, key.secret[:-1], key.secret + "x", "", None, 42, key.code]
    host_calls = [
        (set_question, {"index": 1, **Q1}),
        (next_question, Q1),
        (reveal, {}),
        (close_room, {}),
        (tally, {}),
        (results_csv, {}),
    ]
    for secret in forged:
        for fn, kwargs in host_calls:
            err = refused(Reason.NOT_HOST, engine, fn, key.code, secret, now=clock(2), **kwargs)
            assert "teacher" in str(err)
    q = current(engine, key.code, now=clock(3)).question
    assert (q.index, q.revealed) == (0, False)


def test_host_questions_are_validated(engine, clock):
    key = room_with_question(engine, clock())
    bad = [
        {"index": -1},
        {"index": P.MAX_QUESTION_INDEX + 1},
        {"index": True},
        {"index": 1.0},
        {"answer": 4},
        {"answer": -1},
        {"answer": "0"},
        {"options": ["only one"]},
        {"options": [f"o{i}" for i in range(P.MAX_OPTIONS + 1)]},
        {"options": "abcd"},
        {"options": ["a", ""]},
        {"options": ["a", "b" * (P.MAX_OPTION_LEN + 1)]},
        {"options": ["a", 2]},
        {"text": ""},
        {"text": "x" * (P.MAX_TEXT_LEN + 1)},
        {"lesson": "   "},
        {"lesson": None},
    ]
    for change in bad:
        args = {"index": 1, **Q0, **change}
        refused(
            Reason.BAD_QUESTION, engine, set_question, key.code, key.secret, now=clock(1), **args
        )


def test_asking_a_question_again(engine, clock):
    key = room_with_question(engine, clock())
    vote(engine, key.code, token(), index=0, option=1, now=clock(1))
    reveal(engine, key.code, key.secret, now=clock(2))
    next_question(engine, key.code, key.secret, now=clock(3), **Q1)
    # going back shows it as it was: votes and reveal kept
    set_question(engine, key.code, key.secret, index=0, now=clock(4), **Q0)
    q = current(engine, key.code, now=clock(5)).question
    assert (q.index, q.revealed, q.answer) == (0, True, Q0["answer"])
    assert tally(engine, key.code, key.secret, now=clock(5)).counts == (0, 1, 0, 0)
    # other words under a number that has votes: refused
    refused(
        Reason.BAD_QUESTION, engine, set_question, key.code, key.secret, index=0, now=clock(6), **Q1
    )
    # ... and under a number without votes: replaced
    set_question(engine, key.code, key.secret, index=1, now=clock(7), **dict(Q1, answer=2))
    assert tally(engine, key.code, key.secret, now=clock(8)).answer == 2


# -- codes and tokens from links ----------------------------------------------------------------

BAD_CODES = [
    "",
    "K7P",
    "K7P4QXX",
    "K7P-4QX-K7P-4QX-K7P",  # overlong
    "x" * 10_000,
    "K7P-4Q!",
    "K7P;4QX",
    "' OR 1=1 --",
    "K7P-4QU",  # U is not in the alphabet
    "K7P-4Qé",
    "Ｋ7P4QX",  # a full-width K
    "K7P\x004QX",
    None,
    123456,
    b"K7P4QX",
]


def test_odd_codes_are_refused_before_the_database(engine, clock):
    key = room_with_question(engine, clock())
    for raw, (fn, args, kwargs) in itertools.product(
        BAD_CODES,
        [
            (current, (), {}),
            (my_vote, (token(),), {}),
            (vote, (token(),), {"index": 0, "option": 0}),
            (reveal, (key.secret,), {}),
            (tally, (key.secret,), {}),
        ],
    ):
        err = refused(Reason.BAD_CODE, engine, fn, raw, *args, now=clock(1), **kwargs)
        assert "K7P-4QX" in str(err)  # shows what a code looks like, never echoes the input


def test_unknown_codes_are_refused(engine, clock):
    key = room_with_question(engine, clock())
    unknown = next(c for c in ("000000", "ZZZZZZ") if c != key.code)
    for fn, args, kwargs in [
        (current, (), {}),
        (my_vote, (token(),), {}),
        (vote, (token(),), {"index": 0, "option": 0}),
        (set_question, (key.secret,), {"index": 1, **Q1}),
        (tally, (key.secret,), {}),
    ]:
        err = refused(Reason.NO_ROOM, engine, fn, unknown, *args, now=clock(1), **kwargs)
        assert format_code(unknown) in str(err)


BAD_TOKENS = ["", "short", "x" * 65, "has space", "semi;colon", "tok\n12345", "é" * 10, None, 12]


def test_odd_voter_and_creator_tokens_are_refused(engine, clock):
    key = room_with_question(engine, clock())
    for bad in BAD_TOKENS:
        refused(Reason.BAD_TOKEN, engine, vote, key.code, bad, index=0, option=0, now=clock(1))
        refused(Reason.BAD_TOKEN, engine, my_vote, key.code, bad, now=clock(1))
        refused(Reason.BAD_TOKEN, engine, create_room, creator=bad, now=clock(1))


# -- expiry, caps, floods -----------------------------------------------------------------------


def test_rooms_expire_after_the_teachers_last_action(engine, clock):
    key = room_with_question(engine, clock())
    vote(engine, key.code, token(), index=0, option=0, now=clock(1))
    # votes do not keep it alive; the teacher's actions do
    late = clock(P.ROOM_TTL - 10)
    vote(engine, key.code, token(), index=0, option=0, now=late)
    reveal(engine, key.code, key.secret, now=late)
    assert current(engine, key.code, now=late + P.ROOM_TTL).question.revealed  # just alive
    gone = late + P.ROOM_TTL + 1
    for fn, args, kwargs in [
        (current, (), {}),
        (my_vote, (token(),), {}),
        (vote, (token(),), {"index": 0, "option": 0}),
        (next_question, (key.secret,), Q1),
        (tally, (key.secret,), {}),
        (results_csv, (key.secret,), {}),
        (close_room, (key.secret,), {}),
    ]:
        refused(Reason.NO_ROOM, engine, fn, key.code, *args, now=gone, **kwargs)
    assert counts(engine)["poll_vote"] == 2  # still stored: purged lazily...
    fresh = create_room(engine, creator=token("teacher"), now=gone)  # ...by the next create
    assert counts(engine) == {"poll_meta": 1, "poll_room": 1, "poll_question": 0, "poll_vote": 0}
    assert current(engine, fresh.code, now=gone).question is None


def test_open_rooms_cap(engine, clock, monkeypatch):
    monkeypatch.setattr(P, "MAX_OPEN_ROOMS", 3)
    keys = [create_room(engine, creator=token("teacher"), now=clock(i)) for i in range(3)]
    assert len({k.code for k in keys}) == 3
    err = refused(
        Reason.TOO_MANY_ROOMS, engine, create_room, creator=token("teacher"), now=clock(5)
    )
    assert "try again later" in str(err)
    close_room(engine, keys[0].code, keys[0].secret, now=clock(6))  # a closed room is not open
    create_room(engine, creator=token("teacher"), now=clock(7))
    # expired rooms make room too
    create_room(engine, creator=token("teacher"), now=clock(P.ROOM_TTL + 8))


def test_stored_rooms_cap_counts_closed_rooms_until_they_expire(engine, clock, monkeypatch):
    monkeypatch.setattr(P, "MAX_STORED_ROOMS", 2)
    for i in range(2):
        key = create_room(engine, creator=token("teacher"), now=clock(i))
        close_room(engine, key.code, key.secret, now=clock(i))
    refused(Reason.TOO_MANY_ROOMS, engine, create_room, creator=token("teacher"), now=clock(5))
    assert purge_expired(engine, now=clock(P.ROOM_TTL)) == 0
    assert purge_expired(engine, now=clock(P.ROOM_TTL + 0.5)) == 1  # the one closed at 0
    create_room(engine, creator=token("teacher"), now=clock(P.ROOM_TTL + 1))
    assert counts(engine)["poll_room"] == 2


def test_a_flood_of_rooms_from_one_creator_is_refused(engine, clock):
    me = token("teacher")
    for i in range(P.MAX_ROOMS_PER_CREATOR):
        create_room(engine, creator=me, now=clock(i))
    err = refused(Reason.TOO_FAST, engine, create_room, creator=me, now=clock(10))
    assert "wait" in str(err)
    create_room(engine, creator=token("teacher"), now=clock(10))  # someone else may
    create_room(engine, creator=me, now=clock(P.CREATOR_WINDOW + 1))  # and later, me too


def test_a_flood_of_votes_from_one_voter_is_refused(engine, clock):
    keys = [room_with_question(engine, clock()) for _ in range(2)]
    flooder = token()
    for i in range(P.MAX_VOTES_PER_VOTER):  # one vote per question, questions moving quickly
        key = keys[i % 2]
        if i >= 2:
            next_question(engine, key.code, key.secret, now=clock(1), **Q1)
        vote(engine, key.code, flooder, index=i // 2, option=0, now=clock(1 + i / 10))
    next_question(engine, keys[1].code, keys[1].secret, now=clock(2), **Q1)
    idx = current(engine, keys[1].code, now=clock(2)).question.index
    err = refused(
        Reason.TOO_FAST, engine, vote, keys[1].code, flooder, index=idx, option=0, now=clock(2)
    )
    assert "wait" in str(err)
    vote(engine, keys[1].code, flooder, index=idx, option=0, now=clock(2 + P.VOTER_WINDOW))


def test_votes_per_room_cap(engine, clock, monkeypatch):
    monkeypatch.setattr(P, "MAX_VOTES_PER_ROOM", 3)
    key = room_with_question(engine, clock())
    for _ in range(3):
        vote(engine, key.code, token(), index=0, option=0, now=clock(1))
    refused(Reason.ROOM_FULL, engine, vote, key.code, token(), index=0, option=0, now=clock(1))
    other = room_with_question(engine, clock())  # the cap is per room
    vote(engine, other.code, token(), index=0, option=0, now=clock(1))


def test_questions_per_room_cap(engine, clock, monkeypatch):
    monkeypatch.setattr(P, "MAX_QUESTIONS_PER_ROOM", 2)
    key = room_with_question(engine, clock())
    next_question(engine, key.code, key.secret, now=clock(1), **Q1)
    refused(Reason.ROOM_FULL, engine, next_question, key.code, key.secret, now=clock(2), **Q0)
    set_question(engine, key.code, key.secret, index=0, now=clock(3), **Q0)  # going back is fine


def test_codes_of_live_rooms_are_not_reused(engine, clock, monkeypatch):
    key = create_room(engine, creator=token("teacher"), now=clock())
    draws = iter([key.code, key.code, "000000" if key.code != "000000" else "111111"])
    monkeypatch.setattr(P, "new_code", lambda: next(draws))
    again = create_room(engine, creator=token("teacher"), now=clock(1))
    assert again.code != key.code
    draws2 = itertools.repeat(key.code)
    monkeypatch.setattr(P, "new_code", lambda: next(draws2))
    refused(Reason.UNAVAILABLE, engine, create_room, creator=token("teacher"), now=clock(2))
    # once the room has expired (and is purged) its code may be drawn again
    reused = create_room(engine, creator=token("teacher"), now=clock(P.ROOM_TTL + 10))
    assert reused.code == key.code and reused.secret != key.secret


# -- schema -------------------------------------------------------------------------------------


def test_schema_created_once_with_version_and_indexes(db, clock):
    first = db.new()
    create_room(first, creator=token("teacher"), now=clock())
    second = db.new()  # another app server on the same database
    create_room(second, creator=token("teacher"), now=clock())
    with second.connect() as conn:
        assert conn.execute(select(meta)).all() == [("schema_version", str(SCHEMA_VERSION))]
        names = {i["name"] for i in inspect(conn).get_indexes("poll_vote")}
    assert {"ix_poll_vote_tally", "ix_poll_vote_voter"} <= names
    assert counts(second)["poll_room"] == 2


@pytest.mark.parametrize("found", [str(SCHEMA_VERSION + 1), "0", "garbage"])
def test_an_unknown_schema_version_is_refused(db, clock, found):
    first = db.new()
    create_room(first, creator=token("teacher"), now=clock())
    with first.begin() as conn:
        conn.execute(update(meta).values(value=found))
    with pytest.raises(SchemaVersionError, match="schema version") as info:
        create_room(db.new(), creator=token("teacher"), now=clock(1))
    assert ("update LR Lab" in str(info.value)) == (found == str(SCHEMA_VERSION + 1))
    assert counts(first)["poll_room"] == 1


def test_engines_the_poll_cannot_use_are_refused(tmp_path):
    # what st.connection(..., autocommit=True) returns
    plain = create_engine(f"sqlite:///{tmp_path / 'a.db'}")
    with pytest.raises(ValueError, match="autocommit"):
        prepare(plain.execution_options(isolation_level="AUTOCOMMIT"))
    with pytest.raises(ValueError, match="SQLite file"):
        prepare(create_engine("sqlite://"))


# -- concurrency --------------------------------------------------------------------------------


def test_200_votes_from_threads_are_all_counted(engine, clock):
    key = room_with_question(engine, clock())
    ballots = [(token(), i % 4) for i in range(200)]

    def cast(ballot):
        vote(engine, key.code, ballot[0], index=0, option=ballot[1], now=clock(1))

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(cast, ballots))
    t = tally(engine, key.code, key.secret, now=clock(2))
    assert t.counts == (50, 50, 50, 50)
    assert counts(engine)["poll_vote"] == 200


def test_a_double_tap_from_many_threads_counts_once(engine, clock):
    key = room_with_question(engine, clock())
    v = token()
    go = threading.Barrier(8)

    def tap(option):
        go.wait()
        try:
            vote(engine, key.code, v, index=0, option=option, now=clock(1))
            return "ok"
        except PollError as err:
            return err.reason

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(tap, [i % 4 for i in range(8)]))
    assert results.count("ok") == 1 and results.count(Reason.ALREADY_VOTED) == 7
    assert tally(engine, key.code, key.secret, now=clock(2)).total == 1


def test_no_vote_lands_after_the_reveal(engine, clock):
    key = room_with_question(engine, clock())
    results: list[object] = []
    start = threading.Barrier(9)

    def student(i):
        start.wait()
        for _ in range(10):
            try:
                vote(engine, key.code, token(), index=0, option=i % 4, now=clock(1))
                results.append("ok")
            except PollError as err:
                results.append(err.reason)

    def teacher():
        start.wait()
        reveal(engine, key.code, key.secret, now=clock(1))
        return tally(engine, key.code, key.secret, now=clock(1)).total

    with ThreadPoolExecutor(max_workers=9) as pool:
        futures = [pool.submit(student, i) for i in range(8)]
        at_reveal = pool.submit(teacher).result()
        for f in futures:
            f.result()
    assert set(results) <= {"ok", Reason.REVEALED}
    # the count the teacher saw right after revealing is final
    final = tally(engine, key.code, key.secret, now=clock(2)).total
    assert final == results.count("ok") == at_reveal


# -- properties ---------------------------------------------------------------------------------

codes = st.text(alphabet=CODE_ALPHABET, min_size=CODE_LENGTH, max_size=CODE_LENGTH)


@given(codes, st.data())
def test_code_spellings_normalise_to_the_code(code, data):
    assert normalise_code(code) == code
    assert normalise_code(format_code(code)) == code
    # how a student might type it: any case, spaces or dashes between, lookalike letters
    typed = []
    for c in code:
        variants = [c, c.lower()] + {"0": ["O", "o"], "1": ["I", "i", "L", "l"]}.get(c, [])
        typed.append(data.draw(st.sampled_from(variants)))
        typed.append(data.draw(st.sampled_from(["", "", " ", "-"])))
    spelled = "".join(typed)
    if len(spelled) <= 16:
        assert normalise_code(spelled) == code


@given(st.text(max_size=30))
def test_anything_normalises_to_a_code_or_is_refused(raw):
    try:
        code = normalise_code(raw)
    except PollError as err:
        assert err.reason == Reason.BAD_CODE
        return
    assert len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET)
    assert normalise_code(code) == code


_ballots = st.lists(
    st.tuples(st.integers(0, 5), st.one_of(st.integers(-2, 4), st.sampled_from([True, 1.0]))),
    max_size=12,
)


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ballots=_ballots)
def test_tally_is_the_multiset_of_accepted_votes(engine, clock, ballots):
    key = room_with_question(engine, clock(), Q1)  # three options: 0, 1, 2
    voters = [token() for _ in range(6)]
    accepted: dict[str, int] = {}
    for who, option in ballots:
        try:
            vote(engine, key.code, voters[who], index=0, option=option, now=clock(1))
        except PollError as err:
            assert err.reason in {Reason.BAD_OPTION, Reason.ALREADY_VOTED}
            continue
        assert voters[who] not in accepted and option in (0, 1, 2)
        accepted[voters[who]] = option
    want = Counter(accepted.values())
    assert tally(engine, key.code, key.secret, now=clock(2)).counts == tuple(
        want[i] for i in range(3)
    )
    close_room(engine, key.code, key.secret, now=clock(3))  # keep under the open-rooms cap
