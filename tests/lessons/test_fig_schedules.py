"""Figure builders of "Cyclical schedules" (no Streamlit): rates, momentum, loss and accuracy."""

import numpy as np
import pytest

from engine.schedules import Constant, Cyclic, OneCycle
from lessons.ui import fig_schedules as fs
from lessons.ui.style import color, dash


def test_binned_matches_a_loop_and_skips_nan():
    rng = np.random.default_rng(3)
    y = rng.random(103)
    y[97:] = np.nan  # a diverged tail
    y[10] = np.inf
    c, m = fs.binned(y, 8)
    # a loop over the same bins (the 7-long tail 96..102 is long enough to stand alone)
    starts = list(range(0, 103, 8))
    for j, s in enumerate(starts):
        e = min(s + 8, 103)
        part = y[s:e][np.isfinite(y[s:e])]
        assert c[j] == pytest.approx((s + e - 1) / 2)
        if part.size:
            assert m[j] == pytest.approx(part.mean())
        else:
            assert np.isnan(m[j])
    assert len(c) == len(starts)


def test_binned_merges_a_short_tail():
    y = np.arange(9, dtype=float)  # bins of 4: 0..3, 4..8 (the lone 8 joins 4..7)
    c, m = fs.binned(y, 4)
    assert c.tolist() == [1.5, 6.0]
    assert m.tolist() == [1.5, 6.0]
    c, m = fs.binned(np.arange(10, dtype=float), 4)  # a tail of half a bin stands alone
    assert c.tolist() == [1.5, 5.5, 8.5]
    c, m = fs.binned(y, 1)
    assert np.array_equal(m, y)


def test_log_ticks():
    assert fs.log_ticks(0.02, 2.3) == [0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0]
    assert fs.log_ticks(0.01, 5e3) == [0.01, 0.1, 1.0, 10.0, 100.0, 1000.0]
    assert fs.log_ticks(0.021, 0.029) == []


def test_schedule_figure_draws_the_engine_rates_and_the_bounds():
    ipe, T = 23, 276
    t = np.arange(T)
    tri = Cyclic(0.15, 0.6, step_size=46)
    one = OneCycle(0.6, T, div_factor=4.0, cycle_momentum=True)
    lrs = np.stack([Constant(0.15).lr(t), tri.lr(t), one.lr(t)])
    fig = fs.schedule_figure(
        lrs,
        ["c", "tri", "one"],
        ipe,
        bounds=(0.15, 0.6),
        styles=[6, 0, 3],
        momentum=one.momentum(t),
        momentum_label="mom",
    )
    names = [tr.name for tr in fig.data]
    assert names == ["c", "tri", "one", "mom"]
    tri_tr = fig.data[1]
    np.testing.assert_allclose(tri_tr.x, t / ipe)
    np.testing.assert_allclose(tri_tr.y, tri.lr(t))
    assert max(tri_tr.y) == pytest.approx(0.6) and tri_tr.y[46] == pytest.approx(0.6)
    assert tri_tr.line.color == color(0) and fig.data[2].line.dash == dash(3)
    # momentum in its own panel, moving against the rate (torch defaults 0.95 -> 0.85 -> 0.95)
    mom = fig.data[3]
    assert mom.yaxis == "y2"
    assert mom.y[0] == pytest.approx(0.95) and min(mom.y) == pytest.approx(0.85)
    assert int(np.argmin(mom.y)) == int(np.argmax(fig.data[2].y))
    # the two bounds are drawn as dotted lines at their rates, labelled
    ys = sorted(s.y0 for s in fig.layout.shapes)
    assert ys == pytest.approx([0.15, 0.6])
    texts = " ".join(a.text for a in fig.layout.annotations)
    assert "upper bound 0.6" in texts and "lower bound 0.15" in texts
    assert fig.layout.yaxis.range[1] == pytest.approx(1.12 * 0.6)


def test_schedule_figure_without_momentum_is_one_panel():
    lrs = Cyclic(0.1, 0.5, 10).lr(np.arange(40))[None, :]
    fig = fs.schedule_figure(lrs, ["tri"], 10, bounds=(0.1, 0.5))
    assert len(fig.data) == 1 and "yaxis2" not in fig.layout.to_plotly_json()
    assert len(fig.layout.shapes) == 2
    big = fs.schedule_figure(lrs, ["tri"], 10, bounds=(0.1, 0.5), big=True)
    assert big.data[0].line.width > fig.data[0].line.width
    assert big.layout.font.size > fig.layout.font.size


def test_loss_figure_bins_and_marks_a_divergence():
    ipe = 20
    rng = np.random.default_rng(0)
    ok = 2.0 * np.exp(-np.arange(100) / 30) + 0.01 * rng.random(100)
    bad = ok.copy()
    bad[37] = 900.0  # the iteration that diverged is recorded, then NaN
    bad[38:] = np.nan
    fig = fs.loss_figure([ok, bad], ["ok", "bad"], ipe, styles=[6, 0], diverged_at=[-1, 37])
    line_ok, line_bad, mark = fig.data
    c, m = fs.binned(ok, ipe // 4)
    np.testing.assert_allclose(line_ok.x, c / ipe)
    np.testing.assert_allclose(line_ok.y, m)
    assert np.isnan(line_bad.y[-1])  # nothing drawn after the divergence
    assert mark.x[0] == pytest.approx(37 / ipe) and mark.y[0] == 900.0
    assert mark.text[0] == "diverged at iteration 37" and mark.marker.symbol == "x"
    assert fig.layout.yaxis.type == "log"
    assert 1000.0 not in fig.layout.yaxis.tickvals and 100.0 in fig.layout.yaxis.tickvals


def test_accuracy_figure_target_and_stars():
    ep = np.arange(0, 6.5, 0.5)
    a1 = np.minimum(0.99, 0.5 + 0.1 * ep)  # reaches 0.95 at epoch 4.5
    a2 = np.minimum(0.93, 0.4 + 0.1 * ep)  # never
    fig = fs.accuracy_figure([ep, ep], [a1, a2], ["a", "b"], target=0.95, reached=[4.5, None])
    assert fig.layout.shapes[0].y0 == pytest.approx(0.95)
    stars = [tr for tr in fig.data if tr.marker.symbol == "star"]
    assert len(stars) == 1
    assert stars[0].x[0] == 4.5 and stars[0].y[0] == pytest.approx(a1[9])
    # zoomed on the target band, yet low enough to show where the slower run ended
    lo, hi = fig.layout.yaxis.range
    assert lo == pytest.approx(min(0.85, a2[-1] - 0.05)) and hi > 1.0
    assert fig.layout.yaxis.tickformat == ".0%"
