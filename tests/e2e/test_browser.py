"""Every page in a real browser (Debian's Chromium driven by Playwright), each check at the
size where it matters:

* laptop (1280 x 900, light theme): no exception box, the page asked for (a wrong ``url_path``
  silently shows the default page), nothing wider than the screen, no chart text cut off at its
  chart's edge or titles drawn over each other, every chart has a text alternative, axe-core
  finds no WCAG 2.1 A/AA violation; a full-page screenshot; then on a phone (390 x 844): no
  sideways overflow, no chart text cut off; a full-page screenshot;
* lecture mode on a 1280 x 720 projector in a browser whose system theme is dark (the app
  follows it): the first chart starts on the first screen with room to see it, no text under
  18 px, the sidebar folded away, axe-core clean in the dark palette; a first-screen
  screenshot; then on a phone (cut-off text). Lecture mode's sizes are the same in both
  themes, and the light palette is checked on the laptop;
* a teacher's lecture link opened fresh (a new session, so the sidebar folds away on arrival):
  the same first-screen checks.

The laptop and the projector are each one tab that goes from page to page inside the app, as
a student using the menu or a teacher following the next-lesson links does: the app's scripts
load once per tab (loading them is most of a page's cost in a browser without a GPU: about
5 CPU-seconds a tab on a 2-core machine), and every page still runs from its address. The tabs
share one browser context. Screenshots go to ``tests/e2e/screenshots/`` (git-ignored).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

# imported outright: in requirements-dev.txt, so a missing one fails the run instead of
# skipping the browser test unseen
import axe_playwright_python.sync_playwright as axe_api  # noqa: E402
import playwright.sync_api as sync_api  # noqa: E402
import pytest

from lessons.ui import pages
from tests.e2e.server import CHROMIUM, CHROMIUM_ARGS, settled, streamlit_server, wait_for_app

SHOTS = Path(__file__).parent / "screenshots"
LAPTOP, PHONE, PROJECTOR = (1280, 900), (390, 844), (1280, 720)
#: the smallest text a projector may show in lecture mode (CSS px)
MIN_LECTURE_PX = 18
#: the first chart's top edge must leave at least this much of it on a 720 px first screen
CHART_ROOM_PX = 200
#: axe-core's WCAG 2.1 A/AA rules; only violations are reported in detail (axe then skips
#: collecting the nodes of every passing rule)
WCAG = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}

pytestmark = []
if not Path(CHROMIUM).exists():  # CI installs it; say so loudly rather than skip quietly
    pytestmark.append(
        pytest.mark.skipif(os.environ.get("CI") != "true", reason=f"no Chromium at {CHROMIUM}")
    )

PAGES = [p for p in pages.available() if p.section != "hidden"]
#: the lesson a teacher's link is opened fresh on: its first screen is the fullest
FRESH = next(p for p in PAGES if p.url_path == "descent-2d")
#: where the tabs go between checks: the students' poll page is no lesson, so the next visit
#: always moves to another page
PARKED = ("/poll", pages.POLL.title)


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


@pytest.fixture(scope="module")
def context(browser):
    ctx = browser.new_context(viewport={"width": LAPTOP[0], "height": LAPTOP[1]})
    yield ctx
    ctx.close()


@pytest.fixture(scope="module")
def laptop_tab(context, base_url):
    """One laptop tab that goes from page to page inside the app (as a student following the
    menu does: one session, the app's scripts loaded once): see :func:`visit`."""
    page = context.new_page()
    goto(page, f"{base_url}/poll")  # the students' poll page: no lesson, so every visit moves
    yield page
    page.close()


@dataclass
class LectureTab:
    page: object
    #: what the first screen showed when the tab opened the lecture link fresh (a new session)
    opened: dict


@pytest.fixture(scope="module")
def lecture_tab(context, base_url):
    """A projector's tab in a browser whose system theme is dark. It opens a teacher's lecture
    link fresh (a new session, so the sidebar folds away on arrival) on the lesson whose first
    screen is fullest, records what that first screen shows, then goes from page to page with
    lecture mode in the link, as the guide's and the next-lesson links do."""
    errors: list[str] = []
    page = open_tab(
        context, f"{base_url}/{FRESH.url_path}?lecture=true", PROJECTOR, dark=True, errors=errors
    )
    ready(page)
    opened = {
        "title": page.get_by_role("heading", name=FRESH.title).count(),
        "problems": first_screen_problems(page),
        "errors": list(errors),
    }
    screenshot(page, SHOTS / "lecture-720p" / f"{FRESH.url_path}-fresh.png")
    visit(page, f"{PARKED[0]}?lecture=true", PARKED[1])
    yield LectureTab(page, opened)
    page.close()


@pytest.fixture(scope="module")
def axe():
    return axe_api.Axe()


def goto(page, url: str) -> None:
    resp = page.goto(url)
    assert resp is not None and resp.ok
    ready(page)


def ready(page) -> None:
    """Bring the tab to the front (a tab behind others gets no animation frames, and plotly
    draws in them), wait for the app to finish drawing; fail on an exception box."""
    page.bring_to_front()
    wait_for_app(page)
    exc = page.get_by_test_id("stException")
    assert exc.count() == 0, exc.first.inner_text()[:2000]


#: the app's own in-app navigation (its handler of the browser's Back and Forward buttons):
#: the address changes and the app runs the page it names, without reloading its scripts
_VISIT_JS = """
(target) => {
  history.pushState({}, '', target);
  window.dispatchEvent(new PopStateEvent('popstate'));
}
"""


def visit(page, target: str, title: str) -> None:
    """Go to ``target`` (a path and query; another page than the one shown) inside the
    running app, as its menu does, and wait until the page titled ``title`` has drawn."""
    page.evaluate(_VISIT_JS, target)
    page.wait_for_function(
        "(t) => Array.from(document.querySelectorAll('[data-testid=stMain] h1'))"
        ".some(h => h.textContent.includes(t))",
        arg=title,
        timeout=60_000,
    )
    ready(page)


def open_tab(ctx, url: str, size: tuple[int, int], *, dark: bool = False, errors=None):
    """A new tab (a new Streamlit session) of ``size`` that has started loading ``url``: the
    server and the browser draw it while the test checks another tab (:func:`ready` waits).
    Uncaught script errors in it are appended to ``errors``."""
    page = ctx.new_page()
    if errors is not None:
        page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_viewport_size({"width": size[0], "height": size[1]})
    if dark:
        page.emulate_media(color_scheme="dark")
    resp = page.goto(url, wait_until="commit")
    assert resp is not None and resp.ok
    return page


def full_page_screenshot(page, width: int, shot: Path, max_height: int = 12_000) -> None:
    """Screenshot the whole lesson, not just the first screen.

    Streamlit scrolls inside its main container, so ``full_page=True`` alone captures only the
    viewport: grow the viewport to the container's content height first, let the charts settle,
    then shoot. The viewport stays that tall: the caller sets the next size it needs.
    """
    height = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=stMain]');"
        " return m ? m.scrollHeight : document.body.scrollHeight; }"
    )
    page.set_viewport_size({"width": width, "height": int(min(height, max_height))})
    settled(page)
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)


