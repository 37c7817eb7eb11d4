"""The class poll in the app (AppTest, through app.py): the teacher's panel in the shared runner
and the students' phone page, on a fresh SQLite file per test (``LRLAB_POLL_DB_URL``).

Students' votes and the room's state are read and written with :mod:`classroom` directly, on
the same database, as another app server would."""

from __future__ import annotations

import csv
import io
import time

import pytest
from sqlalchemy import Engine, func, select
from streamlit.testing.v1 import AppTest

import classroom
from classroom import PollError, Reason
from classroom import poll as P
from classroom.schema import votes
from lessons.ui import guide
from lessons.ui import poll as ui
from tests.lessons.apptest import ROOT, address_bar, assert_ok, open_page, texts

LESSON0 = "lessons/what_is_lr/page.py"
GUIDE = "lessons/teachers_guide/page.py"
STUDENT = "lessons/class_poll.py"


@pytest.fixture
def db(tmp_path, monkeypatch) -> Engine:
    url = f"sqlite:///{tmp_path / 'poll.sqlite3'}"
    monkeypatch.setenv(classroom.schema.ENV_URL, url)
    monkeypatch.setattr(ui, "ROOM_VIEW_TTL", 0.0)  # every run reads the room afresh
    engine = classroom.make_engine(url)
    yield engine
    engine.dispose()


def now() -> float:
    return time.time()


def host(at) -> dict:
    return at.session_state[ui._HOST]


def n_votes(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(votes))


def buttons(at) -> dict:
    return {b.label: b for b in at.button}


def start(at):
    at.button(key="poll_start").click().run()
    assert_ok(at)
    return host(at)


# ------------------------------------------------------------------------------ the teacher


def test_teacher_starts_a_room_counts_votes_reveals_and_downloads(db):
    at = open_page(LESSON0, lecture=True)
    assert "poll_start" in [b.key for b in at.button]
    h = start(at)
    code, secret = h["code"], h["secret"]
    body = texts(at)
    # the code to read aloud, its link, the QR code; the secret nowhere on the page or in the URL
    assert classroom.format_code(code) in body
    assert f"/poll?room={code}" in body
    assert len(at.image) == 1 and at.image[0].value[0].startswith("data:image/svg+xml")
    assert secret not in body
    assert all(secret not in v for vs in address_bar(at).values() for v in vs)
    # the page's question is the room's, answer computed from the run at the page's params
    view = classroom.current(db, code, now=now())
    assert view.question is not None and view.question.index == 0
    assert "curvature a = 1" in view.question.text
    assert view.question.answer is None  # students do not get the answer before the reveal
    assert "0 answers so far" in body
    assert "w_quiz_radio" not in [r.key for r in at.radio]  # the hall answers, not the keyboard
    assert at.session_state["w_quiz"] is None

    for i, option in enumerate([2, 2, 0]):
        classroom.vote(db, code, f"student-{i:04d}", index=0, option=option, now=now())
    at.run()
    assert "3 answers so far" in texts(at)
    assert not at.get("plotly_chart") or len(at.get("plotly_chart")) == 1  # the lesson's own
    charts = len(at.get("plotly_chart"))
    at.toggle(key=f"poll_chart_{code}_0").set_value(True).run()
    assert len(at.get("plotly_chart")) == charts + 1

    at.button(key="poll_reveal").click().run()
    assert_ok(at)
    assert at.session_state["w_quiz"] == 3  # answered: the held-back run may show
    assert "The answer is **C: lr = 1**" in texts(at)
    assert classroom.current(db, code, now=now()).question.answer == 2

    assert any(b.key == f"poll_csv_{code}" for b in at.download_button)
    rows = list(csv.DictReader(io.StringIO(classroom.results_csv(db, code, secret, now=now()))))
    assert [(r["option"], r["votes"], r["correct"]) for r in rows] == [
        ("A", "1", "no"),
        ("B", "0", "no"),
        ("C", "2", "yes"),
        ("D", "0", "no"),
    ]
    assert not any("student-" in v for r in rows for v in r.values())  # no voter ids

    at.button(key="poll_end").click().run()
    assert_ok(at)
    assert classroom.current(db, code, now=now()).closed
    assert "has ended" in texts(at)
    assert any(b.key == f"poll_csv_{code}" for b in at.download_button)


