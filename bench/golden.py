"""Golden record of what every page shows, to compare before and after a restructuring.

``python bench/golden.py record DIR`` opens every page with AppTest at its defaults, at every
step of the teacher's guide and at the extra views in ``EXTRA``, and writes per view a JSON file:
every text element (titles, markdown, captions, alerts, LaTeX), every widget's label and value,
every table, and every plotly chart's data and layout.

``python bench/golden.py compare OLD NEW`` lists each view whose record differs (numbers compared
to 1e-9 relative; plotly's base64 arrays decoded first), with the first differences.

Views are named by ``url_path`` and query, not by file, so a page may move to another file.
"""

from __future__ import annotations

import base64
import json
import math
import sys
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from lessons.ui import guide, pages  # noqa: E402

#: further views (url_path -> list of queries) worth freezing besides defaults and guide links
EXTRA: dict[str, list[dict]] = {
    "descent-1d": [{"d1_surface": "Double well"}, {"d1_surface": "Type a function"}],
    "descent-2d": [
        {"d2_surface": "Rosenbrock"},
        {"d2_surface": "Saddle"},
        {"d2_mode": "optimisers"},
        {"d2_view": "3-D view"},
    ],
    "four-regimes": [{"fr_show": "true"}, {"fr_model": "MLP", "fr_show": "true"}],
    "child-and-dogs": [{"cd_rich": "true"}],
    "range-test": [{"rt_view": "accuracy"}],
    "adaptive-learning-rate": [{"ad_opt": "Adam"}],
}

TEXT_KINDS = (
    "title",
    "header",
    "subheader",
    "markdown",
    "caption",
    "success",
    "info",
    "warning",
    "error",
    "latex",
    "code",
    "toast",
)
WIDGET_KINDS = (
    "slider",
    "select_slider",
    "selectbox",
    "radio",
    "number_input",
    "text_input",
    "toggle",
    "checkbox",
    "multiselect",
    "button",
)


def _decode(obj):
    """plotly >= 6 writes numpy arrays as {"dtype", "bdata"[, "shape"]}: back to lists."""
    if isinstance(obj, dict):
        if set(obj) >= {"dtype", "bdata"}:
            arr = np.frombuffer(base64.b64decode(obj["bdata"]), dtype=obj["dtype"])
            if "shape" in obj:
                shape = [int(s) for s in str(obj["shape"]).split(",")]
                arr = arr.reshape(shape)
            return arr.tolist()
        return {k: _decode(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v) for v in obj]
    return obj


def _value(v):
    try:
        json.dumps(v)
        return v
    except TypeError:
        return repr(v)


def snapshot(at: AppTest) -> dict:
    out: dict = {"exception": [str(e.value) for e in at.exception]}
    for kind in TEXT_KINDS:
        try:
            out[kind] = [str(e.value) for e in getattr(at, kind)]
        except Exception:  # noqa: BLE001 - an element kind this Streamlit lacks
            pass
    widgets = []
    for kind in WIDGET_KINDS:
        for w in getattr(at, kind):
            widgets.append([kind, str(getattr(w, "label", "")), _value(getattr(w, "value", None))])
    out["widgets"] = widgets
    out["tables"] = [e.value.to_dict(orient="split") for e in at.dataframe] + [
        e.value.to_dict(orient="split") for e in at.table
    ]
    charts = []
    for el in at.get("plotly_chart"):
        spec = json.loads(el.proto.spec)
        charts.append(_decode({k: spec.get(k) for k in ("data", "layout", "frames")}))
    out["charts"] = charts
    return json.loads(json.dumps(out, default=repr))


def views() -> list[tuple[str, str, dict]]:
    """(name, page file, query) for every view to record."""
    out = []
    for info in pages.available():
        out.append((info.url_path, info.path, {}))
        for q in EXTRA.get(info.url_path, []):
            out.append((f"{info.url_path}?{urlencode(q, doseq=True)}", info.path, q))
    for i, step in enumerate(guide.plan(), 1):
        q = {**step.query, "lecture": "true"}
        out.append((f"guide{i}-{step.page.url_path}?{urlencode(q, doseq=True)}", step.path, q))
    return out


def open_view(path: str, query: dict) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()  # the default page first: it would remove another page's keys from the link
    for k, v in query.items():
        at.query_params[k] = v
    at.switch_page(path)
    at.run()
    return at


def _fname(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_=" else "_" for c in name)[:150] + ".json"


def record(out_dir: Path, only: str = "") -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, path, q in views():
        if only and only not in name:
            continue
        snap = snapshot(open_view(path, q))
        snap["view"] = name
        (out_dir / _fname(name)).write_text(json.dumps(snap, indent=1, sort_keys=True))
        print(f"recorded {name}: {len(snap['charts'])} charts", flush=True)


def _diff(a, b, path: str, out: list[str], limit: int = 12) -> None:
    if len(out) >= limit:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}.{k}: only in {'new' if k in b else 'old'}")
            else:
                _diff(a[k], b[k], f"{path}.{k}", out, limit)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{path}: length {len(a)} -> {len(b)}")
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            _diff(x, y, f"{path}[{i}]", out, limit)
    elif isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        if not (
            (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
        ):
            out.append(f"{path}: {a!r} -> {b!r}")
    elif a != b:
        out.append(f"{path}: {str(a)[:200]!r} -> {str(b)[:200]!r}")


def compare(old: Path, new: Path) -> int:
    bad = 0
    for f in sorted(old.glob("*.json")):
        g = new / f.name
        if not g.exists():
            print(f"MISSING {f.stem}")
            bad += 1
            continue
        diffs: list[str] = []
        _diff(json.loads(f.read_text()), json.loads(g.read_text()), "", diffs)
        if diffs:
            bad += 1
            print(f"DIFF {f.stem}")
            for d in diffs:
                print("   ", d)
    print(f"{bad} view(s) differ")
    return bad


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "record":
        record(Path(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "")
    elif cmd == "compare":
        sys.exit(1 if compare(Path(sys.argv[2]), Path(sys.argv[3])) else 0)
    else:
        print(__doc__)