def screenshot(page, shot: Path) -> None:
    """The first screen."""
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot))


def resize(page, size: tuple[int, int]) -> None:
    """A new viewport, once the charts have re-laid out to it."""
    page.set_viewport_size({"width": size[0], "height": size[1]})
    settled(page)


#: every text plotly draws around a chart: titles of the chart and of every (sub)plot's axes
#: and the legend (all in the info layer), tick labels, annotations, and text drawn by traces
#: beside their points or bars (e.g. a bar's percentage)
_CHART_TEXT = (
    ".infolayer text, .xtick text, .ytick text, .annotation-text, .textpoint text, .bartext"
)
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

#: visible text in the lesson (not the sidebar) smaller than the limit: HTML text and the
#: charts' SVG text; the chart toolbar's tooltips, icons (ligatures) and hidden elements do
#: not count
_SMALL_TEXT_JS = """
(limit) => {
  const main = document.querySelector('[data-testid=stMain]');
  const out = new Set();
  const visible = (el) => { const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden'; };
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const t = n.textContent.trim();
    const el = n.parentElement;
    if (!t || !el || el.closest('.modebar, .hoverlayer, [role=tooltip], .katex')) continue;
    if (el.closest('[data-testid=stIconMaterial]') || /Material/.test(getComputedStyle(el).fontFamily)) continue;
    if (!visible(el)) continue;
    const px = parseFloat(getComputedStyle(el).fontSize);
    if (px < limit - 0.5) out.add(`${Math.round(px * 10) / 10}px "${t.slice(0, 40)}"`);
  }
  return Array.from(out).slice(0, 25);
}
"""

