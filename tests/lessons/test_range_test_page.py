"""The Range test page through the real entry point (AppTest): every number shown against an
independent engine call, every widget at its extremes, URL round trip, lecture mode, the
predict-then-reveal question and the bounds handed on to the Cyclical schedules page."""

from __future__ import annotations

import functools
import math

import pytest

from engine.data import load_dataset
from engine.fmt import pct
from engine.models import ModelSpec
from engine.range_test import DESCENT_TOL, range_test
from engine.train import classify_run, train
from engine.verdict import NEVER
from lessons.ui.widgets import fmt_lr
from tests.lessons.apptest import assert_ok, open_page, texts

PAGE = "lessons/range_test.py"
BATCH = 64  # the page's minibatch size (stated on the page)
DEFAULTS = {
    "data": "digits",
    "model": "MLP",
    "lo": 1e-5,
    "hi": 10.0,
    "iters": 300,
    "mode": "exponential",
    "beta": 0.98,
    "stop": 4.0,
    "seed": 0,
    "val_every": None,
}


def spec_for(data_name: str, model: str):
    data = load_dataset(data_name)
    if model == "softmax":
        return data, ModelSpec("softmax", data.n_features, data.n_classes)
    return data, ModelSpec("mlp", data.n_features, data.n_classes, hidden=(32,))


@functools.cache
def engine_run(data, model, lo, hi, iters, mode, beta, stop, seed, val_every):
    d, spec = spec_for(data, model)
    return range_test(
        spec,
        d,
        min_lr=lo,
        max_lr=hi,
        num_iter=iters,
        mode=mode,
        beta=beta,
        stop_factor=stop,
        batch_size=BATCH,
        seed=seed,
        val_every=val_every,
    )


def expected(**changes):
    p = {**DEFAULTS, **changes}
    return engine_run(*p.values())


