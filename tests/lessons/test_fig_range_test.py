"""Builders of "Range test": loss and accuracy against the rate, and the "try it" curves,
without Streamlit."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.data import load_dataset
from engine.models import ModelSpec
from engine.range_test import RangeTestResult, lr_ramp, range_test
from engine.train import train
from lessons.ui import fig_range_test as fr
from lessons.ui.style import color, dash


@pytest.fixture(scope="module")
def run():
    d = load_dataset("digits")
    spec = ModelSpec("mlp", 64, 10, hidden=(32,))
    return range_test(spec, d, min_lr=1e-5, max_lr=10.0, num_iter=150, seed=0, val_every=5)


def traces(fig, name_start: str):
    return [t for t in fig.data if t.name and t.name.startswith(name_start)]


def test_loss_range_clips_the_blown_up_tail():
    raw = np.array([2.3, 2.0, 1.0, 50.0, np.inf])
    smooth = np.array([2.3, 2.2, 1.9, 4.0, np.nan])
    lo, hi = fr.loss_range(raw, smooth)
    assert lo == 0.0 and hi == pytest.approx(1.1 * 4.0)
    # a curve that never rose: the first raw loss sets the top
    assert fr.loss_range(np.array([3.0, 1.0]), np.array([2.0, 1.5])) == (0.0, pytest.approx(3.3))
    # nothing finite at all: still a usable range
    assert fr.loss_range(np.array([np.nan]), np.array([np.nan])) == (0.0, 1.1)


def test_range_test_figure_marks_every_suggestion_on_a_log_axis(run):
    sugs = [s for s in run.suggestions() if s.lr is not None]
    marks = [fr.Mark(s.rule, s.lr, i) for i, s in enumerate(sugs)]
    b = run.smith()
    band = (b.min_lr.lr, b.max_lr.lr)
    stop = (float(run.lrs[-1]), run.stop_reason)
    fig = fr.range_test_figure(run.lrs, run.loss, run.smooth, marks, band, stop=stop)
    assert fig.layout.xaxis.type == "log"
    lo, hi = fig.layout.yaxis.range
    assert (lo, hi) == fr.loss_range(run.loss, run.smooth)
    # the curves carry the run's own numbers
    raw = traces(fig, "batch loss")[0]
    assert np.array_equal(np.asarray(raw.x), run.lrs)
    assert np.allclose(np.asarray(raw.y, dtype=float), run.loss, equal_nan=True)
    smooth = traces(fig, "smoothed")[0]
    assert np.allclose(np.asarray(smooth.y, dtype=float), run.smooth, equal_nan=True)
    # one vertical line per suggestion, at its rate, each with its own colour and dash
    for i, s in enumerate(sugs):
        (line,) = traces(fig, f"{s.rule}: ")
        assert list(line.x) == [s.lr, s.lr] and list(line.y) == [lo, hi]
        assert line.line.color == color(i) and line.line.dash == dash(i)
    styles = {(t.line.color, t.line.dash) for t in fig.data if ": " in (t.name or "")}
    assert len(styles) >= len(sugs)
    # labels sit at log10 of the rate (plotly's convention for annotations on log axes)
    xs = sorted(a.x for a in fig.layout.annotations)
    assert xs == pytest.approx(sorted(math.log10(s.lr) for s in sugs))
    # Smith's band spans min .. max, behind the curves (drawn first)
    assert fig.data[0].name.startswith("Smith's band")
    assert min(fig.data[0].x) == band[0] and max(fig.data[0].x) == band[1]
    assert fig.data[0].fill == "toself"
    # the stop is marked and kept inside the chart
    (x_mark,) = traces(fig, "stopped at")
    assert x_mark.x[0] == stop[0] and lo <= x_mark.y[0] <= hi


def test_range_test_figure_without_marks_band_or_stop():
    lrs = lr_ramp(1e-3, 1.0, 20)
    loss = np.linspace(2, 1, 20)
    r = RangeTestResult.from_losses(lrs, loss, beta=0.0)
    fig = fr.range_test_figure(r.lrs, r.loss, r.smooth)
    assert [t.name for t in fig.data] == ["batch loss (raw)", "smoothed loss"]
    assert not fig.layout.annotations
    assert (
        fig.layout.xaxis.range[0] < math.log10(1e-3) < math.log10(1.0) < fig.layout.xaxis.range[1]
    )


def test_lecture_mode_is_bigger(run):
    small = fr.range_test_figure(run.lrs, run.loss, run.smooth, [fr.Mark("a", 0.1, 0)])
    big = fr.range_test_figure(run.lrs, run.loss, run.smooth, [fr.Mark("a", 0.1, 0)], big=True)
    assert big.layout.font.size > small.layout.font.size
    assert big.layout.height > small.layout.height
    assert big.layout.annotations[0].font.size > small.layout.annotations[0].font.size


def test_accuracy_figure_in_percent(run):
    fig = fr.accuracy_figure(
        run.val_lrs, run.val_acc, [fr.Mark("max", 0.3, 4)], (0.1, 0.3), lr_span=(1e-5, 10.0)
    )
    acc = traces(fig, "validation accuracy")[0]
    assert np.allclose(np.asarray(acc.y, dtype=float), 100 * run.val_acc, equal_nan=True)
    assert np.array_equal(np.asarray(acc.x), run.val_lrs)
    assert list(fig.layout.yaxis.range) == [0, 100]
    assert fig.layout.xaxis.type == "log"
    assert fig.layout.xaxis.range[0] < -5 and fig.layout.xaxis.range[1] > 1
    (line,) = traces(fig, "max: ")
    assert list(line.y) == [0.0, 100.0]


def test_try_it_figure_marks_the_divergence():
    d = load_dataset("moons")
    spec = ModelSpec("mlp", 2, 2, hidden=(16,))
    h = train(spec, d, [0.03, 0.3, 1e4], epochs=3, batch_size=32, eval_every=2)
    div = [float(h.diverged_at[k]) / h.iters_per_epoch if h.diverged[k] else None for k in range(3)]
    assert div[2] is not None and div[0] is None
    fig = fr.try_it_figure(
        h.eval_epochs, h.val_loss, ["low", "mid", "high"], styles=[0, 2, 1], diverged_epoch=div
    )
    assert [t.name for t in fig.data if t.showlegend is not False] == ["low", "mid", "high"]
    low = fig.data[0]
    assert np.allclose(np.asarray(low.y, dtype=float), h.val_loss[0])
    assert low.line.color == color(0) and fig.data[1].line.color == color(2)
    (x_mark,) = traces(fig, "high: diverged")
    assert x_mark.x[0] == pytest.approx(div[2])
    assert 10 ** fig.layout.yaxis.range[0] < x_mark.y[0] < 10 ** fig.layout.yaxis.range[1]
    assert fig.layout.yaxis.type == "log"
    # only finite values are drawn
    for t in fig.data[:3]:
        assert np.all(np.isfinite(np.asarray(t.y, dtype=float)))


def test_marks_outside_the_ramp_widen_the_axis():
    lrs = lr_ramp(1e-3, 1.0, 20)
    loss = np.linspace(2, 1, 20)
    fig = fr.range_test_figure(lrs, loss, loss, [fr.Mark("min/10", 1e-5, 1)], band=(1e-4, 0.5))
    lo, hi = fig.layout.xaxis.range
    assert lo < -5 and hi > 0
    fig = fr.accuracy_figure(lrs, np.full(20, 0.5), [fr.Mark("x", 30.0, 1)], lr_span=(1e-3, 1.0))
    assert fig.layout.xaxis.range[1] > math.log10(30.0)
