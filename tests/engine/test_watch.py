"""The shared divergence bookkeeping (engine._watch) on its own, and as the descent runner and
the trainer use it: the step it records is where the run's own numbers first cross the limit
(closed forms on a quadratic, and the unlimited run's recorded losses)."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from engine._watch import BLOWUP, GRAD, INF, NAN, PARAMS, POSITION, Watch, blown_up
from engine.data import make_regression_problem
from engine.descent import run_descent
from engine.models import ModelSpec
from engine.surfaces import quadratic
from engine.train import train
from engine.verdict import NEVER

# ----------------------------------------------------------------------------- the helper


def test_a_new_watch_has_every_run_live():
    w = Watch(3)
    assert w.at.tolist() == [NEVER] * 3 and w.reason == [""] * 3
    assert w.live.all() and not w.diverged.any()


def test_check_loss_marks_nan_inf_and_blowup_with_their_reasons():
    w = Watch(4)
    assert w.check_loss(0, np.array([1.0, 2.0, 3.0, 4.0]), 10.0) is None  # the fast path
    new = w.check_loss(3, np.array([1.0, np.nan, -np.inf, 11.0]), np.array([9.0, 9.0, 9.0, 10.0]))
    assert new.tolist() == [False, True, True, True]
    assert w.at.tolist() == [NEVER, 3, 3, 3] and w.reason == ["", NAN, INF, BLOWUP]
    assert w.live.tolist() == [True, False, False, False]


def test_a_run_is_marked_once_with_its_first_step_and_reason():
    w = Watch(2)
    w.check_loss(2, np.array([np.inf, 0.0]), 1.0)
    new = w.check_params(5, np.array([[np.nan], [np.nan]]))
    assert new.tolist() == [False, True]  # run 0 was already marked
    assert w.at.tolist() == [2, 5] and w.reason == [INF, PARAMS]


def test_rows_map_compacted_values_to_their_runs():
    w = Watch(5)
    new = w.check_loss(7, np.array([0.5, np.nan]), 1.0, rows=np.array([1, 3]))
    assert new.tolist() == [False, True]
    assert w.at.tolist() == [NEVER, NEVER, NEVER, 7, NEVER] and w.reason[3] == NAN


def test_check_params_with_and_without_a_position_limit():
    x = np.array([[1.0, -2.0], [1e9, 0.0], [np.inf, 0.0], [1e308, 1e308]])
    w = Watch(4)
    with np.errstate(over="ignore"):  # as every caller runs: the sum overflows to inf
        new = w.check_params(1, x)  # no limit: only non-finite rows (by their sum)
    assert new.tolist() == [False, False, True, True]
    assert w.reason == ["", "", PARAMS, PARAMS]
    w = Watch(4)
    new = w.check_params(1, x, limit=1e8)
    assert new.tolist() == [False, True, True, True]
    assert w.reason == ["", POSITION, PARAMS, POSITION]
    assert Watch(1).check_params(0, np.array([[1e8]]), limit=1e8) is None  # at the limit: fine


def test_check_finite_flags_rows_with_any_bad_entry():
    w = Watch(3)
    g = np.array([[0.0, 1.0], [np.nan, 0.0], [0.0, -np.inf]])
    assert w.check_finite(4, g).tolist() == [False, True, True]
    assert w.reason == ["", GRAD, GRAD]


def test_blown_up_is_not_finite():
    assert blown_up([0.0, -1.0, np.inf, -np.inf, np.nan]).tolist() == [
        False,
        False,
        True,
        True,
        True,
    ]


# ----------------------------------------------------------------------------- descent


@pytest.mark.parametrize("a", [0.5, 2.0, 10.0])
@pytest.mark.parametrize("factor", [1e3, 1e6, 1e8])
def test_descent_diverges_where_the_closed_form_gap_passes_the_factor(a, factor):
    """x_k = (1 - lr a)^k x0, so the gap grows as r^(2k): past ``factor`` at the first k with
    r^(2k) > factor, for every rate above 2/a (the position stays far inside its limit)."""
    lrs = np.array([2.05, 2.2, 2.5, 3.0, 4.0]) / a
    res = run_descent(quadratic(a=a), 1.0, lrs, steps=300, blowup_factor=factor)
    k = np.arange(301)
    for i, lr in enumerate(lrs):
        r = abs(1.0 - lr * a)
        expected = int(k[np.argmax(r ** (2 * k) > factor * (1 + 1e-12))])
        assert res.diverged_at[i] == expected and res.diverged_reason[i] == BLOWUP
        assert res.verdicts[i].step == expected


def test_descent_records_what_an_unlimited_run_crosses_first():
    """The same runs with the limits out of reach: the step recorded with limits is the first
    step where that run's gap passes the factor or its position passes the limit."""
    s = quadratic(a=1.0)
    lrs = np.array([2.1, 2.6, 3.5, 0.5])
    free = run_descent(s, 3.0, lrs, steps=200, blowup_factor=1e300, position_limit=1e300)
    for factor, limit in ((1e4, 1e8), (1e8, 50.0), (1e10, 1e3)):
        res = run_descent(s, 3.0, lrs, steps=200, blowup_factor=factor, position_limit=limit)
        gap = free.loss - 0.0
        over = (gap > factor * gap[:, :1]) | (np.abs(free.path[:, :, 0]) > limit)
        for i in range(lrs.size):
            hits = np.flatnonzero(over[i])
            expected = int(hits[0]) if hits.size else NEVER
            assert res.diverged_at[i] == expected
            t = res.diverged_at[i]
            if t != NEVER:  # identical up to the step it froze, NaN after
                assert_array_equal(res.path[i, : t + 1], free.path[i, : t + 1])
                assert np.isnan(res.path[i, t + 1 :]).all()


# ----------------------------------------------------------------------------- train


LIN = ModelSpec("linreg", 4, 1)


@pytest.fixture(scope="module")
def reg():
    return make_regression_problem(80, 4, curvature=4.0, condition=10.0, seed=1)


@pytest.mark.parametrize("factor", [10.0, 1e3, 1e6])
def test_train_diverges_where_its_loss_first_passes_factor_times_the_start(reg, factor):
    """Full-batch GD above 2 / lambda_max: the recorded step is the first iteration whose
    batch loss (taken from a run with no reachable limit) passes ``factor * max(loss_0, 1)``."""
    lrs = np.array([1.05, 1.5, 3.0, 0.5]) * reg.lr_max
    free = train(LIN, reg.data, lrs, epochs=300, batch_size=None, blowup_factor=1e300)
    h = train(LIN, reg.data, lrs, epochs=300, batch_size=None, blowup_factor=factor)
    for k in range(lrs.size):
        loss = free.train_loss[k]
        over = ~(loss <= factor * max(loss[0], 1.0))
        hits = np.flatnonzero(over)
        expected = int(hits[0]) if hits.size else NEVER
        assert h.diverged_at[k] == expected
        if expected != NEVER:
            assert h.diverged_reason[k] == BLOWUP and h.grad_evals[k] == expected + 1
            assert_array_equal(h.train_loss[k, : expected + 1], loss[: expected + 1])
    assert h.diverged.tolist() == [True, True, True, False]
    assert h.diverged_at[3] == NEVER and h.diverged_reason[3] == ""
