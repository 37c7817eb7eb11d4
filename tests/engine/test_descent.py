"""The descent runner against closed forms, hand-computed steps and the classical thresholds."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from engine.descent import (
    MAX_STEPS,
    POLYAK,
    DescentError,
    run_descent,
    run_many,
)
from engine.optim import Optimizer
from engine.surfaces import get_surface, ill_conditioned, quadratic, rosenbrock, saddle_well
from engine.verdict import NEVER, Kind


@pytest.mark.parametrize("a", [0.5, 1.0, 4.0])
def test_gd_on_parabola_is_the_closed_form(a):
    lrs = np.array([0.1, 0.5, 0.9, 1.0, 1.5, 1.9, 2.0]) / a
    x0 = 3.0
    res = run_descent(quadratic(a=a), x0, lrs, steps=40)
    k = np.arange(41)
    expected = (1.0 - lrs[:, None] * a) ** k[None, :] * x0
    assert_allclose(res.path[:, :, 0], expected, rtol=1e-12, atol=1e-300)
    assert_allclose(res.loss, 0.5 * a * expected**2, rtol=1e-12, atol=1e-300)
    assert_allclose(res.grad_norm, a * np.abs(expected), rtol=1e-12, atol=1e-300)
    assert_allclose(res.lr_trace, np.broadcast_to(lrs[:, None], (7, 41)))
    assert res.path.shape == (7, 41, 1) and res.steps == 40 and res.dim == 1 and len(res) == 7


def test_shifted_parabola():
    res = run_descent(quadratic(a=2.0, center=-1.0), 3.0, [0.25], steps=5)
    assert_allclose(res.path[0, :, 0], -1.0 + 4.0 * 0.5 ** np.arange(6))


def test_verdicts_at_the_classical_thresholds():
    a, x0 = 2.0, 4.0
    lrs = [0.3 / a, 0.9 / a, 1.0 / a, 1.2 / a, 1.8 / a, 2.0 / a, 2.05 / a, 2.5 / a]
    res = run_descent(quadratic(a=a), x0, lrs, steps=300)
    v = res.verdicts
    # lr < 1/a: monotone convergence
    for i in (0, 1):
        assert v[i].kind == "converged" and v[i].converged and not v[i].oscillating
        assert np.all(np.diff(res.path[i, :, 0]) <= 0)
    # lr = 1/a: one step
    assert v[2].kind == "converged" and v[2].step == 1 and "single step" in v[2].text
    # 1/a < lr < 2/a: converges while zig-zagging
    for i in (3, 4):
        assert v[i].kind == "oscillating" and v[i].converged and v[i].oscillating
        assert "zig-zag" in v[i].text and f"{v[i].step} steps" in v[i].text
    # lr = 2/a: bounces forever, never settles, never blows up
    assert v[5].kind == "oscillating" and not v[5].converged and v[5].step == NEVER
    assert_allclose(np.abs(res.path[5, :, 0]), x0)
    # lr > 2/a: diverges, at the step where the loss has grown by the blow-up factor
    for i, lr in ((6, lrs[6]), (7, lrs[7])):
        r = abs(1.0 - lr * a)
        predicted = math.ceil(math.log(1e8) / (2.0 * math.log(r)))  # r^(2k) > blowup
        assert v[i].kind == "diverged" and v[i].step == predicted == res.diverged_at[i]
        assert f"diverged at step {predicted}" in v[i].text and "overshoots" in v[i].text
        assert np.all(np.isfinite(res.path[i, : predicted + 1]))
        assert np.all(np.isnan(res.path[i, predicted + 1 :]))
        assert np.all(np.isnan(res.loss[i, predicted + 1 :]))
    assert np.all(res.diverged_at[:6] == NEVER)
    assert res.diverged_reason == ("",) * 6 + ("blowup",) * 2
    assert all(isinstance(x.kind, Kind) for x in v)


def test_divergence_criteria():
    # with f_min known: the loss gap grows past blowup times its start, (1 - lr a)^(2k) > blowup
    res = run_descent(quadratic(a=1.0), 1.0, [3.0], steps=100, blowup_factor=1e6)
    assert res.diverged_at[0] == math.ceil(math.log(1e6) / (2 * math.log(2.0)))
    # without f_min: |f - f(x0)| > blowup * max(|f(x0)|, 1), here 0.5 * 4^k - 0.5 > 1e6
    from engine.expr import parse_function

    s = parse_function("x**2/2", window=((0.5, 3.0),))  # minimum outside the window: unknown
    assert s.f_min is None
    res = run_descent(s, 1.0, [3.0], steps=100, blowup_factor=1e6)
    k = np.arange(1, 100)
    assert res.diverged_at[0] == k[np.argmax(0.5 * 4.0**k - 0.5 > 1e6)]
    # an overflow to inf is caught on the step it happens, without any warning
    res = run_descent(get_surface("lopsided"), -1.0, [1.0, 2000.0], steps=20)
    assert res.verdicts[0].converged
    assert res.verdicts[1].kind == "diverged" and res.verdicts[1].step != NEVER
    assert res.diverged_reason == ("", "inf")
    # |x| past position_limit: 4 * 1.5^k > 100 first at k = 8, before the loss gap passes 1e8
    res = run_descent(quadratic(), 4.0, [2.5], steps=40, position_limit=100.0)
    assert res.diverged_at.tolist() == [8] and res.diverged_reason == ("position",)
    assert res.verdicts[0].step == 8 and "diverged at step 8" in res.verdicts[0].text


def test_too_slow_text_reports_the_distance_left():
    res = run_descent(quadratic(), 4.0, [0.01], steps=50)
    (v,) = res.verdicts
    left = 0.99**50
    assert v.kind == Kind.SLOW and v.step == NEVER
    assert f"{100 * left:.0f}% of the way from the minimum" in v.text


def test_batched_run_equals_separate_runs_exactly():
    s = rosenbrock()
    lrs = [1e-4, 5e-4, 1e-3, 2e-3]
    for opt in (Optimizer("sgd"), Optimizer("nesterov"), Optimizer("adam")):
        batch = run_descent(s, (-1.2, 1.0), lrs, optimizer=opt, steps=60)
        for i, lr in enumerate(lrs):
            one = run_descent(s, (-1.2, 1.0), [lr], optimizer=opt, steps=60)
            assert_array_equal(batch.path[i], one.path[0])
            assert_array_equal(batch.loss[i], one.loss[0])
            assert batch.verdicts[i] == one.verdicts[0]


def test_a_diverging_rate_leaves_the_others_bit_identical():
    s = rosenbrock()
    calm = run_descent(s, (-1.2, 1.0), [1e-4, 1e-3], steps=80)
    mixed = run_descent(s, (-1.2, 1.0), [1e-4, 0.05, 1e-3], steps=80)
    assert mixed.verdicts[1].kind == "diverged"
    assert_array_equal(mixed.path[[0, 2]], calm.path)
    assert_array_equal(mixed.loss[[0, 2]], calm.loss)
    assert_array_equal(mixed.grad_norm[[0, 2]], calm.grad_norm)


A = np.array([1.0, 10.0])  # ill_conditioned(kappa=10, angle=0): f = (x^2 + 10 y^2) / 2


def _first_two_steps(opt, lr, x0=(1.0, 1.0)):
    res = run_descent(ill_conditioned(kappa=10.0, angle=0.0), x0, [lr], optimizer=opt, steps=2)
    return res.path[0, 1], res.path[0, 2]


def test_momentum_by_hand():
    lr, mu, x0 = 0.05, 0.9, np.array([1.0, 1.0])
    v = A * x0
    x1 = x0 - lr * v
    v = mu * v + A * x1
    x2 = x1 - lr * v
    got = _first_two_steps(Optimizer("momentum", momentum=mu), lr)
    assert_allclose(got, [x1, x2], rtol=1e-14)


def test_nesterov_by_hand():
    lr, mu, x0 = 0.05, 0.9, np.array([1.0, 1.0])
    g = A * x0
    v = g
    x1 = x0 - lr * (g + mu * v)
    g = A * x1
    v = mu * v + g
    x2 = x1 - lr * (g + mu * v)
    got = _first_two_steps(Optimizer("nesterov", momentum=mu), lr)
    assert_allclose(got, [x1, x2], rtol=1e-14)


def test_adam_by_hand():
    lr, b1, b2, eps, x0 = 0.1, 0.9, 0.999, 1e-8, np.array([1.0, 1.0])
    g = A * x0
    m = (1 - b1) * g
    s = (1 - b2) * g * g
    x1 = x0 - lr * (m / (1 - b1)) / (np.sqrt(s / (1 - b2)) + eps)
    g = A * x1
    m = b1 * m + (1 - b1) * g
    s = b2 * s + (1 - b2) * g * g
    x2 = x1 - lr * (m / (1 - b1**2)) / (np.sqrt(s / (1 - b2**2)) + eps)
    got = _first_two_steps(Optimizer("adam"), lr)
    assert_allclose(got, [x1, x2], rtol=1e-14)


@pytest.mark.parametrize(("kappa", "angle"), [(10.0, 0.0), (25.0, 35.0), (100.0, -60.0)])
def test_best_fixed_rate_contracts_at_the_predicted_rate(kappa, angle):
    s = ill_conditioned(kappa=kappa, angle=angle)
    best = 2.0 / (1.0 + kappa)
    res = run_descent(s, (3.0, -2.0), [best], steps=200, tol=1e-300)
    dist = np.linalg.norm(res.path[0], axis=-1)
    n0, n1 = 20, 180
    measured = (dist[n1] / dist[n0]) ** (1.0 / (n1 - n0))
    assert measured == pytest.approx((kappa - 1.0) / (kappa + 1.0), rel=1e-9)


def test_polyak_converges_on_a_quadratic():
    # on a/2 x^2 Polyak's step is exactly 1/(2a): the distance halves every step
    res = run_descent(quadratic(a=3.0), 2.0, [1.0], optimizer=POLYAK, steps=10)
    assert_allclose(res.path[0, :, 0], 2.0 * 0.5 ** np.arange(11), rtol=1e-13)
    assert_allclose(res.lr_trace[0], 1.0 / 6.0, rtol=1e-13)
    assert res.labels == ("Polyak × 1",)
    res = run_descent(
        ill_conditioned(kappa=20.0), (4.0, 3.0), [1.0, 1.5], optimizer="polyak", steps=400
    )
    assert all(v.converged for v in res.verdicts)
    with pytest.raises(DescentError, match="f\\*"):
        run_descent(get_surface("saddle"), (1.0, 0.1), [1.0], optimizer="polyak")


def test_run_many_groups_optimisers_and_matches_single_runs():
    s = rosenbrock()
    configs = [
        ("sgd", 1e-3),
        (Optimizer("adam"), 0.02),
        ("momentum", 5e-4),
        ("adam", 0.05),
        (POLYAK, 1.0),
    ]
    res = run_many(s, (-1.2, 1.0), configs, steps=40)
    assert res.labels[0] == "SGD, lr = 0.001" and res.labels[-1] == "Polyak × 1"
    for i, (opt, lr) in enumerate(configs):
        one = run_descent(s, (-1.2, 1.0), [lr], optimizer=opt, steps=40)
        assert_array_equal(res.path[i], one.path[0])
        assert_array_equal(res.lr_trace[i], one.lr_trace[0])
    assert_allclose(res.lrs, [c[1] for c in configs])


def test_hypergradient_rate_is_traced():
    s = quadratic(a=1.0)
    plain = run_descent(s, 3.0, [0.01], steps=30)
    hd0 = run_descent(s, 3.0, [0.01], optimizer=Optimizer("sgd", hypergrad="additive"), steps=30)
    assert_array_equal(hd0.path, plain.path)  # beta = 0: plain SGD
    hd = run_descent(
        s, 3.0, [0.01], optimizer=Optimizer("sgd", hypergrad="additive", hyper_lr=0.01), steps=30
    )
    assert hd.lr_trace[0, 0] == hd.lr_trace[0, 1] == 0.01
    assert np.all(np.diff(hd.lr_trace[0, 1:10]) > 0)  # the rate grows while steps agree
    assert hd.labels == ("SGD-HD, lr = 0.01",)


def test_saddle_and_local_minimum_verdicts():
    s = saddle_well()
    res = run_descent(s, (1.5, 0.0), [0.3], steps=200)  # exactly on the ridge: ends at the saddle
    assert res.verdicts[0].kind == "stuck at saddle" and res.verdicts[0].converged
    res = run_descent(s, (1.5, 1e-3), [0.3], steps=200)  # a nudge lets it escape
    assert res.verdicts[0].kind == "converged"
    dw = get_surface("double_well")
    res = run_descent(dw, 1.6, [0.02], steps=300)
    assert res.verdicts[0].kind == "local minimum" and "local minimum" in res.verdicts[0].text
    res = run_descent(dw, -1.6, [0.02], steps=300)
    assert res.verdicts[0].kind == "converged"


def test_unbounded_surface_runs_off():
    res = run_descent(get_surface("saddle"), (1.0, 0.5), [0.5], steps=200)
    assert res.verdicts[0].kind == "unbounded" and res.verdicts[0].step == res.diverged_at[0] > 0


def test_start_at_the_minimum():
    res = run_descent(quadratic(), 0.0, [0.5, 5.0], steps=5)
    assert all(v.kind == "converged" and v.step == 0 for v in res.verdicts)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lrs": [-0.1]}, "positive"),
        ({"lrs": [float("nan")]}, "positive"),
        ({"lrs": []}, "between 1 and"),
        ({"lrs": ["a"]}, "numbers"),
        ({"steps": 0}, "steps"),
        ({"steps": MAX_STEPS + 1}, "steps"),
        ({"steps": 2.5}, "whole number"),
        ({"steps": True}, "whole number"),
        ({"x0": (1.0, 2.0)}, "coordinate"),
        ({"x0": float("inf")}, "finite"),
        ({"optimizer": "rmsprop"}, "unknown optimiser"),
        ({"tol": 0.0}, "tol"),
        ({"blowup_factor": 0.5}, "blowup_factor"),
        ({"position_limit": float("inf")}, "position_limit"),
    ],
)
def test_bad_input_raises_a_clear_error(kwargs, match):
    args = {"x0": 1.0, "lrs": [0.1], **kwargs}
    x0, lrs = args.pop("x0"), args.pop("lrs")
    with pytest.raises(DescentError, match=match):
        run_descent(quadratic(), x0, lrs, **args)


def test_start_where_the_function_is_undefined():
    from engine.expr import parse_function

    s = parse_function("log(x)", window=((0.1, 3.0),))
    with pytest.raises(DescentError, match="not a finite number"):
        run_descent(s, -1.0, [0.1])
    res = run_descent(s, 1.0, [0.5, 100.0], steps=20)  # walks into log(negative): NaN is a result
    assert res.verdicts[1].kind == "diverged"
