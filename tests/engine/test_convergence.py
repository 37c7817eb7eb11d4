"""Measured against predicted contraction: closed forms and real runs on quadratics."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from engine.convergence import measured_contraction, predicted_contraction
from engine.descent import run_descent
from engine.optim import Optimizer
from engine.surfaces import ill_conditioned, saddle
from engine.theory import contraction_factor, optimal_momentum


def test_sgd_prediction_is_the_theory_contraction_factor():
    lrs = np.array([0.01, 0.05, 2 / 21, 0.1, 0.105])
    assert_allclose(predicted_contraction([1.0, 20.0], lrs), contraction_factor([1.0, 20.0], lrs))
    assert_allclose(predicted_contraction([1.0, 20.0], 2 / 21), 19 / 21, rtol=1e-12)


@pytest.mark.parametrize("kappa", [4.0, 25.0, 100.0])
def test_tuned_heavy_ball_rate_is_polyaks(kappa):
    tune = optimal_momentum([1.0, kappa])
    got = predicted_contraction([1.0, kappa], tune.lr, "momentum", momentum=tune.momentum)
    sk = math.sqrt(kappa)
    assert float(got) == pytest.approx((sk - 1) / (sk + 1), rel=1e-6)


def test_momentum_without_momentum_is_gradient_descent():
    lrs = np.array([0.02, 0.09, 0.11])
    for name in ("momentum", "nesterov"):
        got = predicted_contraction([1.0, 20.0], lrs, name, momentum=0.0)
        assert_allclose(got, contraction_factor([1.0, 20.0], lrs), rtol=1e-12)


def test_adam_has_no_linear_theory():
    with pytest.raises(ValueError, match="no linear theory"):
        predicted_contraction([1.0, 2.0], 0.1, "adam")


def test_geometric_sequence_is_measured_exactly():
    t = np.arange(41)
    path = np.stack([3.0 * 0.7**t, -2.0 * 0.7**t], axis=-1)[None]
    m = measured_contraction(path, [[0.0, 0.0]], window=15)
    assert m.rate[0] == pytest.approx(0.7, rel=1e-10)
    assert (m.start[0], m.end[0]) == (25, 40)


@pytest.mark.parametrize(
    "name, mu, lrs",
    [
        ("sgd", 0.0, [0.01, 0.0476, 2 / 21, 0.105]),
        ("momentum", 0.5, [0.01, 0.03, 0.06]),
        ("nesterov", 0.5, [0.01, 0.03, 0.045]),
    ],
)
def test_measured_matches_predicted_on_a_rotated_valley(name, mu, lrs):
    s = ill_conditioned(kappa=20.0, angle=30.0)
    res = run_descent(s, (2.2, 4.15), lrs, optimizer=Optimizer(name, momentum=mu), steps=300)
    m = measured_contraction(res.path, [s.minima[0]], window=40)
    assert_allclose(m.rate, predicted_contraction([1.0, 20.0], lrs, name, mu), rtol=5e-3)


def test_diverging_run_is_measured_on_its_finite_part():
    s = ill_conditioned(kappa=20.0, angle=0.0)
    res = run_descent(s, (3.0, 1.0), [0.11], steps=400)
    assert res.diverged_at[0] > 0
    m = measured_contraction(res.path, [[0.0, 0.0]])
    assert m.end[0] <= res.diverged_at[0]
    assert m.rate[0] == pytest.approx(1.2, rel=1e-3)  # |1 - 0.11 * 20|


def test_a_run_that_lands_exactly_has_nothing_to_measure():
    s = ill_conditioned(kappa=1.0, angle=0.0)
    res = run_descent(s, (2.0, 1.0), [1.0], steps=5)
    m = measured_contraction(res.path, [[0.0, 0.0]])
    assert np.isnan(m.rate[0]) and m.end[0] == -1


def test_nearest_candidate_point_and_escape_from_a_saddle():
    s = saddle()
    res = run_descent(s, (1.0, 1e-3), [0.2], steps=50)
    m = measured_contraction(res.path, [[0.0, 0.0], [50.0, 50.0]], window=10)
    assert m.point[0] == 0
    # away from the saddle the y component grows by 1 + lr per step
    assert m.rate[0] == pytest.approx(float(predicted_contraction([-1.0, 1.0], 0.2)), rel=2e-3)
    assert m.rate[0] == pytest.approx(1.2, rel=2e-3)


def test_no_candidate_points():
    m = measured_contraction(np.zeros((2, 5, 2)), np.zeros((0, 2)))
    assert np.all(np.isnan(m.rate))
