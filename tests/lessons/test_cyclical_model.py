"""The model of "Cyclical schedules" without Streamlit: rates against the schedules' own
classes, runs against an independent training, captions against the arrays the charts draw,
the race's verdicts against its numbers, and the bounds a range test hands over."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from engine import fmt
from engine.data import load_dataset
from engine.models import ModelSpec
from engine.schedules import Constant, CosineWarmRestarts, Cyclic, OneCycle
from engine.train import classify_run, train
from engine.verdict import NEVER, Kind
from lessons.cyclical import model
from lessons.cyclical.figures import loss_figure, schedule_figure
from lessons.cyclical.model import FromRangeTest, Params
from lessons.ui import fields as F
from lessons.ui import guide
from lessons.ui.common import snap
from tests.takehome.helpers import carries
from tests.takehome.helpers import run as run_code

IPE = 23  # ceil(1438 / 64)


@pytest.fixture(scope="module")
def default():
    return model.compute(Params())


@pytest.fixture(scope="module")
def guided():
    (step,) = [s for s in guide.PLAN if s.path == "lessons/cyclical/page.py"]
    p, notes = F.from_query(Params, step.query)
    assert notes == [] and p.schedules == ("triangular", "onecycle")
    return model.compute(p)


@pytest.fixture(scope="module")
def upper(guided):
    """The guide's second view: the constant rate at the upper bound."""
    return model.compute(replace(guided.params, const_at="max"))


def test_rates_are_the_schedules_own(default):
    assert default.ipe == IPE and default.total == 12 * IPE and default.step == 2 * IPE
    t = np.arange(default.total)
    expected = {
        "constant": Constant(0.15),
        "triangular": Cyclic(0.15, 0.6, 2 * IPE),
        "triangular2": Cyclic(0.15, 0.6, 2 * IPE, mode="triangular2"),
        "exp_range": Cyclic(0.15, 0.6, 2 * IPE, mode="exp_range", gamma=0.995),
        "onecycle": OneCycle(0.6, 12 * IPE, div_factor=4.0, final_div_factor=1e4),
    }
    assert default.keys == tuple(expected)
    for k, sched in expected.items():
        np.testing.assert_allclose(default.lrs[default.index(k)], sched.lr(t), rtol=1e-12)
    sgdr = model.compute(Params(schedules=("sgdr",), epochs=2))
    np.testing.assert_allclose(
        sgdr.lrs[1], CosineWarmRestarts(0.6, T_0=4 * IPE, eta_min=0.15).lr(np.arange(2 * IPE))
    )


def test_runs_are_an_independent_training(default):
    """All schedules train at once (one engine call); each row is the run of its own."""
    data = load_dataset("digits")
    spec = ModelSpec("mlp", 64, 10, hidden=(32,))
    k = default.index("exp_range")
    rates = default.lrs[k]
    h = train(
        spec, data, [rates[0]], epochs=12, batch_size=64, seed=0, schedule=rates, eval_every=11
    )
    np.testing.assert_allclose(h.val_acc[0], default.history.val_acc[k], rtol=1e-12)
    np.testing.assert_allclose(h.train_loss[0], default.history.train_loss[k], rtol=1e-12)
    finals = default.history.final_val_loss
    kind, text = classify_run(default.history, k, reference=float(np.min(finals)))
    run = default.runs[k]
    assert (run.kind, run.text) == (kind, text)
    hit = np.flatnonzero(h.val_acc[0] >= 0.95)[0]
    assert run.reach_iter == h.eval_iters[hit] and run.reach == h.eval_iters[hit] / IPE
    # the loss chart's points are the means of the batch losses over bins of iterations
    w = default.bin_width
    assert w == IPE // 4
    for j, x in enumerate(default.loss_x):
        lo = j * w
        hi = len(h.train_loss[0]) if j == len(default.loss_x) - 1 else lo + w
        assert x == pytest.approx((lo + hi - 1) / 2 / IPE)
        assert default.loss_y[k, j] == pytest.approx(np.mean(h.train_loss[0, lo:hi]))


