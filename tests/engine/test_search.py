"""Learning-rate search on a problem whose good rates are known in closed form.

Linear least squares with Hessian eigenvalues in [lambda_min, lambda_max]: full-batch gradient
descent converges iff lr < 2 / lambda_max and fastest near 2 / (lambda_min + lambda_max).  A
search must pick a rate in [0.1 / lambda_max, 2 / lambda_max].
"""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from engine.data import load_dataset, make_regression_problem
from engine.models import ModelSpec
from engine.search import coarse_to_fine, successive_halving
from engine.train import train

LIN = ModelSpec("linreg", 5, 1)


@pytest.fixture(scope="module")
def prob():
    # lambda_max = 10, condition 100: stable below 0.2, best rate 2 / 10.1 = 0.198
    return make_regression_problem(400, 5, curvature=10.0, condition=100.0, seed=4)


def _in_good_range(lr, p):
    return 0.1 / p.lambda_max <= lr <= p.lr_max


@pytest.fixture(scope="module")
def c2f(prob):
    return coarse_to_fine(
        LIN,
        prob.data,
        lo_exp=-5,
        hi_exp=1,
        coarse_subset=1.0,
        coarse_epochs=30,
        refine_points=8,
        refine_epochs=60,
        batch_size=None,
    )


def test_coarse_to_fine_picks_a_rate_in_the_known_good_range(prob, c2f):
    assert_allclose(c2f.coarse.lrs, 10.0 ** np.arange(-5, 2))
    # stage 1 on the full data: exactly the rates above 2 / lambda_max blow up
    assert_array_equal(c2f.coarse.diverged, c2f.coarse.lrs > prob.lr_max)
    assert np.isinf(c2f.coarse.final_loss[c2f.coarse.diverged]).all()
    assert c2f.coarse.lrs[c2f.coarse.best] == pytest.approx(0.1)
    # stage 2: the best decade, centred on 0.1
    assert_allclose(c2f.interval, (10**-1.5, 10**-0.5))
    assert_allclose(c2f.refine.lrs, np.geomspace(10**-1.5, 10**-0.5, 8))
    assert_array_equal(c2f.refine.diverged, c2f.refine.lrs > prob.lr_max)
    assert _in_good_range(c2f.best_lr, prob)
    # and it is the best of its grid by the validation loss
    assert c2f.best_loss == np.min(c2f.refine.final_loss)
    assert c2f.best_lr == max(lr for lr in c2f.refine.lrs if lr < prob.lr_max)


def test_coarse_to_fine_counts_its_cost(prob, c2f):
    n = prob.data.n_train
    # every stage is ONE batched run over all its rates
    assert c2f.coarse.history.K == 7 and c2f.refine.history.K == 8
    assert c2f.coarse.cost == int(c2f.coarse.history.examples.sum())
    assert c2f.cost == c2f.coarse.cost + c2f.refine.cost
    # a diverged run costs only what it ran; the others the full epochs
    ok = ~c2f.coarse.diverged
    assert np.all(c2f.coarse.history.examples[ok] == 30 * n)
    assert np.all(c2f.coarse.history.examples[~ok] < 30 * n)
    # the baseline: stage 2's density (7 intervals per decade) over 6 decades, all the data
    assert c2f.full_grid_points == 6 * 7 + 1
    assert c2f.full_grid_cost == 43 * n * 60
    assert c2f.savings == pytest.approx(c2f.full_grid_cost / c2f.cost)
    assert c2f.savings > 3


def test_cheap_coarse_stage_and_random_refinement_still_find_a_good_rate(prob):
    res = coarse_to_fine(
        LIN,
        prob.data,
        lo_exp=-6,
        hi_exp=1,
        coarse_subset=0.2,
        coarse_epochs=10,
        refine_points=10,
        refine_decades=2,
        refine_epochs=60,
        batch_size=None,
        sampling="random",
        seed=3,
    )
    lo, hi = res.interval
    assert hi / lo == pytest.approx(100.0) or hi == pytest.approx(10.0)
    assert np.all(np.diff(res.refine.lrs) > 0)
    assert np.all((res.refine.lrs >= lo) & (res.refine.lrs <= hi))
    assert _in_good_range(res.best_lr, prob)
    assert res.coarse.subset == 0.2
    assert res.coarse.history.n_train == round(0.2 * prob.data.n_train)
    # seeded: the same seed gives the same samples, another seed others
    again = coarse_to_fine(
        LIN,
        prob.data,
        lo_exp=-6,
        hi_exp=1,
        coarse_subset=0.2,
        coarse_epochs=10,
        refine_points=10,
        refine_decades=2,
        refine_epochs=5,
        batch_size=None,
        sampling="random",
        seed=3,
    )
    assert_array_equal(again.refine.lrs, res.refine.lrs)
    other = coarse_to_fine(
        LIN,
        prob.data,
        lo_exp=-6,
        hi_exp=1,
        coarse_subset=0.2,
        coarse_epochs=10,
        refine_points=10,
        refine_decades=2,
        refine_epochs=5,
        batch_size=None,
        sampling="random",
        seed=4,
    )
    assert not np.array_equal(other.refine.lrs, res.refine.lrs)


