"""The poll's tables, where its database is, and how an engine is made ready for it.

Where the database is
---------------------
* By default an SQLite file in the system's temporary folder (:func:`default_url`): nothing to
  configure, one app server, gone when the machine is replaced (a poll lives for one lecture).
* PostgreSQL when a URL is configured, so that several app servers share one poll:

  - outside Streamlit (scripts, benches, tests): the environment variable ``LRLAB_POLL_DB_URL``,
    read by :func:`database_url`;
  - in the app: ``.streamlit/secrets.toml`` ::

        [connections.poll]
        url = "postgresql+psycopg://user:password@host:5432/lrlab"

    read by ``st.connection("poll", type="sql")``, whose ``.engine`` the poll functions take.

  The driver is psycopg 3 (``postgresql+psycopg://``); a bare ``postgres://`` or
  ``postgresql://`` URL from a hosting provider is rewritten to it by :func:`database_url`.

  Arguments given to ``st.connection`` win over ``secrets.toml``, so the app passes
  ``url=database_url()`` only when ``secrets.toml`` has no ``[connections.poll]``; it must not
  pass ``autocommit=True`` (the poll needs transactions: :func:`prepare` refuses such an engine).

How an engine is made ready
---------------------------
Every poll function calls :func:`prepare` first (a dictionary look-up after the first time):

* SQLite: every connection gets WAL mode (readers never wait for the writer), a busy timeout of
  ``SQLITE_BUSY_TIMEOUT_MS`` and ``synchronous=NORMAL``; transactions are begun by SQLAlchemy,
  not by Python's ``sqlite3`` module (whose legacy mode runs SELECTs outside any transaction),
  and a write transaction begins with ``BEGIN IMMEDIATE``: it takes the write lock before it
  reads, so a check ("has this student voted?") and the write it guards see the same data, and
  a waiting writer waits out the busy timeout instead of failing at once on a stale snapshot.
* Both: the tables and indexes are created if absent (``metadata.create_all``) and the
  ``schema_version`` row is written or checked; a database written by a newer LR Lab is refused
  with :class:`SchemaVersionError`.

Tables (``SCHEMA_VERSION`` 1)
-----------------------------
``poll_meta(name PK, value)``
    one row, ``schema_version``.
``poll_room(id PK, code UNIQUE, host_hash, creator, created_at, active_at, closed, current_idx)``
    ``host_hash`` is the SHA-256 (hex) of the host secret, never the secret; ``creator`` the
    opaque token of the session that made it (for the flood limit); ``active_at`` the last host
    action (the room expires ``ROOM_TTL`` seconds after it); ``current_idx`` the question shown.
``poll_question(room_id, idx, lesson, text, options, answer, revealed, asked_at)``
    PK ``(room_id, idx)``; ``options`` a JSON list of strings.
``poll_vote(room_id, idx, voter, choice, voted_at)``
    PK ``(room_id, idx, voter)``: one vote per voter per question, enforced by the database.

Indexes: ``ix_poll_vote_tally (room_id, idx, choice)`` covers the live tally (a GROUP BY over one
question, read from the index alone); ``ix_poll_vote_voter (voter, voted_at)`` and
``ix_poll_room_creator (creator, created_at)`` serve the flood limits; ``ix_poll_room_active
(active_at)`` the purge of expired rooms. Times are seconds since the epoch (``time.time()``).
"""

from __future__ import annotations

import os
import tempfile
import threading
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Double,
    Engine,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
    select,
    text,
)

__all__ = [
    "DB_FILENAME",
    "ENV_URL",
    "SCHEMA_VERSION",
    "SQLITE_BUSY_TIMEOUT_MS",
    "SchemaVersionError",
    "database_url",
    "default_url",
    "make_engine",
    "metadata",
    "prepare",
    "questions",
    "read_tx",
    "rooms",
    "votes",
    "write_tx",
]

#: the version of the tables below; bump it (and migrate) when they change
SCHEMA_VERSION = 1
#: environment variable holding a database URL (PostgreSQL for several app servers)
ENV_URL = "LRLAB_POLL_DB_URL"
#: the SQLite file's name in the temporary folder
DB_FILENAME = "lrlab-poll.sqlite3"
#: how long an SQLite connection waits for the write lock before giving up
SQLITE_BUSY_TIMEOUT_MS = 5_000
#: key of the PostgreSQL advisory lock that serialises schema creation and room creation
PG_LOCK_KEY = 0x4C524C6162  # "LRLab"

metadata = MetaData()

meta = Table(
    "poll_meta",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", String(64), nullable=False),
)

rooms = Table(
    "poll_room",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(8), nullable=False, unique=True),
    Column("host_hash", String(64), nullable=False),
    Column("creator", String(64), nullable=False),
    Column("created_at", Double, nullable=False),
    Column("active_at", Double, nullable=False),
    Column("closed", Boolean, nullable=False),
    Column("current_idx", Integer, nullable=True),
    Index("ix_poll_room_creator", "creator", "created_at"),
    Index("ix_poll_room_active", "active_at"),
)

questions = Table(
    "poll_question",
    metadata,
    Column("room_id", Integer, ForeignKey("poll_room.id", ondelete="CASCADE"), primary_key=True),
    Column("idx", Integer, primary_key=True),
    Column("lesson", String(100), nullable=False),
    Column("text", Text, nullable=False),
    Column("options", Text, nullable=False),
    Column("answer", Integer, nullable=False),
    Column("revealed", Boolean, nullable=False),
    Column("asked_at", Double, nullable=False),
)

