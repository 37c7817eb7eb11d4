"""Schedules against hand-computed corners and per-iteration transcriptions of the published
formulas (torch's chainable ``step()`` recursions where they exist, Smith's closed form for CLR,
torch ``OneCycleLR.get_lr`` line by line)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from engine.schedules import (
    SCHEDULES,
    Constant,
    CosineWarmRestarts,
    Cyclic,
    ExponentialDecay,
    LinearWarmup,
    OneCycle,
    Schedule,
    StepDecay,
    make_schedule,
)

T = np.arange(600)

# ----------------------------------------------------------------------------- references


def ref_step_lr(base: float, step_size: int, gamma: float, n: int) -> np.ndarray:
    """torch StepLR, chainable form: multiply by gamma whenever t % step_size == 0."""
    out, lr = [], base
    for t in range(n):
        if t > 0 and t % step_size == 0:
            lr *= gamma
        out.append(lr)
    return np.array(out)


def ref_exponential(base: float, gamma: float, n: int) -> np.ndarray:
    out, lr = [], base
    for t in range(n):
        if t > 0:
            lr *= gamma
        out.append(lr)
    return np.array(out)


def ref_sgdr(eta_max: float, t0: int, t_mult: int, eta_min: float, n: int) -> np.ndarray:
    """torch CosineAnnealingWarmRestarts.step() without an epoch argument."""
    out, t_cur, t_i = [], 0, t0
    for t in range(n):
        if t > 0:
            t_cur += 1
            if t_cur >= t_i:
                t_cur -= t_i
                t_i *= t_mult
        out.append(eta_min + (eta_max - eta_min) * (1 + math.cos(math.pi * t_cur / t_i)) / 2)
    return np.array(out)


def ref_linear_lr(base: float, s: float, e: float, total: int, n: int) -> np.ndarray:
    """torch LinearLR.get_lr, the chainable recursion."""
    out, lr = [], base * s
    for t in range(n):
        if 0 < t <= total:
            lr = lr * (1.0 + (e - s) / (total * s + (t - 1) * (e - s)))
        out.append(lr)
    return np.array(out)


def ref_clr(base, top, step, mode, gamma, n):
    """Smith 2017 / bckenstler CLR, the closed form as printed."""
    out = []
    for it in range(n):
        cycle = math.floor(1 + it / (2 * step))
        x = abs(it / step - 2 * cycle + 1)
        if mode == "triangular":
            scale = 1.0
        elif mode == "triangular2":
            scale = 1 / 2 ** (cycle - 1)
        else:
            scale = gamma**it
        out.append(base + (top - base) * max(0.0, 1 - x) * scale)
    return np.array(out)


def ref_torch_cyclic(base, top, up, down, n, base_m=0.8, max_m=0.9):
    """torch CyclicLR.get_lr (triangular), with asymmetric steps and momentum."""
    total = up + down
    ratio = up / total
    lrs, moms = [], []
    for t in range(n):
        cycle = math.floor(1 + t / total)
        x = 1.0 + t / total - cycle
        sf = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
        lrs.append(base + (top - base) * sf)
        moms.append(max_m - (max_m - base_m) * sf)
    return np.array(lrs), np.array(moms)


def ref_one_cycle(max_lr, total, pct=0.3, div=25.0, final_div=1e4, anneal="cos", three=False):
    """torch OneCycleLR.get_lr, transcribed (lr and momentum per step 0..total-1)."""

    def cos_(start, end, p):
        return end + (start - end) / 2.0 * (math.cos(math.pi * p) + 1)

    def lin_(start, end, p):
        return (end - start) * p + start

    f = cos_ if anneal == "cos" else lin_
    initial = max_lr / div
    min_lr = initial / final_div
    if three:
        phases = [
            (float(pct * total) - 1, initial, max_lr, 0.95, 0.85),
            (float(2 * pct * total) - 2, max_lr, initial, 0.85, 0.95),
            (total - 1, initial, min_lr, 0.95, 0.95),
        ]
    else:
        phases = [
            (float(pct * total) - 1, initial, max_lr, 0.95, 0.85),
            (float(total - 1), max_lr, min_lr, 0.85, 0.95),
        ]
    lrs, moms = [], []
    for step in range(total):
        start = 0.0
        for i, (end, s_lr, e_lr, s_m, e_m) in enumerate(phases):
            if step <= end or i == len(phases) - 1:
                p = (step - start) / (end - start)
                lrs.append(f(s_lr, e_lr, p))
                moms.append(f(s_m, e_m, p))
                break
            start = end
    return np.array(lrs), np.array(moms)


# ----------------------------------------------------------------------------- simple ones


def test_constant():
    assert_allclose(Constant(0.3).lr(T), 0.3)
    assert Constant(0.3).momentum(T) is None
    assert not Constant(0.3).cycles_momentum


@pytest.mark.parametrize("step,gamma", [(10, 0.5), (7, 0.1), (1, 0.9)])
def test_step_decay_matches_torch_recursion(step, gamma):
    s = StepDecay(0.2, step_size=step, gamma=gamma)
    assert_allclose(s.lr(T[:200]), ref_step_lr(0.2, step, gamma, 200), rtol=1e-12)
    assert s.lr(step - 1) == 0.2 and s.lr(step) == pytest.approx(0.2 * gamma)


def test_exponential_decay_matches_torch_recursion():
    s = ExponentialDecay(0.5, gamma=0.97)
    assert_allclose(s.lr(T), ref_exponential(0.5, 0.97, T.size), rtol=1e-11)
    assert s.lr(0) == 0.5


# ----------------------------------------------------------------------------- SGDR


@pytest.mark.parametrize("t0,t_mult,eta_min", [(10, 1, 0.0), (10, 2, 0.01), (7, 3, 0.0)])
def test_sgdr_matches_torch_step_recursion(t0, t_mult, eta_min):
    s = CosineWarmRestarts(0.1, T_0=t0, T_mult=t_mult, eta_min=eta_min)
    assert_allclose(s.lr(T), ref_sgdr(0.1, t0, t_mult, eta_min, T.size), rtol=1e-12, atol=1e-15)


def test_sgdr_restarts_exact():
    s = CosineWarmRestarts(1.0, T_0=10, T_mult=2, eta_min=0.1)
    restarts = [0, 10, 10 + 20, 10 + 20 + 40]
    assert s.restarts(100).tolist() == restarts
    # at every restart the rate is back at eta_max exactly; just before, it is near eta_min
    assert s.lr(restarts).tolist() == [1.0, 1.0, 1.0, 1.0]
    before = s.lr(np.array(restarts[1:]) - 1)
    assert np.all(before < 0.1 + 0.9 * (1 - math.cos(math.pi / 10)) / 2 + 1e-12)
    # half-way through each period: exactly the middle
    assert_allclose(s.lr([5, 20, 50]), 0.55, rtol=1e-12)
    # equal periods
    s1 = CosineWarmRestarts(1.0, T_0=8)
    assert_allclose(s1.lr([0, 8, 16, 24]), 1.0)
    assert_allclose(s1.lr([4, 12]), 0.5, atol=1e-15)


def test_sgdr_large_iterations_and_shapes():
    s = CosineWarmRestarts(1.0, T_0=3, T_mult=2)
    # restarts at 3 * (2^n - 1): no floating-point log involved
    n = np.array([3 * (2**k - 1) for k in range(1, 30)])
    assert_allclose(s.lr(n), 1.0)
    assert s.lr(4).shape == ()
    assert s.lr(np.zeros((2, 3), dtype=int)).shape == (2, 3)


# ----------------------------------------------------------------------------- warm-up


@pytest.mark.parametrize("s,e,total", [(1 / 3, 1.0, 5), (0.1, 1.0, 20), (0.5, 0.8, 7)])
def test_linear_warmup_matches_torch_recursion(s, e, total):
    w = LinearWarmup(0.3, start_factor=s, end_factor=e, total_iters=total)
    assert_allclose(w.lr(T[:60]), ref_linear_lr(0.3, s, e, total, 60), rtol=1e-12)
    assert w.lr(0) == pytest.approx(0.3 * s) and w.lr(total) == pytest.approx(0.3 * e)


def test_linear_warmup_chained_like_sequential_lr():
    then = CosineWarmRestarts(0.2, T_0=30)
    w = LinearWarmup(None, start_factor=0.1, total_iters=10, then=then)
    assert w.target_lr == 0.2
    lr = w.lr(T[:100])
    assert_allclose(lr[:10], 0.2 * (0.1 + 0.9 * np.arange(10) / 10))
    assert_allclose(lr[10:], then.lr(np.arange(90)))
    # momentum is passed through from a cycling schedule
    oc = OneCycle(1.0, 50, cycle_momentum=True)
    w2 = LinearWarmup(start_factor=0.5, total_iters=5, then=oc, base_lr=None)
    assert w2.cycles_momentum
    m = w2.momentum(np.arange(20))
    assert_allclose(m[:5], oc.momentum(0))
    assert_allclose(m[5:], oc.momentum(np.arange(15)))
    assert LinearWarmup(0.1).momentum(3) is None


# ----------------------------------------------------------------------------- CLR


@pytest.mark.parametrize(
    "mode,gamma", [("triangular", 1.0), ("triangular2", 1.0), ("exp_range", 0.99)]
)
def test_cyclic_matches_smith_formula(mode, gamma):
    c = Cyclic(0.001, 0.006, step_size=20, mode=mode, gamma=gamma)
    assert_allclose(c.lr(T), ref_clr(0.001, 0.006, 20, mode, gamma, T.size), rtol=1e-12)


def test_cyclic_corners():
    c = Cyclic(0.1, 1.1, step_size=10)
    # start at base, peak after step_size, back to base after a full cycle, and again
    assert_allclose(c.lr([0, 10, 20, 30, 40, 5, 15]), [0.1, 1.1, 0.1, 1.1, 0.1, 0.6, 0.6])


def test_triangular2_halves_amplitude_each_cycle():
    c = Cyclic(0.5, 1.5, step_size=10, mode="triangular2")
    peaks = c.lr(10 + 20 * np.arange(6)) - 0.5
    assert_allclose(peaks, 1.0 / 2.0 ** np.arange(6))
    assert_allclose(c.lr(20 * np.arange(6)), 0.5)  # base stays fixed


def test_exp_range_scales_amplitude_only():
    c = Cyclic(0.1, 1.1, step_size=10, mode="exp_range", gamma=0.99)
    t_peaks = 10 + 20 * np.arange(5)
    assert_allclose(c.lr(t_peaks), 0.1 + 1.0 * 0.99**t_peaks)
    assert_allclose(c.lr(20 * np.arange(5)), 0.1)  # base_lr fixed (bckenstler / torch)


def test_cyclic_asymmetric_and_momentum_match_torch():
    c = Cyclic(0.01, 0.1, step_size=7, step_size_down=13, cycle_momentum=True)
    lr_ref, m_ref = ref_torch_cyclic(0.01, 0.1, 7, 13, 200)
    assert_allclose(c.lr(T[:200]), lr_ref, rtol=1e-12)
    assert_allclose(c.momentum(T[:200]), m_ref, rtol=1e-12)
    assert c.cycle_length == 20


def test_cyclic_momentum_inverse():
    c = Cyclic(0.1, 1.1, step_size=10, cycle_momentum=True)
    lr, m = c.lr(T), c.momentum(T)
    # (max_m - m) / (max_m - base_m) == (lr - base) / (max - base): exact inverse
    assert_allclose((0.9 - m) / 0.1, (lr - 0.1) / 1.0, atol=1e-12)
    assert m[0] == pytest.approx(0.9) and m[10] == pytest.approx(0.8)
    assert Cyclic(0.1, 1.1, 10).momentum(T) is None


@settings(max_examples=60, deadline=None)
@given(
    base=st.floats(0, 1),
    span=st.floats(0, 5),
    step=st.integers(1, 50),
    mode=st.sampled_from(["triangular", "triangular2", "exp_range"]),
    gamma=st.floats(0.9, 1.0),
)
def test_cyclic_stays_within_bounds(base, span, step, mode, gamma):
    c = Cyclic(base, base + span, step_size=step, mode=mode, gamma=gamma)
    lr = c.lr(T)
    assert np.all(lr >= base - 1e-12) and np.all(lr <= base + span + 1e-12)


# ----------------------------------------------------------------------------- 1cycle


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"anneal": "linear"},
        {"three_phase": True},
        {"three_phase": True, "anneal": "linear", "pct_start": 0.25},
        {"pct_start": 0.45, "div_factor": 10.0, "final_div_factor": 100.0},
    ],
)
def test_one_cycle_matches_torch_get_lr(kw):
    total = 237
    s = OneCycle(0.8, total, cycle_momentum=True, **kw)
    kw2 = dict(kw)
    pct = kw2.pop("pct_start", 0.3)
    div = kw2.pop("div_factor", 25.0)
    fdiv = kw2.pop("final_div_factor", 1e4)
    anneal = kw2.pop("anneal", "cos")
    three = kw2.pop("three_phase", False)
    lr_ref, m_ref = ref_one_cycle(0.8, total, pct, div, fdiv, anneal, three)
    t = np.arange(total)
    assert_allclose(s.lr(t), lr_ref, rtol=1e-12)
    assert_allclose(s.momentum(t), m_ref, rtol=1e-12)


def test_one_cycle_corners():
    s = OneCycle(max_lr=2.0, total_steps=1000, cycle_momentum=True)
    assert s.lr(0) == pytest.approx(2.0 / 25, rel=1e-12)
    assert s.peak_step == 299
    assert s.lr(299) == pytest.approx(2.0, rel=1e-12)
    assert s.lr(999) == pytest.approx(2.0 / 25 / 1e4, rel=1e-12)
    assert float(np.max(s.lr(np.arange(1000)))) == pytest.approx(2.0)
    assert_allclose(s.momentum([0, 299, 999]), [0.95, 0.85, 0.95])
    # after the end the rate stays at its floor (torch would raise)
    assert s.lr(5000) == pytest.approx(s.min_lr)
    assert s.momentum(3) is not None and OneCycle(1.0, 10).momentum(3) is None


def test_one_cycle_three_phase_corners():
    s = OneCycle(1.0, 100, three_phase=True)
    assert_allclose(s.lr([0, 29, 58, 99]), [0.04, 1.0, 0.04, 0.04 / 1e4], rtol=1e-12)


def test_one_cycle_zero_length_phase_is_finite():
    # pct_start * total_steps == 1: torch divides by zero here; we take the phase's end value
    s = OneCycle(1.0, 10, pct_start=0.1)
    lr = s.lr(np.arange(10))
    assert np.all(np.isfinite(lr)) and lr[0] == 1.0 and lr[-1] == pytest.approx(4e-6)


@settings(max_examples=50, deadline=None)
@given(
    total=st.integers(2, 400),
    pct=st.floats(0.05, 0.95),
    anneal=st.sampled_from(["cos", "linear"]),
)
def test_one_cycle_within_bounds(total, pct, anneal):
    s = OneCycle(1.0, total, pct_start=pct, anneal=anneal)
    lr = s.lr(np.arange(total))
    assert np.all(np.isfinite(lr))
    assert np.all(lr <= 1.0 + 1e-12) and np.all(lr >= s.min_lr - 1e-15)


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "build",
    [
        lambda: Cyclic(0.1, 0.05),
        lambda: Cyclic(0.01, 0.1, step_size=0),
        lambda: Cyclic(0.01, 0.1, step_size=-3),
        lambda: Cyclic(0.01, 0.1, mode="sawtooth"),
        lambda: Cyclic(0.01, 0.1, mode="exp_range", gamma=1.5),
        lambda: Cyclic(0.01, 0.1, cycle_momentum=True, base_momentum=0.95, max_momentum=0.9),
        lambda: OneCycle(1.0, total_steps=1),
        lambda: OneCycle(1.0, 100, pct_start=0.0),
        lambda: OneCycle(1.0, 100, pct_start=0.7, three_phase=True),
        lambda: OneCycle(1.0, 100, anneal="cubic"),
        lambda: OneCycle(-1.0, 100),
        lambda: StepDecay(0.1, step_size=0),
        lambda: StepDecay(0.1, step_size=2.5),
        lambda: ExponentialDecay(0.1, gamma=0.0),
        lambda: CosineWarmRestarts(0.1, T_0=0),
        lambda: CosineWarmRestarts(0.1, T_0=10, T_mult=0),
        lambda: CosineWarmRestarts(0.1, T_0=10, eta_min=0.5),
        lambda: LinearWarmup(0.1, start_factor=0.0),
        lambda: LinearWarmup(0.1, total_iters=0),
        lambda: LinearWarmup(None),
        lambda: Constant(float("nan")),
        lambda: Constant(-0.1),
    ],
)
def test_bad_parameters_raise(build):
    with pytest.raises(ValueError):
        build()


def test_negative_iteration_raises():
    with pytest.raises(ValueError, match="iterations"):
        Constant(0.1).lr(-1)


def test_error_messages_are_readable():
    with pytest.raises(ValueError, match="max_lr .* must be at least base_lr"):
        Cyclic(0.1, 0.05)
    with pytest.raises(ValueError, match="total_steps must be at least 2"):
        OneCycle(1.0, 1)


# ----------------------------------------------------------------------------- registry


def test_registry_builds_every_schedule():
    assert list(SCHEDULES) == [
        "constant",
        "step",
        "exponential",
        "sgdr",
        "warmup",
        "triangular",
        "triangular2",
        "exp_range",
        "onecycle",
    ]
    for key, info in SCHEDULES.items():
        s = make_schedule(key)
        assert isinstance(s, Schedule) and info.key == key
        assert info.label and info.description and info.source
        lr = s(np.arange(300))
        assert lr.shape == (300,) and np.all(np.isfinite(lr)) and np.all(lr >= 0)
    assert make_schedule("triangular2").mode == "triangular2"
    assert make_schedule("exp_range", gamma=0.9).gamma == 0.9
    with pytest.raises(ValueError, match="unknown schedule"):
        make_schedule("nope")


def test_schedule_is_a_trainer_callable():
    s = Cyclic(0.01, 0.1, step_size=5)
    assert s(3) == s.lr(3)
    assert_allclose([float(s(t)) for t in range(20)], s.lr(np.arange(20)))
