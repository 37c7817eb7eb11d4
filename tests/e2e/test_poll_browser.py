"""The class poll in a real browser, across two app servers sharing one PostgreSQL database.

Server A serves the teacher (1280x720, lecture mode), server B three students' phones
(390x844): the students vote on B and the teacher's live tally on A counts them; the teacher's
Reveal on A reaches the phones on B. Screenshots go to ``tests/e2e/screenshots/poll/``.

PostgreSQL: ``$LRLAB_TEST_PG_URL`` (``.ci/run`` starts one), else a throwaway server started
here; where none can be started the test is skipped with the reason, except under ``CI=true``,
where it fails.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import playwright.sync_api as sync_api  # noqa: E402  (requirements-dev: never skipped)
import pytest
from sqlalchemy import create_engine, text

from tests.classroom import pg
from tests.e2e.server import CHROMIUM, CHROMIUM_ARGS, streamlit_servers, wait_for_app

SHOTS = Path(__file__).parent / "screenshots" / "poll"
TEACHER = {"width": 1280, "height": 720}
PHONE = {"width": 390, "height": 844}

pytestmark = []
if not Path(CHROMIUM).exists():  # CI installs it; say so loudly rather than skip quietly
    pytestmark.append(
        pytest.mark.skipif(os.environ.get("CI") != "true", reason=f"no Chromium at {CHROMIUM}")
    )


@pytest.fixture(scope="module")
def pg_schema_url() -> Iterator[str]:
    """A URL of an empty schema on a PostgreSQL server (dropped afterwards)."""
    given = os.environ.get(pg.PG_ENV, "").strip()
    server = None
    if given:
        url = pg.normalise_url(given)
    else:
        try:
            server = pg.start()
        except pg.Unavailable as err:
            reason = f"class poll browser test not run: {err}"
            if os.environ.get("CI") == "true":
                pytest.fail(reason + " (CI=true: PostgreSQL is required)", pytrace=False)
            print(f"\n{reason}", file=sys.stderr)
            pytest.skip(reason)
        url = server.url
    schema = f"poll_e2e_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"
    try:
        yield f"{url}{sep}options={quote(f'-c search_path={schema}')}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
        if server is not None:
            server.stop()


@pytest.fixture(scope="module")
def servers(pg_schema_url: str) -> Iterator[tuple[str, str]]:
    """Two app servers on two ports, one poll database."""
    env = {"LRLAB_POLL_DB_URL": pg_schema_url}
    with streamlit_servers(2, env=env) as (a, b):
        yield a, b


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


T0 = [time.perf_counter()]  # the test's start, for the timings printed with each screenshot


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    print(f"{time.perf_counter() - T0[0]:.1f} s: {name}", file=sys.stderr)


def test_students_on_one_server_vote_and_the_teacher_on_another_sees_it(browser, servers):
    a, b = servers
    T0[0] = time.perf_counter()
    errors: list[str] = []
    teacher_ctx = browser.new_context(viewport=TEACHER)
    teacher = teacher_ctx.new_page()
    teacher.on("pageerror", lambda e: errors.append(str(e)))
    teacher.goto(f"{a}/?lecture=true")
    wait_for_app(teacher)
    teacher.get_by_role("button", name="Start a class poll").click()
    code_box = teacher.locator(".lrlab-poll-code")
    code_box.wait_for(timeout=30_000)
    code = code_box.inner_text().replace("-", "").strip()
    assert len(code) == 6
    teacher.locator(".st-key-lrlab_poll_panel").scroll_into_view_if_needed()
    teacher.get_by_role("img", name="QR code of the link").wait_for()
    shot(teacher, "teacher-started")
    # the address bar (on the projector) carries the view and lecture mode, nothing else
    assert set(teacher.url.split("?", 1)[1].split("&")) <= {"lecture=true"}

    phones = []
    # three students, each a browser context of their own (a phone's own browser); a reload
    # keeping a vote is checked without a browser (tests/lessons/test_poll.py)
    try:
        for _ in range(3):  # the phones open the link at the same time
            ctx = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
            page = ctx.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{b}/poll?room={code}", wait_until="commit")
            phones.append((ctx, page))
        for _, page in phones:
            page.get_by_role("button", name="lr = 1", exact=False).first.wait_for(timeout=30_000)
        shot(phones[0][1], "phone-question")
        for i, (_, page) in enumerate(phones):
            page.get_by_role("button").filter(has_text=["lr = 0.1", "lr = 1", "lr = 1"][i]).click()
            page.get_by_text("Your answer:").wait_for(timeout=15_000)
            assert "v=" in page.url  # the voter token, in the student's own address
        shot(phones[0][1], "phone-voted")
        # server A's live tally counts the votes cast through server B (refresh every 2 s)
        teacher.wait_for_function(
            "() => (document.querySelector('.lrlab-poll-count') || {}).textContent"
            "?.trim().startsWith('3 ')",
            timeout=15_000,
        )
        teacher.get_by_text("Show the answers").click()
        teacher.locator(".st-key-lrlab_poll_panel .main-svg").first.wait_for(timeout=15_000)
        shot(teacher, "teacher-three-votes")
        teacher.get_by_role("button", name="Reveal").click()
        teacher.get_by_text("The answer is").wait_for(timeout=30_000)
        for _, page in phones:  # the reveal reaches every phone
            page.get_by_text("right answer").wait_for(timeout=15_000)
        shot(teacher, "teacher-revealed")
        shot(phones[1][1], "phone-revealed")
        assert phones[1][1].get_by_text("You got it right.").count() == 1
        for _, page in [(teacher_ctx, teacher), *phones]:
            assert page.get_by_test_id("stException").count() == 0
        assert not errors
    finally:
        for ctx, _ in phones:
            ctx.close()
        teacher_ctx.close()
