"""Regenerate the README's screenshots: ``python -m tests.e2e.readme_shots``.

Uses the browser test's server and Chromium set-up: opens every page at its defaults at laptop
size, waits until it is drawn, and saves its first chart (or, on a page without one, its first screen
with the sidebar cropped off) as a small JPEG, in lecture mode (big text, narrative folded away, so the first
screen shows the controls and the chart), in ``assets/screenshots/<url_path>.jpg``. Not collected by pytest (no ``test_`` name).
"""

from __future__ import annotations

import sys

from playwright.sync_api import sync_playwright

from lessons.ui import pages
from tests.e2e.server import CHROMIUM, CHROMIUM_ARGS, ROOT, streamlit_server, wait_for_app

OUT = ROOT / "assets" / "screenshots"
VIEWPORT = {"width": 1400, "height": 1000}
SCALE = 0.75  # device pixels per CSS pixel: small files, still legible as a thumbnail
QUALITY = 65
#: pages whose defaults withhold a run until the learner predicts: show all of them
QUERY = {"four-regimes": "&fr_show=true"}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    total = 0
    with streamlit_server() as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        ctx = browser.new_context(viewport=VIEWPORT, device_scale_factor=SCALE)
        page = ctx.new_page()
        for info in pages.available():
            page.goto(f"{base}/{info.route}?lecture=true{QUERY.get(info.url_path, '')}")
            wait_for_app(page)
            if page.get_by_test_id("stException").count():
                sys.exit(f"{info.url_path}: the page shows an exception")
            out = OUT / f"{info.url_path}.jpg"
            charts = page.locator("[data-testid='stPlotlyChart']")
            if charts.count():  # the lesson's first chart says more than its controls
                charts.first.scroll_into_view_if_needed()
                page.wait_for_timeout(500)
                charts.first.screenshot(path=str(out), type="jpeg", quality=QUALITY)
                total += out.stat().st_size
                print(f"{out.relative_to(ROOT)}: {out.stat().st_size / 1024:.0f} KB (first chart)")
                continue
            left = page.evaluate(
                "() => { const s = document.querySelector('[data-testid=stSidebar]');"
                " return s ? Math.round(s.getBoundingClientRect().width) : 0; }"
            )
            clip = {
                "x": left,
                "y": 0,
                "width": VIEWPORT["width"] - left,
                "height": VIEWPORT["height"],
            }
            page.screenshot(path=str(out), type="jpeg", quality=QUALITY, clip=clip)
            total += out.stat().st_size
            print(f"{out.relative_to(ROOT)}: {out.stat().st_size / 1024:.0f} KB")
        browser.close()
    print(f"total {total / 1024:.0f} KB")


if __name__ == "__main__":
    main()
