"""The shared optimiser core against hand-computed steps."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from engine.optim import OPTIMIZERS, Optimizer, init_state, step

A = np.array([1.0, 10.0])  # f(x) = 0.5 * sum(A * x^2), gradient A * x


def grad(x):
    with np.errstate(all="ignore"):
        return A * x


def run(opt, lr, x0, n):
    x = np.array(x0, dtype=float)[None, :].repeat(np.size(lr), 0)
    s = init_state(opt, x, lr)
    xs, lrs = [x.copy()], []
    for _ in range(n):
        step(opt, s, x, grad(x))
        xs.append(x.copy())
        lrs.append(s.lr.copy())
    return np.array(xs), np.array(lrs)


def test_sgd_closed_form():
    xs, _ = run(Optimizer("sgd"), [0.05, 0.15], [1.0, 1.0], 5)
    k = np.arange(6)[:, None]
    assert_allclose(xs[:, 0, :], (1 - 0.05 * A) ** k)
    assert_allclose(xs[:, 1, :], (1 - 0.15 * A) ** k)


def test_momentum_and_nesterov_by_hand():
    lr, mu, x0 = 0.1, 0.9, np.array([1.0, 1.0])
    # heavy ball, PyTorch form
    v = A * x0
    x1 = x0 - lr * v
    v = mu * v + A * x1
    x2 = x1 - lr * v
    xs, _ = run(Optimizer("momentum", momentum=mu), [lr], x0, 2)
    assert_allclose(xs[1, 0], x1)
    assert_allclose(xs[2, 0], x2)
    # Nesterov, PyTorch form
    g = A * x0
    v = g
    x1 = x0 - lr * (g + mu * v)
    g = A * x1
    v = mu * v + g
    x2 = x1 - lr * (g + mu * v)
    xs, _ = run(Optimizer("nesterov", momentum=mu), [lr], x0, 2)
    assert_allclose(xs[1, 0], x1)
    assert_allclose(xs[2, 0], x2)


def test_adam_by_hand():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    x = np.array([1.0, -2.0])
    m = v = np.zeros(2)
    ref = []
    for t in (1, 2, 3):
        g = A * x
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        x = x - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        ref.append(x)
    xs, _ = run(Optimizer("adam"), [lr], [1.0, -2.0], 3)
    assert_allclose(xs[1:, 0], np.array(ref), rtol=1e-12)
    # first Adam step moves every coordinate by about lr, whatever the gradient's scale
    assert_allclose(np.abs(xs[1, 0] - xs[0, 0]), lr, rtol=1e-6)


def test_sgd_hd_by_hand():
    """Baydin et al. Alg. 4: alpha_t = alpha_{t-1} + beta g_t . g_{t-1}; alpha moves after step 1."""
    a0, beta = 0.01, 0.001
    x = np.array([1.0, 1.0])
    g0 = A * x
    x1 = x - a0 * g0
    g1 = A * x1
    a1 = a0 + beta * g1 @ g0
    x2 = x1 - a1 * g1
    g2 = A * x2
    a2 = a1 + beta * g2 @ g1
    x3 = x2 - a2 * g2
    xs, lrs = run(Optimizer("sgd", hypergrad="additive", hyper_lr=beta), [a0], [1.0, 1.0], 3)
    assert_allclose(lrs[:, 0], [a0, a1, a2], rtol=1e-14)
    assert_allclose(xs[3, 0], x3, rtol=1e-12)


def test_sgdn_hd_by_hand():
    """Alg. 5: alpha_t = alpha_{t-1} + beta g_t . (g_{t-1} + mu v_{t-1})."""
    a0, beta, mu = 0.01, 0.001, 0.9
    x = np.array([1.0, 1.0])
    g = A * x
    v = g
    d = g + mu * v
    x = x - a0 * d
    g = A * x
    a1 = a0 + beta * g @ d
    v = mu * v + g
    d = g + mu * v
    x = x - a1 * d
    xs, lrs = run(
        Optimizer("nesterov", momentum=mu, hypergrad="additive", hyper_lr=beta), [a0], [1.0, 1.0], 2
    )
    assert_allclose(lrs[:, 0], [a0, a1], rtol=1e-14)
    assert_allclose(xs[2, 0], x, rtol=1e-14)


def test_adam_hd_by_hand():
    """Alg. 6: alpha_t = alpha_{t-1} + beta g_t . m_hat_{t-1} / (sqrt(v_hat_{t-1}) + eps)."""
    a, beta, b1, b2, eps = 0.01, 1e-3, 0.9, 0.999, 1e-8
    x = np.array([1.0, -2.0])
    m = v = np.zeros(2)
    d_prev = np.zeros(2)
    alphas = []
    for t in (1, 2, 3):
        g = A * x
        a = a + beta * g @ d_prev
        alphas.append(a)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        d_prev = (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        x = x - a * d_prev
    xs, lrs = run(Optimizer("adam", hypergrad="additive", hyper_lr=beta), [0.01], [1.0, -2.0], 3)
    assert_allclose(lrs[:, 0], alphas, rtol=1e-12)
    assert_allclose(xs[3, 0], x, rtol=1e-12)


def test_multiplicative_hd_by_hand():
    """HDM: alpha_t = alpha_{t-1} (1 + beta cos(g_t, g_{t-1}))."""
    a0, beta = 0.15, 0.02
    x = np.array([1.0, 1.0])
    g0 = A * x
    x1 = x - a0 * g0
    g1 = A * x1
    cos = g1 @ g0 / np.linalg.norm(g1) / np.linalg.norm(g0)
    a1 = a0 * (1 + beta * cos)
    _, lrs = run(Optimizer("sgd", hypergrad="multiplicative", hyper_lr=beta), [a0], [1.0, 1.0], 2)
    assert_allclose(lrs[1, 0], a1, rtol=1e-14)


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("mode", ["additive", "multiplicative"])
def test_hd_with_beta_zero_is_base_optimizer(name, mode):
    lrs = [1e-3, 3e-2, 0.3]
    base, _ = run(Optimizer(name), lrs, [1.0, -1.0], 20)
    hd, hd_lrs = run(Optimizer(name, hypergrad=mode, hyper_lr=0.0), lrs, [1.0, -1.0], 20)
    np.testing.assert_array_equal(base, hd)
    np.testing.assert_array_equal(hd_lrs, np.broadcast_to(lrs, hd_lrs.shape))


@pytest.mark.parametrize("a0", [1e-4, 0.19])
def test_hd_moves_rate_towards_stable_range_1d(a0):
    """On f = a/2 x^2 the HD term has the sign of (1 - alpha a): alpha is pulled towards 1/a."""
    global A
    saved, A = A, np.array([10.0])
    try:
        _, lrs = run(Optimizer("sgd", hypergrad="multiplicative", hyper_lr=0.05), [a0], [1.0], 30)
    finally:
        A = saved
    final = lrs[-1, 0]
    assert abs(np.log(final * 10.0)) < abs(np.log(a0 * 10.0))
    assert final < 2 / 10.0


@settings(max_examples=30, deadline=None)
@given(
    st.sampled_from(OPTIMIZERS),
    st.lists(st.floats(1e-4, 0.3), min_size=2, max_size=5),
    st.sampled_from([None, "additive", "multiplicative"]),
)
def test_batched_rows_equal_separate_runs(name, lrs, hd):
    opt = Optimizer(name, hypergrad=hd, hyper_lr=1e-3 if hd else 0.0)
    both, _ = run(opt, lrs, [0.5, -1.5], 10)
    for k, lr in enumerate(lrs):
        one, _ = run(opt, [lr], [0.5, -1.5], 10)
        np.testing.assert_array_equal(both[:, k], one[:, 0])


def test_diverging_row_does_not_touch_others():
    ok, _ = run(Optimizer("sgd"), [0.05], [1.0, 1.0], 400)
    both, _ = run(Optimizer("sgd"), [0.05, 5.0], [1.0, 1.0], 400)
    np.testing.assert_array_equal(both[:, 0], ok[:, 0])
    assert not np.isfinite(both[-1, 1]).all()


def test_bad_config_rejected():
    with pytest.raises(ValueError):
        Optimizer("lbfgs")
    with pytest.raises(ValueError):
        Optimizer("sgd", hypergrad="sideways")
    with pytest.raises(ValueError):
        Optimizer("momentum", momentum=1.5)
