"""The cyclical-schedules page through the real entry point (AppTest): the range test's bounds
handed over through session state, every widget, the URL, lecture mode and the prediction.

Expected numbers come from the engine directly: each schedule is built from its class in
``engine.schedules`` (not through the page's helpers) and trained with ``engine.train.train``.
"""

from __future__ import annotations

import base64
import json
import math
from functools import lru_cache

import numpy as np
import pytest

from engine.data import load_dataset
from engine.models import ModelSpec
from engine.schedules import Constant, CosineWarmRestarts, Cyclic, OneCycle
from engine.train import classify_run, train
from lessons.ui import pages
from tests.lessons.apptest import assert_ok, open_page, texts

PAGE = "lessons/cyclical.py"
DATA = load_dataset("digits")
SPEC = ModelSpec("mlp", 64, 10, hidden=(32,))
IPE = math.ceil(DATA.n_train / 64)
NAMES = {
    "triangular": "Triangular",
    "triangular2": "Triangular2",
    "exp_range": "Exp-range",
    "onecycle": "1cycle",
    "sgdr": "Cosine restarts (SGDR)",
}
DEFAULT = dict(
    keys=("triangular", "triangular2", "exp_range", "onecycle"),
    lo=0.15,
    hi=0.6,
    const_at="min",
    step_epochs=2.0,
    gamma=0.995,
    epochs=12,
    seed=0,
    target=0.95,
)


def schedule(key: str, lo: float, hi: float, step: int, gamma: float, total: int, const: float):
    if key == "constant":
        return Constant(const)
    if key in ("triangular", "triangular2"):
        return Cyclic(lo, hi, step, mode=key)
    if key == "exp_range":
        return Cyclic(lo, hi, step, mode="exp_range", gamma=gamma)
    if key == "onecycle":  # one cycle over the run, from the lower bound, torch's 1e4 at the end
        return OneCycle(hi, total, div_factor=hi / lo, final_div_factor=1e4)
    assert key == "sgdr"
    return CosineWarmRestarts(hi, T_0=2 * step, T_mult=1, eta_min=lo)


@lru_cache(maxsize=64)
def run(key, lo, hi, step, gamma, epochs, seed, const):
    total = epochs * IPE
    rates = schedule(key, lo, hi, step, gamma, total, const).lr(np.arange(total))
    return train(
        SPEC,
        DATA,
        [rates[0]],
        epochs=epochs,
        batch_size=64,
        seed=seed,
        schedule=rates,
        eval_every=IPE // 2,
    )


def expected(**kw) -> dict:
    """Labels, verdict lines and first-reach epochs of every run, from the engine."""
    p = {**DEFAULT, **kw}
    lo, hi = sorted((p["lo"], p["hi"]))
    const = {"min": lo, "max": hi, "mid": math.sqrt(lo * hi)}[p["const_at"]]
    step = max(1, round(p["step_epochs"] * IPE))
    keys = ["constant", *[k for k in NAMES if k in p["keys"]]]
    hs = {k: run(k, lo, hi, step, p["gamma"], p["epochs"], p["seed"], const) for k in keys}
    finals = [float(h.final_val_loss[0]) for h in hs.values() if not h.diverged[0]]
    ref = min(finals) if finals else None
    out = {"labels": {}, "lines": {}, "reach": {}, "runs": hs}
    target = p["target"]
    for k, h in hs.items():
        label = f"Constant {const:.3g}" if k == "constant" else NAMES[k]
        kind, text = classify_run(h, 0, reference=ref)
        acc = h.val_acc[0]
        hit = np.flatnonzero(acc >= target)
        if hit.size:
            ep = h.eval_iters[hit[0]] / IPE
            words = (
                f"reached {target:.0%} validation accuracy after {h.eval_iters[hit[0]]} "
                f"iterations ({ep:.1f} epochs)"
            )
            out["reach"][k] = ep
        else:
            best = f" (best {np.nanmax(acc):.1%})" if np.isfinite(acc).any() else ""
            words = f"never reached {target:.0%} validation accuracy in {p['epochs']} epochs{best}"
            out["reach"][k] = None
        out["labels"][k] = label
        out["lines"][k] = f"**{label}** — *{kind}*: {text}; {words}"
    return out


def assert_verdicts(at, exp: dict) -> None:
    body = texts(at)
    for line in exp["lines"].values():
        assert line in body, line
    table = at.dataframe[0].value
    assert list(table["schedule"]) == list(exp["labels"].values())


def arr(v) -> np.ndarray:
    """A plotly JSON array (plain list, or typed array ``{"dtype", "bdata"}``) as numpy."""
    if isinstance(v, dict):
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
    return np.asarray(v, dtype=float)


def sel(at, key):
    return at.select_slider(key=key).value


@pytest.fixture(scope="module")
def page():
    return open_page(PAGE)


