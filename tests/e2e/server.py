"""Start ``streamlit run app.py`` headless on a free port, the way Streamlit's own e2e tests do."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(
    timeout: float = 60.0, *, env: Mapping[str, str] | None = None
) -> Iterator[str]:
    """Yield the base URL of a running app; stop it afterwards. ``env``: extra environment
    variables for the server (e.g. ``LRLAB_POLL_DB_URL``)."""
    with streamlit_process(timeout, env=env) as (base, _):
        yield base


@contextlib.contextmanager
def streamlit_servers(
    n: int, timeout: float = 60.0, *, env: Mapping[str, str] | None = None
) -> Iterator[list[str]]:
    """Yield the base URLs of ``n`` running apps, started at the same time; stop them after."""
    with contextlib.ExitStack() as stack, ThreadPoolExecutor(n) as pool:
        started = [
            pool.submit(stack.enter_context, streamlit_server(timeout, env=env)) for _ in range(n)
        ]
        bases = [f.result() for f in started]
        yield bases


@contextlib.contextmanager
def streamlit_process(
    timeout: float = 60.0, *, env: Mapping[str, str] | None = None, port: int | None = None
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Yield ``(base URL, server process)`` of a running app (the bench reads its memory).

    ``env`` adds environment variables for the server; ``port`` (default: a free one)."""
    port = port or free_port()
    log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "app.py"),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--global.developmentMode",
        "false",
    ]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc, timeout, Path(log.name))
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        os.unlink(log.name)


def wait_healthy(base: str, proc: subprocess.Popen, timeout: float, log: Path) -> None:
    """Wait until the server at ``base`` answers its health check; if it exits or ``timeout``
    seconds pass first, raise with the end of its ``log``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(base + "/_stcore/health", timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("streamlit did not start:\n" + log.read_text()[-3000:])
        time.sleep(0.3)


def wait_for_app(page, timeout_ms: int = 60_000) -> None:
    """Wait until the app is connected, the script has finished, and charts have drawn."""
    page.wait_for_selector("[data-testid='stAppViewContainer']", timeout=timeout_ms)
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=timeout_ms
    )
    # Before its first run the app already reads "notRunning": wait until the script has
    # started (running) or has drawn the page's title, then until it is done.
    page.wait_for_function(
        "() => { const a = document.querySelector('[data-testid=stApp]');"
        " return a.getAttribute('data-test-script-state') === 'running'"
        " || document.querySelector('[data-testid=stMain] h1') !== null; }",
        timeout=timeout_ms,
    )
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout_ms
    )
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=stSkeleton]').length === 0",
        timeout=timeout_ms,
    )
    settled(page, timeout_ms)


#: true (polled every animation frame) once every visible chart has drawn its SVG as wide as
#: its slot and neither a chart's text nor the sidebar has moved for three frames in a row:
#: plotly lays a chart out again after a resize, and once more when its automargin moves the
#: plot; Streamlit slides the sidebar away when the window narrows to a phone's
_SETTLED_JS = """
() => {
  const bar = document.querySelector('[data-testid=stSidebar]');
  const b = bar ? bar.getBoundingClientRect() : {left: 0, right: 0};
  let sig = `${Math.round(b.left)},${Math.round(b.right)};`;
  for (const c of document.querySelectorAll('[data-testid=stPlotlyChart]')) {
    const w = c.getBoundingClientRect().width;
    if (w === 0) continue;  // not shown (e.g. a closed tab)
    const s = c.querySelector('.main-svg');
    if (!s) { window.__lrlabSettle = null; return false; }
    const r = s.getBoundingClientRect();
    if (Math.abs(r.width - w) > 1) { window.__lrlabSettle = null; return false; }
    let sum = 0;
    c.querySelectorAll('text').forEach(t => {
      const b = t.getBoundingClientRect(); sum += b.left + 3 * b.top + 7 * b.width; });
    sig += `${Math.round(r.width)}x${Math.round(r.height)}:${Math.round(sum)};`;
  }
  const last = window.__lrlabSettle;
  if (!last || last.sig !== sig) { window.__lrlabSettle = {sig, n: 0}; return false; }
  return ++last.n >= 3;
}
"""


def settled(page, timeout_ms: float = 15_000) -> None:
    """Wait until the charts have finished laying out (:data:`_SETTLED_JS`): after the app has
    drawn, or after the viewport has changed size. A condition rather than a fixed pause: it
    returns as soon as the charts are still, and fails if one never fits its slot."""
    page.evaluate("() => { window.__lrlabSettle = null; }")
    page.wait_for_function(_SETTLED_JS, timeout=timeout_ms, polling="raf")
