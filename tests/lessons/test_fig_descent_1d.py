"""Builders and rate grid of "Descent in 1-D", checked against the engine and closed forms."""

import math

import numpy as np
import pytest

from engine.descent import run_descent
from engine.surfaces import get_surface
from engine.theory import quadratic_regime, quadratic_thresholds
from lessons.ui import fig_descent_1d as fd

CURVATURES = (0.25, 0.5, 1.0, 2.0, 4.0, 10.0)  # the page's choices of a


# ----------------------------------------------------------------------------- the rate grid


def test_grid_is_log_ish_and_its_labels_are_unique():
    g = np.array(fd.LR_GRID)
    assert g[0] == 1e-4 and g[-1] == 100.0
    assert np.all(np.diff(g) > 0)
    assert np.max(g[1:] / g[:-1]) <= 1.125 + 1e-9  # no gap above 12.5 %
    labels = [fd.fmt_rate(v) for v in (fd.OFF, *fd.LR_GRID)]
    assert len(set(labels)) == len(labels)  # the URL names an option by its label
    assert all(float(lab) == v for lab, v in zip(labels[1:], fd.LR_GRID, strict=True))


@pytest.mark.parametrize("lr", [3e-5, 1.3e-4, 0.0123, 0.283, 1.04, 2.05, 7.77, 99.0, 400.0])
def test_snap_is_the_nearest_grid_rate_in_log_terms(lr):
    got = fd.snap(lr)
    assert got in fd.LR_GRID
    t = math.log(min(max(lr, 1e-4), 100.0))
    best = min(abs(math.log(v) - t) for v in fd.LR_GRID)
    assert abs(math.log(got) - t) == pytest.approx(best)


def test_snap_stays_inside_its_interval():
    assert fd.snap(2.0, lo=2.0, hi=3.0) > 2.0
    assert fd.snap(1.0, lo=0.6, hi=1.0) < 1.0
    # an interval with no grid rate falls back to the nearest one
    assert fd.snap(1.05, lo=1.01, hi=1.09) == pytest.approx(1.0) or fd.snap(1.05, 1.01, 1.09) == 1.1


@pytest.mark.parametrize("curv", [0.021, 0.25, 0.7, 1.0, 3.3, 7.06, 14.3, 250.0, 2000.0])
def test_regime_rates_land_in_their_regimes(curv):
    assert fd.presets_fit(1.0 / curv)
    rates = fd.regime_rates(1.0 / curv)
    assert all(r in fd.LR_GRID for r in rates)
    regimes = quadratic_regime(curv, rates).tolist()
    assert regimes == ["monotone", "monotone", "oscillating", "diverging"]
    m = np.array(rates) * curv
    assert m[0] <= 0.3 and 0.6 < m[1] < 1.0 and 1.3 < m[2] < 1.95 and 2.05 < m[3] < 3.0


@pytest.mark.parametrize("a", CURVATURES)
def test_regime_rates_give_the_four_verdicts_on_the_parabola(a):
    """The page's promise: the preset shows too low / good / oscillating / diverging."""
    rates = fd.regime_rates(quadratic_thresholds(a).fastest)
    res = run_descent(get_surface("quadratic", a=a), (4.0,), rates, steps=30)
    kinds = [v.kind for v in res.verdicts]
    assert kinds == ["too slow", "converged", "oscillating", "diverged"]


@pytest.mark.parametrize("a", CURVATURES)
def test_threshold_rates_hit_one_over_a_and_two_over_a_exactly(a):
    rates = fd.threshold_rates(1.0 / a)
    assert rates[1] == pytest.approx(1.0 / a, rel=1e-12)
    assert rates[3] == pytest.approx(2.0 / a, rel=1e-12)
    res = run_descent(get_surface("quadratic", a=a), (4.0,), rates, steps=30)
    assert res.verdicts[1].text == "converged in a single step"
    assert np.allclose(np.abs(res.path[3, :, 0]), 4.0)  # 2/a: bounces between +4 and -4


# ----------------------------------------------------------------------------- helpers


