"""The range-test readings written into the torch-lr-finder code (plain numpy, no LR Lab) give
the page's numbers: the same suggestions as engine.range_test, exactly."""

import numpy as np
import pytest

from engine import ModelSpec, Optimizer, load_dataset, range_test
from engine.range_test import RangeTestResult, lr_ramp
from takehome import rules_code
from tests.takehome.helpers import check_names, run

RULES = run(rules_code().source)


def page(r: RangeTestResult) -> dict:
    return {s.rule: s.lr for s in r.suggestions()}


def generated(lrs, loss, num_iter, beta, stop) -> dict:
    return RULES["lrlab_suggestions"](lrs, loss, num_iter=num_iter, beta=beta, stop_factor=stop)


def test_rules_use_numpy_only():
    check_names(rules_code().source, modules={"math", "numpy", "numpy.lib.stride_tricks"})


def _curves():
    rng = np.random.default_rng(0)
    for n, mode in ((100, "exponential"), (300, "exponential"), (120, "linear"), (12, "linear")):
        lrs = lr_ramp(1e-5 if mode == "exponential" else 0.0, 10.0, n, mode)
        z = np.log10(np.maximum(lrs, 1e-9))
        base = 2 - np.tanh(2 * (z + 2.5)) + np.where(z > -0.3, 10 ** (2 * (z + 0.3)) - 1, 0)
        yield lrs, base, mode
        yield lrs, base + 0.05 * rng.standard_normal(n), mode
        yield lrs, np.r_[base[: n // 2], np.full(n - n // 2, np.nan)], mode  # blew up
        yield lrs, np.full(n, 2.3) + 0.01 * rng.standard_normal(n), mode  # never descends


@pytest.mark.parametrize(("beta", "stop"), [(0.98, 4.0), (0.0, None), (0.9, 1.5)])
def test_same_suggestions_as_the_engine_on_synthetic_curves(beta, stop):
    for lrs, loss, mode in _curves():
        r = RangeTestResult.from_losses(lrs, loss, mode=mode, beta=beta, stop_factor=stop)
        assert generated(lrs, loss, len(lrs), beta, stop) == page(r)


@pytest.mark.parametrize(
    ("model", "data_name", "kw"),
    [
        ("softmax", "digits", dict(min_lr=1e-5, max_lr=100.0, num_iter=120)),
        ("mlp", "moons", dict(min_lr=1e-3, max_lr=50.0, num_iter=150, batch_size=32)),
        ("mlp", "digits", dict(min_lr=0.0, max_lr=5.0, num_iter=100, mode="linear", beta=0.9)),
        ("mlp", "spirals", dict(num_iter=200, stop_factor=None, optimizer=Optimizer("momentum"))),
    ],
)
def test_same_suggestions_as_the_engine_on_real_range_tests(model, data_name, kw):
    data = load_dataset(data_name)
    spec = ModelSpec(model, data.n_features, data.n_classes, hidden=(16,))
    r = range_test(spec, data, **kw)
    got = generated(r.lrs, r.loss, r.num_iter, r.beta, r.stop_factor)
    assert got == page(r)
    assert any(v is not None for v in got.values())


@pytest.mark.parametrize("smooth_f", [0.02, 0.05, 0.3, 0.0])
def test_unsmooth_inverts_torch_lr_finders_average(smooth_f):
    raw = np.abs(np.random.default_rng(1).standard_normal(200)) + 1.0
    stored = [raw[0]]  # torch-lr-finder 0.2.2: s_0 = L_0, s_i = f L_i + (1 - f) s_(i-1)
    for x in raw[1:]:
        stored.append(smooth_f * x + (1 - smooth_f) * stored[-1] if smooth_f > 0 else x)
    np.testing.assert_allclose(RULES["unsmooth"](stored, smooth_f), raw, rtol=1e-11)