def test_the_schedule_caption_states_what_the_chart_draws(default):
    caption = model.schedule_caption(default)
    assert "A cycle climbs from 0.15 to 0.6 in 46 iterations" in caption
    assert "3 cycles in 12 epochs (276 iterations)" in caption
    assert "The run ends at the end of a cycle" in caption
    # exp_range: the last peak's height above the lower bound, as a share of the first's,
    # read off the drawn rates (the old caption said gamma^276 = 25%; the chart shows ~40%)
    row = default.lrs[default.index("exp_range")]
    cycles = row.reshape(3, 4 * IPE)  # one row per cycle (up and down: twice the step)
    first, last = cycles[0].max() - 0.15, cycles[-1].max() - 0.15
    assert f"reaches {fmt.pct(last / first)} of the first one's height" in caption
    assert fmt.pct(last / first) == "40%" and fmt.pct(0.995**276) == "25%"
    # 1cycle: from the lower bound up to the upper one, then down to lower bound / 1e4
    one = default.lrs[default.index("onecycle")]
    assert one[0] == pytest.approx(0.15) and one[-1] == pytest.approx(0.15 / 1e4)
    top = int(np.argmax(one))
    assert f"over the first {fmt.pct((top + 1) / 276)} of the run" in caption
    assert fmt.pct((top + 1) / 276) == "30%"
    assert f"anneals along a cosine to {fmt.rate(one[-1])}" in caption


def test_captions_of_runs_that_stop_mid_cycle_or_before_a_peak():
    r = model.compute(Params(schedules=("triangular", "exp_range"), epochs=2, step=10.0))
    caption = model.schedule_caption(r)
    assert "This run ends before the first peak" in caption
    assert f"climbs to {fmt.rate(float(r.lrs[1].max()))}" in caption
    assert "reaches no peak in this run" in caption
    assert "of the way through a cycle" in caption


def _agree(r) -> None:
    """The race's words, the question's answer and the verdict lines tell one story."""
    race = r.race
    q = model.question(r.params, r)
    assert q.answer == race.answer
    head = model.race_headline(r)
    for key in race.fastest:
        run = r.runs[r.index(key)]
        assert run.finished and run.kind != Kind.DIVERGED
        assert run.reach == race.first
        assert f"**{r.label_of[key]}" in head or r.label_of[key] in head
    const = r.runs[0]
    if race.answer == model.CYCLE_WINS:
        assert race.constant is None or race.first < race.constant
        assert "Smith's headline claim" in head or "never did" in head
    elif race.answer == model.CONSTANT_WINS:
        assert const.finished and "Smith's claim does not show up" in head
    for x, row in zip(r.runs, model.rows(r.params, r), strict=True):
        assert row.label == x.label and row.kind == x.kind
        assert (row.kind == Kind.DIVERGED) == x.diverged
        assert ("never reached" in row.text) == (x.reach is None)


def test_labels_and_verdicts_agree_at_the_defaults_and_the_guides_views(default, guided, upper):
    for r in (default, guided, upper):
        _agree(r)
    # the guide's words: the cycles win against the lower bound, the fixed rate at the upper
    assert guided.race.answer == model.CYCLE_WINS
    assert "Smith's headline claim" in model.race_headline(guided)
    assert upper.race.answer == model.CONSTANT_WINS
    assert guided.race.constant / guided.race.first == pytest.approx(2.2, abs=0.3)  # "half"


