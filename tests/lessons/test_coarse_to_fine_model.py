"""The model of "Coarse-to-fine search" without Streamlit: its numbers against independent engine
calls and closed forms, its sentences against its numbers, one cost for the full grid, and
labels that never contradict their verdicts (at the defaults and at the teacher's guide link)."""

from __future__ import annotations

import contextlib
import functools
import io

import numpy as np
import pytest

from engine import fmt
from engine.data import load_dataset
from engine.models import ModelSpec
from engine.search import coarse_to_fine, successive_halving
from engine.train import train
from engine.verdict import Kind
from lessons.coarse_to_fine import model
from lessons.coarse_to_fine.model import Params, Status
from lessons.ui import fields as F
from lessons.ui import guide
from takehome import build_notebook
from tests.lessons.test_takehome_panels import extremes
from tests.takehome.helpers import carries, check_names

DATA = load_dataset("digits")


def spec(name: str) -> ModelSpec:
    return ModelSpec(name.lower(), 64, 10, hidden=(32,))


@functools.cache
def result(p: Params) -> model.Result:
    return model.compute(p)


@functools.cache
def engine_search(p: Params, lo: int, hi: int):
    return coarse_to_fine(
        spec(p.model),
        DATA,
        lo_exp=lo,
        hi_exp=hi,
        coarse_subset=p.subset,
        coarse_epochs=p.epochs1,
        refine_points=p.points,
        refine_decades=float(p.decades),
        refine_epochs=p.epochs2,
        batch_size=64,
        seed=p.seed,
        sampling=p.sampling,
    )


# ------------------------------------------------------------------ the defaults show the point


def test_the_defaults_pick_a_rate_inside_the_searched_range():
    """Stage 1's best rate has a searched decade on both sides, and so does the pick: the
    defaults show where training breaks, and no edge warning is owed."""
    r = result(Params())
    c, s = r.search.coarse, r.search
    assert 0 < c.best < c.lrs.size - 1
    assert c.loss[c.best + 1] > c.loss[c.best] < c.loss[c.best - 1]
    assert model.edge_note(r) is None
    lo, hi = s.interval
    assert lo < s.best_lr < hi and 10.0**r.lo_exp < s.best_lr < 10.0**r.hi_exp
    b = int(np.argmin(s.refine.loss))
    assert 0 < b < s.refine.lrs.size - 1  # stage 2's curve turns up on both sides of the pick


# ------------------------------------------------------------------ numbers against the engine


def test_search_numbers_are_the_engines():
    p = Params()
    r = result(p)
    res = engine_search(p, -7, 1)
    s = r.search
    np.testing.assert_allclose(s.coarse.lrs, 10.0 ** np.arange(-7, 2))
    np.testing.assert_array_equal(s.coarse.loss, res.coarse.final_loss)
    np.testing.assert_array_equal(s.refine.loss, res.refine.final_loss)
    assert (s.best_lr, s.best_loss, s.interval) == (res.best_lr, res.best_loss, res.interval)
    assert s.cost == res.cost == s.coarse.cost + s.refine.cost
    # no run diverges at the defaults: every run costs rates × images × epochs
    n_sub = res.coarse.history.n_train
    assert s.coarse.cost == 9 * n_sub * 3 and s.refine.cost == 8 * DATA.n_train * 5
    # the full fine grid: stage 2's density (7 steps per decade) over 8 decades
    assert r.grid_points == 8 * 7 + 1 == res.full_grid_points
    assert r.grid_cost == r.grid_points * DATA.n_train * p.epochs2 == res.full_grid_cost


def test_the_checks_are_the_engines():
    p = Params()
    r = result(p)
    lrs = 10.0 ** np.linspace(-7, 1, r.grid_points)
    h = train(spec("softmax"), DATA, lrs, epochs=5, batch_size=64, seed=0)
    np.testing.assert_array_equal(r.full.loss, h.final_val_loss)
    assert r.full.lrs[r.full.best] == lrs[np.argmin(h.final_val_loss)]
    hv = successive_halving(
        spec("softmax"), DATA, lrs, max_steps=5 * 23, eta=3, batch_size=64, seed=0
    )
    assert r.halving.best_lr == hv.best_lr and r.halving.examples_used == hv.examples_used
    # its baseline is the same full grid, the same cost
    assert hv.examples_all == r.grid_cost


