"""Builders of "Coarse-to-fine search": loss against the rate for both stages, the cost bars and
the rungs of successive halving, checked against real engine runs, without Streamlit."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.data import load_dataset
from engine.models import ModelSpec
from engine.search import coarse_to_fine, successive_halving
from lessons.ui import fig_search as fs
from lessons.ui.style import GREY, color


@pytest.fixture(scope="module")
def res():
    """The MLP on the digits over 1e-7 ... 10: stalled small rates, 10 diverges."""
    d = load_dataset("digits")
    spec = ModelSpec("mlp", 64, 10, hidden=(32,))
    return coarse_to_fine(
        spec, d, lo_exp=-7, hi_exp=1, coarse_subset=0.2, coarse_epochs=3, refine_epochs=3
    )


@pytest.fixture(scope="module")
def halving():
    d = load_dataset("digits")
    spec = ModelSpec("mlp", 64, 10, hidden=(32,))
    return successive_halving(spec, d, np.geomspace(1e-4, 100.0, 13), eta=3, max_steps=45)


def stage_rows(res):
    out = []
    for i, (name, s) in enumerate((("stage 1: wide", res.coarse), ("stage 2: fine", res.refine))):
        init = s.history.val_loss[:, 0]
        out.append((name, s.lrs, s.final_loss, fs.point_status(s.final_loss, init, s.diverged)))
        assert i < 2
    return out


def trace(fig, name: str):
    (t,) = [t for t in fig.data if t.name == name]
    return t


def test_point_status_and_worth_refining_follow_their_definitions(res):
    st = fs.point_status(
        np.array([3.0, 2.86, 2.84, 0.5, np.inf, 1.0]),
        3.0,
        np.array([0, 0, 0, 0, 1, 1], dtype=bool),
    )
    assert st.tolist() == ["stalled", "stalled", "learning", "learning", "diverged", "diverged"]
    # worth refining: at least half of the best drop (best drop 2.5 here, so final <= 1.75)
    w = fs.worth_refining(np.array([3.0, 1.76, 1.75, 0.5, np.inf]), 3.0, np.zeros(5, bool))
    assert w.tolist() == [False, False, True, True, False]
    assert not fs.worth_refining(np.array([3.0, 3.1]), 3.0, np.zeros(2, bool)).any()
    # on the real run: the small rates stall, 10 diverges, the best rate is worth refining
    c = res.coarse
    init = c.history.val_loss[:, 0]
    st = fs.point_status(c.final_loss, init, c.diverged)
    assert st[-1] == "diverged" and c.diverged[-1]
    assert (st[:4] == "stalled").all()
    drop = init - c.final_loss
    assert np.array_equal(st == "stalled", ~c.diverged & (drop < fs.STALL_DROP * init))
    w = fs.worth_refining(c.final_loss, init, c.diverged)
    assert w[c.best] and w.sum() < c.lrs.size


def test_log_ticks_and_range():
    vals, labels = fs.log_ticks(-7.1, 1.1)
    assert labels == ["1e-7", "1e-6", "1e-5", "1e-4", "0.001", "0.01", "0.1", "1", "10"]
    assert np.allclose(np.log10(vals), np.arange(-7, 2))
    vals, labels = fs.log_ticks(math.log10(0.25), math.log10(0.58))  # finer mantissas
    assert labels == ["0.3", "0.4", "0.5"]
    assert np.allclose(vals, [0.3, 0.4, 0.5])
    assert fs.log_ticks(math.log10(0.9), math.log10(1.1)) == ([], [])  # too narrow: plotly's
    assert fs.log_range([np.array([1e-3, 1.0, np.nan, -1.0])], pad=0.1) == pytest.approx(
        (-3.3, 0.3)
    )


def test_search_figure_draws_both_stages_the_divergence_and_the_pick(res):
    stages = stage_rows(res)
    grid = (np.geomspace(1e-7, 10, 9), res.coarse.final_loss)
    fig = fs.search_figure(
        stages, pick=(res.best_lr, res.best_loss), interval=res.interval, full=grid
    )
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"
    ylo, yhi = fig.layout.yaxis.range
    for (name, lrs, loss, status), ci in zip(stages, (0, 1), strict=True):
        t = trace(fig, name)
        ok = status != "diverged"
        assert np.allclose(np.asarray(t.x), lrs[ok]) and np.allclose(np.asarray(t.y), loss[ok])
        assert t.marker.color == color(ci)
        # stalled runs hollow, learning ones filled
        symbols = list(t.marker.symbol)
        assert [s.endswith("-open") for s in symbols] == list(status[ok] == "stalled")
        # every finite loss lies inside the axis range
        assert np.all(np.log10(loss[ok]) > ylo) and np.all(np.log10(loss[ok]) < yhi)
    # stage 1's diverged rate (10): an x at the top edge, labelled
    div = trace(fig, "stage 1: diverged")
    assert list(div.x) == [10.0] and div.marker.symbol == "x" and list(div.text) == ["diverged"]
    assert ylo < math.log10(div.y[0]) < yhi and math.log10(div.y[0]) > math.log10(
        np.nanmax(np.where(np.isfinite(res.coarse.final_loss), res.coarse.final_loss, np.nan))
    )
    pick = [t for t in fig.data if t.name.startswith("the pick")][0]
    assert list(pick.x) == [res.best_lr] and list(pick.y) == [res.best_loss]
    assert pick.marker.symbol == "star"
    # the refined interval is shaded
    (rect,) = fig.layout.shapes
    assert (rect.x0, rect.x1) == res.interval
    # the full grid is a grey line with a gap where a rate diverged
    g = trace(fig, "full fine grid, all data")
    assert g.line.color == GREY and math.isnan(g.y[-1])
    # a close-up keeps to the interval and fits the stage-2 losses
    close = fs.search_figure(stages, pick=(res.best_lr, res.best_loss), zoom=res.interval)
    xlo, xhi = close.layout.xaxis.range
    assert xlo < math.log10(res.interval[0]) and xhi > math.log10(res.interval[1])
    assert xhi - xlo < 2.5
    clo, chi = close.layout.yaxis.range
    fin = res.refine.final_loss[np.isfinite(res.refine.final_loss)]
    assert clo < np.log10(fin.min()) and chi > np.log10(fin.max())
    assert chi - clo < yhi - ylo
    assert close.layout.showlegend is False


def test_search_figure_without_pick_or_full_grid(res):
    stages = stage_rows(res)[:1]
    fig = fs.search_figure(stages, pick=None)
    assert not [t for t in fig.data if t.name.startswith("the pick")]
    assert not fig.layout.shapes
    with pytest.raises(ValueError):
        fs.search_figure(stage_rows(res) * 2, pick=None)
    big = fs.search_figure(stages, pick=None, big=True)
    assert big.layout.font.size > fig.layout.font.size


def test_cost_figure_stacks_the_parts_and_prints_the_share():
    fig = fs.cost_figure(
        ["full grid", "coarse-to-fine"],
        [("full grid", [1000, 0]), ("stage 1", [0, 50]), ("stage 2", [0, 150])],
        reference=1000,
    )
    bars = [t for t in fig.data if t.type == "bar"]
    assert [b.name for b in bars] == ["full grid", "stage 1", "stage 2"]
    assert fig.layout.barmode == "stack"
    assert bars[1].marker.pattern.shape != bars[2].marker.pattern.shape  # a second cue
    (labels,) = [t for t in fig.data if t.type == "scatter"]
    assert [s.strip() for s in labels.text] == ["100%", "20%"]
    assert list(labels.x) == [1000, 200]
    with pytest.raises(ValueError):
        fs.cost_figure(["a", "b"], [("x", [1, 2, 3])], reference=1)
    # lecture mode: bigger fonts (bars have no marker size for style() to enlarge)
    big = fs.cost_figure(["a"], [("x", [5])], reference=10, big=True)
    assert big.layout.font.size > fig.layout.font.size


def test_halving_figure_marks_every_candidate_by_its_fate(halving):
    rows = []
    n = len(halving.rungs)
    for i, r in enumerate(halving.rungs):
        st = np.full(r.lrs.size, "dropped", dtype=object)
        st[r.kept] = "winner" if i == n - 1 else "promoted"
        st[r.stalled] = "stalled"
        st[r.diverged] = "diverged"
        rows.append((f"rung {i + 1}", r.lrs, st))
    fig = fs.halving_figure(rows)
    total = sum(len(t.x) for t in fig.data)
    assert total == sum(r.lrs.size for r in halving.rungs)
    win = trace(fig, "the winner")
    assert list(win.x) == [halving.best_lr] and list(win.y) == [f"rung {n}"]
    div = trace(fig, "dropped: diverged")
    assert len(div.x) == sum(int(r.diverged.sum()) for r in halving.rungs) > 0
    assert set(div.x) <= {float(x) for x in halving.rungs[0].lrs[halving.rungs[0].diverged]}
    assert list(fig.layout.yaxis.categoryarray) == [f"rung {i + 1}" for i in range(n)]
    assert fig.layout.xaxis.type == "log"
