"""Load bench, by hand (never collected by pytest): many students opening links at once.

``python bench/bench_load.py --scenario same --n 100``

Starts ``streamlit run app.py`` (``tests/e2e/server.py``; or ``--base``/``--pid`` for a server
already running, e.g. one under a profiler) and opens ``--n`` sessions at once, each speaking
the browser's own protocol over the websocket ``/_stcore/stream`` with the ``websockets``
package (a Streamlit dependency):

1. connect with the subprotocol ``streamlit`` (what the frontend's ``WebsocketConnection``
   sends; a new tab has no session id to resume, so no second entry);
2. send one ``BackMsg`` whose ``rerun_script`` (a ``ClientState``) carries the link's
   ``query_string`` (no leading ``?``), the page as ``page_name`` (the ``url_path``, ``""``
   for the default page) with an empty ``page_script_hash`` (a fresh tab does not know the
   pages' hashes yet), no widget states, no cached message hashes, and the browser's
   ``context_info`` (timezone, locale, url, colour scheme): exactly the frontend's
   ``sendRerunBackMsg`` on a first connection;
3. read ``ForwardMsg``s (``new_session``, ``delta``s, ``page_info_changed``, ...) until
   ``script_finished``: the session is then served. Sessions stay open until every one is
   served (a hall of open tabs), then close.

Scenarios:

* ``same``: every session opens one link (``--url``, default a teacher's-guide step), after
  one warm-up visit that fills the caches (``--cold`` skips it);
* ``distinct``: every session opens a different heavy view (the ``EXPENSIVE`` views of
  ``bench_pages.py``, each with its own seed or start point);
* ``memory``: first fill the caches with ``--fill`` distinct views per page (in batches of
  ``--batch``), then a burst of ``--n`` new distinct views.

Per scenario it prints the time until every session is served (the last ``script_finished``),
p50/p95 of per-session latency, the server's CPU seconds per view (utime + stime from
``/proc/<pid>/stat``), its peak RSS during the burst (``VmRSS`` polled every 20 ms, and
``VmHWM``), the load average, and what the first session received (element counts, title,
bytes), so a broken client or page shows at once. ``--check`` opens the link in headless
Chromium too and compares the page's title and chart count with what the websocket client got.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import websockets  # noqa: E402
from bench_pages import EXPENSIVE  # noqa: E402
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

from lessons.ui import guide, pages  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------------------- the views


@dataclass(frozen=True)
class View:
    """One link: the page's ``url_path`` ("" for the default page) and its query string."""

    page: str
    query: str = ""

    @classmethod
    def parse(cls, url: str) -> View:
        parts = urlsplit(url)
        return cls(parts.path.strip("/"), parts.query)

    def url(self, base: str = "") -> str:
        return f"{base.rstrip('/')}/{self.page}" + (f"?{self.query}" if self.query else "")


def guide_view(index: int = 3) -> View:
    """A teacher's-guide step (default: Descent in 2-D, the lecture's heaviest default page)."""
    return View.parse(guide.plan()[index].url())


#: per page: how to make the i-th distinct variant of its most expensive view (a new cache key
#: for every engine call of the page, without changing what the view costs)
def _vary(page: str, i: int) -> dict[str, str]:
    if page == "descent-1d":  # start point on a 0.05 grid inside the window (w = 20)
        return {"d1_x0_custom": f"{15 - 0.05 * i:.2f}"}
    if page == "descent-2d":  # start point on Beale's grid (0.05 steps inside ±4.5)
        return {"d2_x0": f"{1.0 - 0.05 * i:.2f}"}
    key = {
        "four-regimes": "fr_seed",
        "coarse-to-fine": "cf_seed",
        "adaptive-learning-rate": "ad_seed",
        "range-test": "rt_seed",
        "cyclical-schedules": "cy_seed",
    }[page]
    return {key: str(i + 1)}


