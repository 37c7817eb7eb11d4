"""Figure builders of "Adaptive learning rate" (no Streamlit): facets, sensitivity, beta sweep,
the surface with rate-coloured paths, and the surface's rate/loss chart."""

import math

import numpy as np
import pytest

from engine.descent import run_descent
from engine.optim import Optimizer
from engine.surfaces import ill_conditioned
from lessons.adaptive import figures as fa
from lessons.ui.style import GREY, color, dash


def test_positive_and_thin():
    np.testing.assert_array_equal(
        fa.positive(np.array([0.1, 0.0, -2.0, np.inf, np.nan, 3.0])),
        [0.1, np.nan, np.nan, np.nan, np.nan, 3.0],
    )
    idx = fa.thin(1001, 400)
    assert idx[0] == 0 and idx[-1] == 1000 and len(idx) <= 402
    assert np.all(np.diff(idx) > 0)
    assert fa.thin(5).tolist() == [0, 1, 2, 3, 4]


def test_facet_figure_pairs_runs_by_colour_and_leaves_out_what_a_log_axis_cannot_show():
    x = np.arange(6)
    left = np.array([[1e-3] * 6, [0.1] * 6])
    right = np.array([[1e-3, 1e-3, 0.01, 0.05, 0.07, 0.07], [0.1, 0.1, 0.3, -0.01, np.nan, np.nan]])
    fig = fa.facet_figure(
        x,
        left,
        right,
        ["a", "b"],
        y_title="rate",
        styles=[2, 5],
        blown=([False, False], [False, True]),
    )
    lines = [t for t in fig.data if t.mode == "lines"]
    assert [t.name for t in lines] == ["a", "b", "a", "b"]
    assert [t.showlegend for t in lines] == [True, True, False, False]  # one legend entry each
    assert lines[0].xaxis == "x" and lines[2].xaxis == "x2"
    assert lines[0].line.color == lines[2].line.color == color(2)
    assert lines[1].line.dash == lines[3].line.dash == dash(5)
    np.testing.assert_allclose(lines[2].y, right[0], rtol=1e-6)  # float32 on the wire
    y = np.asarray(lines[3].y, dtype=float)
    assert np.isnan(y[3:]).all() and y[2] == pytest.approx(0.3)  # negative rate and NaN dropped
    # the blown-up run gets an x at its last drawable point (iteration 2, rate 0.3)
    marks = [t for t in fig.data if t.mode == "markers"]
    assert len(marks) == 1 and marks[0].x[0] == 2 and marks[0].y[0] == pytest.approx(0.3)
    assert marks[0].xaxis == "x2"
    assert fig.layout.yaxis.type == "log"
    assert fig.layout.xaxis.title.text == "<b>Fixed rate</b><br>iteration"
    assert fig.layout.xaxis2.title.text == "<b>Hypergradient descent</b><br>iteration"
    # on a phone (in lecture mode or not): each panel's name wraps after its comma, under
    # its own panel
    for big in (False, True):
        fig = fa.facet_figure(x, left, right, ["a", "b"], y_title="r", titles=("SGD, fixed rate",
                              "SGD-HD, β = 0.001"), big=big)  # fmt: skip
        assert fig.layout.xaxis.title.text.startswith("<b>SGD,<br>fixed rate</b>")
        assert fig.layout.xaxis2.title.text.startswith("<b>SGD-HD,<br>β = 0.001</b>")
        assert fig.layout.xaxis.domain[1] < fig.layout.xaxis2.domain[0]


def test_facet_figure_thins_long_runs_and_sets_the_range():
    T = 2000
    x = np.arange(T)
    y = np.linspace(1, 2, T)[None, :]
    fig = fa.facet_figure(x, y, y, ["r"], y_title="loss", y_range=(0.5, 4.0))
    assert len(fig.data[0].x) <= fa.MAX_POINTS + 2 and fig.data[0].x[-1] == T - 1
    # a run that stops between two kept points still ends where it stopped (a caption may
    # quote its last value)
    stop = np.where(np.arange(T) <= 1001, y[0], np.nan)[None, :]
    cut = fa.facet_figure(x, stop, stop, ["r"], y_title="loss")
    ys = np.asarray(cut.data[0].y, dtype=float)
    assert ys[np.isfinite(ys)][-1] == y[0, 1001] and 1001 in np.asarray(cut.data[0].x)
    assert fig.layout.yaxis.range == pytest.approx((math.log10(0.5), math.log10(4.0)))
    lin = fa.facet_figure(x, y, y, ["r"], y_title="loss", log_y=False, y_range=(0.0, 3.0))
    assert lin.layout.yaxis.type is None and tuple(lin.layout.yaxis.range) == (0.0, 3.0)