@functools.cache
def engine_try(data, model, lr, epochs, seed):
    d, spec = spec_for(data, model)
    ipe = math.ceil(d.n_train / BATCH)
    return train(
        spec,
        d,
        [lr / 10, lr, lr * 10],
        epochs=epochs,
        batch_size=BATCH,
        seed=seed,
        eval_every=max(1, ipe // 4),
    )


def shown_table(at):
    """The suggestions table as {rule: (learning rate text, reason text)}."""
    df = next(t.value for t in at.table if "what the rule saw" in t.value.columns)
    return {rule: (row["learning rate"], row["what the rule saw"]) for rule, row in df.iterrows()}


def check_suggestions(at, r) -> None:
    """The table shows exactly the engine's suggestions (numbers and reasons)."""
    table = shown_table(at)
    sugs = r.suggestions()
    assert list(table) == [s.rule for s in sugs]
    for s in sugs:
        lr_text, reason = table[s.rule]
        if s.lr is None:
            assert lr_text == "no suggestion"
            assert reason == f"no suggestion: {s.reason}"
        else:
            assert lr_text == fmt_lr(s.lr)
            assert reason == s.reason


def check_bounds(at, r) -> None:
    b = r.smith()
    if b.max_lr.lr is not None:
        got = at.session_state["rt_bounds"]
        assert got["min_lr"] == pytest.approx(b.min_lr.lr, rel=1e-12)
        assert got["max_lr"] == pytest.approx(b.max_lr.lr, rel=1e-12)
        assert type(got["min_lr"]) is float and type(got["max_lr"]) is float
        assert isinstance(got["source"], str) and got["source"]
        assert "now available on the **Cyclical schedules** page" in texts(at)


@pytest.fixture(scope="module")
def page():
    return open_page(PAGE)


def test_defaults_show_the_engine_suggestions_and_hand_on_the_bounds(page):
    at = page
    assert at.title[0].value == "Range test"
    r = expected()
    check_suggestions(at, r)
    b = r.smith()
    body = texts(at)
    # the run and Smith's reading, in words, with the engine's numbers
    assert f"stopped after {r.n} of {r.num_iter} iterations" in body
    assert r.stop_reason in body
    assert f"max_lr = {fmt_lr(b.max_lr.lr)}" in body
    lo3, hi3 = b.min_range
    assert f"{fmt_lr(lo3)} … {fmt_lr(hi3)}" in body
    # the defaults show the point: the loss falls, then the run blows up; Smith's max is
    # below where it stopped and above where the loss started to fall
    assert r.diverged_at != NEVER
    assert b.start.lr < b.max_lr.lr < r.lrs[-1]
    check_bounds(at, r)
    assert at.session_state["rt_bounds"]["max_lr"] == b.max_lr.lr
    assert "Smith's rule" in at.session_state["rt_bounds"]["source"]
    assert len(at.get("plotly_chart")) == 2
    # the seed article's procedure is quoted
    assert "the former, or 1/3 to 1/4 of the maximum, is a good minimum" in body


def test_try_it_runs_match_an_independent_training(page):
    at = page
    b = expected().smith()
    lr = b.max_lr.lr
    h = engine_try("digits", "MLP", lr, 5, 0)
    body = texts(at)
    for k in range(3):
        kind, text = classify_run(h, k)
        assert f"*{kind}*: {text}" in body
    # at the defaults the lesson shows: 10x higher than Smith's max diverges
    assert h.diverged[2] and not h.diverged[1]
    assert h.final_val_loss[1] < h.final_val_loss[0]
    final = next(t.value for t in at.table if "final validation loss" in t.value.columns)
    assert final["final validation loss"].iloc[1] == f"{h.final_val_loss[1]:.3f}"
    assert final["final validation loss"].iloc[2] == "diverged"


def test_predict_reveals_the_ten_times_higher_run():
    at = open_page(PAGE)
    radio = at.radio(key="rt_quiz")
    assert radio.value is None
    radio.set_value(radio.options[2]).run()
    assert_ok(at)
    h = engine_try("digits", "MLP", expected().smith().max_lr.lr, 5, 0)
    right = [e.value for e in at.success if e.value.startswith("Right.")]
    assert right, "diverging at 10x max is the right answer at the defaults"
    assert classify_run(h, 2)[1] in right[0]
    radio.set_value(radio.options[0]).run()
    wrong = [e.value for e in at.warning if e.value.startswith("Not quite")]
    assert wrong and "It blows up" in wrong[0]


#: walks through every widget's extremes, one change after another on one session
WALKS = {
    "ramp": [
        ("select_slider", "rt_min", "1e-7", {"lo": 1e-7}),
        ("select_slider", "rt_max", "100", {"hi": 100.0}),
        ("select_slider", "rt_iters", 1000, {"iters": 1000}),
        ("button_group", "rt_mode", "linear", {"mode": "linear"}),
        ("select_slider", "rt_iters", 30, {"iters": 30}),
    ],
    "smoothing": [
        ("select_slider", "rt_beta", 0.0, {"beta": 0.0}),
        ("select_slider", "rt_stop", "2", {"stop": 2.0}),
        ("select_slider", "rt_beta", 0.99, {"beta": 0.99}),
        ("select_slider", "rt_stop", "off", {"stop": None}),
        ("number_input", "rt_seed", 9999, {"seed": 9999}),
    ],
    "data": [
        ("button_group", "rt_data", "spirals", {"data": "spirals"}),
        ("button_group", "rt_model", "softmax", {"model": "softmax"}),
        ("button_group", "rt_view", "accuracy", {"val_every": 2}),
        ("select_slider", "rt_val", 20, {"val_every": 20}),
        ("select_slider", "rt_val", 1, {"val_every": 1}),
    ],
}


@pytest.mark.parametrize("walk", list(WALKS))
def test_every_widget_at_its_extremes(walk):
    at = open_page(PAGE)
    params: dict = {}
    for widget, key, value, changes in WALKS[walk]:
        getattr(at, widget)(key=key).set_value(value).run()
        assert_ok(at)
        params.update(changes)
        r = expected(**params)
        check_suggestions(at, r)
        check_bounds(at, r)
        if params.get("val_every"):
            acc = r.val_acc
            k = int(acc.argmax())
            assert f"peaks at {100 * acc[k]:.1f}% at lr = {fmt_lr(r.val_lrs[k])}" in texts(at)


def test_a_range_that_is_too_low_gives_no_suggestion_and_says_why():
    at = open_page(PAGE, {"rt_min": "1e-7", "rt_max": "1e-6"})
    r = expected(lo=1e-7, hi=1e-6)
    assert all(s.lr is None for s in r.suggestions())
    check_suggestions(at, r)
    reasons = "\n".join(v for _, v in shown_table(at).values())
    assert f"no suggestion: the smoothed loss never fell more than {pct(DESCENT_TOL)}" in reasons
    # no max: nothing is handed on, and the page says so; nothing to try either
    assert "rt_bounds" not in at.session_state
    body = texts(at)
    assert "no bounds to hand on" in body
    assert "No rule gave a suggestion on this run" in body
    assert len(at.get("plotly_chart")) == 1


def test_a_run_without_a_max_keeps_the_earlier_bounds_and_tries_another_rule():
    at = open_page(PAGE)
    before = dict(at.session_state["rt_bounds"])
    at.select_slider(key="rt_max").set_value("1e-1").run()
    assert_ok(at)
    r = expected(hi=0.1)
    b = r.smith()
    assert b.max_lr.lr is None and "never turned back up" in b.max_lr.reason
    check_suggestions(at, r)
    assert at.session_state["rt_bounds"] == before
    body = texts(at)
    assert "keeps the bounds found earlier" in body
    # the default rule (Smith: max) has no answer: the page says why and tries steepest
    steep = r.steepest()
    assert f"*Smith: max* gave no suggestion ({b.max_lr.reason}); trying *steepest*" in body
    h = engine_try("digits", "MLP", steep.lr, 5, 0)
    for k in range(3):
        kind, text = classify_run(h, k)
        assert f"*{kind}*: {text}" in body


def test_try_other_rules_and_epoch_extremes():
    at = open_page(PAGE, {"rt_epochs": "1"})
    sugs = {x.rule: x for x in expected().suggestions()}
    for rule in ("steepest", "valley", "Smith: start", "minimum / 10"):
        at.selectbox(key="rt_try").set_value(rule).run()
        assert_ok(at)
        lr = sugs[rule].lr
        h = engine_try("digits", "MLP", lr, 1, 0)
        body = texts(at)
        for k in range(3):
            kind, text = classify_run(h, k)
            assert f"*{kind}*: {text}" in body
        assert f"{rule}, lr = {fmt_lr(lr)}" in body
    at.slider(key="rt_epochs").set_value(15).run()
    assert_ok(at)
    h = engine_try("digits", "MLP", sugs["minimum / 10"].lr, 15, 0)
    assert f"*{classify_run(h, 1)[0]}*: {classify_run(h, 1)[1]}" in texts(at)


def test_url_reopens_a_non_default_view():
    query = {
        "rt_data": "moons",
        "rt_model": "softmax",
        "rt_min": "1e-4",
        "rt_max": "50",
        "rt_iters": "200",
        "rt_mode": "linear",
        "rt_beta": "0.9",
        "rt_stop": "5",
        "rt_seed": "3",
        "rt_try": "steepest",
        "rt_epochs": "3",
    }
    at = open_page(PAGE, query)
    assert at.button_group(key="rt_data").value == "moons"
    assert at.button_group(key="rt_model").value == "softmax"
    assert at.select_slider(key="rt_min").value == "1e-4"
    assert at.select_slider(key="rt_max").value == "50"
    assert at.select_slider(key="rt_iters").value == 200
    assert at.button_group(key="rt_mode").value == "linear"
    assert at.select_slider(key="rt_beta").value == 0.9
    assert at.select_slider(key="rt_stop").value == "5"
    assert at.number_input(key="rt_seed").value == 3
    assert at.selectbox(key="rt_try").value == "steepest"
    assert at.slider(key="rt_epochs").value == 3
    r = expected(
        data="moons",
        model="softmax",
        lo=1e-4,
        hi=50.0,
        iters=200,
        mode="linear",
        beta=0.9,
        stop=5.0,
        seed=3,
    )
    check_suggestions(at, r)
    check_bounds(at, r)
    assert "softmax regression on the moons" in texts(at)


def test_malformed_url_falls_back_to_defaults():
    at = open_page(
        PAGE,
        {
            "rt_min": "lots",
            "rt_max": "1e99",
            "rt_iters": "-5",
            "rt_mode": "sideways",
            "rt_beta": "2",
            "rt_seed": "x",
            "rt_try": "<script>",
            "rt_epochs": "999",
            "rt_data": "mnist",
        },
    )
    assert at.select_slider(key="rt_min").value == "1e-5"
    assert at.select_slider(key="rt_iters").value == 300
    assert at.button_group(key="rt_mode").value == "exponential"
    assert at.button_group(key="rt_data").value == "digits"
    assert at.selectbox(key="rt_try").value == "Smith: max"
    check_suggestions(at, expected())


def test_reversed_and_equal_ends_are_explained():
    at = open_page(PAGE, {"rt_min": "1", "rt_max": "1e-4"})
    assert "using them the other way round" in at.warning[0].value
    check_suggestions(at, expected(lo=1e-4, hi=1.0))
    at = open_page(PAGE, {"rt_min": "1e-3", "rt_max": "1e-3"})
    assert "nothing to sweep" in at.warning[0].value
    check_suggestions(at, expected(lo=1e-3, hi=10.0))


def test_lecture_mode():
    at = open_page(PAGE, lecture=True)
    labels = [e.label for e in at.expander]
    assert "What to try, what to notice" in labels  # narrative folded away
    assert "Smith's procedure, in this page's words" in labels
    check_suggestions(at, expected())
    import json

    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["font"]["size"] == 20  # big fonts for the projector