def distinct_views(n: int, start: int = 0) -> list[View]:
    """``n`` different heavy links: the pages' most expensive views in turn, each with its own
    seed or start point (variant numbers ``start``, ``start + 1``, ...)."""
    heavy = [p for p in EXPENSIVE if pages_by_url().get(p) is not None]
    out = []
    for k in range(start, start + n):
        page = heavy[k % len(heavy)]
        query = dict(EXPENSIVE[page]) | _vary(page, k // len(heavy))
        out.append(View(pages_by_url()[page].route, urlencode(query, doseq=True)))
    return out


def pages_by_url() -> dict[str, pages.PageInfo]:
    return {p.url_path: p for p in pages.available()}


# ----------------------------------------------------------------------------- one session


@dataclass
class Session:
    """What one simulated browser tab saw."""

    view: View
    t_connect: float = 0.0  #: seconds from the burst's start until the socket was open
    t_first: float = 0.0  #: ... until the first delta
    t_done: float = 0.0  #: ... until script_finished (the page is served)
    messages: int = 0
    bytes: int = 0
    elements: Counter = field(default_factory=Counter)
    titles: list[str] = field(default_factory=list)
    exceptions: list[tuple[str, str, list[str]]] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    error: str = ""


def client_state(msg: BackMsg, view: View, base: str) -> None:
    """Fill ``msg.rerun_script`` the way the frontend does on a tab's first connection."""
    cs = msg.rerun_script
    cs.query_string = view.query
    cs.page_script_hash = ""
    cs.page_name = view.page
    cs.widget_states.SetInParent()  # none yet, but present, as the browser sends it
    ci = cs.context_info
    ci.timezone = "UTC"
    ci.timezone_offset = 0
    ci.locale = "en-US"
    ci.url = View(view.page).url(base)  # the browser sends the address without its query
    ci.is_embedded = False
    ci.color_scheme = "light"


def record(s: Session, fm: ForwardMsg) -> bool:
    """Note what ``fm`` carries; True once the script has finished."""
    kind = fm.WhichOneof("type")
    if kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
        el = fm.delta.new_element
        etype = el.WhichOneof("type")
        s.elements[etype] += 1
        if etype == "heading" and el.heading.tag == "h1":
            s.titles.append(el.heading.body)
        elif etype == "exception":
            ex = el.exception
            s.exceptions.append((ex.type, ex.message, list(ex.stack_trace)))
    elif kind == "ref_hash":
        s.elements["ref_hash"] += 1
    elif kind == "script_finished":
        status = ForwardMsg.ScriptFinishedStatus.Name(fm.script_finished)
        s.statuses.append(status)
        return status != "FINISHED_EARLY_FOR_RERUN"
    return False


class Hall:
    """The open tabs: each stays open until every session of the burst has been served."""

    def __init__(self, n: int, hold: bool) -> None:
        self.left = n
        self.hold = hold
        self.all_served = asyncio.Event()

    def finished(self) -> None:
        self.left -= 1
        if self.left <= 0:
            self.all_served.set()

    async def wait(self) -> None:
        if self.hold:
            await self.all_served.wait()


async def open_session(
    base: str,
    view: View,
    t0: float,
    hall: Hall,
    timeout: float,
    slots: asyncio.Semaphore | None = None,
) -> Session:
    s = Session(view)
    ws_url = base.replace("http", "ws", 1).rstrip("/") + "/_stcore/stream"
    counted = False
    if slots is not None:  # --concurrency: wait for a free slot before opening the tab
        await slots.acquire()
    try:
        async with websockets.connect(
            ws_url,
            subprotocols=["streamlit"],
            max_size=None,
            compression=None,  # Streamlit's default: server.enableWebsocketCompression false
            open_timeout=timeout,
            ping_interval=None,
        ) as ws:
            s.t_connect = time.perf_counter() - t0
            msg = BackMsg()
            client_state(msg, view, base)
            await ws.send(msg.SerializeToString())
            try:
                async with asyncio.timeout(timeout):
                    async for data in ws:
                        s.messages += 1
                        s.bytes += len(data)
                        fm = ForwardMsg()
                        fm.ParseFromString(data)
                        if not s.t_first and fm.WhichOneof("type") == "delta":
                            s.t_first = time.perf_counter() - t0
                        if record(s, fm):
                            s.t_done = time.perf_counter() - t0
                            break
            finally:
                counted = True
                hall.finished()
                if slots is not None:
                    slots.release()
                    slots = None
            await hall.wait()
    except Exception as exc:  # noqa: BLE001 - reported per session
        s.error = f"{type(exc).__name__}: {exc}"
        if not counted:
            hall.finished()
        if slots is not None:
            slots.release()
    return s


@contextlib.contextmanager
def teacher_tab(base: str, view: View, timeout: float) -> Iterator[Session]:
    """One tab kept open meanwhile, as the teacher's is during a lecture. (With no session
    connected at all, Streamlit drops its compiled scripts, and the next burst compiles them
    again.)"""
    from websockets.sync.client import connect

    s = Session(view)
    ws_url = base.replace("http", "ws", 1).rstrip("/") + "/_stcore/stream"
    with connect(ws_url, subprotocols=["streamlit"], max_size=None, compression=None) as ws:
        msg = BackMsg()
        client_state(msg, view, base)
        ws.send(msg.SerializeToString())
        t0 = time.perf_counter()
        while True:
            data = ws.recv(timeout=timeout)
            s.messages += 1
            s.bytes += len(data)
            fm = ForwardMsg()
            fm.ParseFromString(data)
            if record(s, fm):
                s.t_done = time.perf_counter() - t0
                break
        yield s


# ----------------------------------------------------------------------- the server process


class Proc:
    """CPU seconds and memory of the server process, from /proc (Linux)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_rss = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def cpu(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime

    def mem_kb(self) -> tuple[int, int]:
        rss = hwm = 0
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
        return rss, hwm

    def __enter__(self) -> Proc:
        self.peak_rss = self.mem_kb()[0]
        self._stop.clear()

        def poll() -> None:
            while not self._stop.wait(0.02):
                try:
                    self.peak_rss = max(self.peak_rss, self.mem_kb()[0])
                except OSError:
                    return

        self._thread = threading.Thread(target=poll, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


@contextlib.contextmanager
def server(
    app_dir: Path = ROOT,
    extra: Sequence[str] = (),
    wrapper: str | None = None,
    nice: int = 0,
) -> Iterator[tuple[str, subprocess.Popen, Path]]:
    """``streamlit run app.py`` headless on a free port, the way ``tests/e2e/server.py`` starts
    it (same flags), from ``app_dir`` (e.g. an export of an older commit, to compare), with
    ``extra`` command-line options, optionally under a Python ``wrapper`` (``python -c``), at
    scheduling priority ``nice`` (negative: ahead of the other work on a shared machine, closer
    to a machine of its own). Yields (base URL, process, log file)."""
    import tempfile

    from tests.e2e.server import free_port, wait_healthy

    port = free_port()
    log = Path(tempfile.mkstemp(suffix=".log")[1])
    py = [sys.executable, "-c", wrapper] if wrapper else [sys.executable, "-m", "streamlit"]
    if nice:
        py = ["nice", "-n", str(nice), *py]
    cmd = [*py, "run", str(app_dir / "app.py"), "--server.headless", "true"]
    cmd += ["--server.port", str(port), "--server.address", "127.0.0.1"]
    cmd += ["--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    cmd += ["--global.developmentMode", "false", *extra]
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=app_dir, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc, 120, log)
        yield base, proc, log
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.unlink(missing_ok=True)


def cache_bytes(base: str) -> dict[str, int]:
    """Bytes held per kind of cache, from Streamlit's ``/_stcore/metrics`` (``st_cache_resource``
    is measured only with ``--server.enableExpensiveMemoryStats true``)."""
    import urllib.request

    out: Counter = Counter()
    with urllib.request.urlopen(base + "/_stcore/metrics", timeout=30) as r:
        for line in r.read().decode().splitlines():
            if line.startswith("cache_memory_bytes{"):
                kind = line.split('cache_type="')[1].split('"')[0]
                out[kind] += int(float(line.rsplit(" ", 1)[1]))
    return dict(out)


# ---------------------------------------------------------------------------------- bursts


@dataclass
class Burst:
    name: str
    sessions: list[Session]
    wall: float
    cpu: float
    client_cpu: float
    peak_rss_kb: int
    rss_after_kb: int
    hwm_kb: int
    load: tuple[float, float, float]

    @property
    def ok(self) -> list[Session]:
        return [s for s in self.sessions if not s.error and s.t_done]

    def report(self) -> str:
        ok = self.ok
        n = len(self.sessions)
        lat = sorted(s.t_done for s in ok)
        lines = [f"--- {self.name}: {len(ok)}/{n} sessions served"]
        if lat:
            p95 = lat[min(len(lat) - 1, round(0.95 * (len(lat) - 1)))]
            lines.append(
                f"  all served after {lat[-1]:.2f} s; per session p50 {statistics.median(lat):.2f} s,"
                f" p95 {p95:.2f} s, first {lat[0]:.2f} s;"
                f" first delta p50 {statistics.median(s.t_first for s in ok):.2f} s"
            )
        lines.append(
            f"  server CPU {self.cpu:.2f} s = {1000 * self.cpu / max(n, 1):.0f} ms per view"
            f" (client {self.client_cpu:.1f} s); wall {self.wall:.2f} s"
        )
        lines.append(
            f"  server RSS peak {self.peak_rss_kb / 1024:.0f} MB, after {self.rss_after_kb / 1024:.0f}"
            f" MB, VmHWM {self.hwm_kb / 1024:.0f} MB; load average {self.load[0]:.2f}"
            f" {self.load[1]:.2f} {self.load[2]:.2f} (cpus={os.cpu_count()})"
        )
        if ok:
            s = ok[0]
            kinds = ", ".join(f"{k} {v}" for k, v in sorted(s.elements.items()))
            lines.append(
                f"  first session: {s.view.url()[:100]} -> {s.messages} msgs,"
                f" {s.bytes / 1024:.0f} KB, title {s.titles[:1]}, {kinds}"
            )
            sizes = [x.bytes for x in ok]
            lines.append(
                f"  bytes per session: median {statistics.median(sizes) / 1024:.0f} KB,"
                f" max {max(sizes) / 1024:.0f} KB"
            )
        bad = [s for s in self.sessions if s.error or s.exceptions or not s.t_done]
        for s in bad[:5]:
            what = s.error or (s.exceptions[0][:2] if s.exceptions else s.statuses)
            lines.append(f"  PROBLEM {s.view.url()[:80]}: {what}")
        return "\n".join(lines)


async def _burst(
    base: str, views: list[View], timeout: float, hold: bool, concurrency: int | None
) -> list[Session]:
    hall = Hall(len(views), hold)
    slots = asyncio.Semaphore(concurrency) if concurrency else None
    t0 = time.perf_counter()
    return list(
        await asyncio.gather(*(open_session(base, v, t0, hall, timeout, slots) for v in views))
    )


def burst(
    name: str,
    base: str,
    proc: Proc,
    views: list[View],
    *,
    timeout: float,
    hold: bool = True,
    concurrency: int | None = None,
) -> Burst:
    c0, u0 = proc.cpu(), time.process_time()
    t0 = time.perf_counter()
    with proc:
        sessions = asyncio.run(_burst(base, views, timeout, hold, concurrency))
    wall = time.perf_counter() - t0
    cpu, client = proc.cpu() - c0, time.process_time() - u0
    rss, hwm = proc.mem_kb()
    return Burst(name, sessions, wall, cpu, client, proc.peak_rss, rss, hwm, os.getloadavg())


# ------------------------------------------------------------------- checked against a browser


def check_in_browser(base: str, view: View, s: Session) -> str:
    """Open ``view`` in headless Chromium and compare with the websocket client's session ``s``:
    the page's title and chart count as drawn, and the element counts of the ``ForwardMsg``s
    the browser itself received (decoded from its websocket frames). Also prints the
    ``BackMsg``s the browser sent, to compare with :func:`client_state`."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.server import CHROMIUM, CHROMIUM_ARGS, wait_for_app

    seen = Session(view)
    sent: list[str] = []
    after: list[str] = []

    def on_ws(ws) -> None:
        def received(payload: bytes | str) -> None:
            if isinstance(payload, bytes):
                fm = ForwardMsg()
                fm.ParseFromString(payload)
                seen.messages += 1
                seen.bytes += len(payload)
                if seen.statuses:
                    after.append(fm.WhichOneof("type"))
                record(seen, fm)

        def sent_frame(payload: bytes | str) -> None:
            if isinstance(payload, bytes):
                bm = BackMsg()
                bm.ParseFromString(payload)
                sent.append(str(bm).replace("\n", " ")[:400])

        ws.on("framereceived", received)
        ws.on("framesent", sent_frame)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("websocket", on_ws)
        page.goto(view.url(base))
        wait_for_app(page)
        title = page.locator("[data-testid=stMain] h1").first.inner_text().strip()
        charts = page.locator("[data-testid=stPlotlyChart]").count()
        exceptions = page.get_by_test_id("stException").count()
        browser.close()
    got = (s.titles[:1] or [""])[0]
    same = (
        title == got.strip()
        and charts == s.elements["plotly_chart"]
        and seen.elements == s.elements
        and seen.statuses == s.statuses
    )
    lines = [
        f"  browser check {'OK' if same else 'MISMATCH'}: the browser shows title {title!r},"
        f" {charts} charts, {exceptions} exceptions; the websocket client got {got!r},"
        f" {s.elements['plotly_chart']} charts, {len(s.exceptions)} exceptions",
        f"  browser received {seen.messages} msgs, {seen.bytes / 1024:.0f} KB, runs {seen.statuses};"
        f" client {s.messages} msgs, {s.bytes / 1024:.0f} KB, runs {s.statuses};"
        f" the browser's messages after script_finished: {after}",
    ]
    if seen.elements != s.elements:
        lines.append(f"  elements: browser {dict(seen.elements)} != client {dict(s.elements)}")
    lines += [f"  browser sent: {m}" for m in sent]
    return "\n".join(lines)


