"""The model of "What is a learning rate?" against the closed form of GD on a parabola."""

import math

import numpy as np
import pytest

from engine.descent import run_descent
from engine.surfaces import get_surface
from lessons.what_is_lr import model
from lessons.what_is_lr.model import Params


@pytest.mark.parametrize("a", model.CURVATURES)
@pytest.mark.parametrize("lr", [0.05, 0.3, 1.0, 1.5, 1.9, 2.3])
def test_path_is_the_closed_form(a, lr):
    """w_t = w0 (1 - lr a)^t until a diverging walk is stopped (NaN from then on)."""
    r = model.compute(Params(lr=lr, a=a, w0=4.0, steps=10))
    t = np.arange(model.MAX_STEPS + 1)
    ok = np.isfinite(r.path)
    assert ok[0] and (ok.all() or lr * a > 2)  # only a walk above 2/a is ever stopped
    assert not ok.any() or ok[: ok.sum()].all()  # finite, then NaN: never back
    np.testing.assert_allclose(r.path[ok], 4.0 * (1 - lr * a) ** t[ok], rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(r.grad[ok], a * r.path[ok], rtol=1e-12)
    assert r.fastest == pytest.approx(1 / a) and r.diverge == pytest.approx(2 / a)


def test_one_over_a_lands_in_one_step_and_the_equation_says_so():
    r = model.compute(Params(lr=1.0, a=1.0, w0=4.0, steps=0))
    assert r.next_w == 0.0
    eq = model.step_equation(r)
    assert "w_{1}" in eq and "&= 4 - 1\\times(4)" in eq and eq.endswith("&= 0\\end{aligned}")
    q = model.question(r.params, r)
    assert q.options[q.answer] == "lr = 1"


def test_question_answer_is_one_over_a_for_every_bowl():
    for a in model.CURVATURES:
        p = Params(a=a)
        q = model.question(p, model.compute(p))
        lr = float(q.options[q.answer].split("= ")[1])
        assert lr == pytest.approx(1 / a, rel=1e-3)


def test_a_diverging_ball_never_leaves_unseen():
    r = model.compute(Params(lr=2.3, a=1.0, w0=4.0, steps=30))
    assert abs(r.w) == pytest.approx(4.0 * 1.3**30)
    assert r.half == model.EDGE and r.off_chart
    assert "beyond the picture" in model.caption(r)
    # the picture widens to follow a ball that is still near
    near = model.compute(Params(lr=2.3, a=1.0, w0=4.0, steps=3))
    assert near.half == pytest.approx(1.1 * 4.0 * 1.3**3) and not near.off_chart
    assert near.xs[0] == -near.half and near.xs[-1] == near.half


def test_verdict_row_is_the_engines_verdict():
    p = Params(lr=0.3)
    r = model.compute(p)
    v = run_descent(get_surface("quadratic", a=1.0), (4.0,), [0.3], steps=30).verdicts[0]
    (row,) = model.rows(p, r)
    assert (row.kind, row.text) == (v.kind, v.text)
    assert row.label == "lr = 0.3"


def test_a_stopped_walk_shows_its_last_step():
    r = model.compute(Params(lr=2.3, a=2.0, w0=5.0, steps=30))
    last = int(np.flatnonzero(np.isfinite(r.path))[-1])
    assert r.shown == last < 30 and math.isfinite(r.w)
    assert r.verdict.kind == "diverged"
    assert f"w_{{{last + 1}}}" in model.step_equation(r)


def test_table_holds_the_steps_so_far():
    r = model.compute(Params(lr=0.5, steps=3))
    df = model.table(r.params, r)
    assert list(df["step"]) == [0, 1, 2, 3]
    np.testing.assert_allclose(df["w"], [4, 2, 1, 0.5])


def test_take_home_code_carries_the_view_and_reproduces_the_walk():
    import contextlib
    import io

    p = Params(lr=1.5, a=2.0, w0=-3.0, steps=4)
    r = model.compute(p)
    th = model.takehome(p, r)
    for src in (th.engine.source, th.torch.source):
        assert "1.5" in src and "2.0" in src and "-3.0" in src
    ns: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(th.engine.source, ns)  # noqa: S102
    np.testing.assert_array_equal(ns["result"].path[0, :, 0], r.path)