def test_visible_prefix_and_y_range():
    assert fd.visible_prefix(np.array([4.0, -4.8, 5.76]), (-5.0, 5.0)) == 2
    assert fd.visible_prefix(np.array([1.0, np.nan, 0.0]), (-5.0, 5.0)) == 1
    assert fd.visible_prefix(np.array([1.0, 2.0]), (-5.0, 5.0)) == 2
    lo, hi = fd.curve_y_range(np.array([0.0, 1.0, 4.0, np.inf]), pad=0.0)
    assert (lo, hi) == (0.0, 4.0)
    xs = np.linspace(-3, 3, 601)
    with np.errstate(divide="ignore"):
        spike = 1.0 / xs**2
    lo, hi = fd.curve_y_range(spike)
    assert hi < 1e3  # the body of the curve, not the 1e30 spike at 0
    assert not fd.presets_fit(1.0 / 0.013) and not fd.presets_fit(1.0 / 5000.0)


# ----------------------------------------------------------------------------- figures


@pytest.fixture(scope="module")
def default_run():
    s = get_surface("quadratic", a=1.0)
    res = run_descent(s, (4.0,), [0.1, 0.8, 1.7, 2.2], steps=30)
    xs = np.linspace(-5.2, 5.2, 401)
    return s, res, xs, s.value(xs[:, None])


def _labels(res):
    return [f"{n}: {lab}" for n, lab in zip("ABCD", res.labels, strict=True)]


def test_curve_figure_draws_the_iterates_on_the_curve(default_run):
    s, res, xs, fx = default_run
    path = res.path[:, :, 0]
    fig = fd.curve_figure(xs, fx, path, res.loss, _labels(res), step=30, minima=[0.0])
    runs = {t.name: t for t in fig.data if t.mode == "lines+markers"}
    assert list(runs) == _labels(res)
    c = runs["C: lr = 1.7"]
    np.testing.assert_allclose(c.x, path[2])  # every iterate, joined by a thin line
    np.testing.assert_allclose(c.y, 0.5 * path[2] ** 2)  # ... on the curve f = x^2/2
    assert np.sum(np.diff(np.sign(c.x)) != 0) >= 10  # the zig-zag crosses the minimum
    d = runs["D: lr = 2.2"]
    # x2 = 5.76 is off the chart: the line runs on to it and is clipped at the edge
    np.testing.assert_allclose(d.x, [4.0, -4.8, 5.76])
    assert max(d.x) > fig.layout.xaxis.range[1]
    notes = [a.text for a in fig.layout.annotations]
    assert any("D: lr = 2.2 leaves the chart at step 2" in n for n in notes)
    assert fig.layout.xaxis.range == (xs[0], xs[-1])


def test_curve_figure_replays_up_to_a_step(default_run):
    s, res, xs, fx = default_run
    path = res.path[:, :, 0]
    fig = fd.curve_figure(xs, fx, path, res.loss, _labels(res), step=1)
    runs = [t for t in fig.data if t.mode == "lines+markers"]
    assert [len(t.x) for t in runs] == [2, 2, 2, 2]
    current = [t for t in fig.data if t.mode == "markers" and t.showlegend is False]
    np.testing.assert_allclose([t.x[0] for t in current], path[:, 1])
    assert not fig.layout.annotations  # nobody has left yet
    model = (xs, 0.5 * xs**2)
    fig = fd.curve_figure(xs, fx, path[:1], res.loss[:1], ["A"], step=0, model=model, big=True)
    assert any(t.name == "parabola with the same f''" for t in fig.data)
    assert fig.layout.font.size == 20
    with pytest.raises(ValueError):
        fd.curve_figure(xs, fx, path, res.loss, ["only one"], step=3)


def test_curve_figure_with_no_runs(default_run):
    _, _, xs, fx = default_run
    fig = fd.curve_figure(xs, fx, np.zeros((0, 1)), np.zeros((0, 1)), [], step=5)
    assert len(fig.data) == 1


def test_loss_figure_is_the_log_gap(default_run):
    s, res, _, _ = default_run
    fig = fd.loss_figure(res.loss, _labels(res), f_min=0.0, step=12, blowup_step=res.diverged_at)
    assert fig.layout.yaxis.type == "log"
    lines = [t for t in fig.data if t.name in _labels(res)]
    np.testing.assert_allclose(lines[0].y, 8.0 * 0.81 ** np.arange(31))  # 1/2 (4 * 0.9^k)^2
    lo, hi = fig.layout.yaxis.range
    assert lo <= math.log10(8.0 * 1e-16) and hi >= math.log10(np.nanmax(res.loss))
    assert fig.layout.shapes[0].x0 == 12  # the replay step
    # GD at exactly 1/a lands on the minimum: a gap of exactly 0, drawn at the axis floor
    r = run_descent(get_surface("quadratic"), (4.0,), [1.0, 2.6], steps=30)
    fig = fd.loss_figure(r.loss, ["one step", "blows up"], f_min=0.0, blowup_step=r.diverged_at)
    one = fig.data[0]
    assert one.y[1] == pytest.approx(10 ** fig.layout.yaxis.range[0])
    assert "exactly at the minimum" in one.customdata[1]
    b = int(r.diverged_at[1])
    assert b > 0
    cross = [t for t in fig.data if t.mode == "markers+text"]
    assert cross and cross[0].text[0] == f"blew up (step {b})"