# --------------------------------------------------------------- an unexpected exception

#: a server whose every chart fails: ``st.plotly_chart`` raises an error whose message names a
#: server path (what a real bug's message or traceback would reveal)
FAULTY_SERVER = """
import runpy, sys
import streamlit as st
def _boom(*args, **kwargs):
    raise RuntimeError("injected failure: /srv/lrlab-secret/settings.toml is unreadable")
st.plotly_chart = _boom
sys.argv = ["streamlit", *sys.argv[1:]]
runpy.run_module("streamlit", run_name="__main__")
"""
SECRET = "lrlab-secret"


def check_errors(timeout: float) -> None:
    """Open two pages on a server whose charts raise; check what the visitor receives (a
    generic message: no exception type, message, traceback or server path) and that the
    server log keeps the details."""
    with server(wrapper=FAULTY_SERVER) as (base, _, log):
        views = [guide_view(3), View("four-regimes")]

        async def go() -> list[Session]:
            hall = Hall(1, False)
            return [await open_session(base, v, time.perf_counter(), hall, timeout) for v in views]

        ok = True
        for s in asyncio.run(go()):
            print(f"  {s.view.url()[:70]}: {len(s.exceptions)} exception element(s)")
            for etype, message, trace in s.exceptions:
                print(
                    f"    type {etype!r}, message {message[:90]!r}..., {len(trace)} traceback lines"
                )
                leaked = SECRET in message or "Error" in etype or trace or "/" in message
                ok &= not leaked and bool(message)
            ok &= bool(s.exceptions) and not s.error
        time.sleep(1)
        text = log.read_text()
        kept = SECRET in text and "Traceback" in text
        print(f"  server log keeps the details (message and traceback): {kept}")
        print(f"  error check {'OK' if ok and kept else 'FAILED'}")
        if not (ok and kept):
            print(text[-2000:])


