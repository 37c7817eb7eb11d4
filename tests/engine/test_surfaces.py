"""The surface catalogue: derivatives against finite differences, minima against ground truth."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from engine.surfaces import (
    SURFACES_1D,
    SURFACES_2D,
    Surface,
    SurfaceError,
    double_well,
    get_surface,
    ill_conditioned,
    quadratic,
    rosenbrock,
)
from tests.engine.helpers import check_grads, check_hessian

# every catalogue entry with its defaults, plus a few non-default parameters
CASES = [(k, {}) for k in [*SURFACES_1D, *SURFACES_2D]] + [
    ("quadratic", {"a": 3.5, "center": -1.5}),
    ("double_well", {"tilt": -0.7}),
    ("plateau", {"width": 2.0}),
    ("lopsided", {"skew": 2.5}),
    ("quartic", {"scale": 0.2}),
    ("ill_conditioned", {"kappa": 50.0, "angle": -70.0}),
    ("ill_conditioned", {"kappa": 4.0, "angle": 10.0, "lam_max": 8.0}),
    ("rosenbrock", {"a": -0.5, "b": 10.0}),
    ("saddle", {"curvature": 3.0}),
]
IDS = [k + "".join(f"-{n}={v}" for n, v in p.items()) for k, p in CASES]
SURFS = {i: get_surface(k, **p) for i, (k, p) in zip(IDS, CASES, strict=True)}


def points_in(surface: Surface, n: int = 8):
    """Hypothesis strategy: an (n, dim) batch of points inside the surface's window."""
    coords = [
        st.lists(st.floats(lo, hi, allow_nan=False), min_size=n, max_size=n)
        for lo, hi in surface.window
    ]
    return st.tuples(*coords).map(lambda cs: np.array(cs, dtype=np.float64).T)


@pytest.mark.parametrize("sid", IDS)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_gradient_and_hessian_match_finite_differences(sid, data):
    s = SURFS[sid]
    x = data.draw(points_in(s))
    check_grads(s.value, s.gradient, x)
    check_hessian(s.gradient, s.hessian, x)


@pytest.mark.parametrize("sid", IDS)
def test_known_minima_are_minima(sid):
    s = SURFS[sid]
    assert s.dim in (1, 2) and len(s.window) == s.dim
    for m in s.minima:
        assert len(m) == s.dim
        g = s.gradient(m)
        assert np.max(np.abs(g)) <= 1e-9 * max(1.0, np.max(np.abs(s.hessian(m))))
        assert np.min(np.linalg.eigvalsh(s.hessian(m))) >= -1e-9
        assert all(lo <= v <= hi for v, (lo, hi) in zip(m, s.window, strict=True))
        if s.f_min is not None:
            assert float(s.value(m)) >= s.f_min - 1e-12
    if s.f_min is not None:
        assert s.minima, "a known f_min comes with its minimiser"
        assert_allclose(float(s.value(s.minima[0])), s.f_min, atol=1e-12)
        # nothing on a fine grid of the window is lower than the global minimum
        *_, z = s.grid(301)
        assert np.min(z) >= s.f_min - 1e-9
    for p in s.saddles:
        assert np.max(np.abs(s.gradient(p))) <= 1e-9
        lam = np.linalg.eigvalsh(s.hessian(p))
        assert lam[0] < 0 < lam[-1]
    assert len(s.default_start) == s.dim
    assert all(lo <= v <= hi for v, (lo, hi) in zip(s.default_start, s.window, strict=True))
    assert s.name and s.blurb and s.formula.startswith("f(")