def test_coarse_to_fine_on_digits_with_minibatches():
    data = load_dataset("digits", subset=0.5)
    res = coarse_to_fine(ModelSpec("softmax", 64, 10), data, refine_points=4, refine_epochs=2)
    assert res.coarse.lrs.size == 8 and np.isfinite(res.best_loss)
    assert 1e-7 <= res.best_lr <= 1.0
    assert res.cost < res.full_grid_cost


def test_when_everything_diverges_the_search_says_so(prob):
    res = coarse_to_fine(
        LIN,
        prob.data,
        lo_exp=1,
        hi_exp=3,
        coarse_subset=1.0,
        coarse_epochs=20,
        refine_epochs=20,
        batch_size=None,
    )
    assert res.coarse.diverged.all() and res.coarse.best == -1
    assert math.isnan(res.best_lr) and res.best_loss == math.inf


@pytest.mark.parametrize(
    "kwargs",
    [dict(sampling="sobol"), dict(lo_exp=0, hi_exp=0), dict(refine_points=1), dict(per_decade=0)],
)
def test_bad_search_settings_are_refused(prob, kwargs):
    with pytest.raises(ValueError):
        coarse_to_fine(LIN, prob.data, **kwargs)


# ----------------------------------------------------------------------------- halving


def test_successive_halving_keeps_the_best_candidate(prob):
    lrs = np.geomspace(0.01 / prob.lambda_max, 3.0 / prob.lambda_max, 9)
    R = 81
    res = successive_halving(LIN, prob.data, lrs, max_steps=R, eta=3, batch_size=None)
    # the ground truth: every candidate trained to the end
    full = train(LIN, prob.data, lrs, epochs=R, batch_size=None)
    scores = np.where(full.diverged, np.inf, full.final_val_loss)
    assert res.best_lr == lrs[np.argmin(scores)]
    assert _in_good_range(res.best_lr, prob)
    # full-batch SGD resumed from the survivors' weights == one uninterrupted run
    assert_allclose(res.best_loss, scores.min(), rtol=1e-9)
    # rungs: 9 candidates for 9 steps, 3 up to 27, 1 up to 81
    assert [r.lrs.size for r in res.rungs] == [9, 3, 1]
    assert [r.steps for r in res.rungs] == [9, 27, 81]
    assert [int(r.kept.sum()) for r in res.rungs] == [3, 1, 1]
    # the diverging candidates were dropped in the first rung and cost less than 9 steps
    first = res.rungs[0]
    assert np.all(~first.kept[first.diverged])
    assert first.diverged[lrs > prob.lr_max].any()
    assert res.grad_evals_all == 9 * R
    assert res.grad_evals_used == sum(r.cost_grad_evals for r in res.rungs)
    assert res.grad_evals_used <= 9 * 9 + 3 * 18 + 1 * 54
    assert (
        res.grad_evals_saved == res.grad_evals_all - res.grad_evals_used > 0.5 * res.grad_evals_all
    )
    assert res.examples_all == 9 * R * prob.data.n_train
    assert res.fraction_used < 0.5


def test_successive_halving_with_eta_2_and_minibatches():
    data = load_dataset("moons", seed=1)
    spec = ModelSpec("mlp", 2, 2, hidden=(8,))
    lrs = np.geomspace(1e-3, 1e3, 8)
    res = successive_halving(spec, data, lrs, max_steps=40, eta=2, batch_size=32, seed=2)
    assert [r.lrs.size for r in res.rungs] == [8, 4, 2, 1]
    assert [r.steps for r in res.rungs] == [5, 10, 20, 40]
    assert 1e-2 <= res.best_lr <= 1e2 and np.isfinite(res.best_loss)
    # every rung continues the survivors: the next rung's candidates are this rung's kept ones
    for a, b in zip(res.rungs[:-1], res.rungs[1:], strict=True):
        assert_array_equal(a.lrs[a.kept], b.lrs)
    with pytest.raises(ValueError):
        successive_halving(spec, data, lrs, eta=1)
    with pytest.raises(ValueError):
        successive_halving(spec, data, [])