# ------------------------------------------------------------------------ where the CPU goes

#: frames of app code (where a Streamlit call is made from)
_APP = ("(lessons/", "(app.py:", "(engine/", "/lessons/", "/app.py:", "/engine/")
#: Streamlit frames a call passes through on its way to the app's own code
_PASS = (
    "Page.run",
    "_fragment.<locals>.wrap",
    "wrapped_fragment",
    "gather_metrics",
    "wrapped_func",
    "exec_func_with_error_handling",
)


def _is_app(frame: str) -> bool:
    return any(a in frame for a in _APP) and "site-packages" not in frame


def classify(stack: str) -> str:
    """One py-spy stack (frames outermost first, ``;``-separated) -> what it was doing: the
    innermost Streamlit command the app called, else app code, else the server's own work."""
    fr = stack.split(";")
    if "AppSession._on_scriptrunner_event" in stack:
        return "server: hand each message to the event loop (call_soon_threadsafe)"
    calls = []
    for i in range(1, len(fr)):
        if _is_app(fr[i - 1]) and "streamlit/" in fr[i]:
            j = i
            while j < len(fr) and any(p in fr[j] for p in _PASS):
                j += 1
            if j < len(fr) and not _is_app(fr[j]):
                calls.append((j, fr[j].split(" (")[0]))
    if calls:
        j, name = calls[-1]
        if "Cache" in name or "caching/" in fr[j]:
            if "pickle" in stack:
                return "st.cache_data hit: unpickle a copy of the value"
            if "_make_function_key" in stack or "getsource" in stack:
                return "st.cache_*: decorator applied again every run (inspect.getsource)"
            if "hashing.py" in stack:
                return "st.cache_*: hash the arguments"
            return "st.cache_*: other"
        if "plotly_chart" in name:
            return "st.plotly_chart (to_dict, to_json, id hash, proto)"
        short = name.rsplit(".", 1)[-1]
        if "Mixin" in name and short in ("markdown", "caption", "title", "subheader", "latex"):
            return "st.markdown/caption/title/latex"
        if "Mixin" in name and short in ("container", "columns", "expander", "tabs", "html"):
            return "st.container/columns/expander/tabs/html"
        if "Mixin" in name:
            return "widgets (st.slider, st.radio, ...): " + short
        return "streamlit (other): " + short
    if any(_is_app(f) for f in fr):
        tail = stack.split([f for f in fr if _is_app(f)][-1])[-1]
        if "plotly" in tail:
            return "page code: building plotly figures"
        if "pandas" in tail:
            return "page code: pandas"
        return "page code: other"
    if "ScriptRunner" in stack:
        if "_on_script_finished" in stack:
            return "runner: after the run (gc.collect if runner.postScriptGC)"
        if "get_bytecode" in stack:
            return "runner: compile the page script (magic, once per cache clear)"
        return "runner: start and end of a run"
    if "connect_session" in stack or "AppSession.__init__" in stack:
        return "server: session start"
    if "disconnect" in stack:
        return "server: session end"
    if "_create_new_session_message" in stack:
        return "server: new_session message"
    if "uvicorn" in stack or "starlette" in stack or "websockets/" in stack:
        return "server: websocket protocol and sends"
    if "app_session" in stack or "runtime/runtime.py" in stack:
        return "server: forwarding messages"
    return "server: other (event loop, threads)"