def test_next_question_follows_the_guide_and_the_room_follows(db, monkeypatch):
    """Two guide steps on lesson 0 (another bowl): Next opens step 2's link, whose page asks
    its own question; the room (and so every phone) moves to it."""
    steps = (
        guide.Step(LESSON0, 1, "", "", "", {"w_lr": "1"}),
        guide.Step(LESSON0, 1, "", "", "", {"w_a": "2"}),
    )
    monkeypatch.setattr(guide, "PLAN", steps)
    at = open_page(LESSON0, {"w_lr": "1"}, lecture=True)
    h = start(at)
    classroom.vote(db, h["code"], "student-0001", index=0, option=2, now=now())
    at.button(key="poll_reveal").click().run()
    at.button(key="poll_next").click().run()
    assert_ok(at)
    assert address_bar(at).get("w_a") == ["2"] and address_bar(at).get("lecture") == ["true"]
    assert host(at)["step"] == 1 and host(at)["code"] == h["code"]  # sticky across pages
    q = classroom.current(db, h["code"], now=now()).question
    assert q.index == 1 and "curvature a = 2" in q.text and not q.revealed
    assert at.session_state["w_quiz"] is None  # the new question is not answered yet
    assert "0 answers so far" in texts(at)
    assert buttons(at)["Next question"].disabled  # the last step


def test_start_from_the_teachers_guide_opens_step_one(db):
    at = open_page(GUIDE)
    at.button(key="poll_start_guide").click().run()
    assert_ok(at)
    h = host(at)
    assert h["step"] == 0
    assert at.session_state["lecture"] is True
    assert "Class poll" in texts(at) and classroom.format_code(h["code"]) in texts(at)
    q = classroom.current(db, h["code"], now=now()).question
    assert q.index == 0 and q.lesson == "What is a learning rate?"
    # back on the guide, the bar says where the room is
    at.switch_page(GUIDE).run()
    assert f"Class poll {classroom.format_code(h['code'])}** is running" in texts(at)


def test_a_teacher_who_starts_rooms_too_fast_is_refused_with_a_message(db, monkeypatch):
    monkeypatch.setattr(P, "MAX_ROOMS_PER_CREATOR", 1)
    at = open_page(LESSON0, lecture=True)
    first = start(at)["code"]
    at.button(key="poll_end").click().run()
    at.button(key="poll_forget").click().run()
    at.button(key="poll_start").click().run()
    assert_ok(at)
    assert ui._HOST not in at.session_state
    assert "You started 1 rooms" in texts(at)
    assert classroom.current(db, first, now=now()).closed


# ------------------------------------------------------------------------------ the students


def teacher_room(db: Engine, *, options=("slow", "good", "diverges")) -> classroom.HostKey:
    key = classroom.create_room(db, creator="teacher-0001", now=now())
    classroom.set_question(
        db,
        key.code,
        key.secret,
        index=2,
        lesson="Descent in 1-D",
        text="What does lr = 2.2 do?",
        options=list(options),
        answer=2,
        now=now(),
    )
    return key