def test_defaults_race_the_schedules(page):
    at = page
    assert at.title[0].value == "Cyclical schedules"  # this page, not the default one
    exp = expected()
    assert_verdicts(at, exp)
    assert (sel(at, "cy_min"), sel(at, "cy_max")) == (0.15, 0.6)
    assert at.multiselect(key="cy_sched").value == list(DEFAULT["keys"])
    assert sel(at, "cy_step") == 2.0 and at.slider(key="cy_epochs").value == 12
    assert sel(at, "cy_gamma") == 0.995 and sel(at, "cy_target") == 0.95
    assert at.number_input(key="cy_seed").value == 0
    # Smith's claim, measured: the cyclical runs beat the constant rate at the lower bound
    reach = exp["reach"]
    first = min(v for k, v in reach.items() if k != "constant")
    assert first < reach["constant"]
    body = texts(at)
    assert f"the constant rate after {round(reach['constant'] * IPE)}" in body
    assert f"**{reach['constant'] / first:.1f}× fewer iterations**" in body
    table = at.dataframe[0].value
    assert list(table["epochs to 95%"]) == [f"{reach[k]:.1f}" for k in exp["labels"]]
    # three charts; the rate chart carries the engine's triangular rates and 1cycle's momentum
    charts = at.get("plotly_chart")
    assert len(charts) == 3
    spec = json.loads(charts[0].proto.spec)
    tri = next(t for t in spec["data"] if t["name"] == "Triangular")
    np.testing.assert_allclose(arr(tri["y"]), Cyclic(0.15, 0.6, 2 * IPE).lr(np.arange(12 * IPE)))
    assert any(t["name"].startswith("1cycle momentum") for t in spec["data"])
    assert "3 cycles in 12 epochs" in body and "The run ends at the end of a cycle" in body
    # no range test in this session: the hand-off button is off
    assert at.button(key="cy_use_rt").disabled
    assert "Default bounds" in body


#: a cheap view for the tests that retrain often: one schedule, four epochs
CHEAP = {"cy_sched": ["Triangular"], "cy_epochs": "4"}
CHEAP_KW = dict(keys=("triangular",), epochs=4)


def test_range_test_bounds_are_handed_over():
    at = open_page(PAGE, CHEAP)
    at.session_state["rt_bounds"] = {"min_lr": 0.33, "max_lr": 1.34, "source": "Smith's rule"}
    at.run()
    assert_ok(at)
    assert "min_lr = 0.33 and max_lr = 1.34" in at.info[0].value
    assert not at.button(key="cy_use_rt").disabled
    at.button(key="cy_use_rt").click().run()
    assert_ok(at)
    assert (sel(at, "cy_min"), sel(at, "cy_max")) == (0.3, 1.5)  # nearest on the log grid
    body = texts(at)
    assert (
        "Bounds from the **Range test** (Smith's rule): min_lr 0.33 → **0.3**, "
        "max_lr 1.34 → **1.5** (nearest values on this page's scale)."
    ) in body
    assert_verdicts(at, expected(lo=0.3, hi=1.5, **CHEAP_KW))
    # moving a bound by hand says so
    at.select_slider(key="cy_max").set_value(1.0).run()
    assert "Bounds set by hand: min_lr = 0.3, max_lr = 1" in texts(at)
    # two bounds that snap to the same value: keep max_lr, move min_lr one notch down
    at.session_state["rt_bounds"] = {"min_lr": 0.31, "max_lr": 0.32, "source": "test"}
    at.run()
    at.button(key="cy_use_rt").click().run()
    assert (sel(at, "cy_min"), sel(at, "cy_max")) == (0.2, 0.3)  # max kept, min a notch down
    # unusable bounds are refused with a message, never a traceback
    at.session_state["rt_bounds"] = {"min_lr": 1.0, "max_lr": 0.1, "source": "test"}
    at.run()
    assert_ok(at)
    assert "can't be used" in at.warning[0].value
    assert at.button(key="cy_use_rt").disabled


def test_range_test_link_only_when_that_page_exists(page):
    rt = pages.by_path("lessons/range_test.py")
    links = [e.proto.page for e in page.get("page_link")]
    has_rt = rt in pages.available()
    assert (rt.url_path in links) == has_rt
    if not has_rt:
        assert "No range test has been run in this session" in texts(page)


