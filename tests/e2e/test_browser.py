"""Every registered page in a real browser (Debian's Chromium driven by Playwright).

Opens each page at phone (390 px), laptop (1280 px) and projector (1920 px) widths, fails on
any exception box, and saves a full-page screenshot under ``tests/e2e/screenshots/`` (git-ignored).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lessons.ui import pages
from tests.e2e.server import CHROMIUM, CHROMIUM_ARGS, streamlit_server, wait_for_app

sync_api = pytest.importorskip("playwright.sync_api")

SHOTS = Path(__file__).parent / "screenshots"
WIDTHS = {"phone": (390, 844), "laptop": (1280, 900), "projector": (1920, 1080)}

if not Path(CHROMIUM).exists():  # CI installs it; say so loudly rather than skip quietly
    pytestmark = pytest.mark.skipif(
        os.environ.get("CI") != "true", reason=f"no Chromium at {CHROMIUM}"
    )


@pytest.fixture(scope="module")
def base_url():
    with streamlit_server() as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_and_check(browser, url: str, size: tuple[int, int], shot: Path):
    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    resp = page.goto(url)
    assert resp is not None and resp.ok
    wait_for_app(page)
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
    exc = page.get_by_test_id("stException")
    assert exc.count() == 0, exc.first.inner_text()[:2000]
    return ctx, page, errors


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("info", pages.available(), ids=lambda p: p.url_path)
def test_page_renders_without_exception(browser, base_url, info, width):
    url = f"{base_url}/{'' if info is pages.LESSONS[0] else info.url_path}"
    ctx, page, _ = open_and_check(
        browser, url, WIDTHS[width], SHOTS / width / f"{info.url_path}.png"
    )
    try:
        # the page shown is the page asked for (a wrong url_path silently shows the default)
        assert page.get_by_role("heading", name=info.title).count() >= 1
        # nothing wider than the viewport (no sideways scrolling on a phone)
        overflow = page.evaluate(
            "() => document.querySelector('[data-testid=stMain]').scrollWidth"
            " - document.querySelector('[data-testid=stMain]').clientWidth"
        )
        assert overflow <= 2, f"content overflows the viewport by {overflow}px"
    finally:
        ctx.close()
