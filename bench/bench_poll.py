"""Class-poll bench, by hand (never collected by pytest): a hall of students voting at once.

``python bench/bench_poll.py --n 200 --db sqlite``  (or ``--db postgresql``, or ``--db both``)

Starts ``streamlit run app.py`` (``tests/e2e/server.py``) on a fresh poll database (an SQLite
file in a temporary folder, or a new schema on ``$LRLAB_TEST_PG_URL`` / a throwaway PostgreSQL
server, :mod:`tests.classroom.pg`), then drives real sessions over the websocket
``/_stcore/stream`` with Streamlit's own protocol (as ``bench_load.py`` does, and as the
browser's frontend does):

1. **the teacher**: opens lesson 0 in lecture mode, presses *Start a class poll* (a
   ``rerun_script`` whose widget states carry the button's trigger, with the section's
   ``fragment_id``), reads the room code off the panel, and from then on answers the server's
   ``auto_rerun`` messages as the browser does (a fragment rerun of the live tally every
   2 s), reading the count of answers from each refresh;
2. **the students**: ``--n`` sessions open ``/poll?room=CODE&v=<token>`` at once, follow the
   room (their own ``auto_rerun`` every 2 s), and each taps an option at a random moment within
   ``--window`` seconds (a fragment rerun triggered by the option's button).

The server runs with ``runner.postScriptGC = false`` (``.streamlit/config.toml``); ``--gc`` puts
Streamlit's default back (a full ``gc.collect()`` after every run, every fragment refresh of
every phone included), to show what that setting is worth to a hall.

It reports the time from the first tap until the teacher's tally shows every vote (and from the
last tap), the server's peak RSS (``VmRSS`` polled every 20 ms) and CPU, and the slowest rerun
of a student's page (a vote, and a follow-up refresh), with medians and p95.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import websockets  # noqa: E402
from bench_load import Proc  # noqa: E402
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

_COUNT = re.compile(r"lrlab-poll-count[^>]*>\s*(\d+)")
_CODE = re.compile(r"lrlab-poll-code'>([0-9A-Z]{3}-[0-9A-Z]{3})<")


# ------------------------------------------------------------------------------ one session


@dataclass
class Run:
    """One rerun: when it was asked for and how long until ``script_finished``."""

    kind: str
    sent: float
    took: float = float("nan")


class Tab:
    """A browser tab over the websocket: opens a page, clicks buttons, follows auto-reruns."""

    def __init__(self, base: str, page: str, query: str) -> None:
        self.base, self.page, self.query = base, page, query
        self.ws: websockets.ClientConnection | None = None
        self.page_hash = ""
        self.buttons: dict[str, tuple[str, str]] = {}  # key suffix -> (widget id, fragment id)
        self.html: list[str] = []
        self.auto: dict[str, float] = {}  # fragment id -> interval (s)
        self.runs: list[Run] = []
        self.errors: list[str] = []
        self._finished = asyncio.Event()
        self._lock = asyncio.Lock()
        self._reader: asyncio.Task | None = None
        self._timers: list[asyncio.Task] = []
        self.on_html = None  # called with each html body received

    def _client_state(self, msg: BackMsg, *, fragment: str = "", auto: bool = False) -> None:
        cs = msg.rerun_script
        cs.query_string = self.query
        cs.page_script_hash = self.page_hash
        if not self.page_hash:
            cs.page_name = self.page
        cs.widget_states.SetInParent()
        if fragment:
            cs.fragment_id = fragment
        cs.is_auto_rerun = auto
        ci = cs.context_info
        ci.timezone, ci.timezone_offset, ci.locale = "UTC", 0, "en-US"
        ci.url = f"{self.base}/{self.page}"
        ci.is_embedded = False
        ci.color_scheme = "light"

    async def open(self, timeout: float) -> None:
        ws_url = self.base.replace("http", "ws", 1) + "/_stcore/stream"
        self.ws = await websockets.connect(
            ws_url,
            subprotocols=["streamlit"],
            max_size=None,
            compression=None,
            open_timeout=timeout,
            ping_interval=None,
        )
        self._reader = asyncio.create_task(self._read())
        await self.rerun("open", timeout=timeout)

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for data in self.ws:
                fm = ForwardMsg()
                fm.ParseFromString(data)
                kind = fm.WhichOneof("type")
                if kind == "new_session":
                    self.page_hash = fm.new_session.page_script_hash
                elif kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                    el = fm.delta.new_element
                    etype = el.WhichOneof("type")
                    if etype == "button":
                        wid = el.button.id
                        self.buttons[wid.rsplit("-", 1)[-1]] = (wid, fm.delta.fragment_id)
                    elif etype == "html":
                        self.html.append(el.html.body)
                        if self.on_html is not None:
                            self.on_html(el.html.body)
                    elif etype == "exception":
                        self.errors.append(el.exception.message)
                elif kind == "auto_rerun":
                    fid, every = fm.auto_rerun.fragment_id, fm.auto_rerun.interval
                    if fid not in self.auto:
                        self.auto[fid] = every
                        self._timers.append(asyncio.create_task(self._every(fid, every)))
                elif kind == "script_finished":
                    status = ForwardMsg.ScriptFinishedStatus.Name(fm.script_finished)
                    if status != "FINISHED_EARLY_FOR_RERUN":
                        self._finished.set()
        except websockets.ConnectionClosed:
            pass

    async def rerun(
        self,
        kind: str,
        *,
        click: str | None = None,
        fragment: str = "",
        auto: bool = False,
        timeout: float = 60,
    ) -> Run:
        """Send one rerun (a click on the button whose key ends with ``click``) and wait for
        its ``script_finished``; one at a time per tab, as the browser queues them."""
        async with self._lock:
            msg = BackMsg()
            self._client_state(msg, fragment=fragment, auto=auto)
            if click is not None:
                wid, fragment_id = self.buttons[click]
                ws = msg.rerun_script.widget_states.widgets.add()
                ws.id, ws.trigger_value = wid, True
                if fragment_id:
                    msg.rerun_script.fragment_id = fragment_id
            run = Run(kind, time.perf_counter())
            self._finished.clear()
            self.html.clear()
            assert self.ws is not None
            await self.ws.send(msg.SerializeToString())
            try:
                async with asyncio.timeout(timeout):
                    await self._finished.wait()
                run.took = time.perf_counter() - run.sent
            except TimeoutError:
                self.errors.append(f"{kind}: no script_finished within {timeout} s")
            self.runs.append(run)
            return run

    async def _every(self, fragment: str, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            await self.rerun("refresh", fragment=fragment, auto=True)

    async def close(self) -> None:
        for t in self._timers:
            t.cancel()
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)


# ------------------------------------------------------------------------------ the server


# the server's CPU seconds and peak RSS (polled every 20 ms): bench_load's Proc


# ------------------------------------------------------------------------------ the hall


@dataclass
class Result:
    db: str
    n: int
    joined: float = 0.0
    first_tap: float = 0.0
    last_tap: float = 0.0
    seen_all: float = float("nan")  #: when the teacher's tally first showed n (perf_counter)
    counts: list[tuple[float, int]] = field(default_factory=list)
    votes: list[float] = field(default_factory=list)
    refreshes: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    rss_before: int = 0
    peak_rss: int = 0
    cpu: float = 0.0

    def report(self) -> str:
        def q(xs: list[float], p: float) -> float:
            xs = sorted(xs)
            return xs[min(len(xs) - 1, round(p * (len(xs) - 1)))] if xs else float("nan")

        lines = [
            f"=== {self.db}: {self.n} students, {len(self.votes)} votes cast",
            f"  joining: all {self.n} phones served after {self.joined:.2f} s",
            f"  teacher's tally shows all {self.n} votes {self.seen_all - self.first_tap:.2f} s "
            f"after the first tap, {self.seen_all - self.last_tap:.2f} s after the last "
            f"(taps spread over {self.last_tap - self.first_tap:.2f} s)",
            f"  a student's vote (rerun): median {statistics.median(self.votes):.3f} s, "
            f"p95 {q(self.votes, 0.95):.3f} s, slowest {max(self.votes):.3f} s",
            f"  a student's refresh (auto rerun): median {statistics.median(self.refreshes):.3f} s,"
            f" p95 {q(self.refreshes, 0.95):.3f} s, slowest {max(self.refreshes):.3f} s "
            f"({len(self.refreshes)} refreshes)",
            f"  server RSS {self.rss_before / 1024:.0f} MB before, peak {self.peak_rss / 1024:.0f}"
            f" MB; server CPU {self.cpu:.1f} s during the hall; load average "
            + " ".join(f"{x:.2f}" for x in os.getloadavg()),
        ]
        if self.errors:
            lines.append(f"  PROBLEMS ({len(self.errors)}): {self.errors[:5]}")
        return "\n".join(lines)


async def hall(base: str, proc: Proc, n: int, window: float, settle: float, db: str) -> Result:
    res = Result(db, n)
    # the teacher: lesson 0 in lecture mode, Start a class poll, then the live tally
    teacher = Tab(base, "", "lecture=true")
    await teacher.open(120)
    await teacher.rerun("start", click="poll_start", timeout=120)
    code = next((m.group(1) for h in teacher.html if (m := _CODE.search(h))), None)
    if code is None:
        raise SystemExit(f"no room code on the teacher's page: {teacher.errors}")
    code = code.replace("-", "")

    def on_html(body: str) -> None:
        m = _COUNT.search(body)
        if m:
            count = int(m.group(1))
            res.counts.append((time.perf_counter(), count))
            if count >= n and res.seen_all != res.seen_all:  # first time (NaN check)
                res.seen_all = time.perf_counter()

    teacher.on_html = on_html
    print(f"room {code}; {n} students join", flush=True)

    res.rss_before = proc.mem_kb()[0]
    c0 = proc.cpu()
    with proc:
        t0 = time.perf_counter()
        phones = [
            Tab(base, "poll", f"room={code}&v=bench{i:05d}{uuid.uuid4().hex[:8]}") for i in range(n)
        ]
        await asyncio.gather(*(p.open(300) for p in phones))
        res.joined = time.perf_counter() - t0
        print(f"  joined after {res.joined:.2f} s; voting within {window:.0f} s", flush=True)
        rng = random.Random(0)
        taps: list[float] = []

        async def tap(p: Tab) -> None:
            await asyncio.sleep(rng.uniform(0, window))
            keys = sorted(k for k in p.buttons if k.startswith("pv_"))
            if not keys:
                p.errors.append("no option buttons")
                return
            taps.append(time.perf_counter())
            run = await p.rerun("vote", click=rng.choice(keys), timeout=120)
            res.votes.append(run.took)

        await asyncio.gather(*(tap(p) for p in phones))
        res.first_tap, res.last_tap = min(taps), max(taps)
        deadline = time.perf_counter() + 60
        while res.seen_all != res.seen_all and time.perf_counter() < deadline:
            await asyncio.sleep(0.1)
        await asyncio.sleep(settle)  # the hall keeps following the room for a while
        res.peak_rss = proc.peak_rss
    res.cpu = proc.cpu() - c0
    for p in [teacher, *phones]:
        res.refreshes += [r.took for r in p.runs if r.kind == "refresh" and r.took == r.took]
        res.errors += p.errors
    await asyncio.gather(*(p.close() for p in [teacher, *phones]))
    return res


# ------------------------------------------------------------------------------ main


def pg_url() -> tuple[str, object | None]:
    """A PostgreSQL URL (given or of a throwaway server) and the server to stop (or None)."""
    from tests.classroom import pg

    given = os.environ.get(pg.PG_ENV, "").strip()
    if given:
        return pg.normalise_url(given), None
    server = pg.start()
    return server.url, server


def run_one(db: str, n: int, window: float, settle: float, gc_after_runs: bool) -> Result:
    from sqlalchemy import create_engine, text

    from tests.e2e.server import streamlit_process

    cleanup = []
    if db == "sqlite":
        folder = tempfile.mkdtemp(prefix="lrlab-bench-poll-")
        url = f"sqlite:///{folder}/poll.sqlite3"
        cleanup.append(lambda: __import__("shutil").rmtree(folder, ignore_errors=True))
    else:
        base_url, server = pg_url()
        schema = f"bench_poll_{uuid.uuid4().hex[:10]}"
        admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{base_url}?options={quote(f'-c search_path={schema}')}"

        def drop() -> None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
            if server is not None:
                server.stop()

        cleanup.append(drop)
    try:
        # runner.postScriptGC: false as in config.toml, or Streamlit's default (--gc)
        env = {
            "LRLAB_POLL_DB_URL": url,
            "STREAMLIT_RUNNER_POST_SCRIPT_GC": "true" if gc_after_runs else "false",
        }
        with streamlit_process(120, env=env) as (base, srv):
            return asyncio.run(hall(base, Proc(srv.pid), n, window, settle, db))
    finally:
        for fn in cleanup:
            fn()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=200, help="students")
    ap.add_argument("--window", type=float, default=10.0, help="seconds over which they vote")
    ap.add_argument("--settle", type=float, default=6.0, help="seconds followed after")
    ap.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument(
        "--gc",
        action="store_true",
        help="Streamlit's default gc.collect() after every script run (config.toml turns it off: "
        "runner.postScriptGC = false)",
    )
    args = ap.parse_args()
    for db in ["sqlite", "postgresql"] if args.db == "both" else [args.db]:
        print(run_one(db, args.n, args.window, args.settle, args.gc).report(), flush=True)


if __name__ == "__main__":
    main()
