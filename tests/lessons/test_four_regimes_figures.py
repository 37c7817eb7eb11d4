"""Training-curve builders (lessons/four_regimes/figures.py and curves.py), without Streamlit."""

import math

import numpy as np
import pytest

from engine.data import load_dataset
from engine.models import ModelSpec, predict_proba
from engine.train import train
from lessons.four_regimes import curves
from lessons.four_regimes import figures as ft
from lessons.ui.style import color, dash, marker


def naive_smooth(row, w):
    out = []
    for i in range(len(row)):
        if not np.all(np.isfinite(row[: i + 1])):
            out.append(np.nan)
        else:
            out.append(float(np.mean(row[max(0, i + 1 - w) : i + 1])))
    return out


def test_smooth_losses_is_a_trailing_mean_over_the_finite_prefix():
    rng = np.random.default_rng(3)
    Y = rng.uniform(0.1, 5.0, size=(3, 40))
    Y[1, 25] = np.inf
    Y[1, 26:] = np.nan
    Y[2, 10:] = np.nan
    for w in (1, 4, 7):
        got = curves.smooth_losses(Y, w)
        for k in range(3):
            np.testing.assert_allclose(got[k], naive_smooth(Y[k], w), rtol=1e-12)
    # the blow-up point keeps its raw value when it is finite, else stays NaN
    Y[2, 10] = 1e6
    got = curves.smooth_losses(Y, 5, ends=[-1, 25, 10])
    assert got[2, 10] == 1e6 and np.isnan(got[2, 11])
    assert np.isnan(got[1, 25])
    assert got[0, 39] == pytest.approx(Y[0, 35:40].mean())


def test_epoch_means_ignore_nan_without_warnings():
    Y = np.array([[1.0, 3.0, 5.0, 7.0, 9.0], [2.0, np.inf, np.nan, np.nan, np.nan]])
    got = curves.epoch_means(Y, 2)
    np.testing.assert_allclose(got[0], [2.0, 6.0, 9.0])
    assert got[1, 0] == 2.0 and np.isnan(got[1, 1]) and np.isnan(got[1, 2])
    assert curves.epoch_means(np.ones((2, 6)), 3).shape == (2, 2)


def test_thin_keeps_ends_and_requested_points():
    idx = ft.thin(1000, 50, keep=[777, 2000, -1])
    assert idx[0] == 0 and idx[-1] == 999 and 777 in idx
    assert len(idx) <= 52 and np.all(np.diff(idx) > 0)
    assert ft.thin(5, 50).tolist() == [0, 1, 2, 3, 4]
    assert ft.thin(0, 10).size == 0


def test_log_y_range_covers_finite_positive_values():
    lo, hi = ft.log_y_range([np.array([0.01, np.nan, 100.0]), np.array([np.inf, -1.0, 0.0])])
    assert lo < -2 < 2 < hi
    assert ft.log_y_range([np.array([np.nan, -3.0])]) is None


def _curves():
    x = np.arange(30) / 10
    Y = np.vstack([np.linspace(3, 0.1, 30), np.linspace(3, 2, 30), np.full(30, np.nan)])
    Y[2, :5] = [3.0, 30.0, 300.0, 5000.0, np.inf]
    return x, Y


def test_loss_curve_marks_divergence_at_the_blow_up_value():
    x, Y = _curves()
    Y2 = Y.copy()
    Y2[2, 4] = 2e4  # finite blow-up
    fig = ft.loss_curve_figure(
        x, Y2, ["a", "b", "c"], diverged_at=[-1, -1, 4], notes=["", "", "diverged at iteration 4"]
    )
    lines = [t for t in fig.data if t.mode == "lines"]
    assert [t.name for t in lines] == ["a", "b", "c"]
    assert lines[1].line.color == color(1) and lines[1].line.dash == dash(1)
    mark = [t for t in fig.data if t.mode == "markers+text"]
    assert len(mark) == 1 and mark[0].y[0] == 2e4 and mark[0].x[0] == pytest.approx(0.4)
    assert mark[0].marker.symbol == "x" and mark[0].text[0] == "diverged at iteration 4"
    # the diverged line runs on to the mark and no further
    assert lines[2].x[-1] == pytest.approx(0.4) and lines[2].y[-1] == 2e4
    assert fig.layout.yaxis.type == "log"
    lo, hi = fig.layout.yaxis.range
    assert lo < math.log10(0.1) and hi > math.log10(2e4)
    assert fig.layout.yaxis.dtick == 1  # many decades: one label per decade


def test_infinite_blow_up_is_drawn_at_the_top_of_the_axis():
    x, Y = _curves()
    fig = ft.loss_curve_figure(x, Y, ["a", "b", "c"], diverged_at=[-1, -1, 4], notes=["", "", "d"])
    mark = [t for t in fig.data if t.mode == "markers+text"][0]
    lo, hi = fig.layout.yaxis.range
    assert np.isfinite(mark.y[0]) and math.log10(5000) < math.log10(mark.y[0]) < hi
    assert "∞" in mark.text[0]
    for t in fig.data:  # nothing non-finite is sent to the browser as a point to draw
        ys = np.asarray([v for v in t.y if v is not None], dtype=float)
        assert not np.any(np.isinf(ys))