def test_sensitivity_figure_marks_divergence_along_the_top():
    lr0 = [1e-5, 1e-3, 1e-1]
    fixed = np.array([3.0, 2.7, np.inf])
    hd = np.array([0.4, 0.39, 0.26])
    fig = fa.sensitivity_figure(
        lr0, fixed, hd, fixed_label="SGD", hd_label="SGD-HD", styles=[0, 2, 4]
    )
    names = [t.name for t in fig.data]
    assert names == ["SGD", "SGD: diverged", "SGD-HD"]
    sgd, bad, sgdhd = fig.data
    assert sgd.line.color == GREY and sgdhd.line.dash == "dash"
    assert list(sgd.marker.color) == [color(0), color(2), color(4)]  # linked to the facets
    assert np.isnan(sgd.y[2]) and list(sgdhd.y) == pytest.approx(hd.tolist())
    assert list(bad.x) == [1e-1] and bad.y[0] == pytest.approx(3.0 * 1.6)
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"
    lo, hi = fig.layout.yaxis.range
    assert 10**lo < 0.26 and 10**hi > bad.y[0]


def test_beta_figure_one_line_per_start_and_the_chosen_beta():
    betas = [1e-6, 1e-4, 1e-2, 1.0]
    finals = np.array([[3.0, 1.0], [0.9, 0.5], [0.2, 0.2], [np.nan, 0.3]])
    fig = fa.beta_figure(betas, finals, ["s1", "s2"], chosen=1e-2)
    lines = [t for t in fig.data if t.mode == "lines+markers"]
    assert [t.name for t in lines] == ["s1", "s2"]
    assert np.isnan(lines[0].y[3]) and lines[1].y[3] == pytest.approx(0.3)
    marks = [t for t in fig.data if t.mode == "markers"]
    assert len(marks) == 1 and list(marks[0].x) == [1.0]
    assert fig.layout.shapes[0].x0 == 1e-2
    assert fig.layout.xaxis.type == "log"


def test_surface_figures_carry_the_engine_paths_and_rates():
    s = ill_conditioned(kappa=10.0)
    opt = Optimizer("sgd", hypergrad="additive", hyper_lr=3e-3)
    hd = run_descent(s, (4.3, 2.5), [1e-3], optimizer=opt, steps=40)
    pol = run_descent(s, (4.3, 2.5), [1.0], optimizer="polyak", steps=40)
    gx = gy = np.linspace(-6, 6, 30)
    xx, yy = np.meshgrid(gx, gy)
    z = s.f(np.stack([xx, yy], axis=-1))
    fig = fa.surface_figure(
        gx, gy, z, [hd.path[0], pol.path[0]], [hd.lr_trace[0], pol.lr_trace[0]], ["HD", "Polyak"],
        minimum=(0.0, 0.0),
    )  # fmt: skip
    contour, p_hd, p_pol, star = fig.data
    assert contour.type == "contour"
    np.testing.assert_allclose(np.asarray(contour.z), np.log10(np.maximum(z, 1e-12)), rtol=1e-5)
    np.testing.assert_allclose(p_hd.x, hd.path[0, :, 0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(p_hd.marker.color, np.log10(hd.lr_trace[0]), rtol=1e-5)
    assert p_hd.marker.coloraxis == p_pol.marker.coloraxis == "coloraxis"
    assert p_hd.line.dash != p_pol.line.dash
    both = np.concatenate([hd.lr_trace[0], pol.lr_trace[0][pol.lr_trace[0] > 0]])
    assert fig.layout.coloraxis.cmin == pytest.approx(np.log10(both.min()))
    assert fig.layout.coloraxis.cmax == pytest.approx(np.log10(both.max()))
    assert star.name == "minimum" and fig.layout.yaxis.scaleanchor == "x"

    rate = fa.surface_rate_figure(
        [hd.lr_trace[0], pol.lr_trace[0]],
        [hd.loss[0], pol.loss[0]],
        ["HD", "Polyak"],
        lines=((0.2, "2/λmax"), (1.0, "1/λmin")),
    )
    tops = [t for t in rate.data if t.yaxis == "y"]
    bottoms = [t for t in rate.data if t.yaxis == "y2"]
    assert [t.name for t in tops] == ["HD", "Polyak"] and len(bottoms) == 2
    np.testing.assert_allclose(tops[0].y, hd.lr_trace[0, 1:])  # the rate of steps 1..T
    np.testing.assert_allclose(bottoms[0].y, hd.loss[0])
    assert sorted(sh.y0 for sh in rate.layout.shapes) == [0.2, 1.0]
    assert {a.text for a in rate.layout.annotations} == {"2/λmax", "1/λmin"}


def test_big_mode_thickens_lines():
    x = np.arange(4)
    y = np.ones((1, 4))
    small = fa.facet_figure(x, y, y, ["r"], y_title="t")
    big = fa.facet_figure(x, y, y, ["r"], y_title="t", big=True)
    assert big.data[0].line.width > small.data[0].line.width
    assert big.layout.font.size > small.layout.font.size
