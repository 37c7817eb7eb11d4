"""The model of Four regimes, without Streamlit: the measured rates show four distinct regimes
on every model and data set (by the engine's classifier), its runs are the engine's, and its
sentences and captions state the numbers the charts show."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from engine import fmt
from engine.data import load_dataset
from engine.train import classify_run, train
from engine.verdict import Kind
from lessons.four_regimes import model
from lessons.four_regimes.curves import smooth_losses
from lessons.four_regimes.model import Params
from lessons.ui import guide
from lessons.ui.common import data_and_spec
from tests.takehome.helpers import carries
from tests.takehome.helpers import run as run_code

COMBOS = [(m, d) for m in model.MODELS for d in ("digits", "moons", "spirals")]


@functools.lru_cache(maxsize=32)
def run(p: Params) -> model.Result:
    return model.compute(p)


def engine_kind(h, k) -> Kind:
    return Kind(classify_run(h, k)[0])


@pytest.mark.parametrize(("mdl", "data"), COMBOS)
def test_the_measured_rates_show_four_distinct_regimes(mdl, data):
    """At the page's defaults, on every model and data set, by the engine's classifier on an
    independent training of the four rates: very high diverges, high ends clearly above good
    (it plateaus, or ends at twice good's loss or more), good converges fast, low still creeps;
    and every row's verdict is its slot's regime (labels and verdicts agree)."""
    p = Params(model=mdl, data=data)
    r = run(p)
    vh, hi, good, low = r.rates
    assert vh > hi > good > low and all(x in model.LR_GRID for x in r.rates)
    h = r.history
    if (mdl, data) == ("softmax", "digits"):  # the page's runs are the engine's, trained alone
        _, spec = data_and_spec(data, mdl)
        alone = train(spec, load_dataset(data), list(r.rates), epochs=10, batch_size=64, seed=0)
        np.testing.assert_array_equal(alone.train_loss, h.train_loss)
        np.testing.assert_array_equal(alone.final_val_loss, h.final_val_loss)
    kinds = [engine_kind(h, k) for k in range(4)]
    assert kinds[0] == Kind.DIVERGED
    assert kinds[2] == Kind.CONVERGED
    assert kinds[3] == Kind.SLOW
    assert not h.diverged[1]
    assert kinds[1] == Kind.PLATEAU or h.final_val_loss[1] >= 2 * h.final_val_loss[2]
    # each row is its slot's regime
    assert list(r.kinds) == [want for _, _, want in model.SLOTS]
    for row in model.rows(p, r):
        assert "does not show" not in row.text


def test_the_guides_link_opens_the_measured_defaults():
    (step,) = [s for s in guide.PLAN if s.path == "lessons/four_regimes/page.py"]
    assert step.query == {}
    r = run(Params())
    words = f"{step.show} {step.ask} {step.see}"
    for lr in r.rates:
        assert model.rate_label(lr) in words  # the guide quotes the measured rates
    rows = model.rows(Params(), r, answered=False)
    assert rows[model.QUIZ_RUN].kind == Kind.PENDING and step.expect in str(rows[1].kind)
    assert f"diverges at iteration {int(r.history.diverged_at[0])}" in step.see


def test_the_suggestion_is_measured_and_deterministic():
    p = Params(model="softmax", data="moons")
    a, b = model.compute(p), model.compute(p)
    assert a.rates == b.rates and a.suggestion.tried == b.suggestion.tried
    s = a.suggestion
    assert s.scale_found and min(s.tried) <= s.scale * 1e-3 * 1.5 and max(s.tried) == 1e4
    finals = dict(zip(s.tried, s.finals, strict=True))
    vh, hi, good, low = s.rates
    alive = [r for r, f in finals.items() if np.isfinite(f)]
    assert finals[good] == min(finals[r] for r in alive)  # the lowest validation loss
    assert not np.isfinite(finals[vh]) and vh >= model.PAST_DIVERGENCE * max(alive)
    assert low <= good / model.LOW_DIVISOR
    words = model.suggestion_sentence(a)
    assert f"good = {fmt.rate(good)}" in words and f"lr = {fmt.rate(s.scale)}" in words


def test_rates_set_by_the_learner_are_trained_as_given():
    p = Params(vhigh=100.0, high=5.0, good=0.5, low=0.00015, epochs=2, seed=7, data="moons")
    r = run(p)
    assert r.suggestion is None and r.rates == (100.0, 5.0, 0.5, 0.00015)
    d, spec = data_and_spec("moons", "softmax")
    h = train(spec, load_dataset("moons", seed=7), list(r.rates), epochs=2, batch_size=64, seed=7)
    np.testing.assert_array_equal(r.history.final_val_loss, h.final_val_loss)
    assert model.suggestion_sentence(r) is None
    # a rate that does not show its slot's regime says so
    for row, kind in zip(model.rows(p, r), r.kinds, strict=True):
        slot = row.label.split(",")[0]
        want = {name: k for name, _, k in model.SLOTS}[slot]
        assert ("does not show the" in row.text) == (kind != want)
    # a link that sets some rates: the others are measured
    r = run(Params(high=30.0))
    assert r.rates[1] == 30.0 and r.rates[0] == run(Params()).rates[0]


def test_the_question_is_answered_by_the_run():
    p = Params()
    r = run(p)
    q = model.question(p, r)
    assert q.options[q.answer] == model.QUIZ_OPTIONS[model.QUIZ_KINDS.index(r.kinds[1])]
    assert r.texts[1] in q.explanation and f"lr = {fmt.rate(r.rates[1])}" in q.text
    assert model.shown_runs(r, answered=False) == (0, 2, 3)


def test_captions_state_the_numbers_the_charts_show():
    r = run(Params())
    h = r.history
    runs = (0, 1, 2, 3)
    c = model.loss_curves(r, runs)
    w = max(1, round(h.iters_per_epoch / 2))
    assert f"the last {w} minibatches" in model.loss_caption(r, c)
    np.testing.assert_array_equal(c.y, smooth_losses(h.train_loss, w, ends=h.diverged_at))
    r2 = run(Params(curve="epoch mean"))
    c2 = model.loss_curves(r2, runs)
    assert f"({h.iters_per_epoch} minibatches" in c2.what and c2.x[-1] == 10
    assert "(1 in 10)" in model.acc_caption(r)
    alt = model.alt(r, runs, "Training loss")
    assert fmt.loss(h.final_val_loss[2]) in alt and "diverged at iteration" in alt
    titles, blank = model.region_titles(run(Params(data="moons")))
    assert titles[0].endswith("diverged") and blank[0].startswith("diverged at iteration")
    assert titles[2].endswith("%")


def test_tables_name_the_regimes_even_when_one_is_withheld():
    r = run(Params())
    df = model.table(r, (0, 2, 3))
    assert set(df["regime"]) == {"very high", "good", "low"}
    assert set(model.val_table(r, (0, 1, 2, 3))["run"]) == {0, 1, 2, 3}


@pytest.mark.parametrize(
    "p",
    [
        Params(model="MLP", data="moons", epochs=3, batch=32, seed=4),
        Params(vhigh=100.0, high=5.0, good=0.5, low=0.00015, epochs=2, batch=128, seed=7),
    ],
    ids=["measured", "set"],
)
def test_take_home_code_carries_the_view_and_reproduces_the_runs(p):
    """The engine code trains the four rates the page trained (the measured ones, read from the
    Result) with the page's model, data, epochs, batch size and seed, bit for bit."""
    r = run(p)
    th = model.takehome(p, r)
    values = [*r.rates, p.model.lower(), p.data, p.epochs, p.batch, p.seed]
    carries(th.engine.source, *values)
    carries(th.torch.source, *values)
    assert ("measured by the page" in th.engine.source) == (r.suggestion is not None)
    assert "torch.optim.SGD(model.parameters(), lr=lr)" in th.torch.source
    h = run_code(th.engine.source)["history"]
    for name in ("train_loss", "lr", "val_loss", "val_acc", "diverged_at"):
        np.testing.assert_array_equal(getattr(h, name), getattr(r.history, name))
