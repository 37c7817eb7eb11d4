"""Data: the bundled digits, seeded generated sets, splits, standardisation, subsets, batches."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from engine.data import (
    DIGITS_PATH,
    MIN_PER_CLASS,
    Dataset,
    _stratified_split,
    load_dataset,
    load_digits,
    make_moons,
    make_regression_problem,
    make_spirals,
    minibatch_indices,
    subset_dataset,
)

#: class counts of the UCI digits as bundled with scikit-learn
DIGIT_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


def test_digits_asset_is_small_and_loads_as_published():
    assert DIGITS_PATH.exists()
    assert DIGITS_PATH.stat().st_size < 100_000  # tens of KB, compressed
    X, y = load_digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.dtype == np.uint8 and y.dtype == np.uint8
    assert X.min() == 0 and X.max() == 16
    assert np.bincount(y).tolist() == DIGIT_COUNTS
    # cached and read-only: nobody can corrupt the shared copy
    X2, _ = load_digits()
    assert X2 is X
    with pytest.raises(ValueError):
        X[0, 0] = 1
    # a few known pixels: the first image is a zero
    assert y[0] == 0
    assert X[0, :8].tolist() == [0, 0, 5, 13, 9, 1, 0, 0]


def test_digits_dataset_split_and_standardisation():
    d = load_dataset("digits")
    assert isinstance(d, Dataset)
    assert (d.n_train, d.n_val, d.n_features, d.n_classes) == (1438, 359, 64, 10)
    assert d.X_train.dtype == np.float64 and d.y_train.dtype == np.int64
    # stratified: every class keeps its share (to one example) in validation
    expected = 0.2 * np.array(DIGIT_COUNTS)
    assert np.all(np.abs(np.bincount(d.y_val, minlength=10) - expected) <= 1)
    assert_array_equal(
        np.bincount(d.y_val, minlength=10) + np.bincount(d.y_train, minlength=10), DIGIT_COUNTS
    )
    # standardised with training statistics only
    assert_allclose(d.X_train.mean(axis=0), 0.0, atol=1e-12)
    varying = d.scale != 1.0
    assert_allclose(d.X_train.std(axis=0)[varying], 1.0, rtol=1e-12)
    assert np.all(d.X_train[:, ~varying] == 0)  # constant pixels stay at 0
    assert np.abs(d.X_val.mean(axis=0)).max() > 1e-3  # validation mean is not exactly 0
    # and the transform is the documented one: raw = X * scale + mean
    raw_train = d.X_train * d.scale + d.mean
    assert_allclose(raw_train, np.round(raw_train), atol=1e-9)
    assert_allclose(d.mean, raw_train.mean(axis=0), atol=1e-12)
    for a in (d.X_train, d.y_train, d.X_val, d.y_val):
        assert not a.flags.writeable


def test_split_indices_are_disjoint_covering_and_seeded():
    y = np.repeat(np.arange(3), [50, 30, 20])
    rng = np.random.default_rng(0)
    tr, va = _stratified_split(y, 3, 0.2, rng)
    assert len(va) == 20 and len(tr) == 80
    assert sorted(np.concatenate([tr, va]).tolist()) == list(range(100))
    assert np.bincount(y[va]).tolist() == [10, 6, 4]
    tr2, va2 = _stratified_split(y, 3, 0.2, np.random.default_rng(0))
    assert_array_equal(tr, tr2)
    assert_array_equal(va, va2)


def test_same_seed_same_split_other_seed_other_split():
    for name in ("digits", "moons", "spirals"):
        a = load_dataset(name, seed=3)
        b = load_dataset(name, seed=3)
        assert_array_equal(a.X_train, b.X_train)
        assert_array_equal(a.y_val, b.y_val)
        c = load_dataset(name, seed=4)
        assert not np.array_equal(a.y_train, c.y_train)


def test_generated_sets_are_fresh_computations_of_the_seed():
    # the cache is transparent: regenerate by hand and compare
    d = load_dataset("moons", seed=11, noise=0.1, n_samples=200)
    gen = np.random.default_rng(np.random.SeedSequence([11, 0]))
    X, y = make_moons(200, noise=0.1, rng=gen)
    raw = np.concatenate([d.X_train, d.X_val]) * d.scale + d.mean
    order = np.lexsort(raw.T)
    ref = np.lexsort(X.T)
    assert_allclose(raw[order], X[ref], atol=1e-12)
    assert_array_equal(np.concatenate([d.y_train, d.y_val])[order], y[ref])


def test_moons_and_spirals_shapes_and_noise():
    m = load_dataset("moons")
    assert (m.n_features, m.n_classes, m.n_train + m.n_val) == (2, 2, 400)
    s = load_dataset("spirals")
    assert (s.n_features, s.n_classes, s.n_train + s.n_val) == (2, 3, 600)
    X0, y0 = make_moons(100, noise=0.0, rng=np.random.default_rng(0))
    # noiseless moons lie exactly on their circles
    r_out = np.hypot(X0[y0 == 0, 0], X0[y0 == 0, 1])
    r_in = np.hypot(X0[y0 == 1, 0] - 1.0, X0[y0 == 1, 1] - 0.5)
    assert_allclose(r_out, 1.0)
    assert_allclose(r_in, 1.0)
    Xs, ys = make_spirals(90, noise=0.0, rng=np.random.default_rng(0))
    assert np.bincount(ys).tolist() == [30, 30, 30]
    assert np.hypot(Xs[:, 0], Xs[:, 1]).max() <= 1.0 + 1e-12
    noisy = load_dataset("moons", noise=0.5)
    assert not np.allclose(noisy.X_train[:5], m.X_train[:5])


@pytest.mark.parametrize("fraction", [0.05, 0.1, 0.25, 0.5])
def test_subset_fractions_are_stratified_nested_and_keep_validation(fraction):
    full = load_dataset("digits", seed=1)
    sub = load_dataset("digits", seed=1, subset=fraction)
    counts = np.bincount(full.y_train, minlength=10)
    sub_counts = np.bincount(sub.y_train, minlength=10)
    assert np.all(sub_counts >= MIN_PER_CLASS)
    assert np.all(np.abs(sub_counts - np.maximum(fraction * counts, MIN_PER_CLASS)) <= 1)
    assert abs(sub.n_train - fraction * full.n_train) <= max(10, 0.01 * full.n_train)
    # validation part and standardisation do not depend on the subset
    assert_array_equal(sub.X_val, full.X_val)
    assert_array_equal(sub.mean, full.mean)
    # nested: a smaller subset is inside a larger one (rows of the full training set)
    bigger = subset_dataset(full, min(1.0, 2 * fraction), seed=1)
    rows_big = {r.tobytes() for r in bigger.X_train}
    assert all(r.tobytes() in rows_big for r in sub.X_train)


def test_subset_keeps_a_few_of_every_class_even_when_tiny():
    d = load_dataset("spirals", subset=0.001)
    assert np.bincount(d.y_train).tolist() == [MIN_PER_CLASS] * 3
    assert subset_dataset(d, 1.0) is d


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(name="mnist"),
        dict(name="digits", val_fraction=1.0),
        dict(name="digits", val_fraction=-0.1),
        dict(name="digits", subset=0.0),
        dict(name="digits", subset=1.5),
        dict(name="moons", noise=-1.0),
        dict(name="moons", n_samples=3),
    ],
)
def test_bad_arguments_are_refused(kwargs):
    with pytest.raises(ValueError):
        load_dataset(**kwargs)


def test_minibatches_cover_every_example_once_per_epoch():
    rng = np.random.default_rng(0)
    b = minibatch_indices(10, 4, rng)
    assert [len(i) for i in b] == [4, 4, 2]
    assert sorted(np.concatenate(b).tolist()) == list(range(10))
    # seeded: the same generator state gives the same order; the next epoch differs
    b_again = minibatch_indices(10, 4, np.random.default_rng(0))
    assert all(np.array_equal(u, v) for u, v in zip(b, b_again, strict=True))
    b_next = minibatch_indices(10, 4, rng)
    assert not np.array_equal(np.concatenate(b), np.concatenate(b_next))
    assert [len(i) for i in minibatch_indices(10, None, rng)] == [10]
    assert [len(i) for i in minibatch_indices(10, 50, rng)] == [10]
    with pytest.raises(ValueError):
        minibatch_indices(10, 0, rng)


@settings(max_examples=50, deadline=None)
@given(n=st.integers(1, 200), bs=st.integers(1, 64), seed=st.integers(0, 1000))
def test_minibatch_property(n, bs, seed):
    b = minibatch_indices(n, bs, np.random.default_rng(seed))
    sizes = [len(i) for i in b]
    assert len(b) == -(-n // bs)
    assert all(s == min(bs, n) for s in sizes[:-1])
    assert sizes[-1] == (n % bs or min(bs, n))
    assert_array_equal(np.sort(np.concatenate(b)), np.arange(n))


def test_regression_problem_has_the_requested_curvature():
    p = make_regression_problem(300, 6, curvature=8.0, condition=50.0, seed=5)
    lam = 8.0 * np.geomspace(1 / 50, 1, 6)
    assert_allclose(p.eigenvalues, np.sort(np.append(lam, 1.0)), rtol=1e-10)
    assert_allclose(p.data.X_train.mean(axis=0), 0.0, atol=1e-12)
    assert p.lambda_max == pytest.approx(8.0)
    assert p.lambda_min == pytest.approx(8.0 / 50)
    assert p.lr_max == pytest.approx(2 / 8.0)
    assert p.lr_best == pytest.approx(2 / (8.0 + 8.0 / 50))
    assert p.condition == pytest.approx(50.0)
    d = p.data
    assert d.is_regression and d.n_classes == 0 and d.y_train.dtype == np.float64
    assert (d.n_train, d.n_val, d.n_features) == (300, 60, 6)
    # theta_star solves the normal equations
    A = np.hstack([d.X_train, np.ones((300, 1))])
    assert_allclose(A.T @ (A @ p.theta_star - d.y_train), 0.0, atol=1e-9)
    same = make_regression_problem(300, 6, curvature=8.0, condition=50.0, seed=5)
    assert_array_equal(same.data.X_train, d.X_train)
    with pytest.raises(ValueError):
        make_regression_problem(3, 5)
    with pytest.raises(ValueError):
        make_regression_problem(50, 2, condition=0.5)
