"""Models: backprop against finite differences, the flat parameter layout, closed forms."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from engine.data import make_regression_problem
from engine.models import (
    ModelSpec,
    Workspace,
    evaluate,
    init_params,
    loss_and_grad,
    predict,
    predict_proba,
)
from tests.engine.helpers import check_grads

SPECS = [
    ModelSpec("softmax", 5, 3),
    ModelSpec("mlp", 5, 3, hidden=(6,), activation="relu"),
    ModelSpec("mlp", 5, 3, hidden=(6,), activation="tanh"),
    ModelSpec("mlp", 5, 4, hidden=(6, 4), activation="relu"),
    ModelSpec("mlp", 5, 4, hidden=(6, 4), activation="tanh"),
    ModelSpec("linreg", 5, 1),
]


def _problem(spec: ModelSpec, seed: int, K: int = 3, B: int = 9):
    rng = np.random.default_rng(seed)
    theta = rng.standard_normal((K, spec.n_params))
    X = rng.standard_normal((B, spec.n_in))
    y = rng.integers(0, spec.n_out, B) if spec.is_classifier else rng.standard_normal(B)
    return theta, X, y


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.describe())
@pytest.mark.parametrize("seed", [0, 1])
def test_backprop_matches_finite_differences(spec, seed):
    theta, X, y = _problem(spec, seed)

    def f(th):
        return loss_and_grad(spec, th, X, y)[0]

    def g(th):
        return loss_and_grad(spec, th, X, y)[1].copy()

    # small step: ReLU kinks are then (almost surely) not crossed; 4th-order differences
    check_grads(f, g, theta, rtol=1e-6, rel_step=1e-5)


def test_backprop_with_the_last_partial_batch_and_a_reused_workspace():
    spec = ModelSpec("mlp", 5, 3, hidden=(6,), activation="tanh")
    theta, X, y = _problem(spec, 3, K=2, B=7)
    ws = Workspace(spec, 2, 7)
    out = np.empty_like(theta)
    loss1, g1 = loss_and_grad(spec, theta, X, y, out=out, work=ws)
    assert g1 is out
    g1 = g1.copy()
    # a different batch through the same workspace, then the first one again
    loss_and_grad(spec, theta, X[::-1], y[::-1], out=out, work=ws)
    loss2, g2 = loss_and_grad(spec, theta, X, y, out=out, work=ws)
    assert_array_equal(loss1, loss2)
    assert_array_equal(g1, g2)
    # a workspace of the wrong size is replaced, not misused
    loss3, g3 = loss_and_grad(spec, theta, X[:4], y[:4], work=ws)
    assert_allclose(loss3, loss_and_grad(spec, theta, X[:4], y[:4])[0], rtol=1e-14)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.describe())
def test_rows_are_independent_models(spec):
    theta, X, y = _problem(spec, 4, K=4)
    loss, grad = loss_and_grad(spec, theta, X, y)
    for k in range(4):
        lk, gk = loss_and_grad(spec, theta[k : k + 1], X, y)
        assert_allclose(loss[k], lk[0], rtol=1e-13)
        assert_allclose(grad[k], gk[0], rtol=1e-12, atol=1e-15)


def test_a_blown_up_row_does_not_touch_the_others():
    spec = ModelSpec("mlp", 5, 3, hidden=(6,))
    theta, X, y = _problem(spec, 5, K=3)
    ref_loss, ref_grad = loss_and_grad(spec, theta, X, y)
    theta[1] = np.inf
    theta[1, 0] = np.nan
    loss, grad = loss_and_grad(spec, theta, X, y)  # RuntimeWarnings are errors here
    assert not np.isfinite(loss[1])
    assert_array_equal(loss[[0, 2]], ref_loss[[0, 2]])
    assert_array_equal(grad[[0, 2]], ref_grad[[0, 2]])


def test_log_softmax_is_stable_for_huge_logits():
    spec = ModelSpec("softmax", 2, 3)
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    y = np.array([0, 1])
    theta = np.zeros((1, spec.n_params))
    W = spec.unpack(theta)[0][0][0]  # (n_in, n_out) of the one model
    W[0] = [2000.0, 0.0, 0.0]  # example 0: class 0 by a margin of 2000
    W[1] = [0.0, 0.0, 1000.0]  # example 1: class 2 (wrong) by a margin of 1000
    loss, grad = loss_and_grad(spec, theta, X, y)
    assert_allclose(loss, [(0.0 + 1000.0) / 2], rtol=1e-12)
    assert np.all(np.isfinite(grad))
    l_eval, acc = evaluate(spec, theta, X, y)
    assert_allclose(l_eval, loss, rtol=1e-12)
    assert_allclose(acc, [0.5])


def test_zero_weights_give_log_c():
    for C in (2, 3, 10):
        spec = ModelSpec("softmax", 4, C)
        X = np.random.default_rng(C).standard_normal((5, 4))
        loss, _ = loss_and_grad(spec, np.zeros((2, spec.n_params)), X, np.arange(5) % C)
        assert_allclose(loss, np.log(C), rtol=1e-14)


def test_linreg_gradient_is_the_hessian_times_the_offset():
    """Half-MSE: grad = H (theta - theta*) on the training data, H = [X 1]^T [X 1] / n."""
    p = make_regression_problem(60, 4, curvature=5.0, condition=20.0, seed=2)
    spec = ModelSpec("linreg", 4, 1)
    X, y = p.data.X_train, p.data.y_train
    A = np.hstack([X, np.ones((X.shape[0], 1))])
    H = A.T @ A / X.shape[0]
    assert_allclose(np.linalg.eigvalsh(H), p.eigenvalues, rtol=1e-10)
    rng = np.random.default_rng(0)
    theta = p.theta_star + rng.standard_normal((3, spec.n_params))
    loss, grad = loss_and_grad(spec, theta, X, y)
    assert_allclose(grad, (theta - p.theta_star) @ H, rtol=1e-9, atol=1e-12)
    d = theta - p.theta_star
    assert_allclose(loss, p.loss_star + 0.5 * np.einsum("kp,pq,kq->k", d, H, d), rtol=1e-10)
    # the minimiser has zero gradient
    _, g0 = loss_and_grad(spec, p.theta_star[None, :].copy(), X, y)
    assert_allclose(g0, 0.0, atol=1e-10)


def test_unpack_gives_views_in_layer_order():
    spec = ModelSpec("mlp", 3, 2, hidden=(4, 5))
    assert spec.sizes == (3, 4, 5, 2)
    assert spec.n_params == 3 * 4 + 4 + 4 * 5 + 5 + 5 * 2 + 2
    theta = np.arange(2 * spec.n_params, dtype=np.float64).reshape(2, -1)
    layers = spec.unpack(theta)
    assert [(W.shape, b.shape) for W, b in layers] == [
        ((2, 3, 4), (2, 4)),
        ((2, 4, 5), (2, 5)),
        ((2, 5, 2), (2, 2)),
    ]
    # W is row-major (n_in, n_out), b follows it
    assert_array_equal(layers[0][0][1].ravel(), theta[1, :12])
    assert_array_equal(layers[0][1][1], theta[1, 12:16])
    for W, b in layers:
        assert np.shares_memory(W, theta) and np.shares_memory(b, theta)
    layers[1][0][0, 2, 3] = -1.0  # writing through the view writes the flat array
    assert theta[0, 16 + 2 * 5 + 3] == -1.0
    # a single vector works too
    (W0, b0), *_ = spec.unpack(theta[0])
    assert W0.shape == (3, 4) and b0.shape == (4,)
    with pytest.raises(ValueError):
        spec.unpack(np.zeros((2, spec.n_params + 1)))
    with pytest.raises(ValueError):  # a copy would silently break "views"
        spec.unpack(np.zeros((2, spec.n_params), order="F"))
    with pytest.raises(ValueError):
        loss_and_grad(spec, theta, np.zeros((1, 3)), [0], out=np.zeros_like(theta, order="F"))


def test_init_is_seeded_identical_across_rows_and_scaled():
    spec = ModelSpec("mlp", 64, 10, hidden=(200,), activation="relu")
    a = init_params(spec, 3, seed=5)
    assert a.shape == (3, spec.n_params) and a.flags.c_contiguous and a.flags.writeable
    assert_array_equal(a[0], a[1])
    assert_array_equal(a[0], a[2])
    assert_array_equal(a, init_params(spec, 3, seed=5))
    assert not np.array_equal(a[0], init_params(spec, 1, seed=6)[0])
    (W1, b1), (W2, b2) = spec.unpack(a[0])
    assert np.all(b1 == 0) and np.all(b2 == 0)
    assert_allclose(W1.std(), np.sqrt(2 / 64), rtol=0.05)  # He
    assert_allclose(W2.std(), np.sqrt(2 / 210), rtol=0.1)  # Glorot
    tanh = ModelSpec("mlp", 64, 10, hidden=(200,), activation="tanh")
    (V1, _), _ = tanh.unpack(init_params(tanh, 1, 5)[0])
    assert_allclose(V1.std(), np.sqrt(2 / 264), rtol=0.05)
    assert np.all(init_params(ModelSpec("linreg", 3, 1), 2) == 0)


def test_predict_and_evaluate_agree_with_the_loss():
    spec = ModelSpec("mlp", 5, 3, hidden=(6,))
    theta, X, y = _problem(spec, 7, K=2, B=20)
    P = predict_proba(spec, theta, X)
    assert P.shape == (2, 20, 3)
    assert_allclose(P.sum(axis=2), 1.0, rtol=1e-14)
    loss, acc = evaluate(spec, theta, X, y)
    assert_allclose(loss, -np.log(P[:, np.arange(20), y]).mean(axis=1), rtol=1e-12)
    assert_allclose(loss, loss_and_grad(spec, theta, X, y)[0], rtol=1e-12)
    labels = predict(spec, theta, X)
    assert_array_equal(labels, P.argmax(axis=2))
    assert_allclose(acc, (labels == y).mean(axis=1))
    assert predict_proba(spec, theta[0], X).shape == (20, 3)
    lin = ModelSpec("linreg", 5, 1)
    th, Xl, yl = _problem(lin, 8, K=2)
    l_eval, a_eval = evaluate(lin, th, Xl, yl)
    assert_allclose(l_eval, loss_and_grad(lin, th, Xl, yl)[0], rtol=1e-12)
    assert np.all(np.isnan(a_eval))
    with pytest.raises(ValueError):
        predict_proba(lin, th, Xl)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(kind="cnn", n_in=2, n_out=2),
        dict(kind="mlp", n_in=2, n_out=2, hidden=()),
        dict(kind="mlp", n_in=2, n_out=2, hidden=(3, 3, 3)),
        dict(kind="mlp", n_in=2, n_out=2, activation="sigmoid"),
        dict(kind="linreg", n_in=2, n_out=2),
        dict(kind="softmax", n_in=2, n_out=1),
        dict(kind="softmax", n_in=0, n_out=2),
    ],
)
def test_bad_specs_are_refused(kwargs):
    with pytest.raises(ValueError):
        ModelSpec(**kwargs)


def test_spec_normalises_and_describes():
    assert ModelSpec("softmax", 3, 2, hidden=(7,)).hidden == ()
    assert ModelSpec("mlp", 3, 2, hidden=[7, 5]).hidden == (7, 5)
    assert ModelSpec("mlp", 64, 10).describe() == "MLP 64-32-10 (relu)"
    assert ModelSpec("linreg", 3, 1).describe() == "linear regression 3-1"


@settings(max_examples=25, deadline=None)
@given(
    K=st.integers(1, 4),
    B=st.integers(1, 9),
    hidden=st.sampled_from([(1,), (3,), (2, 3)]),
    seed=st.integers(0, 2**16),
)
def test_shapes_and_finite_losses_for_any_sizes(K, B, hidden, seed):
    spec = ModelSpec("mlp", 3, 2, hidden=hidden, activation="tanh")
    rng = np.random.default_rng(seed)
    theta = rng.standard_normal((K, spec.n_params))
    X = rng.standard_normal((B, 3))
    y = rng.integers(0, 2, B)
    loss, grad = loss_and_grad(spec, theta, X, y)
    assert loss.shape == (K,) and grad.shape == (K, spec.n_params)
    assert np.all(np.isfinite(loss)) and np.all(loss >= 0)
    assert_allclose(loss, evaluate(spec, theta, X, y)[0], rtol=1e-12)
