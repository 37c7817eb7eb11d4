"""What sending a page's charts costs the server, by hand: ``python bench/bench_charts.py``.

For every teacher's-guide link (and ``EXPENSIVE`` views with ``--expensive``) it runs the page
once with AppTest, keeps the figures the page hands to ``st.plotly_chart``, and times, per view
(best of ``--repeat``, so a busy machine inflates little), the steps ``st.plotly_chart`` takes for
every chart on every view, cached or not: ``Figure.to_dict()`` (a deep copy), ``plotly.io.to_json``
with the standard library's ``json`` and with ``orjson`` (plotly uses orjson whenever it is
installed), and the hash Streamlit computes of the JSON for the element's id. Also the JSON's size.
``chart()`` is what ``widgets.chart`` hands ``st.plotly_chart`` instead of the figure: its dict
form, made once per figure object (so a cached figure's second view costs this, not to_dict).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import plotly.io as pio  # noqa: E402
from bench_pages import EXPENSIVE  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402
from streamlit.util import calc_hash  # noqa: E402

from lessons.ui import guide, pages, widgets  # noqa: E402

CAPTURED: list = []
_chart = widgets.chart


def _capture(fig, *args, **kwargs):
    CAPTURED.append(fig)
    return _chart(fig, *args, **kwargs)


def figures(path: str, query: dict) -> list:
    """The figures one run of the page sends."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(path)
    CAPTURED.clear()
    at.run()
    if at.exception:
        raise RuntimeError(f"{path}: {at.exception[0].value}")
    return list(CAPTURED)


def best(fn, repeat: int) -> float:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return 1000 * min(out)


def cost(figs: list, repeat: int) -> dict:
    dicts = [f.to_dict() for f in figs]
    out = {"charts": len(figs)}
    out["to_dict"] = best(lambda: [f.to_dict() for f in figs], repeat)
    out["sent"] = best(lambda: [widgets._converted(f, False).to_dict() for f in figs], repeat)
    for engine in ("json", "orjson"):
        pio.json.config.default_engine = engine
        out[engine] = best(lambda: [pio.to_json(d, validate=False) for d in dicts], repeat)
    pio.json.config.default_engine = "auto"
    specs = [pio.to_json(d, validate=False) for d in dicts]
    out["hash"] = best(lambda: [calc_hash(s) for s in specs], repeat)
    out["KB"] = sum(len(s) for s in specs) / 1024
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--expensive", action="store_true", help="also the EXPENSIVE views")
    args = ap.parse_args()
    widgets.chart = _capture
    views = [(s.page.path, parse_qs(s.url().split("?", 1)[1])) for s in guide.plan()]
    if args.expensive:
        by_url = {p.url_path: p for p in pages.available()}
        views += [(by_url[u].path, q) for u, q in EXPENSIVE.items() if u in by_url]
    print(
        f"{'view':60s} {'charts':>6s} {'KB':>7s} {'to_dict':>8s} {'chart()':>8s} {'json':>7s}"
        f" {'orjson':>7s} {'hash':>6s}   (ms per view, best of {args.repeat})"
    )
    for path, query in views:
        c = cost(figures(path, query), args.repeat)
        name = f"{pages.by_path(path).url_path}?{urlencode(query, doseq=True)}"[:60]
        print(
            f"{name:60s} {c['charts']:6d} {c['KB']:7.0f} {c['to_dict']:8.1f} {c['sent']:8.1f}"
            f" {c['json']:7.1f}"
            f" {c['orjson']:7.1f} {c['hash']:6.1f}"
        )


if __name__ == "__main__":
    main()
