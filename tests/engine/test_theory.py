"""Learning-rate thresholds against the classical formulas and against measured runs."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from engine.descent import run_descent
from engine.optim import Optimizer
from engine.surfaces import get_surface, ill_conditioned, quadratic, rosenbrock
from engine.theory import (
    TheoryError,
    contraction_factor,
    hessian_thresholds,
    local_thresholds,
    optimal_momentum,
    quadratic_regime,
    quadratic_thresholds,
    steps_to_tolerance,
    thresholds_from_eigenvalues,
)


@pytest.mark.parametrize("a", [0.1, 0.5, 1.0, 2.0, 37.5])
def test_quadratic_thresholds(a):
    t = quadratic_thresholds(a)
    assert t.fastest == pytest.approx(1.0 / a, rel=1e-15)
    assert t.diverge == pytest.approx(2.0 / a, rel=1e-15)
    assert t.best == pytest.approx(1.0 / a, rel=1e-15)
    assert t.kappa == 1.0 and t.contraction_at_best == 0.0 and t.kind == "convex"
    assert t.eigenvalues == (a,)
    # the same numbers from the surface's Hessian, anywhere
    assert local_thresholds(quadratic(a=a), 1.7) == t


@pytest.mark.parametrize("kappa", [1.0, 4.0, 10.0, 100.0, 1000.0])
@pytest.mark.parametrize("angle", [0.0, 30.0, -75.0])
def test_ill_conditioned_largest_stable_rate(kappa, angle):
    t = local_thresholds(ill_conditioned(kappa=kappa, angle=angle), (0.4, -1.1))
    assert_allclose(t.eigenvalues, [1.0, kappa], rtol=1e-12)
    assert t.diverge == pytest.approx(2.0 / kappa, rel=1e-12)
    assert t.best == pytest.approx(2.0 / (1.0 + kappa), rel=1e-12)
    assert t.kappa == pytest.approx(kappa, rel=1e-12)
    assert t.contraction_at_best == pytest.approx((kappa - 1) / (kappa + 1), rel=1e-12)


@pytest.mark.parametrize("kappa", [5.0, 30.0])
def test_two_over_lambda_max_separates_convergence_from_divergence(kappa):
    s = ill_conditioned(kappa=kappa, angle=20.0)
    edge = local_thresholds(s, (0.0, 0.0)).diverge
    res = run_descent(s, (3.0, 2.0), [0.97 * edge, 1.03 * edge], steps=2000)
    assert res.verdicts[0].converged
    assert res.verdicts[1].kind == "diverged"


@settings(max_examples=20, deadline=None)
@given(
    kappa=st.floats(1.5, 50.0),
    angle=st.floats(-90.0, 90.0),
    frac=st.floats(0.05, 0.95),
)
def test_contraction_formula_matches_measured_rate(kappa, angle, frac):
    s = ill_conditioned(kappa=kappa, angle=angle)
    lam = np.array([1.0, kappa])
    lr = frac * 2.0 / kappa
    rho = float(contraction_factor(lam, [lr])[0])
    res = run_descent(s, (2.0, -1.0), [lr], steps=300, tol=1e-300)
    d = np.linalg.norm(res.path[0], axis=-1)
    # the distance never shrinks slower than rho per step ...
    big = d[:-1] > 1e-140  # d^2 stays a normal float (no subnormal precision loss)
    assert np.all(d[1:][big] <= rho * d[:-1][big] * (1 + 1e-12))
    # ... and asymptotically exactly at rho (the slowest eigen-component dominates)
    n0, n1 = 100, 200
    modes = np.abs(1 - lr * lam)
    if d[n1] > 1e-140 and modes.min() < 0.9 * modes.max():  # one mode clearly dominates
        assert (d[n1] / d[n0]) ** (1 / (n1 - n0)) == pytest.approx(rho, rel=1e-4)


def test_contraction_factor_vectorised():
    lrs = np.array([0.05, 2 / 11, 0.2, 0.25])
    assert_allclose(
        contraction_factor([1.0, 10.0], lrs), np.max(np.abs(1 - lrs[:, None] * [1.0, 10.0]), axis=1)
    )
    t = thresholds_from_eigenvalues([1.0, 10.0])
    assert_allclose(t.contraction(lrs), contraction_factor([1.0, 10.0], lrs))
    assert float(t.contraction(t.best)) == pytest.approx(t.contraction_at_best)


@pytest.mark.parametrize("a", [0.5, 2.0])
def test_steps_to_tolerance_matches_runs(a):
    lrs = np.array([0.1, 0.3, 0.7, 1.3, 1.9]) / a
    x0, tol = 3.0, 1e-6
    predicted = steps_to_tolerance([a], lrs, tol, start=x0)
    res = run_descent(quadratic(a=a), x0, lrs, steps=400)
    measured = np.argmax(np.abs(res.path[:, :, 0]) <= tol, axis=1)
    assert np.array_equal(predicted, measured), (predicted, measured)
    assert_allclose(
        steps_to_tolerance([a], [1 / a, 2 / a, 3 / a], tol, start=x0), [1, np.inf, np.inf]
    )
    assert_allclose(steps_to_tolerance([a], lrs, tol, start=tol / 2), 0)


def test_quadratic_regimes():
    a = 4.0
    lrs = [0.0, 0.1, 0.25, 0.3, 0.5, 0.6]
    assert quadratic_regime(a, lrs).tolist() == [
        "no progress",
        "monotone",
        "one step",
        "oscillating",
        "bounded oscillation",
        "diverging",
    ]


def test_saddles_maxima_and_flat_points_do_not_crash():
    sad = local_thresholds(get_surface("saddle"), (0.0, 0.0))
    assert sad.kind == "saddle" and sad.best is None and sad.kappa is None
    assert sad.diverge == pytest.approx(2.0) and "saddle" in sad.note.lower()
    assert float(sad.contraction(0.1)) > 1  # the negative direction grows at every rate
    mx = thresholds_from_eigenvalues([-2.0, -1.0])
    assert mx.kind == "maximum" and mx.diverge is None and mx.fastest is None
    flat = local_thresholds(get_surface("quartic"), 0.0)
    assert flat.kind == "flat" and flat.diverge is None and flat.kappa == math.inf
    half = thresholds_from_eigenvalues([0.0, 3.0])
    assert half.kind == "flat" and half.diverge == pytest.approx(2 / 3) and half.best is None
    nan = hessian_thresholds([[np.nan, 0.0], [0.0, 1.0]])
    assert nan.kind == "undefined" and nan.diverge is None
    dw = local_thresholds(get_surface("double_well"), 0.0)  # the hump between the wells
    assert dw.kind == "maximum"


def test_rosenbrock_minimum_thresholds():
    t = local_thresholds(rosenbrock(), (1.0, 1.0))
    lam = np.linalg.eigvalsh([[802.0, -400.0], [-400.0, 200.0]])
    assert t.diverge == pytest.approx(2 / lam[1]) and t.kappa == pytest.approx(lam[1] / lam[0])


def test_optimal_momentum_reaches_the_predicted_rate():
    kappa = 25.0
    m = optimal_momentum([1.0, kappa])
    assert m.rate == pytest.approx((math.sqrt(kappa) - 1) / (math.sqrt(kappa) + 1))
    assert m.lr == pytest.approx((2 / (1 + math.sqrt(kappa))) ** 2)
    assert m.momentum == pytest.approx(m.rate**2)
    s = ill_conditioned(kappa=kappa, angle=15.0)
    opt = Optimizer("momentum", momentum=m.momentum)
    res = run_descent(s, (2.0, -1.0), [m.lr], optimizer=opt, steps=400, tol=1e-300)
    d = np.linalg.norm(res.path[0], axis=-1)
    n0, n1 = 150, 300
    # critically damped: d_k ~ k rho^k, so allow the polynomial factor's share of the rate
    assert (d[n1] / d[n0]) ** (1 / (n1 - n0)) == pytest.approx(m.rate, rel=1e-2)
    with pytest.raises(TheoryError):
        optimal_momentum([-1.0, 2.0])


def test_bad_input():
    with pytest.raises(TheoryError):
        quadratic_thresholds(float("nan"))
    with pytest.raises(TheoryError):
        quadratic_thresholds("steep")  # type: ignore[arg-type]
    with pytest.raises(TheoryError):
        hessian_thresholds([1.0, 2.0])
    with pytest.raises(TheoryError):
        local_thresholds(rosenbrock(), [[1.0, 1.0], [0.0, 0.0]])
    with pytest.raises(TheoryError):
        steps_to_tolerance([1.0], [0.1], tol=0.0)
    with pytest.raises(TheoryError):
        quadratic_regime(-1.0, [0.1])
