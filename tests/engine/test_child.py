"""The child learner against hand-computed steps, closed forms and finite differences."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from engine.child import (
    ANIMALS,
    COPY_RATE,
    CURVATURE,
    DEFAULT_SEQUENCE,
    DESIRABLE,
    MAX_LENGTH,
    PRESETS,
    PRIOR,
    STABLE_MAX,
    TOO_HIGH,
    TOO_LOW,
    SequenceError,
    colour_grad,
    colour_loss,
    colour_outcomes,
    feature_grad,
    feature_loss,
    feature_outcomes,
    learn_colour,
    learn_features,
    parse_sequence,
    random_sequence,
    shuffle_sequence,
)
from engine.verdict import NEVER, Kind

sequences = st.text(alphabet="BWCK", min_size=1, max_size=MAX_LENGTH)


def kinds(seq, rates):
    return [o.kind for o in colour_outcomes(learn_colour(seq, rates))]


# ------------------------------------------------------------------ the three outcomes


def test_presets_give_the_three_outcomes_on_the_story():
    run = learn_colour(DEFAULT_SEQUENCE, [TOO_LOW, DESIRABLE, TOO_HIGH])
    low, good, high = colour_outcomes(run)
    assert (low.kind, good.kind, high.kind) == ("too low", "good", "too high")
    assert list(PRESETS.values()) == [TOO_LOW, DESIRABLE, TOO_HIGH]
    # all three verdicts are about the white dog, animal 11
    assert low.step == good.step == high.step == 11
    # too low: the white dog barely moves him and he still expects black dogs
    assert low.after > 0.6 and low.before - low.after < 1 / 11 * low.before
    # good: a real change of mind, but he stays on the side of what he has seen
    assert 0.5 < good.after < good.before - 0.2
    # too high: he expects white dogs although 10 of 11 were black
    assert high.after < 0.5 and run.truth[-1] == pytest.approx(10 / 11)
    assert high.headline == "all dogs are white"


def test_belief_after_one_update_is_the_hand_computed_value():
    lrs = np.array([0.0, 0.05, 0.3, 0.9, 1.0, 1.5, 2.5])
    # b1 = b0 - lr * dF/db = 0.5 - lr * (0.5 - c)
    assert_allclose(learn_colour("B", lrs).belief[:, 1], 0.5 - lrs * (0.5 - 1.0), rtol=0, atol=0)
    assert_allclose(learn_colour("W", lrs).belief[:, 1], 0.5 - lrs * (0.5 - 0.0), rtol=0, atol=0)
    assert_allclose(learn_colour("W", [0.3]).belief[0, 1], 0.35)
    # a second step, by hand: b2 = b1 - lr (b1 - 0)
    b1 = 0.5 + 0.3 * 0.5
    assert_allclose(learn_colour("BW", [0.3]).belief[0, 2], b1 - 0.3 * b1)


def test_rate_one_copies_the_last_dog():
    for seq in (DEFAULT_SEQUENCE, "WWWB", "BCWKB", "BBBBBBBBBBWBW"):
        run = learn_colour(seq, [COPY_RATE])
        for t in np.flatnonzero(run.is_dog):
            assert run.belief[0, t + 1] == run.black[t]  # exactly, not approximately
    run = learn_colour(DEFAULT_SEQUENCE, [1.0])
    (o,) = colour_outcomes(run)
    assert run.belief[0, -1] == 0.0
    assert o.kind == "too high" and o.headline == "all dogs are white"
    assert "exact copy" in o.text


def test_above_the_stable_range_beliefs_swing_and_are_flagged():
    ten = "B" * 10
    # 1 < lr < 2: every step lands on the other side of the dog (overshoot), swings shrink
    run = learn_colour(ten, [1.5])
    err = run.belief[0] - 1.0
    assert np.all(np.sign(err[1:]) == -np.sign(err[:-1]))
    assert np.all(np.abs(err[1:]) < np.abs(err[:-1]))
    assert kinds(DEFAULT_SEQUENCE, [1.01, 1.5, 1.99]) == ["oscillating"] * 3
    (o,) = colour_outcomes(learn_colour(DEFAULT_SEQUENCE, [1.5]))
    assert o.after < 0 and "whiter than white" in o.text
    # lr >= 2 = 2/F'': the swings never shrink, and above 2 they grow
    for lr in (2.0, 2.5):
        err = learn_colour(ten, [lr]).belief[0] - 1.0
        assert np.all(np.sign(err[1:]) == -np.sign(err[:-1]))
        assert np.all(np.abs(err[1:]) >= np.abs(err[:-1]))
    err = learn_colour(ten, [2.5]).belief[0] - 1.0
    assert_allclose(np.abs(err), 0.5 * 1.5 ** np.arange(11))
    assert kinds(DEFAULT_SEQUENCE, [2.0, 2.5]) == ["diverged", "diverged"]
    assert STABLE_MAX == 2 / CURVATURE and COPY_RATE == 1 / CURVATURE


def test_classification_thresholds_on_the_story():
    # f = lr; too low below 1/11, too high once he flips (b < 1/2) or f > 1/2
    rates = [0.0, 0.09, 0.1, 0.3, 0.45, 0.49, 0.5, 0.51, 0.9, 1.0, 1.01, 1.99, 2.0]
    assert kinds(DEFAULT_SEQUENCE, rates) == (
        ["too low"] * 2 + ["good"] * 4 + ["too high"] * 4 + ["oscillating"] * 2 + ["diverged"]
    )


def test_when_the_dogs_agree_a_high_rate_is_still_flagged():
    assert kinds("B" * 10, [0.05, 0.3, 0.9]) == ["too low", "good", "too high"]
    (o,) = colour_outcomes(learn_colour("B" * 10, [0.9]))
    assert o.headline == "chases the last dog" and "no harm yet" in o.text


def test_no_dog_and_zero_rate():
    (o,) = colour_outcomes(learn_colour("CKC", [0.3]))
    assert o.kind is Kind.NOTHING and o.step == NEVER and o.headline == "no dog yet"
    assert learn_colour("CKC", [0.3]).last_dog == NEVER
    (o,) = colour_outcomes(learn_colour(DEFAULT_SEQUENCE, [0.0]))
    assert o.kind == "too low" and "never learns" in o.text


def test_non_finite_beliefs_are_a_result_not_an_error():
    run = learn_colour("B" * 40, [1e200])
    assert not np.all(np.isfinite(run.belief))
    (o,) = colour_outcomes(run)
    assert o.kind == "diverged"


# ------------------------------------------------------------------ ground truth


def test_closed_form_after_m_black_dogs():
    lrs = np.array([0.05, 0.3, 0.9, 1.5])
    run = learn_colour("B" * 12, lrs)
    m = np.arange(13)
    assert_allclose(run.belief, 1 - (1 - PRIOR) * (1 - lrs[:, None]) ** m[None, :], atol=1e-14)


def test_belief_is_an_exponential_moving_average():
    seq = "BWBBWCWBKB"
    lr = 0.3
    run = learn_colour(seq, [lr])
    c = np.array([ANIMALS[ch].black for ch in seq if ANIMALS[ch].is_dog])
    n = len(c)
    weights = lr * (1 - lr) ** np.arange(n)[::-1]
    assert_allclose(run.belief[0, -1], (1 - lr) ** n * PRIOR + weights @ c, atol=1e-14)


def test_truth_is_the_running_share_of_black_dogs():
    run = learn_colour("CBWBK", [0.3])
    assert np.isnan(run.truth[0]) and np.isnan(run.truth[1])
    assert_allclose(run.truth[2:], [1, 1 / 2, 2 / 3, 2 / 3])


def test_running_mean_rate_reaches_the_truth():
    # lr_t = 1/t is the running mean: driving the same rule with it lands on the share exactly
    seq = "BWBBWBBBWB"
    b = PRIOR
    for t, ch in enumerate(seq, start=1):
        b = b - (1 / t) * colour_grad(b, ANIMALS[ch].black)
    assert_allclose(b, learn_colour(seq, [0.3]).truth[-1])


@settings(max_examples=40, deadline=None)
@given(seq=sequences, lrs=st.lists(st.floats(0, 2.4), min_size=1, max_size=5))
def test_batched_equals_sequential_and_cats_change_nothing(seq, lrs):
    run = learn_colour(seq, lrs)
    for k, lr in enumerate(lrs):
        assert_allclose(run.belief[k], learn_colour(seq, [lr]).belief[0], rtol=1e-12, atol=0)
    dogs_only = "".join(ch for ch in seq if ANIMALS[ch].is_dog)
    if dogs_only:
        ref = learn_colour(dogs_only, lrs).belief
        idx = np.concatenate(([0], np.flatnonzero(run.is_dog) + 1))
        assert_allclose(run.belief[:, idx], ref, rtol=1e-12, atol=0)


@settings(max_examples=40, deadline=None)
@given(seq=sequences, lr=st.floats(0.001, 1.99))
def test_step_fraction_is_lr_times_curvature(seq, lr):
    run = learn_colour(seq, [lr])
    (o,) = colour_outcomes(run)
    if o.step != NEVER:
        assert o.fraction == pytest.approx(lr * CURVATURE, rel=1e-6, abs=1e-9)
        expected = "oscillating" if lr > 1 else None
        if expected:
            assert o.kind == expected
        elif lr > 0.5:
            assert o.kind == "too high"


def check_grads(f, g, x, eps=1e-6):
    """Central finite differences of ``f`` against the analytic gradient ``g`` at ``x``."""
    x = np.asarray(x, dtype=float)
    num = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        d = np.zeros_like(x)
        d[idx] = eps
        num[idx] = np.sum(f(x + d) - f(x - d)) / (2 * eps)
    assert_allclose(g(x), num, rtol=1e-6, atol=1e-8)


def test_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    for c in (0.0, 1.0):
        check_grads(lambda b, c=c: colour_loss(b, c), lambda b, c=c: colour_grad(b, c), [0.3])
    w = rng.normal(size=(1, 5))
    for a in ANIMALS.values():
        x, y = np.array(a.features), float(a.is_dog)
        check_grads(
            lambda v, x=x, y=y: feature_loss(v, x, y), lambda v, x=x, y=y: feature_grad(v, x, y), w
        )


# ------------------------------------------------------------------ the feature child


def test_feature_child_one_step_by_hand():
    lrs = np.array([0.1, 1.0, 2.5])
    run = learn_features("B", lrs)
    # w0 = 0, p = 1/2, w1 = -lr (1/2 - 1) x
    assert_allclose(run.weights[:, 1], 0.5 * lrs[:, None] * np.array(ANIMALS["B"].features))
    run = learn_features("C", [1.0])
    assert_allclose(run.weights[0, 1], -0.5 * np.array(ANIMALS["C"].features))
    assert_allclose(run.p_shown[:, 0], 0.5)
    # the curvature along the first animal is p(1-p)|x|^2 = 1/4 * 4 = 1: same as the colour child
    assert_allclose(run.curvature[:, 0], 1.0)


@settings(max_examples=25, deadline=None)
@given(seq=sequences, lrs=st.lists(st.floats(0, 5), min_size=1, max_size=4))
def test_feature_child_batched_equals_sequential_and_rules_hold(seq, lrs):
    run = learn_features(seq, lrs)
    for k, lr in enumerate(lrs):
        assert_allclose(
            run.weights[k], learn_features(seq, [lr]).weights[0], rtol=1e-10, atol=1e-13
        )
    assert np.all(run.curvature <= 1.0 + 1e-12)
    for k, o in enumerate(feature_outcomes(run)):
        pw, pb = run.p_white_dog[k, -1], run.p_black_dog[k, -1]
        if np.max(lrs[k] * run.curvature[k], initial=0.0) > 2:
            assert o.kind == "oscillating"
        elif pw > pb + 1e-12:
            assert o.kind == "too high"
        elif pw < 0.5:
            assert o.kind == "too low"
        else:
            assert o.kind == "good"


def test_feature_child_outcomes_on_dogs_and_cats():
    seq = "BC" * 10 + "W"  # every white animal so far was a cat
    low, good, high = feature_outcomes(learn_features(seq, [TOO_LOW, DESIRABLE, TOO_HIGH]))
    assert low.kind == "too low"  # he would still not call a white dog a dog
    assert good.kind == "good" and high.kind == "good"
    # the white dog shrinks the colour weight at every rate
    assert all(o.after < o.before for o in (low, good, high))
    # a black cat teaches him colour says nothing, then a white dog tips him to "dogs are white"
    (o,) = feature_outcomes(learn_features("KW", [0.3]))
    assert o.kind == "too high"
    # above 2/curvature the first steps overshoot: flagged
    (o,) = feature_outcomes(learn_features(seq, [2.5]))
    assert o.kind == "oscillating" and "overshoot" in o.text
    assert o.fraction == pytest.approx(2.5)


# ------------------------------------------------------------------ sequences


def test_parse_sequence():
    assert parse_sequence(" bbb, w ") == "BBBW"
    assert parse_sequence("B" * MAX_LENGTH) == "B" * MAX_LENGTH
    with pytest.raises(SequenceError, match="too many"):
        parse_sequence("B" * (MAX_LENGTH + 1))
    with pytest.raises(SequenceError, match="empty"):
        parse_sequence("  ")
    with pytest.raises(SequenceError, match="'X' is not an animal"):
        parse_sequence("BXB")
    with pytest.raises(SequenceError, match="are not animals"):
        parse_sequence("B1<")
    with pytest.raises(ValueError):
        learn_colour("B", [-0.1])
    with pytest.raises(ValueError):
        learn_colour("B", [np.nan])


def test_random_and_shuffled_sequences_are_seeded():
    a = random_sequence(30, np.random.default_rng(7), p_black=0.8, p_cat=0.2)
    assert a == random_sequence(30, np.random.default_rng(7), p_black=0.8, p_cat=0.2)
    assert len(a) == 30 and set(a) <= set("BWCK")
    assert set(random_sequence(40, np.random.default_rng(1))) <= set("BW")
    s = shuffle_sequence(DEFAULT_SEQUENCE, np.random.default_rng(3))
    assert sorted(s) == sorted(DEFAULT_SEQUENCE)
    assert s == shuffle_sequence(DEFAULT_SEQUENCE, np.random.default_rng(3))
    with pytest.raises(ValueError):
        random_sequence(0, np.random.default_rng(0))


def test_outcomes_are_kinds_and_overflow_is_recorded_where_it_happens():
    """Kinds come from the shared vocabulary; a belief that overflows is recorded (by the
    shared divergence bookkeeping) at the animal where it stops being finite, and the child
    keeps the update rule's numbers: b_t - 1 = (1 - lr)^t (b_0 - 1)."""
    run = learn_colour("BBBB", [0.3, 2.5, 1e200])
    assert [type(o.kind) for o in colour_outcomes(run)] == [Kind] * 3
    assert [o.kind for o in colour_outcomes(run)] == [Kind.GOOD, Kind.DIVERGED, Kind.DIVERGED]
    # lr = 2.5 swings (1.5^t) but stays finite; lr = 1e200 overflows at the second dog
    assert run.diverged_at.tolist() == [NEVER, NEVER, 2]
    assert_allclose(run.belief[1], 1.0 - 0.5 * (1.0 - 2.5) ** np.arange(5))
    assert np.isfinite(run.belief[2, :2]).all() and not np.isfinite(run.belief[2, 2:]).any()
    feat = learn_features("BWCK", [0.3, 1e300])
    assert feat.diverged_at[0] == NEVER
    assert [type(o.kind) for o in feature_outcomes(feat)] == [Kind, Kind]