#: top edge of the first chart (plotly, or a lesson's picture strip) in the viewport, or null
_FIRST_CHART_TOP_JS = """
() => {
  const c = document.querySelector('[data-testid=stPlotlyChart], .lrlab-main-figure');
  return c ? c.getBoundingClientRect().top : null;
}
"""


def cut_off_chart_text(page) -> list[str]:
    """Chart text (titles, ticks, legend, annotations) that sticks out of its chart's box,
    where the browser cuts it off, and titles that overlap each other."""
    return page.evaluate(_CUT_OFF_JS, [_CHART_TEXT, _TITLES])


def overflow(page) -> int:
    return page.evaluate(
        "() => document.querySelector('[data-testid=stMain]').scrollWidth"
        " - document.querySelector('[data-testid=stMain]').clientWidth"
    )


def axe_violations(axe, page) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on the page. axe-core's script is injected once per
    tab (it stays loaded while the tab goes from page to page inside the app)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe.axe_script)
    response = page.evaluate("(options) => axe.run(document, options)", WCAG)
    return [
        f"{v['id']}: {v['nodes'][0]['target']} {v['nodes'][0].get('failureSummary', '')[:200]}"
        for v in response["violations"]
    ]


def charts_without_alt(page) -> int:
    return page.evaluate(
        "() => Array.from(document.querySelectorAll('[data-testid=stPlotlyChart]'))"
        ".filter(c => !(c.getAttribute('aria-label') || '').trim()).length"
    )


def first_screen_problems(page) -> list[str]:
    """What is wrong with lecture mode's first screen on a 1280 x 720 projector: the sidebar
    not folded away, the first chart off the first screen or without room to see it, text
    under 18 px, chart text cut off. Empty when all is well."""
    out = []
    toggle = page.get_by_role("switch", name="Lecture mode", exact=True, include_hidden=True)
    if not toggle.is_checked():
        out.append("lecture mode is off")
    folded = (
        "() => document.querySelector('[data-testid=stSidebar]').getBoundingClientRect().right <= 0"
    )
    if not page.evaluate(folded):
        out.append("the sidebar is not folded away")
    top = page.evaluate(_FIRST_CHART_TOP_JS)
    if top is not None and not 0 <= top <= PROJECTOR[1] - CHART_ROOM_PX:
        out.append(f"first chart starts at {top}px")
    out += [f"small text: {t}" for t in page.evaluate(_SMALL_TEXT_JS, MIN_LECTURE_PX)]
    out += [f"cut off: {t}" for t in cut_off_chart_text(page)]
    return out


@pytest.mark.parametrize("info", PAGES, ids=lambda p: p.url_path)
def test_page(laptop_tab, lecture_tab, axe, info):
    errors: list[str] = []
    on_error = lambda e: errors.append(str(e))  # noqa: E731
    laptop_tab.on("pageerror", on_error)
    lecture_tab.page.on("pageerror", on_error)
    try:
        # laptop, light theme: the page reached from the menu
        page = laptop_tab
        page.set_viewport_size({"width": LAPTOP[0], "height": LAPTOP[1]})
        visit(page, f"/{info.route}", info.title)
        assert overflow(page) <= 2, "content overflows the viewport"
        assert cut_off_chart_text(page) == []
        assert charts_without_alt(page) == 0, "a chart has no text alternative"
        assert axe_violations(axe, page) == []
        full_page_screenshot(page, LAPTOP[0], SHOTS / "laptop" / f"{info.url_path}.png")

        # phone (the whole lesson in the screenshot: its first screen holds no chart)
        resize(page, PHONE)
        assert overflow(page) <= 2, "content overflows a phone's screen"
        assert cut_off_chart_text(page) == []
        full_page_screenshot(page, PHONE[0], SHOTS / "phone" / f"{info.url_path}.png")

        # lecture mode on a 1280 x 720 projector, dark theme
        page = lecture_tab.page
        page.set_viewport_size({"width": PROJECTOR[0], "height": PROJECTOR[1]})
        visit(page, f"/{info.route}?lecture=true", info.title)
        assert page.evaluate(
            "() => getComputedStyle(document.querySelector('[data-testid=stApp]'))"
            ".backgroundColor !== 'rgb(255, 255, 255)'"
        ), "the app did not follow the dark system theme"
        assert first_screen_problems(page) == []
        assert axe_violations(axe, page) == []
        screenshot(page, SHOTS / "lecture-dark" / f"{info.url_path}.png")

        # and a student's phone opening the teacher's lecture link
        resize(page, PHONE)
        assert cut_off_chart_text(page) == []
        assert not errors, errors
    finally:
        laptop_tab.remove_listener("pageerror", on_error)
        lecture_tab.page.remove_listener("pageerror", on_error)


