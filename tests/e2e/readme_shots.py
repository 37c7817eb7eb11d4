"""Regenerate the README's screenshots: ``python -m tests.e2e.readme_shots``.

Uses the browser test's server and Chromium set-up (not collected by pytest: no ``test_``
name). Saves, as small JPEGs in ``assets/screenshots/``:

* every page's first screen in lecture mode on a 1280 x 720 projector, as a teacher's link
  opens it (``<url_path>.jpg``): the title, one sentence and the main chart;
* the class poll: the teacher's screen with a room running and three answers in
  (``poll-teacher.jpg``) and a student's phone after voting (``poll-phone.jpg``).
"""

from __future__ import annotations

import sys

from playwright.sync_api import sync_playwright

from lessons.ui import pages
from tests.e2e.server import CHROMIUM, CHROMIUM_ARGS, ROOT, streamlit_server, wait_for_app

OUT = ROOT / "assets" / "screenshots"
PROJECTOR = {"width": 1280, "height": 720}
PHONE = {"width": 390, "height": 844}
SCALE = 0.5  # device pixels per CSS pixel: small files, still legible in the README
QUALITY = 70


def shoot(page, name: str) -> int:
    out = OUT / f"{name}.jpg"
    page.screenshot(path=str(out), type="jpeg", quality=QUALITY)
    size = out.stat().st_size
    print(f"{out.relative_to(ROOT)}: {size / 1024:.0f} KB")
    return size


def check(page, what: str) -> None:
    if page.get_by_test_id("stException").count():
        sys.exit(f"{what}: the page shows an exception")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    total = 0
    with streamlit_server() as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        for info in pages.available():
            ctx = browser.new_context(viewport=PROJECTOR, device_scale_factor=SCALE)
            page = ctx.new_page()
            page.goto(f"{base}/{info.route}?lecture=true")
            wait_for_app(page)
            check(page, info.url_path)
            total += shoot(page, info.url_path)
            ctx.close()

        # the class poll: a teacher starts a room on lesson 0, three phones answer
        teacher = browser.new_context(viewport=PROJECTOR, device_scale_factor=SCALE).new_page()
        teacher.goto(f"{base}/?lecture=true")
        wait_for_app(teacher)
        teacher.get_by_role("button", name="Start a class poll").click()
        code = teacher.locator(".lrlab-poll-code")
        code.wait_for(timeout=30_000)
        link = f"{base}/poll?room={code.inner_text().replace('-', '').strip()}"
        phone = None
        for choice in (2, 2, 1):
            phone = browser.new_context(viewport=PHONE, device_scale_factor=1).new_page()
            phone.goto(link)
            wait_for_app(phone)
            phone.get_by_role("button").filter(has_text="lr = ").nth(choice).click()
            phone.get_by_text("Your answer").first.wait_for(timeout=30_000)
            check(phone, "poll phone")
        teacher.wait_for_function(
            "() => (document.querySelector('.lrlab-poll-count') || {}).textContent"
            "?.trim().startsWith('3 ')",
            timeout=30_000,
        )
        teacher.get_by_text("Show the answers").click()
        teacher.locator(".st-key-lrlab_poll_panel .main-svg").first.wait_for(timeout=15_000)
        teacher.locator(".st-key-lrlab_poll_panel").scroll_into_view_if_needed()
        check(teacher, "poll teacher")
        total += shoot(teacher, "poll-teacher")
        total += shoot(phone, "poll-phone")
        browser.close()
    print(f"total {total / 1024:.0f} KB")


if __name__ == "__main__":
    main()