def student(query: dict, *, via_app: bool = False) -> AppTest:
    """A phone opening the students' page with this query. ``via_app``: through ``app.py``
    (the page as registered), else the page's script alone (faster: no default page first)."""
    if via_app:
        at = open_page(STUDENT, query)
        assert not at.sidebar.children  # no menu, no lecture switch: nothing but the poll
        return at
    at = AppTest.from_file(str(ROOT / STUDENT), default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert_ok(at)
    return at


def test_a_student_votes_once_and_a_reload_keeps_the_vote(db):
    key = teacher_room(db)
    at = student({"room": key.code.lower()}, via_app=True)
    voter = address_bar(at)["v"][0]  # made on the first visit, kept in the student's address
    assert address_bar(at)["room"] == [key.code]
    classroom.codes.check_token(voter)
    body = texts(at)
    assert "What does lr = 2.2 do?" in body and "Step 3 · Descent in 1-D" in body
    assert [b.label for b in at.button] == ["**A** · slow", "**B** · good", "**C** · diverges"]
    at.button(key="pv_2_1").click().run()
    assert_ok(at)
    assert "Your answer: B · good" in texts(at)
    assert not [b for b in at.button if b.key.startswith("pv_")]
    assert classroom.my_vote(db, key.code, voter, now=now()) == 1

    again = student({"room": key.code, "v": voter})  # a reload: same address, new session
    assert "Your answer: B · good" in texts(again)
    assert not [b for b in again.button if b.key.startswith("pv_")]
    with pytest.raises(PollError):
        classroom.vote(db, key.code, voter, index=2, option=0, now=now())
    assert n_votes(db) == 1

    classroom.reveal(db, key.code, key.secret, now=now())
    again.run()
    body = texts(again)
    assert "right answer" in body and "Your answer: B. The answer: C." in body


def test_the_student_page_never_shows_counts_or_the_answer_before_the_reveal(db):
    key = teacher_room(db)
    for i in range(3):
        classroom.vote(db, key.code, f"student-{i:04d}", index=2, option=2, now=now())
    at = student({"room": key.code})
    body = texts(at).replace(key.display, "").replace(key.code, "")  # the code may hold a 3
    assert "right answer" not in body and "3" not in body.replace("Step 3", "")
    assert not at.get("plotly_chart")


HOSTILE_ROOMS = [
    ("<script>alert(1)</script>", "not a room code"),
    ("K" * 500, "not a room code"),
    ("K7P4QXZ", "not a room code"),
    ("K7P-4Q✓", "not a room code"),
    ("", "Type the room code"),
    ("ZZZZZZ", "There is no room ZZZ-ZZZ"),
]
FORGED_TOKENS = ["short", "x" * 65, "../../etc/passwd", "a b c d e f g h", "<img src=x>", ""]


def test_hostile_or_unknown_room_links_are_refused_with_a_message(db):
    teacher_room(db)
    before = n_votes(db)
    at = student({"room": "ZZZZZZ"})
    for room, message in HOSTILE_ROOMS:
        at.query_params["room"] = room
        at.run()
        assert_ok(at)
        body = texts(at)
        assert message in body, room
        assert "<script>" not in body and "K" * 20 not in body  # never repeated back
        assert not [b for b in at.button if (b.key or "").startswith("pv_")]
        assert at.text_input  # the student can type the code instead
    assert n_votes(db) == before


def test_a_forged_voter_id_is_replaced_and_nothing_is_stored_under_it(db):
    key = teacher_room(db)
    at = student({"room": key.code})
    for token in FORGED_TOKENS:
        at.query_params["v"] = token
        at.run()
        assert_ok(at)
        if token:
            assert "voter id in this link was not valid" in texts(at), token
        fresh = address_bar(at)["v"][0]
        assert fresh != token and classroom.codes.check_token(fresh)
    at.button(key="pv_2_0").click().run()
    assert classroom.my_vote(db, key.code, fresh, now=now()) == 0
    assert n_votes(db) == 1
    with db.connect() as conn:
        assert set(conn.scalars(select(votes.c.voter))) == {fresh}


def test_refused_votes_show_a_message_and_store_nothing(db, monkeypatch):
    """A vote that is no option, for a question the room has left, or one too many."""
    key = teacher_room(db)
    at = student({"room": key.code})
    voter = address_bar(at)["v"][0]
    # a tap that arrives after the teacher moved on
    classroom.set_question(
        db,
        key.code,
        key.secret,
        index=3,
        lesson="Descent in 2-D",
        text="Which runs survive?",
        options=["all", "one"],
        answer=1,
        now=now(),
    )
    at.button(key="pv_2_2").click().run()
    assert_ok(at)
    body = texts(at)
    assert "moved on" in body and "Which runs survive?" in body
    assert n_votes(db) == 0
    # what a forged option or question number would send (the page only offers real ones)
    forged = [(3, 2), (3, -1), (3, 10**9), (-1, 0), (3, "1"), (3, True), (3, None), (2, 0)]
    said = cast([(key.code, voter, index, option) for index, option in forged])
    for reason, message in said:
        assert reason in (Reason.BAD_OPTION.value, Reason.MOVED_ON.value) and message
    assert n_votes(db) == 0


def _cast_app() -> None:
    import streamlit as st

    from lessons.ui import poll as ui

    said = []
    for args in st.session_state["calls"]:
        ui._cast(*args)
        said.append(st.session_state.pop(ui._STUDENT_MSG, None))
    st.session_state["said"] = said


def cast(calls: list[tuple]) -> list[tuple[str, str] | None]:
    """The students' page's vote handler called with each argument tuple; the refusal each one
    would show on the page."""
    at = AppTest.from_function(_cast_app, default_timeout=30)
    at.session_state["calls"] = calls
    at.run()
    assert_ok(at)
    return at.session_state["said"]


def test_a_flood_of_votes_is_refused_with_a_message(db, monkeypatch):
    monkeypatch.setattr(P, "MAX_VOTES_PER_VOTER", 1)
    key = teacher_room(db)
    at = student({"room": key.code})
    voter = address_bar(at)["v"][0]
    classroom.vote(db, key.code, voter, index=2, option=0, now=now())
    classroom.set_question(
        db,
        key.code,
        key.secret,
        index=3,
        lesson="Descent in 2-D",
        text="Which runs survive?",
        options=["all", "one"],
        answer=1,
        now=now(),
    )
    at.run()
    at.button(key="pv_3_1").click().run()
    assert "Too many votes at once" in texts(at)
    assert classroom.my_vote(db, key.code, voter, now=now()) is None


def test_closed_and_expired_rooms_say_so(db, monkeypatch):
    key = teacher_room(db)
    classroom.close_room(db, key.code, key.secret, now=now())
    at = student({"room": key.code})
    assert "This poll has ended" in texts(at)
    assert not [b for b in at.button if (b.key or "").startswith("pv_")]
    monkeypatch.setattr(P, "ROOM_TTL", -1.0)  # every room has expired
    at = student({"room": key.code})
    assert "or it has ended" in texts(at)


def test_no_room_in_the_link_asks_for_the_code(db):
    key = teacher_room(db)
    at = student({})
    at.text_input[0].input("nonsense")
    at.button[0].click().run()
    assert "not a room code" in texts(at)
    at.text_input[0].input(classroom.format_code(key.code).lower())
    at.button[0].click().run()
    assert_ok(at)
    assert address_bar(at)["room"] == [key.code]
    assert "What does lr = 2.2 do?" in texts(at)


# ------------------------------------------------------------------------------ helpers


def test_question_numbers_are_the_guide_steps():
    assert ui.step_of(LESSON0) == 0
    assert ui.step_of(guide.PLAN[3].path) == 3
    assert ui.step_of(GUIDE) == ui.OFF_GUIDE + 9  # a page outside the guide
    assert ui._next_step(len(guide.PLAN) - 1) is None
    assert ui._next_step(-1) == 0
    assert ui.join_url("K7P4QX", "https://lr-lab.example/") == (
        "https://lr-lab.example/poll?room=K7P4QX"
    )
    svg = ui.qr_svg("https://lr-lab.example/poll?room=K7P4QX")
    assert svg.startswith("<svg") and "viewBox" in svg


def _view_app() -> None:
    import streamlit as st

    from lessons.ui import poll as ui

    st.session_state["views"] = [ui._room_view(st.session_state["code"]) for _ in range(2)]


def test_a_server_reads_a_room_for_its_phones_at_most_once_per_ttl(db, monkeypatch):
    key = teacher_room(db)
    monkeypatch.setattr(ui, "ROOM_VIEW_TTL", 60.0)
    ui._VIEWS.clear()
    at = AppTest.from_function(_view_app, default_timeout=30)
    at.session_state["code"] = key.code
    at.run()
    first, again = at.session_state["views"]
    assert first is again and not first.question.revealed
    classroom.reveal(db, key.code, key.secret, now=now())
    at.run()
    assert at.session_state["views"][0] is first  # still the same read within the TTL
    monkeypatch.setattr(ui, "ROOM_VIEW_TTL", 0.0)
    at.run()
    assert at.session_state["views"][0].question.revealed
    ui._VIEWS.clear()
