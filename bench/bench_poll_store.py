"""The class poll's store under a lecture hall, by hand: ``python bench/bench_poll_store.py``.

200 simulated students (one thread each, as Streamlit runs one thread per session) join a room
and vote on one question, on SQLite (a file in a temporary folder) and on PostgreSQL, while the
teacher's screen polls the tally every 50 ms. Two shapes of class:

* ``spread``: the votes arrive at random moments within 10 s (seeded);
* ``burst``: everyone taps at the same instant ("vote now!").

Reported per backend and shape: the time from the start until the tally shows every vote, and
how long after the last vote returned that was; the slowest and median vote (one ``vote()``
call, waiting for a pooled connection included); the ``tally()`` call's median and slowest time
(host check, question and the GROUP BY over the covering index).

The engine uses SQLAlchemy's default pool (5 connections + 10 overflow), as
``st.connection(type="sql")`` does. PostgreSQL: ``$LRLAB_TEST_PG_URL`` if set, else a throwaway
server started here (``tests/classroom/pg.py``; needs Debian's postgresql, see .ci/postgres.sh).
Options: ``--students N``, ``--window S``, ``--backends sqlite,postgresql``.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine  # noqa: E402

from classroom import create_room, current, make_engine, set_question, tally, vote  # noqa: E402
from tests.classroom import pg  # noqa: E402

QUESTION = {
    "lesson": "Descent in 1-D",
    "text": "The rate is just above 2/f''. What will the ball do?",
    "options": ["creep", "converge", "oscillate and converge", "diverge"],
    "answer": 3,
}
POLL_EVERY = 0.05


def run(engine: Engine, students: int, window: float, burst: bool, seed: int) -> dict[str, float]:
    """One class voting once; returns the timings in seconds."""
    rng = random.Random(seed)
    run_id = secrets.token_hex(4)  # fresh tokens, so that reruns on one database pass the limits
    key = create_room(engine, creator=f"bench-teacher-{run_id}", now=time.time())
    set_question(engine, key.code, key.secret, index=0, now=time.time(), **QUESTION)
    delays = [0.0 if burst else rng.uniform(0, window) for _ in range(students)]
    options = [rng.randrange(4) for _ in range(students)]
    vote_times: list[float] = []
    done_at: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    ready = threading.Barrier(students + 1)

    def student(i: int) -> None:
        try:
            voter = f"bench-{run_id}-{i:05d}"
            current(engine, key.code, now=time.time())  # the phone opens the link
            ready.wait()
            t0 = start + delays[i]
            time.sleep(max(0.0, t0 - time.perf_counter()))
            t = time.perf_counter()
            vote(engine, key.code, voter, index=0, option=options[i], now=time.time())
            end = time.perf_counter()
            with lock:
                vote_times.append(end - t)
                done_at.append(end)
        except BaseException as err:  # reported below
            with lock:
                errors.append(err)

    threads = [threading.Thread(target=student, args=(i,)) for i in range(students)]
    for t in threads:
        t.start()
    start = time.perf_counter() + 0.2
    ready.wait()
    tally_times: list[float] = []
    seen_all = float("nan")
    while time.perf_counter() - start < window + 60:
        t = time.perf_counter()
        total = tally(engine, key.code, key.secret, now=time.time()).total
        tally_times.append(time.perf_counter() - t)
        if total >= students:
            seen_all = time.perf_counter()
            break
        if errors and len(errors) + total >= students:
            break
        time.sleep(POLL_EVERY)
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"{len(errors)} votes failed; first: {errors[0]!r}")
    return {
        "all_shown": seen_all - start,
        "after_last": seen_all - max(done_at),
        "vote_max": max(vote_times),
        "vote_median": statistics.median(vote_times),
        "tally_median": statistics.median(tally_times),
        "tally_max": max(tally_times),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()

    server = None
    rows = []
    scratch = tempfile.TemporaryDirectory(prefix="lrlab-bench-")
    try:
        for backend in args.backends.split(","):
            if backend == "sqlite":
                url = f"sqlite:///{scratch.name}/poll.sqlite3"
            else:
                url = os.environ.get(pg.PG_ENV, "")
                if url:
                    url = pg.normalise_url(url)
                else:
                    server = pg.start()
                    url = server.url
            engine = make_engine(url)
            for seed, burst in enumerate((False, True)):
                shape = "burst" if burst else f"spread {args.window:g} s"
                r = run(engine, args.students, args.window, burst, seed)
                rows.append((backend, shape, r))
            engine.dispose()
    finally:
        if server is not None:
            server.stop()
        scratch.cleanup()

    print(f"{args.students} students, one vote each; the teacher polls the tally every 50 ms\n")
    head = (
        f"{'backend':<11}{'class':<14}{'tally shows all':>16}{'after last':>12}"
        f"{'vote max':>10}{'vote med':>10}{'tally med':>11}{'tally max':>11}"
    )
    print(head)
    print("-" * len(head))
    for backend, shape, r in rows:
        print(
            f"{backend:<11}{shape:<14}{r['all_shown']:>14.2f} s{r['after_last'] * 1e3:>9.0f} ms"
            f"{r['vote_max'] * 1e3:>7.0f} ms{r['vote_median'] * 1e3:>7.1f} ms"
            f"{r['tally_median'] * 1e3:>8.1f} ms{r['tally_max'] * 1e3:>8.1f} ms"
        )


if __name__ == "__main__":
    main()
