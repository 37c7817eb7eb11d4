"""Every registered page in a real browser (Debian's Chromium driven by Playwright).

Opens each page at phone (390 px), laptop (1280 px) and projector (1920 px) widths, fails on
any exception box, and saves a full-page screenshot (the whole lesson) under ``tests/e2e/screenshots/`` (git-ignored).
"""

from __future__ import annotations

import os
import time
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
    exc = page.get_by_test_id("stException")
    assert exc.count() == 0, exc.first.inner_text()[:2000]
    shot.parent.mkdir(parents=True, exist_ok=True)
    full_page_screenshot(page, size, shot)
    return ctx, page, errors


def full_page_screenshot(page, size: tuple[int, int], shot: Path, max_height: int = 12_000):
    """Screenshot the whole lesson, not just the first screen.

    Streamlit scrolls inside its main container, so ``full_page=True`` alone captures only the
    viewport: grow the viewport to the container's content height first, let charts re-lay out,
    then shoot, then restore the size.
    """
    height = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=stMain]');"
        " return m ? m.scrollHeight : document.body.scrollHeight; }"
    )
    tall = int(min(max(height, size[1]), max_height))
    page.set_viewport_size({"width": size[0], "height": tall})
    page.wait_for_timeout(800)
    page.screenshot(path=str(shot), full_page=True)
    page.set_viewport_size({"width": size[0], "height": size[1]})


#: every text plotly draws around a chart: titles of the chart and of every (sub)plot's axes
#: and the legend (all in the info layer), tick labels, annotations
_CHART_TEXT = ".infolayer text, .xtick text, .ytick text, .annotation-text"
#: the titles, which must not overlap each other either (e.g. two subplots' x titles)
_TITLES = ".infolayer g[class$='title'] text"
_CUT_OFF_JS = """
([selector, titles]) => {
  const out = [];
  const seen = (r) => r.width > 0 || r.height > 0;
  document.querySelectorAll('.js-plotly-plot').forEach((plot, i) => {
    const box = plot.getBoundingClientRect();
    plot.querySelectorAll(selector).forEach(t => {
      const r = t.getBoundingClientRect();
      if (!seen(r) || !t.textContent.trim()) return;
      const over = Math.max(box.left - r.left, r.right - box.right, box.top - r.top,
                            r.bottom - box.bottom);
      if (over > 1) out.push(`chart ${i}: "${t.textContent.slice(0, 60)}" sticks out ${Math.round(over)}px`);
    });
    const ts = Array.from(plot.querySelectorAll(titles)).filter(t => t.textContent.trim());
    ts.forEach((a, j) => ts.slice(j + 1).forEach(b => {
      const p = a.getBoundingClientRect(), q = b.getBoundingClientRect();
      const w = Math.min(p.right, q.right) - Math.max(p.left, q.left);
      const h = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
      if (seen(p) && seen(q) && w > 2 && h > 2)
        out.push(`chart ${i}: "${a.textContent.slice(0, 40)}" overlaps "${b.textContent.slice(0, 40)}"`);
    }));
  });
  return out;
}
"""


def cut_off_chart_text(page) -> list[str]:
    """Chart text (titles, ticks, legend, annotations) that sticks out of its chart's box,
    where the browser cuts it off (a title longer than the plot is tall, a legend wider than
    a phone), and titles that overlap each other (two subplots' axis titles side by side)."""
    return page.evaluate(_CUT_OFF_JS, [_CHART_TEXT, _TITLES])


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("info", pages.available(), ids=lambda p: p.url_path)
def test_page_renders_without_exception(browser, base_url, info, width):
    url = f"{base_url}/{info.route}"
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
        assert cut_off_chart_text(page) == []
    finally:
        ctx.close()


#: a 1280 x 720 projector, and a student's phone opening a link the teacher shared in class
LECTURE_SIZES = {"projector-720p": (1280, 720), "phone": WIDTHS["phone"]}


@pytest.mark.parametrize("where", list(LECTURE_SIZES))
@pytest.mark.parametrize("info", pages.available(), ids=lambda p: p.url_path)
def test_lecture_mode_fits(browser, base_url, info, where):
    """Lecture mode (bigger fonts; a link's ``lecture=true``): no exception, the page asked
    for, and no chart text cut off by the larger fonts, on a projector and on a phone."""
    ctx, page, _ = open_and_check(
        browser,
        f"{base_url}/{info.route}?lecture=true",
        LECTURE_SIZES[where],
        SHOTS / f"lecture-{where}" / f"{info.url_path}.png",
    )
    try:
        assert page.get_by_role("heading", name=info.title).count() >= 1
        # the sidebar's switch is on (on a phone the sidebar is closed: hidden, still there)
        toggle = page.get_by_role("switch", name="Lecture mode", exact=True, include_hidden=True)
        assert toggle.is_checked()
        assert cut_off_chart_text(page) == []
    finally:
        ctx.close()


def test_a_chart_tab_draws_when_opened_and_goes_into_the_link(browser, base_url):
    """Descent in 2-D draws only its open tab (lazy ``state.tabs``): clicking "3-D view" must
    rerun, draw the surface, and put the tab in the address bar (so a copied link has it).

    That a link opens the tab is checked by AppTest (test_descent_2d); here the surface must
    appear, and the page must stay responsive (software WebGL, no GPU: a 3-D scene with contour
    lines used to block it for 30-60 s)."""
    surface_and_no_exception = (
        "() => document.querySelectorAll('.js-plotly-plot .gl-container canvas').length > 0"
        " && document.querySelectorAll('[data-testid=stException]').length === 0"
    )
    ctx, page, errors = open_and_check(
        browser, f"{base_url}/descent-2d", WIDTHS["laptop"], SHOTS / "tabs" / "contours.png"
    )
    try:
        # the 3-D surface is not drawn until asked for
        assert page.evaluate("() => document.querySelectorAll('.gl-container canvas').length") == 0
        page.get_by_role("tab", name="3-D view").click()
        page.wait_for_function(surface_and_no_exception, timeout=30_000)
        assert "d2_view=3-D+view" in page.url
        t0 = time.perf_counter()
        page.evaluate("() => 1")  # answered at once unless the page is busy drawing
        assert time.perf_counter() - t0 < 5.0
        assert not errors
    finally:
        ctx.close()
