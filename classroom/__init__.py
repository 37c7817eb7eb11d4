"""The class poll's storage and logic: pure Python on SQLAlchemy Core, no Streamlit.

A teacher starts a room (a short code to read aloud, and a host secret), shows one
predict-then-reveal question at a time, students vote from their phones, the teacher reveals,
moves on, and downloads the results as CSV. See :mod:`classroom.poll` for the rules and
:mod:`classroom.schema` for the tables and where the database is (SQLite by default, PostgreSQL
when ``LRLAB_POLL_DB_URL`` or ``[connections.poll] url`` is set).
"""

from classroom.codes import PollError, Reason, format_code, normalise_code
from classroom.poll import (
    HostKey,
    Question,
    RoomView,
    Tally,
    close_room,
    create_room,
    current,
    my_vote,
    next_question,
    purge_expired,
    results_csv,
    reveal,
    set_question,
    tally,
    vote,
)
from classroom.schema import (
    SchemaVersionError,
    database_url,
    default_url,
    make_engine,
    prepare,
)

__all__ = [
    "HostKey",
    "PollError",
    "Question",
    "Reason",
    "RoomView",
    "SchemaVersionError",
    "Tally",
    "close_room",
    "create_room",
    "current",
    "database_url",
    "default_url",
    "format_code",
    "make_engine",
    "my_vote",
    "next_question",
    "normalise_code",
    "prepare",
    "purge_expired",
    "results_csv",
    "reveal",
    "set_question",
    "tally",
    "vote",
]