def test_loss_figure_without_f_min_is_linear():
    loss = np.array([[5.0, 3.0, 1.0, 0.5], [5.0, 40.0, 900.0, np.nan]])
    fig = fd.loss_figure(loss, ["a", "b"], f_min=None, blowup_step=[-1, 3])
    assert fig.layout.yaxis.type != "log"
    lo, hi = fig.layout.yaxis.range
    assert hi < 40.0  # the blow-up is clipped, the converging run readable
    np.testing.assert_allclose(fig.data[0].y, loss[0])
    # drawn on to the first point off the chart (clipped at the edge), then cut
    np.testing.assert_allclose(fig.data[1].y[:2], [5.0, 40.0])
    assert np.isnan(fig.data[1].y[2:]).all()
    # a run falling without a bottom (-x^2) leaves through the floor of the curve's range
    falling = np.array([[-1.0, -4.0, -16.0, -64.0]])
    fig = fd.loss_figure(falling, ["down"], f_min=None, linear_range=(-9.0, 0.0))
    assert tuple(fig.layout.yaxis.range) == (-9.0, 0.0)
    np.testing.assert_allclose(fig.data[0].y[:3], [-1.0, -4.0, -16.0])
    assert np.isnan(fig.data[0].y[3:]).all()


def test_rate_axis_marks_the_thresholds_and_the_rates():
    fig = fd.rate_axis_figure([0.1, 2.2], ["A", "D"], fastest=1.0, diverge=2.0, styles=[0, 3])
    assert fig.layout.xaxis.type == "log"
    texts = [a.text for a in fig.layout.annotations]
    assert "1/f'' = 1" in texts and "2/f'' = 2" in texts
    assert {"creeps in", "zig-zags in", "diverges"} <= set(texts)
    rects = [sh for sh in fig.layout.shapes if sh.type == "rect"]
    assert [(r.x0, r.x1) for r in rects][1:] == [(1.0, 2.0), (2.0, 2.2 * 8)]
    pts = [t for t in fig.data if t.mode == "markers"]
    assert [t.x[0] for t in pts] == [0.1, 2.2]
    assert pts[1].marker.symbol == "triangle-up"  # style 3's marker: the second cue
    fig = fd.rate_axis_figure([0.5], ["A"], fastest=None, diverge=None)
    assert not fig.layout.shapes
    with pytest.raises(ValueError):
        fd.rate_axis_figure([0.5], [], fastest=None, diverge=None)


def test_figures_stay_small():
    s = get_surface("double_well")
    res = run_descent(s, (1.6,), [0.01, 0.1, 0.25, 0.3], steps=200)
    xs = np.linspace(-2, 2, 401)
    labels = list("ABCD")
    curve = fd.curve_figure(xs, s.value(xs[:, None]), res.path[:, :, 0], res.loss, labels, step=200)
    loss = fd.loss_figure(res.loss, labels, f_min=s.f_min, blowup_step=res.diverged_at)
    assert len(curve.to_json()) + len(loss.to_json()) < 120_000


@pytest.mark.parametrize(
    ("fastest", "diverge"),
    [
        (0.0, 0.0),
        (float("inf"), float("inf")),
        (float("nan"), float("nan")),
        (1e-320, 2e-320),
        (2.0, 1.0),
        (-1.0, -2.0),
    ],
)
def test_rate_axis_survives_thresholds_a_log_axis_cannot_draw(fastest, diverge):
    """A typed curve with a huge, zero or undefined curvature (e.g. exp(exp(exp(x)))) gives
    thresholds of 0, inf or nan: the chart then shows the rates without the bands."""
    fig = fd.rate_axis_figure([0.1, 1.0], ["A", "B"], fastest=fastest, diverge=diverge)
    assert len(fig.data) == 2
    drawable = 0 < fastest < diverge < math.inf
    assert any(s.type == "rect" for s in fig.layout.shapes) == drawable