def test_loss_curve_overlay_and_explicit_mark_position():
    x, Y = _curves()
    ov = (np.array([0.0, 1.0, 2.0]), np.array([[3, 1, 0.5], [3, 2.5, 2.2], [3, np.nan, np.nan]]))
    fig = ft.loss_curve_figure(
        x,
        Y,
        ["a", "b", "c"],
        diverged_at=[-1, -1, 4],
        diverged_x=[np.nan, np.nan, 0.25],
        blowup_values=[np.nan, np.nan, 123.0],
        overlay=(*ov, "validation loss"),
        styles=[3, 4, 5],
        log_y=False,
        big=True,
    )
    marks = [t for t in fig.data if t.mode == "markers"]
    assert len(marks) == 4  # one per run + the legend key
    assert marks[0].marker.symbol == marker(3) and marks[0].marker.color == color(3)
    assert marks[-1].name == "markers: validation loss"
    xmark = [t for t in fig.data if t.mode == "markers+text"][0]
    assert (xmark.x[0], xmark.y[0]) == (0.25, 123.0)
    assert fig.layout.yaxis.type != "log" and fig.layout.font.size == 20


def test_loss_curve_rejects_mismatched_shapes():
    x, Y = _curves()
    with pytest.raises(ValueError):
        ft.loss_curve_figure(x[:-1], Y, ["a", "b", "c"])
    with pytest.raises(ValueError):
        ft.loss_curve_figure(x, Y, ["a", "b"])
    with pytest.raises(ValueError):
        ft.loss_curve_figure(x, Y, ["a", "b", "c"], styles=[0])


def test_loss_curve_is_thinned():
    x = np.arange(5000) / 100.0
    Y = np.vstack([np.linspace(3, 1, 5000)] * 2)
    fig = ft.loss_curve_figure(x, Y, ["a", "b"], max_points=300)
    assert all(len(t.x) <= 301 for t in fig.data)


def test_metric_curve_percent_and_chance():
    v = np.array([[0.1, 0.5, 0.9], [0.1, np.nan, np.nan]])
    fig = ft.metric_curve_figure(np.arange(3.0), v, ["a", "b"], chance=0.1, styles=[2, 0])
    assert [t.name for t in fig.data] == ["a", "b", "chance (10%)"]
    assert fig.data[0].marker.symbol == marker(2) and fig.data[0].line.color == color(2)
    assert fig.layout.yaxis.tickformat == ".0%"
    lo, hi = fig.layout.yaxis.range
    assert lo < 0 and hi > 1
    with pytest.raises(ValueError):
        ft.metric_curve_figure(np.arange(2.0), v, ["a", "b"])


def test_region_values_encode_class_and_confidence():
    P = np.array([[0.5, 0.5], [1.0, 0.0], [0.25, 0.75], [np.nan, np.nan]])
    z = ft.region_values(P)
    assert z[0] == pytest.approx(0.0)  # a tie: class 0 at no confidence
    assert z[1] == pytest.approx(0.999)  # certain class 0
    assert z[2] == pytest.approx(1.5)  # class 1, halfway from chance to certainty
    assert np.isnan(z[3])
    z3 = ft.region_values(np.array([[0.2, 0.2, 0.6]]))
    assert z3[0] == pytest.approx(2 + (0.6 - 1 / 3) / (2 / 3))


@pytest.mark.parametrize("C", [2, 3, 10])
def test_region_colorscale_is_a_valid_plotly_scale(C):
    scale = ft.region_colorscale(C)
    pos = [p for p, _ in scale]
    assert pos[0] == 0.0 and pos[-1] == 1.0 and all(np.diff(pos) >= 0)
    assert len(scale) == 2 * C


def test_boundary_figure_with_a_real_model():
    data = load_dataset("moons", seed=0)
    spec = ModelSpec("softmax", 2, 2)
    h = train(spec, data, [1e4, 1.0], epochs=3, batch_size=64)
    gx, gy = np.linspace(-3, 3, 20), np.linspace(-2, 2, 15)
    xx, yy = np.meshgrid(gx, gy)
    P = predict_proba(spec, h.theta, np.column_stack([xx.ravel(), yy.ravel()]))
    P = P.reshape(2, 15, 20, 2)
    fig = ft.boundary_figure(
        gx, gy, P, data.X_val, data.y_val, ["diverged", "good"], blank=["gone", None], big=True
    )
    heat = [t for t in fig.data if t.type == "heatmap"]
    assert len(heat) == 1 and np.asarray(heat[0].z).shape == (15, 20)  # none for the blank
    pts = [t for t in fig.data if t.type == "scatter"]
    assert len(pts) == 4 and sum(bool(t.showlegend) for t in pts) == 2
    assert sum(len(t.x) for t in pts) == 2 * data.n_val
    texts = [a.text for a in fig.layout.annotations]
    assert "gone" in texts and "good" in texts
    # the linear model splits the plane: both classes predicted somewhere, matching argmax
    z = np.asarray(heat[0].z, dtype=float)
    np.testing.assert_array_equal(np.floor(z).astype(int), P[1].argmax(axis=-1))
    with pytest.raises(ValueError):
        ft.boundary_figure(gx, gy, P[0], data.X_val, data.y_val, ["a"])
    with pytest.raises(ValueError):
        ft.boundary_figure(gx[:-1], gy, P, data.X_val, data.y_val, ["a", "b"])
