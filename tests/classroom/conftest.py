"""Fixtures for the class poll: every test runs on a real SQLite file and a real PostgreSQL server.

PostgreSQL: ``$LRLAB_TEST_PG_URL`` if set, else a throwaway server started for the session
(:mod:`tests.classroom.pg`). Each test gets its own schema there (dropped afterwards), so a
shared server keeps nothing. When no server can be had the PostgreSQL half is skipped with the
reason, except under ``CI=true``, where it fails: CI must test both.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from tests.classroom import pg


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL for the session (given, or of a throwaway server this fixture starts)."""
    given = os.environ.get(pg.PG_ENV, "").strip()
    if given:
        yield pg.normalise_url(given)
        return
    try:
        server = pg.start()
    except pg.Unavailable as err:
        reason = f"PostgreSQL half of the poll tests not run: {err}"
    else:
        reason = ""
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI=true: PostgreSQL is required)", pytrace=False)
        print(f"\n{reason}", file=sys.stderr)
        pytest.skip(reason)
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pg_admin(pg_url: str) -> Iterator[Engine]:
    """An autocommit engine on the PostgreSQL server, for creating and dropping schemas."""
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    yield admin
    admin.dispose()


@dataclass
class Db:
    """One test's empty database: ``new()`` makes engines on it (each is prepared on first use)."""

    kind: str
    url: str
    options: dict[str, Any] = field(default_factory=dict)
    engines: list[Engine] = field(default_factory=list)

    def new(self, **kwargs: Any) -> Engine:
        engine = create_engine(self.url, **{**self.options, **kwargs})
        self.engines.append(engine)
        return engine


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Db]:
    """An empty poll database: a new SQLite file, or a new schema on the PostgreSQL server."""
    if request.param == "sqlite":
        d = Db("sqlite", f"sqlite:///{tmp_path / 'poll.sqlite3'}")
        yield d
        for e in d.engines:
            e.dispose()
        return
    admin: Engine = request.getfixturevalue("pg_admin")
    schema = f"poll_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = request.getfixturevalue("pg_url")
    d = Db("postgresql", url, {"connect_args": {"options": f"-c search_path={schema}"}})
    try:
        yield d
    finally:
        for e in d.engines:
            e.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
def engine(db: Db) -> Engine:
    """An engine on the test's empty database (pool large enough for the threaded tests)."""
    return db.new(pool_size=10, max_overflow=10)


@pytest.fixture
def clock() -> Callable[[float], float]:
    """Seconds since the epoch at a fixed start plus an offset: ``clock(60)`` is a minute in."""
    start = 1_800_000_000.0
    return lambda offset=0.0: start + offset