def test_a_run_that_blows_up_never_wins_the_race():
    r = model.compute(Params(lo=1e-4, hi=10.0, schedules=("triangular",), epochs=2))
    tri = r.runs[1]
    assert tri.diverged and tri.diverged_at != NEVER and not tri.finished
    assert "triangular" not in r.race.fastest
    _agree(r)
    table = model.table(r)
    assert table["verdict"].iloc[1] == f"diverged at iteration {tri.diverged_at}"
    assert table["train loss, last epoch"].iloc[1] == fmt.MISSING
    fig = loss_figure(
        r.loss_x,
        r.loss_y,
        list(r.labels),
        r.ipe,
        raw=r.history.train_loss,
        diverged_at=[x.diverged_at for x in r.runs],
    )
    marks = [t for t in fig.data if t.mode == "markers+text"]
    assert marks and marks[0].text[0] == f"diverged at iteration {tri.diverged_at}"


def test_sentences_and_tables_quote_the_runs(default):
    table = model.table(default)
    assert (
        list(table["schedule"])
        == list(default.labels)
        == [
            "Constant 0.15",
            "Triangular",
            "Triangular2",
            "Exp-range",
            "1cycle",
        ]
    )
    for x, shown in zip(default.runs, table["epochs to 95%"], strict=True):
        assert shown == model.epochs(x.reach)
    finals = model.finals_sentence(default)
    low = min(x.final_loss for x in default.runs)
    assert f"({fmt.loss(low)})" in finals and "of 359" in finals
    assert model.accuracy_caption(default).startswith("Validation accuracy, measured every 11")
    csv = model.table_csv(default)
    np.testing.assert_array_equal(csv["final_val_acc"], [x.final_acc for x in default.runs])


def test_range_test_bounds_are_snapped_and_said():
    b = FromRangeTest(0.33, 1.34, "range test on digits/MLP, seed 0")
    p = model.from_range_test(b)
    assert (p.lo, p.hi) == (snap(0.33, model.LR_GRID), snap(1.34, model.LR_GRID)) == (0.3, 1.5)
    words = model.bounds_sentence(p)
    assert words.startswith("Bounds from `range test on digits/MLP, seed 0`: ")
    assert "max_lr 1.34 from the range test, shown as **1.5**" in words
    assert "min_lr 0.33 from the range test, shown as **0.3**" in words
    # on the grid already: nothing to say about snapping
    p = model.from_range_test(FromRangeTest(0.1, 0.4, "x"))
    assert "shown as" not in model.bounds_sentence(p) and "max_lr 0.4" in model.bounds_sentence(p)
    # two bounds that snap to one value: min goes one notch below max
    p = model.from_range_test(FromRangeTest(0.31, 0.32, "x"))
    assert (p.lo, p.hi) == (0.2, 0.3)
    # moved by hand: said, and the range test's values are still named
    hand = replace(model.from_range_test(b), hi=1.0)
    assert model.snapped(hand) == (0.3, 1.5)
    words = model.bounds_sentence(hand)
    assert words.startswith("Bounds set by hand: min_lr = 0.3, max_lr = 1")
    assert "found min_lr = 0.33 and max_lr = 1.34" in words


def test_a_links_source_text_cannot_format_the_page():
    p, notes = F.from_query(
        Params,
        {"cy_from": ["`**x**` [a](http://b)"], "cy_rt_min": ["0.1"], "cy_rt_max": ["0.4"]},
    )
    assert notes == []
    words = model.bounds_sentence(replace(p, lo=0.1, hi=0.4))
    assert "`'**x**' [a](http://b)`" in words  # in a code span: shown as typed
    # bounds that are not two rates, min below max, are ignored
    assert model.range_test_of(replace(p, rt_min=0.5)) is None
    assert model.range_test_of(Params()) is None
    assert model.bounds_sentence(Params()).startswith("Default bounds")


def test_bounds_the_wrong_way_round_or_equal():
    assert "using them the other way round" in model.bounds_note(Params(lo=0.6, hi=0.15))
    assert "nothing to cycle" in model.bounds_note(Params(lo=0.6, hi=0.6))
    assert model.bounds_note(Params()) is None
    assert model.schedules_note(Params(schedules=())).startswith("No schedule chosen")


