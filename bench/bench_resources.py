"""Resource budget, by hand: ``python bench/bench_resources.py`` (never collected by pytest).

Starts ``streamlit run app.py`` the way the browser test does and, in headless Chromium:

* the time from launching the server to the health check, and to the first page being drawn;
* for every page, at its defaults and at its most expensive settings (``EXPENSIVE`` in
  ``bench_pages.py``): the bytes the server sends over the websocket (the page's protobuf
  messages, figures included) and the wall time until the app is idle;
* the server's peak resident memory (``VmHWM`` from ``/proc``) after visiting all of them.

Budget (issue 7): peak memory far under 1 GB; a page at its defaults sends well under 1 MB.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_pages import EXPENSIVE  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from lessons.ui import pages  # noqa: E402
from tests.e2e.server import CHROMIUM, CHROMIUM_ARGS, streamlit_process, wait_for_app  # noqa: E402


def memory_kb(pid: int) -> tuple[int, int]:
    """(current RSS, peak RSS) of a process in KB, from /proc (Linux)."""
    rss = hwm = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
        elif line.startswith("VmHWM:"):
            hwm = int(line.split()[1])
    return rss, hwm


def visit(browser, url: str) -> tuple[int, float]:
    """Open ``url`` in a fresh tab; return (bytes received over the websocket, seconds until drawn)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    received = [0]

    def on_ws(ws):
        ws.on("framereceived", lambda payload: received.__setitem__(0, received[0] + len(payload)))

    page.on("websocket", on_ws)
    t0 = time.perf_counter()
    page.goto(url)
    page.wait_for_selector("[data-testid='stMain'] h1", timeout=60_000)
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=stSkeleton]').length === 0"
        " && document.querySelector('[data-testid=stApp]')"
        ".getAttribute('data-test-script-state') === 'notRunning'",
        timeout=60_000,
    )
    seconds = time.perf_counter() - t0
    wait_for_app(page)  # and let the charts finish drawing before counting bytes
    if page.get_by_test_id("stException").count():
        raise RuntimeError(f"exception on {url}")
    ctx.close()
    return received[0], seconds


def main() -> None:
    t0 = time.perf_counter()
    with streamlit_process() as (base, proc), sync_playwright() as p:
        healthy = time.perf_counter() - t0
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        _, first = visit(browser, base + "/")
        ready = time.perf_counter() - t0
        print(f"server healthy after {healthy:.2f} s; first page drawn after {ready:.2f} s")
        print(f"memory after start-up: {memory_kb(proc.pid)[0] / 1024:.0f} MB RSS")
        print(f"{'page':28s} {'settings':10s} {'sent KB':>9s} {'drawn s':>10s}")
        for info in pages.available():
            views = [("defaults", {})]
            if info.url_path in EXPENSIVE:
                views.append(("expensive", EXPENSIVE[info.url_path]))
            for name, query in views:
                url = f"{base}/{info.route}"
                if query:
                    url += "?" + urlencode(query, doseq=True)
                size, secs = visit(browser, url)
                print(f"{info.url_path:28s} {name:10s} {size / 1024:9.1f} {secs:10.2f}")
        rss, hwm = memory_kb(proc.pid)
        print(f"server memory after every page: {rss / 1024:.0f} MB RSS, peak {hwm / 1024:.0f} MB")
        browser.close()


if __name__ == "__main__":
    main()
