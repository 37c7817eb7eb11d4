"""Figure builders of *Descent in 2-D*, without Streamlit: what each figure draws."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from engine.descent import run_descent
from engine.surfaces import ill_conditioned, saddle
from lessons.ui.fig_descent_2d import (
    MAX_POINTS,
    contour_figure,
    contraction_figure,
    latex_lines,
    log_heights,
    loss_figure,
    surface3d_figure,
    thin,
)
from lessons.ui.style import color

S = ill_conditioned(kappa=20.0, angle=30.0)
LRS = [0.04762, 0.09524, 0.105]
RUN = run_descent(S, (2.2, 4.15), LRS, steps=100)
LABELS = ["slow", "best", "too high"]


def by_name(fig, name):
    return next(t for t in fig.data if t.name == name)


@pytest.mark.parametrize("n", [1, 2, 150, 399, 400, 401, 2001])
def test_thin_keeps_the_head_and_the_end(n):
    idx = thin(n)
    assert idx[0] == 0 and idx[-1] == n - 1
    assert len(idx) <= MAX_POINTS and np.all(np.diff(idx) > 0)
    assert list(idx[: min(n, 150)]) == list(range(min(n, 150)))


def test_log_heights_are_log_spaced_from_the_minimum():
    z = np.array([[0.0, 1.0], [10.0, 1000.0]])
    h, delta = log_heights(z, low=0.0)
    assert delta == pytest.approx(0.1)
    assert_allclose(h, np.log10(z + 0.1))
    h2, _ = log_heights(z + 5.0, low=5.0)  # the same picture above a known minimum f_min = 5
    assert_allclose(h2, h)


def test_contour_draws_runs_start_minimum_and_the_window():
    xs, ys, z = S.grid(41)
    fig = contour_figure(xs, ys, z, RUN.path, LABELS, f_min=0.0, minima=S.minima)
    assert fig.data[0].type == "contour" and fig.data[0].showscale is False
    for i, label in enumerate(LABELS):
        tr = by_name(fig, label)
        assert tr.line.color == color(i)  # colour plus a second cue (dash and marker)
        assert tr.line.dash is not None and tr.marker.symbol is not None
    assert_allclose(by_name(fig, "start").x, [2.2])
    assert_allclose([by_name(fig, "minimum").x[0], by_name(fig, "minimum").y[0]], [0.0, 0.0])
    assert tuple(fig.layout.xaxis.range) == (-6.0, 6.0)
    assert fig.layout.yaxis.scaleanchor == "x"  # true angles: the valley is not squashed


def test_a_diverging_run_is_drawn_until_it_leaves_the_view():
    xs, ys, z = S.grid(41)
    fig = contour_figure(xs, ys, z, RUN.path, LABELS, f_min=0.0)
    tr = by_name(fig, "too high")
    x, y = np.asarray(tr.x), np.asarray(tr.y)
    inside = (np.abs(x) <= 6) & (np.abs(y) <= 6)
    assert inside[:-1].all() and not inside[-1]  # the last point drawn is the exit
    assert len(x) < 40  # not the 100 steps zig-zagging off-screen
    assert_allclose(x, RUN.path[2, : len(x), 0])
    # the converging runs are drawn in full
    assert len(by_name(fig, "best").x) == 101


def test_surface3d_caps_heights_and_drops_points_above_the_cap():
    xs, ys, z = S.grid(30)
    fig = surface3d_figure(xs, ys, z, RUN.path, RUN.loss, LABELS, minima=S.minima, cap=40.0)
    surf = fig.data[0]
    assert surf.type == "surface" and np.nanmax(np.asarray(surf.z, dtype=float)) <= 40.0
    for label in LABELS:
        zz = np.asarray(by_name(fig, label).z, dtype=float)
        assert np.all(zz[np.isfinite(zz)] <= 40.0 * 1.02 + 1e-9)
    best = np.asarray(by_name(fig, "best").z, dtype=float)
    shown = np.isfinite(best)
    assert shown.sum() > 50  # most of the converging run is on the surface
    lift = 0.01 * (40.0 - z.min())  # runs float just above the surface
    assert_allclose(best[shown], RUN.loss[1, : len(best)][shown] + lift)
    # no contour lines on the surface: they cost 10-60 s of software WebGL without a GPU
    assert not surf.contours.z.show


def test_loss_figure_log_gap_and_blowup_marker():
    res = run_descent(S, (2.2, 4.15), [0.05, 0.2], steps=60)
    assert res.diverged_at[1] > 0
    fig = loss_figure(res.loss, ["ok", "blows up"], blowup=res.diverged_at.tolist())
    assert fig.layout.yaxis.type == "log"
    marks = [t for t in fig.data if t.name == "blows up: blew up"]
    assert len(marks) == 1 and marks[0].x[0] == res.diverged_at[1]
    lines = [t for t in fig.data if t.mode == "lines"]
    assert_allclose(np.asarray(lines[0].y, dtype=float)[:5], res.loss[0, :5])
    assert np.asarray(lines[0].y, dtype=float).min() >= 1e-16


def test_loss_figure_without_a_minimum_is_linear_and_survives_minus_infinity():
    res = run_descent(saddle(), (1.8, 0.05), [0.1, 1.5], steps=50)
    fig = loss_figure(res.loss, ["slow", "fast"], gap=False, blowup=res.diverged_at.tolist())
    assert fig.layout.yaxis.type == "linear"
    lo, hi = fig.layout.yaxis.range
    assert np.isfinite(lo) and np.isfinite(hi) and lo < -1 < hi


def test_contraction_figure_is_the_theory_v():
    lam = [1.0, 20.0]
    measured = [0.952, 0.905, 1.1]
    fig = contraction_figure(lam, LRS, measured, LABELS, best=2 / 21, diverge=0.1)
    pred = by_name(fig, "predicted: max |1 − lr·λ|")
    x, y = np.asarray(pred.x, dtype=float), np.asarray(pred.y, dtype=float)
    assert_allclose(y, np.maximum(np.abs(1 - x), np.abs(1 - 20 * x)))
    # it crosses 1 at 2/λmax and bottoms out at the best rate with (κ-1)/(κ+1)
    cross = x[np.flatnonzero((y[:-1] < 1) & (y[1:] >= 1))[0] + 1]
    assert cross == pytest.approx(0.1, abs=x[1] - x[0])
    assert y.min() == pytest.approx(19 / 21, abs=20 * (x[1] - x[0]))
    for lr, m, label in zip(LRS, measured, LABELS, strict=True):
        tr = by_name(fig, f"measured: {label}")
        assert (tr.x[0], tr.y[0]) == (lr, m)
    assert fig.layout.xaxis.range[1] >= 0.105


def test_contraction_figure_skips_runs_without_a_measurement():
    fig = contraction_figure([1.0, 4.0], [0.4], [float("nan")], ["landed"], best=0.4, diverge=0.5)
    assert not [t for t in fig.data if t.name == "measured: landed"]


def test_latex_lines_fit_a_phone():
    assert latex_lines(S.formula) == [
        r"f(x, y) = \tfrac{1}{2}\left(1\,u^{2} + 20\,v^{2}\right)",
        r"u = x\cos30^\circ + y\sin30^\circ",
        r"v = -x\sin30^\circ + y\cos30^\circ",
    ]
    short = r"f(x, y) = x^{2} + y^{2}"
    assert latex_lines(short) == [short]
    long = "f(x, y) = (1.5 - x + xy)^{2} + (2.25 - x + xy^{2})^{2} + (2.625 - x + xy^{3})^{2}"
    (block,) = latex_lines(long)
    assert block.startswith(r"\begin{aligned}f(x, y) = &") and block.count(r"\\") == 2
    # nothing inside brackets is split, and every term survives
    body = block.removeprefix(r"\begin{aligned}f(x, y) = &").removesuffix(r"\end{aligned}")
    assert body.replace(r"\\ &", "").replace(" ", "") == long.split("=", 1)[1].replace(" ", "")