def breakdown(raw: Path, ms_per_view: float) -> str:
    """py-spy ``--format raw`` output -> a table of what the server's CPU was spent on, scaled
    to the measured CPU per view."""
    total: Counter = Counter()
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if stack:
            total[classify(stack)] += int(n)
    s = sum(total.values()) or 1
    out = [f"  where the server's CPU went ({s} py-spy samples holding the GIL):"]
    for k, v in total.most_common():
        out.append(f"    {100 * v / s:5.1f}%  {ms_per_view * v / s:6.1f} ms/view  {k}")
    return "\n".join(out)


class Profiler:
    """``py-spy record --gil`` on the server while a burst runs (``pip install py-spy``)."""

    def __init__(self, pid: int, path: Path | None) -> None:
        self.pid, self.path, self.proc = pid, path, None

    def __enter__(self) -> Profiler:
        import subprocess

        if self.path is not None:
            cmd = ["py-spy", "record", "-p", str(self.pid), "--gil", "-r", "200"]
            cmd += ["-f", "raw", "-o", str(self.path), "--nonblocking"]
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1.0)  # py-spy attaches
        return self

    def __exit__(self, *exc: object) -> None:
        import signal

        if self.proc is not None:
            self.proc.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
            self.proc.wait(60)


# ------------------------------------------------------------------------------------ main


