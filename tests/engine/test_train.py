"""The trainer: closed forms, batched == separate, divergence isolation, hooks, records."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from engine import fmt
from engine.data import Dataset, load_dataset, make_regression_problem
from engine.models import ModelSpec, evaluate, init_params
from engine.optim import Optimizer
from engine.train import History, classify_run, train
from engine.verdict import NEVER, Kind

DIGITS = ModelSpec("mlp", 64, 10, hidden=(16,))
MOONS = ModelSpec("mlp", 2, 2, hidden=(8,), activation="tanh")
LIN = ModelSpec("linreg", 4, 1)


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", subset=0.3)


@pytest.fixture(scope="module")
def moons():
    return load_dataset("moons", seed=2)


@pytest.fixture(scope="module")
def reg():
    return make_regression_problem(80, 4, curvature=4.0, condition=10.0, seed=1)


def _blobs() -> Dataset:
    """Two well-separated Gaussian blobs: linearly separable."""
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(-3, 0.5, (40, 2)), rng.normal(3, 0.5, (40, 2))])
    y = np.repeat([0, 1], 40)
    perm = rng.permutation(80)
    X, y = X[perm], y[perm]
    ro = lambda a: np.asarray(a)  # noqa: E731
    return Dataset(
        ro(X[:60]), ro(y[:60]), ro(X[60:]), ro(y[60:]), 2, "blobs", 2, np.zeros(2), np.ones(2)
    )


# ----------------------------------------------------------------------------- ground truth


def test_full_batch_gd_on_linear_regression_is_the_closed_form(reg):
    """theta_t - theta* = (I - lr H)^t (theta_0 - theta*), loss = L* + d^T H d / 2."""
    d = reg.data
    A = np.hstack([d.X_train, np.ones((d.n_train, 1))])
    H = A.T @ A / d.n_train
    lrs = np.array([0.05, 0.2, 0.4, 0.99 * reg.lr_max])
    T = 30
    h = train(LIN, d, lrs, epochs=T, batch_size=None)
    assert h.iters_per_epoch == 1 and h.T == T and not h.diverged.any()
    for k, lr in enumerate(lrs):
        M = np.eye(5) - lr * H
        delta = -reg.theta_star  # theta_0 = 0 for linreg
        for t in range(T):
            expect = reg.loss_star + 0.5 * delta @ H @ delta
            assert_allclose(h.train_loss[k, t], expect, rtol=1e-9)
            delta = M @ delta
        assert_allclose(h.theta[k], reg.theta_star + delta, rtol=1e-8, atol=1e-10)
    assert_allclose(h.lr, np.broadcast_to(lrs[:, None], (4, T)))


def test_rates_above_two_over_lambda_max_diverge(reg):
    lrs = np.array([0.9, 1.05, 1.5, 3.0]) * reg.lr_max
    h = train(LIN, reg.data, lrs, epochs=400, batch_size=None)
    assert h.diverged.tolist() == [False, True, True, True]
    # faster growth -> earlier divergence; recorded where the loss passed 1000x its start
    at = h.diverged_at[1:]
    assert at[0] > at[1] > at[2] > 0
    for k in (1, 2, 3):
        t = h.diverged_at[k]
        assert h.train_loss[k, t] > 1e3 * max(h.train_loss[k, 0], 1.0)
        assert np.all(h.train_loss[k, :t] <= 1e3 * max(h.train_loss[k, 0], 1.0))
        assert np.all(np.isnan(h.train_loss[k, t + 1 :]))
        assert h.diverged_reason[k] == "blowup"
        assert h.grad_evals[k] == t + 1
    assert np.isinf(h.final_val_loss[1:]).all() and np.isfinite(h.final_val_loss[0])


def test_loss_decreases_for_a_small_rate_on_a_separable_problem():
    data = _blobs()
    spec = ModelSpec("softmax", 2, 2)
    h = train(spec, data, [0.05], epochs=20, batch_size=10)
    assert h.val_loss[0, -1] < 0.5 * h.val_loss[0, 0]
    assert h.final_val_acc[0] == 1.0
    # the epoch-mean training loss falls every epoch
    per_epoch = h.train_loss[0].reshape(20, h.iters_per_epoch).mean(axis=1)
    assert np.all(np.diff(per_epoch) < 0)


# ----------------------------------------------------------------------------- batching


@pytest.mark.parametrize(
    "opt",
    [
        Optimizer("sgd"),
        Optimizer("momentum"),
        Optimizer("nesterov"),
        Optimizer("adam"),
        Optimizer("sgd", hypergrad="additive", hyper_lr=1e-3),
    ],
    ids=lambda o: o.label,
)
def test_batched_rates_equal_separate_runs(digits, opt):
    lrs = [0.003, 0.03, 0.3] if opt.name != "adam" else [1e-4, 1e-3, 1e-2]
    h = train(DIGITS, digits, lrs, optimizer=opt, epochs=2, batch_size=32, seed=3)
    for k, lr in enumerate(lrs):
        s = train(DIGITS, digits, [lr], optimizer=opt, epochs=2, batch_size=32, seed=3)
        assert_allclose(h.train_loss[k], s.train_loss[0], rtol=1e-12)
        assert_allclose(h.lr[k], s.lr[0], rtol=1e-12)
        assert_allclose(h.val_loss[k], s.val_loss[0], rtol=1e-12)
        assert_allclose(h.theta[k], s.theta[0], rtol=1e-12, atol=1e-15)


def test_same_seed_same_numbers_other_seed_other_numbers(moons):
    a = train(MOONS, moons, [0.1, 0.5], epochs=2, seed=5)
    b = train(MOONS, moons, [0.1, 0.5], epochs=2, seed=5)
    assert_array_equal(a.train_loss, b.train_loss)
    assert_array_equal(a.theta, b.theta)
    c = train(MOONS, moons, [0.1, 0.5], epochs=2, seed=6)
    assert not np.array_equal(a.train_loss, c.train_loss)


@pytest.mark.parametrize("opt", [Optimizer("sgd"), Optimizer("adam")], ids=lambda o: o.label)
def test_a_diverging_rate_leaves_the_others_bit_identical(digits, opt):
    big = 1e5 if opt.name == "sgd" else 1e4
    good = [0.01, 0.1] if opt.name == "sgd" else [1e-3, 3e-3]
    h = train(DIGITS, digits, [good[0], big, good[1]], optimizer=opt, epochs=3, batch_size=32)
    ref = train(DIGITS, digits, good, optimizer=opt, epochs=3, batch_size=32)
    assert h.diverged.tolist() == [False, True, False]
    assert h.diverged_at[1] >= 0 and h.diverged_at[[0, 2]].tolist() == [-1, -1]
    t = h.diverged_at[1]
    assert np.all(np.isnan(h.train_loss[1, t + 1 :])) and np.all(np.isnan(h.lr[1, t + 1 :]))
    for k, j in ((0, 0), (2, 1)):
        assert_array_equal(h.train_loss[k], ref.train_loss[j])
        assert_array_equal(h.val_loss[k], ref.val_loss[j])
        assert_array_equal(h.theta[k], ref.theta[j])
    assert h.grad_evals.tolist() == [ref.T, t + 1, ref.T]
    kind, text = classify_run(h, 1)
    assert kind is Kind.DIVERGED and text.startswith(f"diverged at iteration {t} (")


def test_select_keeps_the_chosen_runs_as_if_trained_alone(digits):
    lrs = [0.01, 1e5, 0.1]
    h = train(DIGITS, digits, lrs, epochs=2, batch_size=32)
    sub = h.select([2, 1])
    ref = train(DIGITS, digits, [lrs[2], lrs[1]], epochs=2, batch_size=32)
    assert sub.K == 2 and sub.T == h.T and sub.lrs.tolist() == [0.1, 1e5]
    for name in ("train_loss", "lr", "val_loss", "val_acc", "final_val_loss", "theta"):
        assert_allclose(getattr(sub, name), getattr(ref, name), rtol=1e-12, atol=1e-15)
    for name in ("diverged", "diverged_at", "stopped_at", "grad_evals", "examples"):
        assert_array_equal(getattr(sub, name), getattr(ref, name))
    assert sub.diverged_reason == ref.diverged_reason and sub.diverged_reason[0] == ""
    assert_array_equal(sub.eval_iters, h.eval_iters)  # shared by all runs: unchanged
    assert classify_run(sub, 1) == classify_run(h, 1)
    sub.train_loss[0, 0] = -1.0  # a copy: the original is untouched
    assert h.train_loss[2, 0] != -1.0
    with pytest.raises(IndexError):
        h.select([3])


def test_overflowing_weights_are_caught(reg):
    # loss ~1e300 is still finite, but one step of 1e160 x gradient ~1e150 overflows
    th = np.full(LIN.n_params, 1e150)
    h = train(LIN, reg.data, [1e160, 0.0], epochs=3, batch_size=None, init_theta=th)
    assert h.diverged.tolist() == [True, False]
    assert h.diverged_reason[0] == "params" and h.diverged_at[0] == 1
    assert np.isfinite(h.train_loss[0, 0]) and np.isnan(h.train_loss[0, 1:]).all()
    assert h.grad_evals.tolist() == [1, 3]
    assert not np.all(np.isfinite(h.theta[0]))
    assert "weights overflowed" in classify_run(h, 0)[1]
    assert_array_equal(h.theta[1], th)  # lr = 0 never moves


def test_non_finite_loss_reasons():
    data = _blobs()
    spec = ModelSpec("softmax", 2, 2)
    th = np.zeros(spec.n_params)
    th[0] = np.inf
    h = train(spec, data, [0.1], epochs=1, init_theta=th)
    assert h.diverged[0] and h.diverged_at[0] == 0 and h.diverged_reason[0] == "nan"
    assert "NaN" in classify_run(h, 0)[1]


# ----------------------------------------------------------------------------- hooks


def test_callable_schedule_sets_the_rate_of_every_iteration(reg):
    """Full-batch GD with a per-iteration rate is the product of (I - lr_t H)."""
    d = reg.data
    A = np.hstack([d.X_train, np.ones((d.n_train, 1))])
    H = A.T @ A / d.n_train

    def sched(t):
        return np.array([0.05, 0.2]) * (1 + t % 3)

    h = train(LIN, d, [123.0, 456.0], epochs=12, batch_size=None, schedule=sched)
    assert_allclose(h.lr, np.stack([sched(t) for t in range(12)], axis=1))
    for k in range(2):
        delta = -reg.theta_star
        for t in range(12):
            delta = (np.eye(5) - sched(t)[k] * H) @ delta
        assert_allclose(h.theta[k], reg.theta_star + delta, rtol=1e-9, atol=1e-12)


def test_array_schedules_1d_and_2d_cap_the_run(moons):
    T = 7
    one = np.geomspace(1e-3, 1.0, T)
    h = train(MOONS, moons, [0.1, 0.2], epochs=50, schedule=one)
    assert h.T == T
    assert_allclose(h.lr, np.broadcast_to(one, (2, T)))
    two = np.stack([one, 2 * one])
    h2 = train(MOONS, moons, [0.1, 0.2], epochs=None, schedule=two)
    assert h2.T == T
    assert_allclose(h2.lr, two)
    # a 1-D array schedule is the same as the callable giving its entries
    h3 = train(MOONS, moons, [0.1, 0.2], epochs=50, schedule=lambda t: one[t], max_iters=T)
    assert_array_equal(h3.train_loss, h.train_loss)
    with pytest.raises(ValueError):
        train(MOONS, moons, [0.1, 0.2], schedule=np.ones((3, 5)))


def test_stop_rule_freezes_rows_and_ends_the_loop(moons):
    seen = []

    def stop(t, batch_loss):
        seen.append(batch_loss.copy())
        return np.array([t >= 4, False, t >= 9])

    h = train(MOONS, moons, [0.1, 0.2, 0.3], epochs=3, stop_rule=stop)
    assert h.stopped_at.tolist() == [4, NEVER, 9]
    assert not h.diverged.any()
    assert np.isfinite(h.train_loss[0, :5]).all() and np.isnan(h.train_loss[0, 5:]).all()
    assert np.isfinite(h.lr[0, 4]) and np.isnan(h.lr[0, 5])
    assert h.grad_evals.tolist() == [5, h.T, 10]
    # the stop_rule saw NaN for rows already frozen
    assert np.isnan(seen[5][0]) and np.isfinite(seen[5][1:]).all()
    # a frozen row keeps the weights it had when it was flagged: 4 updates
    ref = train(MOONS, moons, [0.1], epochs=3, max_iters=4)
    assert_array_equal(h.theta[0], ref.theta[0])
    assert_allclose(h.final_val_loss[0], evaluate(MOONS, ref.theta, *_val(moons))[0][0])
    # the others are untouched by the freeze
    full = train(MOONS, moons, [0.2], epochs=3)
    assert_array_equal(h.train_loss[1], full.train_loss[0])
    # everyone stopped: the loop ends there
    h_all = train(MOONS, moons, [0.1, 0.2], epochs=50, stop_rule=lambda t, b: np.full(2, t >= 6))
    assert h_all.T == 7 and h_all.grad_evals.tolist() == [7, 7]


def _val(d):
    return d.X_val, d.y_val


def test_init_theta_is_copied_never_modified(moons):
    th = init_params(MOONS, 1, 0)[0]
    keep = th.copy()
    h = train(MOONS, moons, [0.5, 0.1], epochs=2, init_theta=th)
    assert_array_equal(th, keep)
    assert not np.array_equal(h.theta[0], th)
    default = train(MOONS, moons, [0.5, 0.1], epochs=2)
    assert_array_equal(h.theta, default.theta)  # the seeded default is that same start
    th2 = np.stack([keep, keep * 0.5])
    keep2 = th2.copy()
    h2 = train(MOONS, moons, [0.5, 0.1], epochs=1, init_theta=th2)
    assert_array_equal(th2, keep2)
    assert h2.train_loss[0, 0] != h2.train_loss[1, 0]
    with pytest.raises(ValueError):
        train(MOONS, moons, [0.5], init_theta=np.zeros(3))


def test_hypergradient_adapts_the_recorded_rate(moons):
    opt = Optimizer("sgd", hypergrad="additive", hyper_lr=0.01)
    h = train(MOONS, moons, [1e-3, 1e-1], optimizer=opt, epochs=3)
    assert h.lr[0, 0] == 1e-3
    assert np.ptp(h.lr[0]) > 0 and np.ptp(h.lr[1]) > 0


# ----------------------------------------------------------------------------- records


def test_eval_points_steps_and_examples(moons):
    h = train(MOONS, moons, [0.1], epochs=3, batch_size=64)
    ipe = -(-moons.n_train // 64)
    assert h.iters_per_epoch == ipe and h.T == 3 * ipe
    assert h.eval_iters.tolist() == [0, ipe, 2 * ipe, 3 * ipe]
    assert h.grad_evals.tolist() == [3 * ipe] and h.examples.tolist() == [3 * moons.n_train]
    assert_allclose(h.val_loss[0, -1], h.final_val_loss[0])
    assert_allclose(h.val_loss[0, 0], evaluate(MOONS, init_params(MOONS, 1, 0), *_val(moons))[0])
    h2 = train(MOONS, moons, [0.1], epochs=3, batch_size=64, eval_every=4, max_iters=10)
    assert h2.T == 10 and h2.eval_iters.tolist() == [0, 4, 8, 10]
    h3 = train(MOONS, moons, [0.1], epochs=1, subset=0.25, batch_size=None)
    assert h3.n_train == 80 and h3.T == 1 and h3.examples.tolist() == [80]


def test_frames_are_tidy(moons):
    pd = pytest.importorskip("pandas")
    h = train(MOONS, moons, [0.1, 1e6], epochs=2)
    df = h.to_frame()
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == [
        "run",
        "label",
        "lr",
        "iteration",
        "epoch",
        "train_loss",
        "lr_used",
    ]
    # frozen iterations are left out; the diverging record itself is kept
    assert len(df) == h.T + h.diverged_at[1] + 1
    assert_allclose(df[df.run == 0].train_loss.to_numpy(), h.train_loss[0])
    assert_allclose(df.epoch.to_numpy()[: h.T], np.arange(h.T) / h.iters_per_epoch)
    v = h.val_frame()
    assert list(v.columns) == ["run", "label", "lr", "iteration", "epoch", "val_loss", "val_acc"]
    assert (v.run == 0).sum() == len(h.eval_iters)
    assert df.label.iloc[0] == "lr = 0.1"


def test_bad_input_is_refused(moons, reg):
    with pytest.raises(ValueError):
        train(MOONS, moons, [])
    with pytest.raises(ValueError):
        train(MOONS, moons, [np.nan])
    with pytest.raises(ValueError):
        train(MOONS, moons, [-0.1])
    with pytest.raises(ValueError):
        train(ModelSpec("mlp", 3, 2), moons, [0.1])
    with pytest.raises(ValueError):
        train(ModelSpec("mlp", 2, 3), moons, [0.1])
    with pytest.raises(ValueError):
        train(MOONS, reg.data, [0.1])
    with pytest.raises(ValueError):
        train(MOONS, moons, [0.1], epochs=None)


# ----------------------------------------------------------------------------- verdicts


def test_the_four_regimes_get_their_verdicts():
    data = load_dataset("digits")
    spec = ModelSpec("softmax", 64, 10)
    h = train(spec, data, [1e4, 30.0, 1.0, 0.003], epochs=10, batch_size=64)
    assert isinstance(h, History)
    kinds = [classify_run(h, k)[0] for k in range(4)]
    assert kinds == [Kind.DIVERGED, Kind.PLATEAU, Kind.CONVERGED, Kind.SLOW]
    assert all(type(k) is Kind for k in kinds)
    text = classify_run(h, 2)[1]
    l0, l1 = h.val_loss[2, 0], h.val_loss[2, -1]
    assert f"from {fmt.loss(l0)} to {fmt.loss(l1)}" in text and "epoch" in text
    assert "still falling" in classify_run(h, 3)[1]