def test_old_link_spellings_open_the_same_view():
    p, notes = F.from_query(
        Params,
        {
            "cy_min": ["0.0001"],
            "cy_sched": ["Triangular", "1cycle"],
            "cy_const": ["upper bound"],
            "cy_target": ["96%"],
            "cy_gamma": ["0.9995"],
            "cy_step": ["0.5"],
        },
    )
    assert notes == []
    assert (p.lo, p.schedules, p.const_at, p.target, p.gamma, p.step) == (
        1e-4,
        ("triangular", "onecycle"),
        "max",
        0.96,
        0.9995,
        0.5,
    )
    assert F.to_query(p)["cy_sched"] == ["Triangular", "1cycle"]


def test_figures_draw_the_models_arrays(default):
    fig = schedule_figure(
        default.lrs,
        list(default.labels),
        IPE,
        bounds=(0.15, 0.6),
        styles=[model.STYLE[k] for k in default.keys],
        momentum=default.momentum,
        momentum_label="mom",
    )
    for row, tr in zip(default.lrs, fig.data, strict=False):
        np.testing.assert_array_equal(np.asarray(tr.y, dtype=float), row)
    assert fig.data[-1].yaxis == "y2" and fig.data[-1].y[0] == pytest.approx(0.95)
    # the legend under the chart (at the figure's bottom), away from the toolbar at the top
    legend = fig.layout.legend
    assert (legend.yref, legend.y, legend.yanchor) == ("container", 0, "bottom")
    assert fig.layout.margin.t >= 40
    texts = " ".join(a.text for a in fig.layout.annotations)
    assert "upper bound 0.6" in texts and "lower bound 0.15" in texts
    loss = loss_figure(default.loss_x, default.loss_y, list(default.labels), IPE)
    np.testing.assert_array_equal(np.asarray(loss.data[1].y, dtype=float), default.loss_y[1])
    big = schedule_figure(default.lrs, list(default.labels), IPE, bounds=(0.15, 0.6), big=True)
    assert big.layout.font.size > fig.layout.font.size


def test_constant_rate_positions():
    assert model.constant_rate(0.15, 0.6, "mid") == pytest.approx(0.3)
    assert model.constant_rate(0.15, 0.6, "max") == 0.6
    assert math.isclose(model.constant_rate(0.1, 0.4, "min"), 0.1)


def test_take_home_code_carries_the_view_and_reproduces_the_race():
    """Every schedule (bounds given the wrong way round, the constant at the middle): the engine
    code rebuilds the page's rates and runs bit for bit; the PyTorch code builds each torch
    scheduler with the page's values, never cycling plain SGD's momentum."""
    p = Params(
        lo=0.3, hi=0.1, schedules=model.CYCLICAL, const_at="mid", step=0.5, epochs=2, gamma=0.98,
        seed=5,
    )  # fmt: skip
    r = model.compute(p)
    th = model.takehome(p, r)
    step, total = r.step, r.total
    assert (step, total) == (12, 46)
    carries(th.engine.source, 0.1, 0.3, r.const, step, 0.98, total, 2 * step, 2, 5, *r.labels)
    src = th.torch.source
    carries(src, 0.1, 0.3, r.const, float(step), 0.98, total, 2 * step, 2, 5, *r.labels)
    carries(src, "triangular", "triangular2", "exp_range", False)
    for name in ("CyclicLR", "OneCycleLR", "CosineAnnealingWarmRestarts", "LambdaLR"):
        assert f"torch.optim.lr_scheduler.{name}(" in src
    assert src.count("cycle_momentum=False,") == 4 and "cycle_momentum=True" not in src
    ns = run_code(th.engine.source)
    assert list(ns["schedules"]) == list(r.labels)
    np.testing.assert_array_equal(ns["rates"], r.lrs)
    h = ns["history"]
    np.testing.assert_array_equal(h.train_loss, r.history.train_loss)
    np.testing.assert_array_equal(h.lr, r.history.lr)
    np.testing.assert_array_equal(h.val_acc, r.history.val_acc)
    np.testing.assert_array_equal(h.eval_iters, r.history.eval_iters)