def _median_line(bursts: list[Burst]) -> str:
    def med(xs: list[float]) -> float:
        return statistics.median(xs)

    last = [max(s.t_done for s in b.ok) for b in bursts if b.ok]
    p50 = [statistics.median(s.t_done for s in b.ok) for b in bursts if b.ok]
    per_view = [1000 * b.cpu / len(b.sessions) for b in bursts]
    peak = [b.peak_rss_kb / 1024 for b in bursts]
    return (
        f"=== median of {len(bursts)} bursts: all served {med(last):.2f} s"
        f" (runs: {', '.join(f'{x:.2f}' for x in last)}), p50 {med(p50):.2f} s,"
        f" server CPU {med(per_view):.0f} ms per view"
        f" (runs: {', '.join(f'{x:.0f}' for x in per_view)}), peak RSS {max(peak):.0f} MB"
    )


def run(args: argparse.Namespace, base: str, proc: Proc) -> None:
    rss, _ = proc.mem_kb()
    print(f"server pid {proc.pid} at {base}: RSS {rss / 1024:.0f} MB before the bench")
    scenarios = ["same", "distinct", "memory"] if args.scenario == "all" else [args.scenario]
    with teacher_tab(base, View("teachers-guide"), args.timeout) as teacher:
        print(f"teacher's tab open on the guide (served in {teacher.t_done:.2f} s)")
        _run(args, base, proc, scenarios)