def test_a_lecture_link_opens_with_the_chart_on_the_first_screen(lecture_tab):
    """A teacher's lecture link opened fresh (a new tab, a new session): the sidebar folds away
    on arrival, the chart is on the first screen, nothing under 18 px. (Recorded when the
    projector's tab opened; :func:`test_page` then reaches every lesson inside the app.)"""
    assert lecture_tab.opened == {"title": 1, "problems": [], "errors": []}


def test_a_lesson_works_with_the_keyboard_alone(laptop_tab):
    """Tab to the learning-rate slider, move it with the arrow keys: the rate and the verdict
    (a live region a screen reader reads out) change."""
    page = laptop_tab
    page.set_viewport_size({"width": LAPTOP[0], "height": LAPTOP[1]})
    visit(page, *PARKED)
    visit(page, "/", pages.LESSONS[0].title)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    status = page.get_by_role("status").first
    before = status.inner_text()
    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const a = document.activeElement;"
            " return a.type + '|' + (a.getAttribute('aria-label') || ''); }"
        )
        if focused == "range|Learning rate lr":
            break
    else:
        pytest.fail("Tab never reached the learning-rate slider")
    for _ in range(4):  # 0.3 -> 1.0 on the grid (0.5, 0.8, 1.0, 1.2)
        page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "(b) => { const s = document.querySelector('[role=status]');"
        " return s && s.innerText !== b; }",
        arg=before,
        timeout=15_000,
    )
    wait_for_app(page)
    assert "lr = 1.2" in status.inner_text()
    visit(page, *PARKED)


def test_a_chart_tab_draws_when_opened_and_goes_into_the_link(laptop_tab):
    """Descent in 2-D draws only its open tab: clicking "3-D view" must rerun, draw the
    surface, and put the tab in the address bar (so a copied link has it), and the page must
    stay responsive (software WebGL, no GPU)."""
    surface_and_no_exception = (
        "() => document.querySelectorAll('.js-plotly-plot .gl-container canvas').length > 0"
        " && document.querySelectorAll('[data-testid=stException]').length === 0"
    )
    page = laptop_tab
    page.set_viewport_size({"width": LAPTOP[0], "height": LAPTOP[1]})
    errors: list[str] = []
    on_error = lambda e: errors.append(str(e))  # noqa: E731
    page.on("pageerror", on_error)
    try:
        visit(page, *PARKED)
        visit(page, "/descent-2d", "Descent in 2-D")
        assert page.evaluate("() => document.querySelectorAll('.gl-container canvas').length") == 0
        page.get_by_role("tab", name="3-D view").click()
        page.wait_for_function(surface_and_no_exception, timeout=30_000)
        page.wait_for_function("() => location.search.includes('d2_view=3-D')", timeout=10_000)
        t0 = time.perf_counter()
        page.evaluate("() => 1")  # answered at once unless the page is busy drawing
        assert time.perf_counter() - t0 < 5.0
        assert not errors
        visit(page, *PARKED)
    finally:
        page.remove_listener("pageerror", on_error)


def test_take_it_home_draws_its_code_when_opened(laptop_tab):
    """The Take it home panel draws no code while closed (a browser highlights none on every
    view); a click opens it, the section reruns and the code appears, with no exception."""
    page = laptop_tab
    page.set_viewport_size({"width": LAPTOP[0], "height": LAPTOP[1]})
    visit(page, *PARKED)
    visit(page, "/descent-1d", "Descent in 1-D")
    assert page.locator("[data-testid=stCode]").count() == 0
    page.get_by_text("Take it home: this view as code").first.click()
    page.locator("[data-testid=stCode]").first.wait_for(timeout=30_000)
    wait_for_app(page)
    assert "run_descent" in page.locator("[data-testid=stCode]").first.inner_text()
    visit(page, *PARKED)