# ------------------------------------------------------------------ one cost for the full grid


#: a cheap view whose full grid has rates that diverge (and stop early, costing less)
DIVERGING = Params(model="MLP", span=(0.1, 10.0), points=3, epochs2=2, epochs1=1)


@pytest.mark.parametrize("p", [Params(), DIVERGING], ids=["defaults", "diverging"])
def test_one_cost_for_the_full_grid_everywhere(p):
    """Every sentence, metric, bar and share that mentions the full grid uses
    ``grid_cost``; the grid's real bill when some of its runs stop early is not a second cost
    on the page (it used to be: "run here too, 377,430 examples" beside "409,830")."""
    r = result(p)
    cost = fmt.count(r.grid_cost)
    assert cost in model.cost_sentence(r)
    assert cost in model.halving_sentence(r) and cost in model.cost_caption(r)
    assert dict((m[0], m[1]) for m in model.metrics(r))["Full fine grid"] == cost
    labels, parts = model.cost_bars(r)
    assert parts[0][1][0] == r.grid_cost and sum(v[0] for _, v in parts) == r.grid_cost
    table = model.cost_table(r)
    assert table["examples_processed"][0] == r.grid_cost
    np.testing.assert_allclose(
        table["share_of_full_grid"], table["examples_processed"] / r.grid_cost
    )
    s = r.search
    share = fmt.pct(s.cost / r.grid_cost)
    assert f"**{share} of the full fine grid's {cost}**" in model.cost_sentence(r)
    assert f"for {share} of the full grid's cost" in model.full_sentence(r)
    assert f"{fmt.pct(r.halving.examples_used / r.grid_cost)} of the cost" in (
        model.halving_sentence(r)
    )
    lrs = model.grid_rates(r.lo_exp, r.hi_exp, r.grid_points)
    h = train(spec(p.model), DATA, lrs, epochs=p.epochs2, batch_size=64, seed=p.seed)
    actual = int(h.examples.sum())
    words = " ".join(
        [
            model.cost_sentence(r),
            model.full_sentence(r),
            model.halving_sentence(r),
            model.cost_caption(r),
            model.cost_alt(r),
            " ".join(v for _, v, _ in model.metrics(r)),
        ]
    )
    assert (actual < r.grid_cost) == (p is DIVERGING)
    if actual != r.grid_cost:
        assert fmt.count(actual) not in words


# ------------------------------------------------------------------ labels and verdicts agree


def assert_labels_agree(p: Params, r: model.Result) -> None:
    """Every stage-1 row's label says what its rates' numbers say, and its verdict kind agrees
    with the label; every rate is in one row; the summary, the quiz and the rows count the
    same rates.  (Also run on the teacher's guide view, by its AppTest.)"""
    c = r.search.coarse
    init = c.initial
    drop = init - c.loss
    best = float(np.max(np.where(c.diverged, -np.inf, drop)))
    names = [fmt.rate(lr) for lr in c.lrs]
    seen = []
    for row in model.rows(p, r):
        label, rates_ = row.label.split(": ", 1)
        status = Status(label)
        assert row.kind in model.KINDS_OF[status], row
        if " … " in rates_:
            a, z = rates_.split(" … ")
            idx = list(range(names.index(a), names.index(z) + 1))
        else:
            idx = [names.index(x) for x in rates_.split(", ")]
        seen += idx
        for i in idx:  # the label is what the numbers say
            if status == Status.DIVERGED:
                assert c.diverged[i] and row.kind == Kind.DIVERGED
            elif status == Status.STALLED:
                assert not c.diverged[i] and drop[i] < model.STALL_DROP * init
            elif status == Status.WORTH:
                assert drop[i] >= model.STALL_DROP * init and drop[i] >= 0.5 * best
            else:
                assert model.STALL_DROP * init <= drop[i] < 0.5 * best
        assert (row.kind == Kind.GOOD) == (status == Status.WORTH)
    assert sorted(seen) == list(range(c.lrs.size))  # every rate, once
    worth = int((c.status == Status.WORTH).sum())
    assert model.question(p, r).explanation.startswith(f"{worth} of {c.lrs.size}.")
    summary = model.summary(r)
    if worth:
        assert f"{worth} got at least" in summary
    stalled = int((c.status == Status.STALLED).sum())
    if stalled:
        assert f"{stalled} of {c.lrs.size} stalled" in summary
    diverged = int((c.status == Status.DIVERGED).sum())
    if diverged:
        assert f"{diverged} diverged" in summary