def test_bounds_at_their_extremes():
    at = open_page(PAGE, CHEAP)
    at.select_slider(key="cy_max").set_value(10.0)
    at.select_slider(key="cy_min").set_value(1e-4).run()
    assert_ok(at)
    exp = expected(lo=1e-4, hi=10.0, **CHEAP_KW)
    assert_verdicts(at, exp)
    tri = exp["runs"]["triangular"]
    assert tri.diverged[0]  # the cycle blows up on its way to 10
    row = at.dataframe[0].value.iloc[1]
    assert row["verdict"] == f"diverged at iteration {tri.diverged_at[0]}"
    assert row["train loss, last epoch"] == "—" and row["final val. accuracy"] == "—"
    assert "diverged at iteration" in texts(at)
    loss = json.loads(at.get("plotly_chart")[1].proto.spec)
    assert any(
        str(t.get("text", [""])[0]).startswith("diverged at iteration") for t in loss["data"]
    )
    # the bounds the wrong way round are swapped, with a message
    at.select_slider(key="cy_min").set_value(0.6).run()
    at.select_slider(key="cy_max").set_value(0.15).run()
    assert_ok(at)
    assert "using them the other way round" in at.warning[0].value
    assert_verdicts(at, expected(**CHEAP_KW))
    at.select_slider(key="cy_max").set_value(0.6).run()
    assert "nothing to cycle" in at.warning[0].value
    assert_ok(at)


def test_every_other_widget_at_its_extremes():
    at = open_page(PAGE)
    # all at once, one rerun (each rerun at 30 epochs retrains what changed)
    at.multiselect(key="cy_sched").set_value(list(NAMES))
    at.slider(key="cy_epochs").set_value(30)
    at.select_slider(key="cy_step").set_value(10.0)
    at.select_slider(key="cy_gamma").set_value(0.98)
    at.select_slider(key="cy_target").set_value(0.98)
    at.number_input(key="cy_seed").set_value(999)
    at.button_group[0].set_value("max").run()
    assert_ok(at)
    kw = dict(keys=tuple(NAMES), epochs=30, step_epochs=10.0, gamma=0.98, target=0.98, seed=999)
    assert_verdicts(at, expected(const_at="max", **kw))
    assert "1.5 cycles in 30 epochs" in texts(at) and "not at its end" in texts(at)
    at.button_group[0].set_value("mid").run()
    assert "Constant 0.3" in list(at.dataframe[0].value["schedule"])  # sqrt(0.15 * 0.6)
    at.multiselect(key="cy_sched").set_value([])
    at.slider(key="cy_epochs").set_value(2)
    at.select_slider(key="cy_step").set_value(0.5)
    at.select_slider(key="cy_gamma").set_value(0.9995)
    at.select_slider(key="cy_target").set_value(0.9)
    at.number_input(key="cy_seed").set_value(0).run()
    assert_ok(at)
    assert "No schedule chosen: showing Triangular" in at.info[0].value
    assert_verdicts(
        at, expected(keys=("triangular",), const_at="mid", epochs=2, step_epochs=0.5, target=0.9)
    )


def test_url_reopens_the_view():
    query = {
        "cy_min": "0.3",
        "cy_max": "1.5",
        "cy_sched": ["Triangular", "1cycle"],
        "cy_const": "upper bound",
        "cy_step": "3",
        "cy_epochs": "6",
        "cy_target": "96%",
        "cy_seed": "5",
    }
    at = open_page(PAGE, query)
    assert (sel(at, "cy_min"), sel(at, "cy_max")) == (0.3, 1.5)
    assert at.multiselect(key="cy_sched").value == ["triangular", "onecycle"]
    assert at.button_group[0].value == "max"
    assert sel(at, "cy_step") == 3.0 and at.slider(key="cy_epochs").value == 6
    assert sel(at, "cy_target") == 0.96 and at.number_input(key="cy_seed").value == 5
    kw = dict(keys=("triangular", "onecycle"), lo=0.3, hi=1.5, const_at="max", step_epochs=3.0)
    assert_verdicts(at, expected(epochs=6, target=0.96, seed=5, **kw))


def test_malformed_url_falls_back_to_defaults():
    query = {
        "cy_min": "abc",
        "cy_max": "99",
        "cy_sched": ["bogus"],
        "cy_const": "sideways",
        "cy_step": "7",
        "cy_epochs": "999",
        "cy_target": "1",
        "cy_gamma": "2",
        "cy_seed": "-3",
    }
    at = open_page(PAGE, query)
    assert (sel(at, "cy_min"), sel(at, "cy_max")) == (0.15, 0.6)
    assert at.slider(key="cy_epochs").value == 12 and sel(at, "cy_step") == 2.0
    assert at.number_input(key="cy_seed").value == 0
    assert_verdicts(at, expected())


def test_lecture_mode():
    at = open_page(PAGE, lecture=True)
    assert "What to try, what to notice" in [e.label for e in at.expander]
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["font"]["size"] == 20  # projector-size figures
    assert_verdicts(at, expected())


def test_predict_reveals_the_measured_answer(page):
    at = page
    radio = at.radio(key="cy_quiz")
    radio.set_value(radio.options[0]).run()  # "the constant rate": wrong at the defaults
    assert_ok(at)
    exp = expected()
    const = round(exp["reach"]["constant"] * IPE)
    assert at.warning and "A cyclical schedule" in at.warning[0].value
    assert f"the constant rate after {const}" in at.warning[0].value
    radio.set_value(radio.options[1]).run()
    assert at.success and "fewer iterations" in at.success[0].value
