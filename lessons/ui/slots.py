"""How many page runs the server works on at once; the others wait their turn.

Streamlit runs every session's script in its own thread, and a page run is mostly Python code
holding the GIL. When a lecture hall opens links together, a hundred runs share one
interpreter: each gets a hundredth of it, they all finish at about the end, the event loop that
sends the pages gets the GIL as rarely as any of them (nothing reaches a browser before the
last run is nearly done), and every run keeps its working memory alive all along.

With two runs at a time (bench/bench_load.py, 100 different heavy views at once on a 2-core
machine): the first student is served after 5 s instead of 37 s, the server spends 17% less
CPU per view (less switching), and its memory peaks at 409 MB instead of 624 MB. Two, because
the smallest Community Cloud app has up to 2 cores and numpy releases the GIL. The knob:
``LRLAB_RUNS_AT_ONCE`` (0 = no limit).

Only full runs of ``app.py`` take a slot: a fragment rerun (a widget inside a lesson's
fragment) does not go through ``app.py``.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

#: page runs worked on at once (``LRLAB_RUNS_AT_ONCE``; 0 = no limit)
RUNS_AT_ONCE = int(os.environ.get("LRLAB_RUNS_AT_ONCE", "2"))

_SLOTS = threading.BoundedSemaphore(RUNS_AT_ONCE) if RUNS_AT_ONCE > 0 else None


@contextlib.contextmanager
def run_slot() -> Iterator[None]:
    """Hold one of the server's run slots (first come, first served) for the block."""
    if _SLOTS is None:
        yield
        return
    with _SLOTS:
        yield