@pytest.mark.parametrize("p", [Params(), DIVERGING], ids=["defaults", "diverging"])
def test_no_label_contradicts_its_verdict(p):
    r = result(p)
    assert_labels_agree(p, r)
    kinds = {row.kind for row in model.rows(p, r)}
    assert kinds >= ({Kind.SLOW, Kind.GOOD} if p == Params() else {Kind.DIVERGED, Kind.GOOD})


# ------------------------------------------------------------------ sentences and small cases


def test_sentences_carry_the_numbers():
    r = result(Params())
    s = r.search
    assert f"**The pick: lr = {fmt.rate(s.best_lr)}**" in model.pick_sentence(r)
    assert f"**{fmt.loss(s.best_loss)}**" in model.pick_sentence(r)
    a, z = s.interval
    assert f"{fmt.rate(a)} … {fmt.rate(z)}" in model.close_caption(r)
    assert f"picked {fmt.rate(s.best_lr)}" in model.search_alt(r)
    assert f"would pick lr = {fmt.rate(r.other.best_lr)}" in model.sampling_sentence(r)
    df = model.search_table(r)
    assert df["picked"].sum() == 1
    assert df.loc[df["picked"], "lr"].item() == s.best_lr


def test_classify_and_a_one_decade_range():
    st = model.classify(
        np.array([3.0, 2.9, 2.2, 1.0, np.inf]), 3.0, np.array([0, 0, 0, 0, 1], bool)
    )
    assert st.tolist() == ["stalled", "stalled", "learning", "worth refining", "diverged"]
    # a small best drop: a stalled rate is never "worth refining"
    st = model.classify(np.array([2.95, 2.9]), 3.0, np.zeros(2, bool))
    assert st.tolist() == ["stalled", "stalled"]
    assert model.exps(Params(span=(0.01, 0.01))) == (-2, -1, True)
    assert model.exps(Params(span=(10.0, 10.0))) == (0, 1, True)
    assert model.exps(Params()) == (-7, 1, False)


# ------------------------------------------------------------------ take it home

GUIDE = next(s for s in guide.PLAN if s.path == "lessons/coarse_to_fine/page.py")
#: the views whose code is checked: the defaults, both extremes, the teacher's guide link
TAKEHOME_VIEWS = {
    "defaults": Params(),
    "low": extremes(Params)[0],
    "high": extremes(Params)[1],
    "guide": F.from_query(Params, GUIDE.query)[0],
}
#: a cheap view with everything else on: the MLP, random stage-2 rates, two decades, eta = 2,
#: another seed, and rates of 10 that blow up (a diverged run is inf on both sides)
CHEAP = Params(
    model="MLP",
    sampling="random",
    span=(0.01, 10.0),
    subset=0.1,
    epochs1=2,
    decades=2,
    points=3,
    epochs2=1,
    seed=3,
    eta=2,
)


