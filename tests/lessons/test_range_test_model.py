"""The model of "Range test" without Streamlit: the run and the "try it" runs against
independent engine calls, its sentences against its numbers, the hand-off link to the
Cyclical schedules page, and labels against verdicts for every rule the page can try."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from engine import fmt
from engine.data import load_dataset
from engine.models import ModelSpec
from engine.range_test import range_test
from engine.train import classify_run, train
from engine.verdict import Kind
from lessons.cyclical import model as cyclical
from lessons.range_test import model
from lessons.range_test.figures import SWATCH, label_rows, mark_label, range_test_figure
from lessons.range_test.model import Params
from lessons.ui import fields as F
from lessons.ui import guide
from lessons.ui.common import snap
from lessons.ui.style import PALETTE, color, for_dark
from tests.takehome.helpers import carries
from tests.takehome.helpers import run as run_code


@pytest.fixture(scope="module")
def default():
    return model.compute(Params())


@pytest.fixture(scope="module")
def guided():
    """The teacher's guide's view of this page."""
    (step,) = [s for s in guide.PLAN if s.path == "lessons/range_test/page.py"]
    p, notes = F.from_query(Params, step.query)
    assert notes == [] and p.rule == "valley"
    return model.compute(p)


@pytest.fixture(scope="module")
def other_rules(default):
    """Every other rule the page can try, on a short ramp and for one epoch (cheap)."""
    return [
        model.compute(Params(rule=rule, epochs=1, iters=50))
        for rule in model.RULES
        if rule not in ("Smith: max", "valley")
    ]


def test_the_run_is_the_engines(default):
    data = load_dataset("digits")
    spec = ModelSpec("mlp", data.n_features, data.n_classes, hidden=(32,))
    ref = range_test(spec, data, min_lr=1e-5, max_lr=10.0, num_iter=300, seed=0, batch_size=64)
    run = default.run
    np.testing.assert_array_equal(run.lrs, ref.lrs)
    np.testing.assert_array_equal(run.loss, ref.loss)
    np.testing.assert_array_equal(run.smooth, ref.smooth)
    assert [(s.rule, s.lr, s.reason) for s in default.suggestions] == [
        (s.rule, s.lr, s.reason) for s in ref.suggestions()
    ]
    assert default.smith.max_lr.lr == ref.smith().max_lr.lr
    # the defaults show the point: the loss falls, then the run blows up past Smith's max
    b = default.smith
    assert default.stopped and b.start.lr < b.max_lr.lr < run.lrs[-1]


def test_try_runs_are_an_independent_training(default):
    data = load_dataset("digits")
    spec = ModelSpec("mlp", 64, 10, hidden=(32,))
    lr = default.smith.max_lr.lr
    assert default.tried.rule == "Smith: max" and default.rates == (lr / 10, lr, lr * 10)
    h = train(spec, data, [lr / 10, lr, lr * 10], epochs=5, batch_size=64, seed=0, eval_every=5)
    np.testing.assert_array_equal(h.val_loss, default.history.val_loss)
    for k, row in enumerate(model.try_rows(default)):
        kind, text = classify_run(h, k)
        assert row.text.startswith(text) and row.kind == kind
    assert [row.kind for row in model.try_rows(default)][2] == Kind.DIVERGED
    # at the defaults ten times Smith's max blows up, and the question says so
    q = model.question(default.params, default)
    assert q.options[q.answer] == "It blows up: the loss diverges"
    assert "past the range test's max (0.412)" in q.explanation


def test_sentences_quote_the_runs_numbers(default):
    run, b = default.run, default.smith
    words = model.run_words(default)
    assert f"stopped after {run.n} of {run.num_iter} iterations" in words
    assert f"at lr = {fmt.rate(run.lrs[-1])}: {run.stop_reason}" in words
    assert f"max_lr = {fmt.rate(b.max_lr.lr)}" in model.smith_words(default)
    caption = model.chart_caption(default)
    assert f"the {run.n} batch losses" in caption
    assert f"lowest {fmt.loss(float(np.nanmin(run.smooth)))}" in caption
    for s in default.suggestions:
        assert f"= {fmt.rate(s.lr)}" in caption
    assert "black" not in caption  # drawn light in the dark theme
    table = model.suggestion_table(default)
    assert list(table["learning rate"]) == [fmt.rate(s.lr) for s in default.suggestions]
    # the recipe is the page's own words, with its source, not a long quotation
    assert "WACV 2017, §3.3" in model.SMITH_STEPS and ">" not in model.SMITH_STEPS


def test_the_handoff_link_opens_the_cyclical_page_at_smiths_bounds(default):
    b = default.smith
    q = model.handoff_query(default)
    p, notes = F.from_query(cyclical.Params, q)
    assert notes == []
    assert p.hi == snap(float(fmt.rate(b.max_lr.lr)), cyclical.LR_GRID)
    assert p.lo == snap(float(fmt.rate(b.min_lr.lr)), cyclical.LR_GRID, hi=p.hi)
    assert (p.rt_min, p.rt_max) == (float(fmt.rate(b.min_lr.lr)), float(fmt.rate(b.max_lr.lr)))
    assert p.source == "range test on digits/MLP, exponential ramp, seed 0"
    assert p.lo < p.hi and p.lo in cyclical.LR_GRID and p.hi in cyclical.LR_GRID
    words = model.handoff_words(default)
    assert f"shows them as {fmt.rate(p.lo)} and {fmt.rate(p.hi)}" in words
    # the cyclical page says so, in its own words
    assert "max_lr 0.412 from the range test, shown as **0.4**" in cyclical.bounds_sentence(p)


def _agree(r) -> None:
    """Every label and verdict of one view says the same thing as the numbers."""
    assert r.tried is not None
    lr = float(r.tried.lr)
    assert r.rates == (lr / 10, lr, lr * 10)
    labels = model.try_labels(r)
    assert labels[0].startswith("10x lower") and labels[2].startswith("10x higher")
    assert labels[1].startswith(f"{r.tried.rule}, lr = {fmt.rate(lr)}")
    if r.tried.rule != r.params.rule:
        assert model.try_note(r) and f"trying *{r.tried.rule}*" in model.try_note(r)
    h = r.history
    rows = model.try_rows(r)
    assert [row.kind == Kind.DIVERGED for row in rows] == list(h.diverged)
    q = model.question(r.params, r)
    a = q.answer
    assert (a == model.BLOWS_UP) == (rows[2].kind == Kind.DIVERGED)
    if a != model.BLOWS_UP:
        lower = h.final_val_loss[2] < h.final_val_loss[1]
        assert (a == model.LOWER_LOSS) == lower
        assert ("lower than the suggestion" in rows[2].text) == lower
    top = r.smith.max_lr.lr
    if top is not None:
        past = r.rates[2] > top
        assert ("past the range test's max" in q.explanation) == past
        assert ("below the range test's max" in q.explanation) == (not past)


def test_labels_and_verdicts_agree_for_every_rule_and_the_guide(default, guided, other_rules):
    for r in (default, guided, *other_rules):
        _agree(r)
    tried = {r.tried.rule for r in (default, guided, *other_rules)}
    assert tried == set(model.RULES)


def test_the_guides_words_hold(guided):
    q = model.question(guided.params, guided)
    assert q.text.startswith("The *valley* rule suggests lr =")
    assert fmt.rate(guided.tried.lr) == "0.065"  # "about 0.065" in the guide
    assert q.options[q.answer].startswith("It trains fine, and ends with a lower loss")
    assert fmt.rate(guided.smith.max_lr.lr).startswith("0.41")  # "Smith: max (0.41)"


def test_a_range_with_no_suggestion_hands_nothing_on():
    r = model.compute(Params(lo=1e-7, hi=1e-6, iters=30))
    assert all(s.lr is None for s in r.suggestions)
    assert r.tried is None and model.question(r.params, r) is None
    assert "No rule gave a suggestion on this run" in model.try_note(r)
    assert model.handoff(r) is None and model.handoff_query(r) == {}
    assert "no bounds to hand on" in model.handoff_words(r)
    table = model.suggestion_table(r)
    assert set(table["learning rate"]) == {"no suggestion"}


def test_a_run_without_a_max_tries_the_first_rule_that_answers():
    r = model.compute(Params(hi=0.1, epochs=1))
    assert r.smith.max_lr.lr is None and model.handoff(r) is None
    assert r.tried.rule == "steepest"
    assert model.try_note(r).startswith("*Smith: max* gave no suggestion (")
    q = model.question(r.params, r)
    assert "This range test gave no max to compare with." in q.explanation


def test_ramp_ends_reversed_and_equal():
    p = Params(lo=1.0, hi=1e-4)
    assert model.ramp_ends(p) == (1e-4, 1.0)
    assert "using them the other way round" in model.ramp_note(p)
    p = Params(lo=1e-3, hi=1e-3)
    assert model.ramp_ends(p) == (1e-3, 10.0)
    assert "nothing to sweep" in model.ramp_note(p)
    assert model.ramp_note(Params()) is None


def test_the_accuracy_view_says_what_it_draws():
    r = model.compute(Params(view="accuracy", iters=50, val_every=10, epochs=1))
    run = r.run
    assert model.shows_accuracy(r) and run.val_iters.size > 3
    k = int(np.nanargmax(run.val_acc))
    assert f"peaks at {cyclical.acc(run.val_acc[k])} at lr = {fmt.rate(run.val_lrs[k])}" in (
        model.chart_caption(r)
    )


def test_old_link_spellings_still_open_the_same_view():
    p, notes = F.from_query(
        Params,
        {"rt_min": ["1e-4"], "rt_max": ["5e-1"], "rt_stop": ["off"], "rt_try": ["Smith: max"]},
    )
    assert notes == [] and (p.lo, p.hi, p.stop) == (1e-4, 0.5, math.inf)
    assert model.stop_factor(p.stop) is None
    assert F.to_query(p)["rt_max"] == ["5e-1"]  # the label the page always used


def test_rule_labels_never_overlap_on_a_phone(default):
    marks = model.marks(default)
    fig = range_test_figure(
        default.run.lrs,
        default.run.loss,
        default.run.smooth,
        marks,
        model.band(default),
        stop=model.stop_mark(default),
    )
    # the curves are the run's own numbers; the rule lines sit at the suggestions
    smooth = next(t for t in fig.data if t.name == "smoothed loss")
    np.testing.assert_array_equal(np.asarray(smooth.y, dtype=float), default.run.smooth)
    lines = [t for t in fig.data if t.showlegend is False]
    assert sorted(t.x[0] for t in lines) == sorted(m.lr for m in marks)
    # the labels: one per line, laid out so that none overlaps another on a 300 px plot
    span = fig.layout.xaxis.range
    xs = [math.log10(m.lr) for m in marks]
    texts = [SWATCH + m.label for m in marks]
    layout = label_rows(xs, texts, span, 11)
    boxes = []
    for x, text, (row, side) in zip(xs, texts, layout, strict=True):
        w = (0.56 * 11 * len(text) + 6) / (300 / (span[1] - span[0]))
        a, b = (x, x + w) if side == "left" else (x - w, x)
        assert span[0] <= a and b <= span[1]  # inside the plot
        boxes.append((row, a, b))
    for i, (r1, a1, b1) in enumerate(boxes):
        for r2, a2, b2 in boxes[i + 1 :]:
            assert r1 != r2 or b1 <= a2 or b2 <= a1
    notes = fig.layout.annotations  # each: a square in its line's colour, then its words
    assert sorted(a.text for a in notes) == sorted(
        mark_label(m.label, color(m.style)) for m in marks
    )
    # the legend sits under the chart; the top is kept free for the chart's toolbar
    legend = fig.layout.legend  # under the chart (at the figure's bottom)
    assert (legend.yref, legend.y, legend.yanchor) == ("container", 0, "bottom")
    assert fig.layout.margin.t >= 40
    # in the dark theme the smoothed curve (the palette's black) is drawn light
    dark = for_dark(fig)
    assert all(t.line.color != PALETTE[6] for t in dark.data if t.line and t.line.color)
    big = range_test_figure(default.run.lrs, default.run.loss, default.run.smooth, marks, big=True)
    assert big.layout.font.size > fig.layout.font.size
    assert big.layout.annotations[0].font.size > notes[0].font.size


def test_a_view_with_other_settings_is_another_run(default):
    r = model.compute(replace(Params(), data="moons", model="softmax", iters=50, epochs=1))
    assert r.run.n <= 50 and r.n_train == 320
    assert model.heading(r.params) == "The range test: softmax regression on the moons, plain SGD"


def test_take_home_code_carries_the_view_and_reproduces_the_run():
    """The engine code recomputes the range test and the "try it" runs bit for bit; the
    torch-lr-finder code carries the ramp, the smoothing and the stop (reversed ends as run)."""
    p = Params(
        data="moons", model="softmax", lo=20.0, hi=1e-4, iters=150, mode="linear", view="accuracy",
        beta=0.9, stop=5.0, val_every=10, seed=7, rule="valley", epochs=2,
    )  # fmt: skip
    r = model.compute(p)
    assert r.tried.rule == "valley"
    th = model.takehome(p, r)
    carries(th.engine.source, "moons", 1e-4, 20.0, 150, "linear", 0.9, 5.0, 10, 7, "valley", 2)
    carries(th.torch.source, "moons", 1e-4, 20.0, 150, "linear", 0.1, 5.0, 7)
    assert "LRFinder(model, optimizer, loss_fn)" in th.torch.source
    assert "torch-lr-finder" in th.torch.requires
    ns = run_code(th.engine.source)
    np.testing.assert_array_equal(ns["result"].lrs, r.run.lrs)
    np.testing.assert_array_equal(ns["result"].loss, r.run.loss)
    np.testing.assert_array_equal(ns["result"].val_acc, r.run.val_acc)
    assert ns["lr"] == r.tried.lr
    np.testing.assert_array_equal(ns["history"].lrs, r.rates)
    np.testing.assert_array_equal(ns["history"].train_loss, r.history.train_loss)
    np.testing.assert_array_equal(ns["history"].val_loss, r.history.val_loss)
    # no suggestion, nothing to try: the code stops after the range test
    quiet = model.compute(Params(lo=1e-7, hi=1e-6, iters=30))
    code = model.takehome(quiet.params, quiet).engine.source
    assert "range_test(" in code and "train(" not in code