def _run(args: argparse.Namespace, base: str, proc: Proc, scenarios: list[str]) -> None:
    offset = 0  # distinct variants already used on this server (each burst gets new ones)
    for scenario in scenarios:
        if scenario == "same":
            if not args.url:
                view = guide_view()
            elif args.url.startswith("guide:"):
                view = guide_view(int(args.url.split(":")[1]))
            else:
                view = View.parse(args.url)
            if not args.cold:
                warm = burst("warm-up (fills the caches)", base, proc, [view], timeout=args.timeout)
                print(warm.report())
                if args.check and warm.ok:
                    print(check_in_browser(base, view, warm.ok[0]))
            bursts = []
            for r in range(args.repeat):
                with Profiler(proc.pid, args.profile if r == 0 else None):
                    b = burst(
                        f"same link x{args.n} (run {r + 1})",
                        base,
                        proc,
                        [view] * args.n,
                        timeout=args.timeout,
                        concurrency=args.concurrency,
                    )
                print(b.report())
                if r == 0 and args.profile:
                    print(breakdown(args.profile, 1000 * b.cpu / len(b.sessions)))
                bursts.append(b)
            print(_median_line(bursts))
        elif scenario == "distinct":
            bursts = []
            for r in range(args.repeat):
                views = distinct_views(args.n, offset)
                offset += args.n
                b = burst(
                    f"distinct heavy links x{args.n} (run {r + 1})",
                    base,
                    proc,
                    views,
                    timeout=args.timeout,
                    concurrency=args.concurrency,
                )
                print(b.report())
                print(f"  cache bytes after: {cache_bytes(base)}")
                bursts.append(b)
            print(_median_line(bursts))
        elif scenario == "memory":
            total = args.fill * len(EXPENSIVE)
            print(f"filling the caches: {total} distinct views, {args.batch} at a time")
            t0 = time.perf_counter()
            for i in range(0, total, args.batch):
                views = distinct_views(min(args.batch, total - i), offset)
                offset += len(views)
                b = burst(f"fill {i}", base, proc, views, timeout=args.timeout, hold=False)
                failed = len(b.sessions) - len(b.ok)
                print(
                    f"  filled {i + len(views)}/{total} ({time.perf_counter() - t0:.0f} s):"
                    f" RSS {b.rss_after_kb / 1024:.0f} MB, peak {b.peak_rss_kb / 1024:.0f} MB,"
                    f" caches {cache_bytes(base)}{f', {failed} FAILED' if failed else ''}",
                    flush=True,
                )
            b = burst(
                f"memory: burst of {args.n} new views on full caches",
                base,
                proc,
                distinct_views(args.n, offset),
                timeout=args.timeout,
                concurrency=args.concurrency,
            )
            offset += args.n
            print(b.report())
            print(f"  cache bytes after: {cache_bytes(base)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--scenario", choices=["same", "distinct", "memory", "all", "errors"], default="same"
    )
    ap.add_argument("--n", type=int, default=100, help="sessions opened at once")
    ap.add_argument(
        "--url",
        help="the link for 'same', e.g. '/descent-2d?d2_kappa=40', or 'guide:K' for the"
        " teacher's guide's step K (0-based; default guide:3, Descent in 2-D)",
    )
    ap.add_argument("--repeat", type=int, default=3, help="bursts per scenario (medians)")
    ap.add_argument("--cold", action="store_true", help="'same' without a warm-up visit")
    ap.add_argument("--fill", type=int, default=100, help="'memory': distinct views per page")
    ap.add_argument("--batch", type=int, default=8, help="'memory': views opened at once")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per session")
    ap.add_argument(
        "--concurrency",
        type=int,
        help="at most this many sessions loading at once (default: all of them; 1: one by one)",
    )
    ap.add_argument("--check", action="store_true", help="compare with headless Chromium")
    ap.add_argument(
        "--profile",
        type=Path,
        help="'same': py-spy the server during the first burst into this file; print a breakdown",
    )
    ap.add_argument(
        "--app-dir",
        type=Path,
        default=ROOT,
        help="run the app in this directory (e.g. an export of an older commit, to compare)",
    )
    ap.add_argument(
        "--streamlit-option",
        action="append",
        default=[],
        help="extra option for streamlit run, e.g. --streamlit-option=--runner.postScriptGC=true",
    )
    ap.add_argument(
        "--nice",
        type=int,
        default=0,
        help="run the server at this niceness (e.g. -10 on a busy shared machine, as root)",
    )
    ap.add_argument("--base", help="use a running server at this URL (with --pid)")
    ap.add_argument("--pid", type=int, help="the running server's process id")
    args = ap.parse_args()
    if args.scenario == "errors":
        check_errors(args.timeout)
        return
    if args.base:
        if not args.pid:
            ap.error("--base needs --pid")
        run(args, args.base, Proc(args.pid))
        return
    with server(args.app_dir, args.streamlit_option, nice=args.nice) as (base, proc, _):
        run(args, base, Proc(proc.pid))


if __name__ == "__main__":
    main()