@functools.cache
def searched(p: Params) -> model.Result:
    """The view's search alone, which is all ``takehome`` reads (the decades, stage 1's rates,
    stage 2's interval and pick): one search, not the other sampling's, the full grid and
    successive halving too, so the MLP views stay cheap."""
    lo, hi, widened = model.exps(p)
    search, _ = model._search(p, DATA, lo, hi, p.sampling)
    return model.Result(
        params=p,
        lo_exp=lo,
        hi_exp=hi,
        widened=widened,
        search=search,
        other=search,
        grid_points=0,
        grid_cost=0,
        n_train=DATA.n_train,
        full=None,
        halving=None,
    )


def test_take_home_reads_only_the_search():
    p = Params()
    assert model.takehome(p, searched(p)) == model.takehome(p, result(p))


@pytest.mark.parametrize("p", list(TAKEHOME_VIEWS.values()), ids=list(TAKEHOME_VIEWS))
def test_take_home_code_carries_the_view(p):
    r = searched(p)
    th = model.takehome(p, r)
    eng, tor = th.engine.source, th.torch.source
    check_names(eng, modules={"engine", "numpy"})
    check_names(tor, modules={"math", "numpy", "torch", "engine.data", "engine.models"})
    kind = p.model.lower()
    carries(eng, kind, r.lo_exp, r.hi_exp, p.subset, p.epochs1, p.points, float(p.decades))
    carries(eng, p.epochs2, p.sampling, p.seed, 64)
    assert ("full = train" in eng) == p.full
    assert ("successive_halving(" in eng) == p.halving
    if p.halving:
        carries(eng, p.eta, p.epochs2 * 23)
    # PyTorch: stage 1, every decade's rate on the page's subset, for stage 1's epochs
    carries(tor, kind, p.epochs1, p.seed, 64, *(float(v) for v in r.search.coarse.lrs))
    assert ("subset_dataset(" in tor) == (p.subset < 1.0)
    if p.subset < 1.0:
        carries(tor, p.subset)
    a, z = r.search.interval
    note = th.torch.notes[-1]
    assert f"{fmt.rate(a)} … {fmt.rate(z)}" in note and f"{p.points} rates" in note
    assert f"The page's pick is lr = {fmt.rate(r.search.best_lr)}." in note


def engine_cell(th) -> str:
    """The notebook's engine cell (the first code cell), as a download would hold it."""
    nb = build_notebook(title="Coarse-to-fine search", engine=th.engine, torch=th.torch)
    return next(c.source for c in nb.cells if c.cell_type == "code")


@pytest.mark.parametrize("p", [Params(), CHEAP], ids=["defaults", "cheap"])
def test_the_notebooks_engine_cell_reproduces_the_search(p):
    r = result(p)
    ns: dict = {}
    with contextlib.redirect_stdout(io.StringIO()) as out:
        exec(engine_cell(model.takehome(p, r)), ns)  # noqa: S102
    s, page = ns["search"], r.search

    def same(got, want):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)

    same(s.coarse.lrs, page.coarse.lrs)
    same(s.coarse.final_loss, page.coarse.loss)
    same(s.refine.lrs, page.refine.lrs)
    same(s.refine.final_loss, page.refine.loss)
    same([s.best_lr, s.best_loss, *s.interval], [page.best_lr, page.best_loss, *page.interval])
    assert (s.cost, s.full_grid_points, s.full_grid_cost) == (page.cost, r.grid_points, r.grid_cost)
    same([ns["other"].best_lr, ns["other"].best_loss], [r.other.best_lr, r.other.best_loss])
    same(ns["grid"], r.full.lrs)
    same(ns["full_loss"], r.full.loss)
    hv = ns["halving"]
    same([hv.best_lr, hv.best_loss], [r.halving.best_lr, r.halving.best_loss])
    assert hv.examples_used == r.halving.examples_used
    assert [rg.steps for rg in hv.rungs] == [rg.steps for rg in r.halving.rungs]
    assert f"the pick: lr = {page.best_lr:.3g}" in out.getvalue()
    if p == CHEAP:  # the view has runs that blew up (inf on both sides)
        assert np.isinf(page.coarse.loss).any() and r.full.diverged.any()
