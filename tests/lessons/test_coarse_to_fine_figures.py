"""The figures of "Coarse-to-fine search" draw the model's numbers and statuses (no Streamlit)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine import fmt
from lessons.coarse_to_fine import figures as fs
from lessons.coarse_to_fine import model, view
from lessons.coarse_to_fine.model import Fate, Params, Status
from lessons.ui.style import GREY, PALETTE, color
from tests.lessons.test_coarse_to_fine_model import DIVERGING, result


def trace(fig, name: str):
    (t,) = [t for t in fig.data if t.name == name]
    return t


@pytest.mark.parametrize("p", [Params(), DIVERGING], ids=["defaults", "diverging"])
def test_search_figure_draws_the_models_statuses_and_pick(p):
    r = result(p)
    s = r.search
    whole, close = view.search_figures(r, big=False)
    ylo, yhi = whole.layout.yaxis.range
    for i, st_ in enumerate((s.coarse, s.refine)):
        t = trace(whole, model.stage_name(r, i))
        ok = st_.status != Status.DIVERGED
        np.testing.assert_array_equal(t.x, st_.lrs[ok])
        np.testing.assert_array_equal(t.y, st_.loss[ok])
        assert t.marker.color == color(i)
        # hollow exactly where the model says "stalled"
        assert [m.endswith("-open") for m in t.marker.symbol] == list(
            st_.status[ok] == Status.STALLED
        )
        assert np.all(np.log10(st_.loss[ok]) > ylo) and np.all(np.log10(st_.loss[ok]) < yhi)
    bad = s.coarse.status == Status.DIVERGED
    if bad.any():  # an x at the top edge, labelled
        div = trace(whole, "stage 1: diverged")
        np.testing.assert_array_equal(div.x, s.coarse.lrs[bad])
        assert div.marker.symbol == "x"
        assert ylo < math.log10(div.y[0]) < yhi
    pick = trace(whole, f"the pick: lr = {fmt.rate(s.best_lr)}")
    assert (pick.x[0], pick.y[0]) == (s.best_lr, s.best_loss) and pick.marker.symbol == "star"
    # the interval stage 2 searched, shaded; its label sits on the chart, placed on the log axis
    (rect,) = whole.layout.shapes
    assert (rect.x0, rect.x1) == s.interval
    assert trace(whole, "stage 2 searched here (shaded)").marker.color == rect.fillcolor
    # the one note on the chart: the pick's value, with a line down to its star
    for fig in (whole, close):
        (note,) = fig.layout.annotations
        assert note.text == f"pick: {fmt.rate(s.best_lr)}" and note.showarrow
        assert (note.x, note.y) == pytest.approx((math.log10(s.best_lr), math.log10(s.best_loss)))
    # the full grid: a grey line, with a gap where a rate diverged
    g = trace(whole, "full fine grid, all data")
    assert g.line.color == GREY
    assert np.isnan(np.asarray(g.y, dtype=float)).any() == bool(r.full.diverged.any())
    # the close-up keeps to the interval and fits stage 2's losses
    cxlo, cxhi = close.layout.xaxis.range
    assert cxlo < math.log10(s.interval[0]) and cxhi > math.log10(s.interval[1])
    fin = s.refine.loss[np.isfinite(s.refine.loss)]
    clo, chi = close.layout.yaxis.range
    assert clo < np.log10(fin.min()) and chi > np.log10(fin.max())
    assert close.layout.showlegend is False


def test_cost_figure_shows_the_one_cost_and_its_shares():
    r = result(Params())
    fig = view.cost_chart(r, big=False)
    labels, parts = model.cost_bars(r)
    bars = [t for t in fig.data if t.type == "bar"]
    assert [b.name for b in bars] == [name for name, _ in parts]
    assert fig.layout.barmode == "stack"
    assert len({b.marker.pattern.shape for b in bars}) == len(bars)  # a second cue
    assert PALETTE[6] not in {b.marker.color for b in bars}  # no black bar on a dark page
    (text,) = [t for t in fig.data if t.type == "scatter"]
    totals = np.sum([v for _, v in parts], axis=0)
    assert [x.strip() for x in text.text] == [fmt.pct(t / r.grid_cost) for t in totals]
    assert text.x[0] == r.grid_cost
    with pytest.raises(ValueError):
        fs.cost_figure(["a", "b"], [("x", [1, 2, 3])], reference=1)
    big = view.cost_chart(r, big=True)
    assert big.layout.font.size > fig.layout.font.size


def test_halving_figure_marks_every_candidate_by_its_fate():
    r = result(DIVERGING)
    fig = view.halving_chart(r, big=False)
    rungs = r.halving.rungs
    assert sum(len(t.x) for t in fig.data) == sum(rg.lrs.size for rg in rungs)
    win = trace(fig, "the winner")
    assert list(win.x) == [r.halving.best_lr]
    div = trace(fig, "dropped: diverged")
    assert len(div.x) == sum(int(rg.diverged.sum()) for rg in rungs) > 0
    fates = np.concatenate(
        [model.halving_status(rg, i == len(rungs) - 1) for i, rg in enumerate(rungs)]
    )
    assert int((fates == Fate.WINNER).sum()) == 1
    assert fig.layout.xaxis.type == "log"


def test_log_ticks_and_range():
    vals, labels = fs.log_ticks(-7.1, 1.1)
    assert labels == ["1e-7", "1e-6", "1e-5", "1e-4", "0.001", "0.01", "0.1", "1", "10"]
    assert np.allclose(np.log10(vals), np.arange(-7, 2))
    vals, labels = fs.log_ticks(math.log10(0.25), math.log10(0.58))
    assert labels == ["0.3", "0.4", "0.5"]
    assert fs.log_ticks(math.log10(0.9), math.log10(1.1)) == ([], [])
    assert fs.log_range([np.array([1e-3, 1.0, np.nan, -1.0])], pad=0.1) == pytest.approx(
        (-3.3, 0.3)
    )
