"""The coarse-to-fine page through the real entry point (AppTest): every number on the page (the
pick, its loss, the step counts, the brute-force check, successive halving) equals an
independent engine call with the same settings."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

from engine.data import load_dataset
from engine.models import ModelSpec
from engine.search import coarse_to_fine, successive_halving
from engine.train import train
from lessons.ui.widgets import fmt_lr
from tests.lessons.apptest import assert_ok, open_page, texts

PAGE = "lessons/coarse_to_fine.py"
DECADES = tuple(10.0**e for e in range(-7, 2))
DEFAULTS = {
    "model": "softmax",
    "lo": -7,
    "hi": 0,
    "subset": 0.2,
    "epochs1": 3,
    "epochs2": 5,
    "decades": 1,
    "points": 8,
    "sampling": "grid",
    "seed": 0,
}


def _spec(model: str) -> ModelSpec:
    return ModelSpec(model.lower(), 64, 10, hidden=(32,))


@functools.lru_cache(maxsize=16)
def search(model, lo, hi, subset, epochs1, epochs2, decades, points, sampling, seed):
    return coarse_to_fine(
        _spec(model),
        load_dataset("digits"),
        lo_exp=lo,
        hi_exp=hi,
        coarse_subset=subset,
        coarse_epochs=epochs1,
        refine_points=points,
        refine_decades=float(decades),
        refine_subset=1.0,
        refine_epochs=epochs2,
        batch_size=64,
        seed=seed,
        sampling=sampling,
    )


@functools.lru_cache(maxsize=8)
def full_grid(model, lo, hi, n, epochs, seed):
    lrs = 10.0 ** np.linspace(lo, hi, n)
    h = train(_spec(model), load_dataset("digits"), lrs, epochs=epochs, batch_size=64, seed=seed)
    loss = np.where(h.diverged | ~np.isfinite(h.final_val_loss), np.inf, h.final_val_loss)
    return lrs, loss, h


@functools.lru_cache(maxsize=8)
def halving(model, lo, hi, n, epochs, eta, seed):
    d = load_dataset("digits")
    return successive_halving(
        _spec(model),
        d,
        10.0 ** np.linspace(lo, hi, n),
        max_steps=epochs * math.ceil(d.n_train / 64),
        eta=eta,
        batch_size=64,
        seed=seed,
    )


def expect(p: dict):
    return search(*(p[k] for k in DEFAULTS))


def check_numbers(at, p: dict, *, full: bool = True, eta: int | None = 3) -> None:
    """Every number the page prints against the engine."""
    assert_ok(at)
    body = texts(at)
    res = expect(p)
    other = search(
        *(p[k] for k in DEFAULTS if k not in ("sampling", "seed")),
        "random" if p["sampling"] == "grid" else "grid",
        p["seed"],
    )
    # the pick, its loss and accuracy
    acc = res.refine.history.final_val_acc[res.refine.best]
    assert f"**The pick: lr = {fmt_lr(res.best_lr)}**" in body
    assert f"**{res.best_loss:.3f}** (validation accuracy {acc:.1%})" in body
    # the cost in examples processed, and the baseline
    assert f"stage 1 processed {res.coarse.cost:,} training examples" in body
    assert f"stage 2 {res.refine.cost:,}" in body
    assert f"{res.cost:,} in all" in body
    assert f"({res.full_grid_points} rates at stage 2's density" in body
    assert f"= {res.full_grid_cost:,})" in body
    share = res.cost / res.full_grid_cost
    assert f"**{share:.1%} of the steps**" in body or f"**{share:.0%} of the steps**" in body
    assert at.metric[0].value == f"{res.cost:,}"
    assert at.metric[1].value == f"{res.full_grid_cost:,}"
    # grid against random: the other sampling's pick
    assert f"would pick lr = {fmt_lr(other.best_lr)} (loss {other.best_loss:.3f})" in body
    # stage 1: which rates diverged, how many are worth refining
    c = res.coarse
    init = c.history.val_loss[0, 0]
    drop = np.where(c.diverged, -np.inf, init - c.final_loss)
    worth = int((drop >= 0.5 * drop.max()).sum())
    assert f"{worth} got at least 50% as far down as the best one" in body
    if c.diverged.any():
        assert f"{int(c.diverged.sum())} diverged" in body
    n_charts = 3
    if full:
        lrs, loss, h = full_grid(
            p["model"], p["lo"], p["hi"], res.full_grid_points, p["epochs2"], p["seed"]
        )
        b = int(np.argmin(loss))
        assert f"picks lr = {fmt_lr(lrs[b])} with validation loss {loss[b]:.3f}" in body
        assert f"(run here too, {int(h.examples.sum()):,} examples)" in body
    else:
        assert "**Check:**" not in body
    if eta is not None:
        hv = halving(
            p["model"], p["lo"], p["hi"], res.full_grid_points, p["epochs2"], eta, p["seed"]
        )
        assert f"(η = {eta}) over the full grid's {res.full_grid_points} rates" in body
        assert (
            f"It spent {hv.grad_evals_used:,} minibatch steps instead of {hv.grad_evals_all:,}"
            in body
        )
        assert f"**{hv.grad_evals_all - hv.grad_evals_used:,} steps saved**" in body
        if math.isfinite(hv.best_lr):
            assert f"The last survivor is **lr = {fmt_lr(hv.best_lr)}**" in body
        assert at.metric[2].value == f"{hv.examples_used:,}"
        n_charts += 1
    else:
        assert "Successive halving**" not in body and len(at.metric) == 2
    assert len(at.get("plotly_chart")) == n_charts


@pytest.fixture(scope="module")
def page():
    return open_page(PAGE)


def test_defaults_show_the_engine_numbers(page):
    at = page
    assert at.title[0].value == "Coarse-to-fine search"  # this page, not the default one
    assert at.select_slider(key="cf_range").value == (1e-7, 1.0)
    assert at.select_slider(key="cf_subset").value == 0.2
    assert at.segmented_control(key="cf_model").value == "softmax"
    assert at.slider(key="cf_points").value == 8
    check_numbers(at, DEFAULTS)
    res = expect(DEFAULTS)
    # at the defaults, the search is several times cheaper than the full grid and finds the
    # same rate; stage 1's best is the top of the range, and the page says so
    assert res.savings > 4
    assert res.coarse.best == res.coarse.lrs.size - 1
    assert "is the **largest** you tried" in at.info[0].value
    body = texts(at)
    assert "5 of 8 stalled (1e-7 … 0.001" in body


def test_every_widget_at_its_expensive_extreme():
    at = open_page(PAGE)
    at.segmented_control(key="cf_model").set_value("MLP")
    at.select_slider(key="cf_range").set_range(DECADES[0], DECADES[-1])
    at.select_slider(key="cf_subset").set_value(0.05)
    at.slider(key="cf_ep1").set_value(1)
    at.segmented_control(key="cf_decades").set_value(2)
    assert (at.slider(key="cf_points").max, at.slider(key="cf_ep2").max) == (10, 8)
    at.slider(key="cf_points").set_value(10)
    at.slider(key="cf_ep2").set_value(8)
    at.segmented_control(key="cf_sampling").set_value("random")
    at.number_input(key="cf_seed").set_value(999)
    at.segmented_control(key="cf_eta").set_value(2)
    at.toggle(key="cf_full").set_value(False)  # the brute force is checked at the defaults
    at.run()
    p = dict(
        DEFAULTS,
        model="MLP",
        hi=1,
        subset=0.05,
        epochs1=1,
        decades=2,
        points=10,
        epochs2=8,
        sampling="random",
        seed=999,
    )
    check_numbers(at, p, full=False, eta=2)


def test_cheap_extremes_a_one_decade_range_and_the_checks_off():
    at = open_page(PAGE)
    at.select_slider(key="cf_range").set_range(0.01, 0.01)
    at.select_slider(key="cf_subset").set_value(1.0)
    at.slider(key="cf_ep1").set_value(10)
    at.slider(key="cf_points").set_value(3)
    at.slider(key="cf_ep2").set_value(1)
    at.toggle(key="cf_full").set_value(False)
    at.toggle(key="cf_halving").set_value(False)
    at.run()
    # one decade is not a range: the page says so and searches 0.01 ... 0.1
    assert "searching 0.01 … 0.1 instead" in at.warning[0].value
    p = dict(DEFAULTS, lo=-2, hi=-1, subset=1.0, epochs1=10, points=3, epochs2=1)
    check_numbers(at, p, full=False, eta=None)
    assert at.segmented_control(key="cf_eta").disabled  # η means nothing without halving
    at.toggle(key="cf_halving").set_value(True).run()
    at.segmented_control(key="cf_eta").set_value(4).run()
    check_numbers(at, p, full=False, eta=4)


def test_a_link_reopens_the_view():
    query = {
        "cf_model": "MLP",
        "cf_range": ["1e-6", "10"],
        "cf_sampling": "random",
        "cf_seed": "3",
        "cf_decades": "2",
        "cf_subset": "50%",
        "cf_full": "false",
    }
    at = open_page(PAGE, query)
    assert at.segmented_control(key="cf_model").value == "MLP"
    assert at.select_slider(key="cf_range").value == (1e-6, 10.0)
    assert at.segmented_control(key="cf_sampling").value == "random"
    assert at.number_input(key="cf_seed").value == 3
    assert at.segmented_control(key="cf_decades").value == 2
    assert at.select_slider(key="cf_subset").value == 0.5
    assert at.toggle(key="cf_full").value is False
    p = dict(DEFAULTS, model="MLP", lo=-6, hi=1, sampling="random", seed=3, decades=2, subset=0.5)
    check_numbers(at, p, full=False)
    assert expect(p).coarse.diverged[-1]  # 10 diverges on the MLP, and the page says so
    assert "1 diverged (10)" in texts(at)
    assert not at.info  # the best stage-1 rate (1) is inside the range: no edge warning


def test_malformed_link_falls_back_to_the_defaults():
    query = {
        "cf_range": ["banana", "1e99"],
        "cf_points": "lots",
        "cf_subset": "7%",
        "cf_eta": "9",
        "cf_model": "<script>",
        "cf_seed": "-4",
        "cf_ep2": "1e9",
    }
    at = open_page(PAGE, query)
    assert at.select_slider(key="cf_range").value == (1e-7, 1.0)
    assert at.slider(key="cf_points").value == 8
    assert at.select_slider(key="cf_subset").value == 0.2
    assert at.segmented_control(key="cf_model").value == "softmax"
    assert at.number_input(key="cf_seed").value == 0
    assert at.slider(key="cf_ep2").value == 5
    check_numbers(at, DEFAULTS)


def test_lecture_mode():
    at = open_page(PAGE, lecture=True)
    labels = [e.label for e in at.expander]
    assert "What to try, what to notice" in labels  # narrative folded away
    check_numbers(at, DEFAULTS)


def test_predict_reveals_the_count_from_the_run(page):
    at = page
    radio = at.radio(key="cf_quiz")
    res = expect(DEFAULTS)
    c = res.coarse
    drop = c.history.val_loss[0, 0] - c.final_loss
    worth = int((drop >= 0.5 * drop.max()).sum())
    assert worth == 2  # 0.1 and 1: "only one or two"
    radio.set_value(radio.options[0]).run()
    assert_ok(at)
    assert "the answer is **Only one or two**" in at.warning[0].value
    assert f"{worth} of {c.lrs.size}." in at.warning[0].value
    radio.set_value(radio.options[2]).run()
    assert at.success and at.success[0].value.startswith("Right.")