def test_reference_values():
    assert float(rosenbrock().value((-1.2, 1.0))) == pytest.approx(24.2)
    assert float(get_surface("himmelblau").value((0.0, 0.0))) == 170.0
    assert float(get_surface("beale").value((1.0, 1.0))) == pytest.approx(14.203125)
    camel = get_surface("six_hump_camel")
    assert camel.f_min == pytest.approx(-1.0316284534898774, abs=1e-12)
    # the two global minima of the camel are mirror images with the same value
    assert_allclose(camel.value(camel.minima[0]), camel.value(camel.minima[1]), rtol=1e-15)
    # double well: f' = 4x^3 - 4x + t vanishes at both minima, the deeper one is first
    dw = double_well(0.3)
    lo, hi = dw.minima[0][0], dw.minima[1][0]
    assert lo < 0 < hi and dw.value(lo) < dw.value(hi)
    assert_allclose([4 * m**3 - 4 * m + 0.3 for m in (lo, hi)], 0.0, atol=1e-14)


def test_ill_conditioned_eigenstructure():
    for kappa, angle in [(1.0, 0.0), (10.0, 30.0), (100.0, -45.0), (1000.0, 123.0)]:
        s = ill_conditioned(kappa=kappa, angle=angle)
        h = s.hessian((0.3, -0.2))
        lam, vec = np.linalg.eigh(h)
        assert_allclose(lam, [1.0, kappa], rtol=1e-12)
        gentle = np.array([np.cos(np.radians(angle)), np.sin(np.radians(angle))])
        assert abs(abs(vec[:, 0] @ gentle) - 1.0) < 1e-9 or kappa == 1.0
    s = ill_conditioned(kappa=4.0, lam_max=2.0)
    assert_allclose(np.linalg.eigvalsh(s.hessian((0.0, 0.0))), [0.5, 2.0])
    # the loss is x^T A x / 2 exactly
    x = np.array([1.5, -0.5])
    assert_allclose(s.value(x), 0.5 * x @ s.hessian(x) @ x, rtol=1e-14)


def test_shapes_and_scalars():
    q = quadratic(a=2.0)
    assert q.value(3.0).shape == ()
    assert q.gradient(3.0).shape == (1,)
    assert q.hessian(3.0).shape == (1, 1)
    r = rosenbrock()
    pts = np.zeros((3, 4, 2))
    assert r.value(pts).shape == (3, 4)
    assert r.gradient(pts).shape == (3, 4, 2)
    assert r.hessian(pts).shape == (3, 4, 2, 2)
    xs, fx = q.grid(11)
    assert xs.shape == fx.shape == (11,)
    xs, ys, z = r.grid(7)
    assert z.shape == (7, 7) and z[0, -1] == r.value((xs[-1], ys[0]))


def test_overflow_is_a_result_not_a_warning():
    # pytest turns RuntimeWarnings into errors, so this also checks that nothing warns
    assert np.isinf(rosenbrock().value((1e200, 1e200)))
    assert np.isnan(quadratic().value(np.nan))
    assert np.isinf(get_surface("lopsided").gradient(1e5)[0])


@pytest.mark.parametrize(
    ("key", "params", "match"),
    [
        ("nope", {}, "unknown surface"),
        ("quadratic", {"b": 1.0}, "no parameter"),
        ("quadratic", {"a": 0.0}, "curvature"),
        ("quadratic", {"a": float("nan")}, "curvature"),
        ("quadratic", {"a": "big"}, "must be a number"),
        ("quadratic", {"a": True}, "must be a number"),
        ("ill_conditioned", {"kappa": 0.5}, "kappa"),
        ("himmelblau", {"a": 1.0}, "no parameter"),
    ],
)
def test_bad_requests_raise_clear_errors(key, params, match):
    with pytest.raises(SurfaceError, match=match):
        get_surface(key, **params)
    assert issubclass(SurfaceError, ValueError)


def test_points_with_wrong_shape_are_rejected():
    with pytest.raises(SurfaceError, match="coordinate"):
        rosenbrock().value(1.0)
    with pytest.raises(SurfaceError, match="coordinate"):
        quadratic().value([[1.0, 2.0]])


def test_catalogue_entries():
    for table, dim in [(SURFACES_1D, 1), (SURFACES_2D, 2)]:
        for key, (factory, defaults, description) in table.items():
            s = factory(**defaults)
            assert s.key == key and s.dim == dim and description
            assert get_surface(key).formula == s.formula
