"""Page rerun times and figure sizes, by hand: ``python bench/bench_pages.py [page-substring]``.

For every registered page: the server time of a rerun at its defaults (median of 5, after a
warm-up run that fills the caches, i.e. what a student feels when moving a widget back and
forth), the time of the first, cold run, and the bytes of plotly JSON it sends to the browser.
``EXPENSIVE`` gives each page's most expensive settings (as URL query parameters), timed cold.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from lessons.ui import fields as F  # noqa: E402
from lessons.ui import pages  # noqa: E402
from tests.lessons.lessons_index import lesson_of  # noqa: E402

#: per page (url_path): the query parameters of its most expensive view
EXPENSIVE: dict[str, dict[str, str | list[str]]] = {
    "descent-1d": {
        "d1_surface": "Type a function",
        "d1_fn": "sin(3*x)*exp(-x**2/8) + x**2/10",
        "d1_win": "w = 20",
        "d1_x0_custom": "15",
        "d1_steps": "200",
        "d1_model": "true",
        "d1_lr1": "0.0001",
        "d1_lr2": "0.5",
        "d1_lr3": "5",
        "d1_lr4": "100",
    },
    "descent-2d": {
        "d2_surface": "Beale's function",
        "d2_n": "4",
        "d2_steps": "2000",
        "d2_view": "3-D view",
    },
    "four-regimes": {
        "fr_show": "true",
        "fr_model": "MLP",
        "fr_lr_vhigh": "0.3",
        "fr_lr_high": "0.1",
        "fr_lr_good": "0.03",
        "fr_lr_low": "0.003",
        "fr_epochs": "20",
        "fr_batch": "32",
        "fr_curve": "every minibatch",
    },
    "coarse-to-fine": {
        "cf_model": "MLP",
        "cf_range": ["1e-7", "10"],
        "cf_subset": "100%",
        "cf_ep1": "10",
        "cf_points": "10",
        "cf_ep2": "8",
        "cf_eta": "2",
    },
    "adaptive-learning-rate": {
        "ad_lrs": ["1e-6", "1e-5", "1e-4", "0.001", "0.01", "0.1", "1"],
        "ad_model": "MLP 64-32-10",
        "ad_epochs": "15",
        "ad_sweep": "true",
        "ad_steps": "300",
    },
    "range-test": {
        "rt_iters": "1000",
        "rt_view": "accuracy",
        "rt_val": "1",
        "rt_stop": "off",
        "rt_max": "1",
        "rt_epochs": "15",
        "rt_try": "Smith: start",
    },
    "cyclical-schedules": {
        "cy_sched": ["Triangular", "Triangular2", "Exp-range", "1cycle", "Cosine restarts (SGDR)"],
        "cy_epochs": "30",
        "cy_step": "0.5",
        "cy_seed": "1",
    },
}


def figure_bytes(at: AppTest) -> int:
    total = 0
    for el in at.get("plotly_chart"):
        total += len(el.proto.spec)
    return total


def _unseen(info: pages.PageInfo) -> tuple[str, object] | None:
    """A widget of the page's first section and a value it has not had: (key, value)."""
    lesson = lesson_of(info)
    if lesson is None:
        return None
    params = lesson.sections[0].params
    for spec in F.fields(params).values():
        if spec.kind == "choice" and len(spec.options) > 2 and spec.default is not None:
            others = [o for o in spec.options if o != spec.default]
            return spec.key, others[len(others) // 2]
        if spec.kind == "number" and spec.default is not None and spec.lo is not None:
            v = (spec.lo + spec.hi) / 2
            if spec.step:
                v = spec.lo + round((v - spec.lo) / spec.step) * spec.step
            v = int(v) if spec.integer else float(v)
            if v != spec.default:
                return spec.key, v
    return None


def run_page(
    info: pages.PageInfo, query: dict | None = None
) -> tuple[float, float, float | None, int]:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()  # the default page first: it would remove another page's keys from the link
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.switch_page(info.path)
    t0 = time.perf_counter()
    at.run()
    cold = time.perf_counter() - t0
    if at.exception:
        raise RuntimeError(f"{info.url_path}: {at.exception[0].value}")
    warm = []
    for _ in range(5):
        t0 = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - t0)
    size = figure_bytes(at)
    miss = None  # a widget moved to a value not seen before: the cache misses
    move = _unseen(info) if not query else None
    if move is not None:
        at.session_state[move[0]] = move[1]
        t0 = time.perf_counter()
        at.run()
        miss = time.perf_counter() - t0
        if at.exception:
            raise RuntimeError(f"{info.url_path} after {move}: {at.exception[0].value}")
    return cold, statistics.median(warm), miss, size


def main() -> None:
    want = sys.argv[1] if len(sys.argv) > 1 else ""
    print(
        f"{'page':28s} {'cold s':>8s} {'rerun s':>8s} {'miss s':>8s} {'figures KB':>11s}"
        f"   (cpus={os.cpu_count()}; miss: a widget moved to a value not seen before)"
    )
    for info in pages.available():
        if want not in info.url_path:
            continue
        cold, warm, miss, size = run_page(info)
        m = f"{miss:8.3f}" if miss is not None else f"{'-':>8s}"
        print(f"{info.url_path:28s} {cold:8.3f} {warm:8.3f} {m} {size / 1024:11.1f}")
        if info.url_path in EXPENSIVE:
            cold, warm, _, size = run_page(info, EXPENSIVE[info.url_path])
            print(f"{'  (most expensive)':28s} {cold:8.3f} {warm:8.3f} {'':8s} {size / 1024:11.1f}")


if __name__ == "__main__":
    main()