votes = Table(
    "poll_vote",
    metadata,
    Column("room_id", Integer, primary_key=True),
    Column("idx", Integer, primary_key=True),
    Column("voter", String(64), primary_key=True),
    Column("choice", Integer, nullable=False),
    Column("voted_at", Double, nullable=False),
    ForeignKeyConstraint(
        ["room_id", "idx"],
        ["poll_question.room_id", "poll_question.idx"],
        ondelete="CASCADE",
    ),
    Index("ix_poll_vote_tally", "room_id", "idx", "choice"),
    Index("ix_poll_vote_voter", "voter", "voted_at"),
)


class SchemaVersionError(RuntimeError):
    """The database holds poll tables of a version this code does not know."""


def default_url() -> str:
    """The SQLite file ``lrlab-poll.sqlite3`` in the system's temporary folder.

    >>> default_url().startswith("sqlite:///") and default_url().endswith("lrlab-poll.sqlite3")
    True
    """
    return f"sqlite:///{Path(tempfile.gettempdir()) / DB_FILENAME}"


def database_url(environ: Mapping[str, str] | None = None) -> str:
    """The poll database's URL: ``$LRLAB_POLL_DB_URL`` if set, else :func:`default_url`.

    The Streamlit app reads ``[connections.poll] url`` from ``.streamlit/secrets.toml`` instead
    (``st.connection("poll", type="sql")``); this function is for everything outside it.

    Parameters
    ----------
    environ : Mapping[str, str], optional
        Where to look (default ``os.environ``).

    Returns
    -------
    str
        A SQLAlchemy URL; ``postgres://`` and ``postgresql://`` become ``postgresql+psycopg://``.

    >>> database_url({"LRLAB_POLL_DB_URL": "postgres://u:p@db:5432/lrlab"})
    'postgresql+psycopg://u:p@db:5432/lrlab'
    >>> database_url({}) == default_url()
    True
    """
    env = os.environ if environ is None else environ
    url = env.get(ENV_URL, "").strip()
    if not url:
        return default_url()
    for bare in ("postgres://", "postgresql://"):
        if url.startswith(bare):
            return "postgresql+psycopg://" + url[len(bare) :]
    return url


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for the poll, made ready (:func:`prepare`).

    Parameters
    ----------
    url : str, optional
        A SQLAlchemy URL (default :func:`database_url`).
    **kwargs
        Passed to :func:`sqlalchemy.create_engine` (``pool_size``, ``connect_args``, ...).
    """
    kwargs.setdefault("pool_pre_ping", True)
    return prepare(create_engine(url or database_url(), **kwargs))


# -- engine set-up ----------------------------------------------------------------------------

#: engines made ready in this process (weak: an engine that is dropped is forgotten)
_READY: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()
_READY_LOCK = threading.Lock()


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy, not sqlite3, begins transactions (see _sqlite_begin)
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_MS)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    write = conn.get_execution_options().get("poll_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def prepare(engine: Engine) -> Engine:
    """Make an engine ready for the poll (idempotent, thread-safe; cheap after the first call).

    On SQLite this adds the connection and transaction settings described in the module's
    docstring and closes the pooled connections opened without them (an engine from
    ``st.connection`` may already hold some). Then the tables are created if absent and the
    schema version is written or checked.

    Raises
    ------
    SchemaVersionError
        If the database says it holds another version of the poll's tables.
    """
    if engine in _READY:
        return engine
    with _READY_LOCK:
        if engine in _READY:
            return engine
        _check_usable(engine)
        if engine.dialect.name == "sqlite" and not event.contains(
            engine, "connect", _sqlite_connect
        ):
            event.listen(engine, "connect", _sqlite_connect)
            event.listen(engine, "begin", _sqlite_begin)
            engine.dispose()
        _create_schema(engine)
        _READY[engine] = True
    return engine


def _check_usable(engine: Engine) -> None:
    """Refuse engines on which the poll's guarantees cannot hold."""
    if engine.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        raise ValueError(
            "the class poll needs transactions: do not pass autocommit=True to st.connection"
        )
    if engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:"):
        raise ValueError(
            "the class poll needs an SQLite file (an in-memory database is one per connection)"
        )


def _create_schema(engine: Engine) -> None:
    with write_tx(engine) as conn:
        pg_lock(conn)
        metadata.create_all(conn)
        found = conn.scalar(select(meta.c.value).where(meta.c.name == "schema_version"))
        if found is None:
            conn.execute(insert(meta).values(name="schema_version", value=str(SCHEMA_VERSION)))
            return
    try:
        version = int(found)
    except ValueError:
        version = -1
    if version != SCHEMA_VERSION:
        newer = version > SCHEMA_VERSION
        raise SchemaVersionError(
            f"The class poll's database holds tables of schema version {found!r}; this LR Lab "
            f"knows version {SCHEMA_VERSION} only"
            + (": update LR Lab" if newer else "")
            + ", or point the poll at another database "
            f"({ENV_URL} or [connections.poll] url in .streamlit/secrets.toml)."
        )


def pg_lock(conn: Connection) -> None:
    """On PostgreSQL, hold the poll's advisory lock until this transaction ends (no-op elsewhere:
    an SQLite write transaction already holds the database's only write lock)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK_KEY})


@contextmanager
def write_tx(engine: Engine) -> Iterator[Connection]:
    """A short write transaction (SQLite: ``BEGIN IMMEDIATE``); commits unless it raises."""
    with engine.connect() as conn:
        conn.execution_options(poll_write=True)
        with conn.begin():
            yield conn


@contextmanager
def read_tx(engine: Engine) -> Iterator[Connection]:
    """A short read transaction: one consistent snapshot on SQLite; READ COMMITTED on
    PostgreSQL."""
    with engine.connect() as conn, conn.begin():
        yield conn
