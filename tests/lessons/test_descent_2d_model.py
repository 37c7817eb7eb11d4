"""The model of Descent in 2-D, without Streamlit: its runs against independent engine calls
and closed forms, its sentences against its numbers, and labels against verdicts."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from engine import fmt
from engine.convergence import measured_contraction
from engine.descent import run_descent
from engine.surfaces import get_surface
from engine.theory import contraction_factor
from engine.verdict import Kind
from lessons.descent_2d import model
from lessons.descent_2d.model import Params
from lessons.ui import fields as F
from lessons.ui import guide
from tests.takehome.helpers import carries
from tests.takehome.helpers import run as run_code

SURFACES = [k for k in model.SURFACE_KEYS if k != model.CUSTOM]
rate = functools.partial(fmt.rate, digits=model.RATE_DIGITS)  # how this page prints a rate


@functools.lru_cache(maxsize=64)
def run(p: Params) -> model.Result:
    return model.compute(p)


def guide_params() -> Params:
    (step,) = [s for s in guide.PLAN if s.path == "lessons/descent_2d/page.py"]
    p, notes = F.from_query(Params, step.query)
    assert notes == []
    return p


# ------------------------------------------------------------------ the runs and the theory


def test_defaults_are_the_engines_runs_and_the_closed_form():
    p = Params()
    r = run(p)
    s = get_surface("ill_conditioned", kappa=20.0, angle=30.0)
    lrs = [1 / 21, 2 / 21, 1.05 * 0.1]  # ½·best, best, just above 2/λmax (to 4 digits)
    np.testing.assert_allclose(r.lrs, lrs, rtol=5e-4)
    assert r.start == (2.2, 4.15) and r.steps == 100
    ref = run_descent(s, r.start, list(r.lrs), steps=100)
    np.testing.assert_array_equal(r.path, ref.path)
    assert [Kind(v.kind) for v in ref.verdicts] == list(r.engine_kinds)
    for v, text in zip(ref.verdicts, r.texts, strict=True):
        assert text.startswith(v.text)
    th = r.th
    assert th.eigenvalues == pytest.approx((1.0, 20.0))
    assert (th.diverge, th.best, th.contraction_at_best) == pytest.approx((0.1, 2 / 21, 19 / 21))
    np.testing.assert_allclose(r.predicted, contraction_factor([1.0, 20.0], r.lrs), rtol=1e-12)
    np.testing.assert_allclose(r.measured, measured_contraction(ref.path, [[0, 0]]).rate)
    np.testing.assert_allclose(r.measured, r.predicted, rtol=2e-3)
    assert model.agreement(r).count("as predicted") == 3
    assert f"**2/λmax = {rate(0.1)}**" in model.theory_lines(r)


def test_the_surfaces_own_start_rates_and_steps_until_set():
    r = run(Params(surface="rosenbrock"))
    assert r.start == (-1.2, 1.0) and r.steps == 1000
    assert r.rates_auto == model.presets(r.th)
    assert r.rates_auto[1] < r.th.diverge  # rounding never pushes the best rate over the edge
    r = run(Params(surface="rosenbrock", x0=0.5, y0=-0.5, steps=20, lr1=0.001, n=1))
    assert r.start == (0.5, -0.5) and r.steps == 20 and r.lrs == (0.001,)
    # the valley's start turns with its angle
    r = run(Params(angle=-90))
    assert r.start == (2.5, -4.0)


def test_a_typed_function_that_cannot_be_read_shows_the_default_and_says_why():
    r = run(Params(surface=model.CUSTOM, f="x +* y"))
    assert r.error and "`x +* y`" in model.error_sentence(r)
    assert r.formula == run(Params(surface=model.CUSTOM)).formula
    r = run(Params(surface=model.CUSTOM, f="log(x) + y**2", x0=-2.0))
    assert r.run_error and "Can't run from (-2" in model.run_error_sentence(r)


# ------------------------------------------------------------------ labels agree with verdicts


def _views() -> list[Params]:
    """Every surface at its own presets (four runs), and the guide's link."""
    out = [Params(surface=k, n=4) for k in SURFACES]
    out += [Params(kappa=k, n=4) for k in model.KAPPAS]
    out += [Params(surface=model.CUSTOM, n=4), guide_params()]
    return out


@pytest.mark.parametrize("p", _views(), ids=lambda p: f"{p.surface}-{p.kappa:g}-{p.lr1}")
def test_labels_never_contradict_verdicts(p):
    """A tag (best, 1/λmax, above 2/λmax) is only given where the theory is exact, and its run
    does what the tag says; where a run's fate disagrees with the curvature at the surface's
    point, its verdict says why; *best* is the measured fastest of the runs that converge."""
    r = run(p)
    for lab, kind, text, lr in zip(r.labels, r.kinds, r.texts, r.lrs, strict=True):
        tags = [t for t in model.TAG_KINDS if t in lab]
        assert len(tags) <= 1
        if tags:
            assert r.quadratic, lab
            assert kind in model.TAG_KINDS[tags[0]], (lab, kind, text)
        th = r.thresholds[int(r.nearest[r.labels.index(lab)])] if r.thresholds else None
        if th is None or th.kind != "convex":
            continue
        if lr > th.diverge and kind not in (Kind.DIVERGED, Kind.UNBOUNDED):
            assert "yet it did not blow up" in text or "yet it has not blown up" in text, lab
        if lr < th.diverge and kind == Kind.DIVERGED:
            assert "yet it blew up" in text, lab
    best = [i for i, lab in enumerate(r.labels) if "(best)" in lab]
    for i in best:  # the measured fastest (landing exactly leaves nothing to measure: 0)
        rate = np.where(np.isnan(r.measured), 0.0, r.measured)
        alive = np.array(r.kinds) != Kind.DIVERGED
        assert rate[i] <= rate[alive].min() * (1 + 1e-6), (r.labels, rate)
        if Kind.CONVERGED in r.kinds:
            assert r.kinds[i] == Kind.CONVERGED


def test_best_zigzags_and_is_called_converged():
    """2/(λmin + λmax) flips the steep component every step, and gets there fastest."""
    r = run(Params())
    i = [j for j, lab in enumerate(r.labels) if "(best)" in lab][0]
    assert r.engine_kinds[i] == Kind.OSCILLATING  # the engine sees the zig-zag
    assert r.kinds[i] == Kind.CONVERGED and "zig-zagging" in r.texts[i]
    assert r.measured[i] == pytest.approx(19 / 21, rel=2e-3) and r.measured[i] < r.measured[0]


def test_rosenbrock_above_the_edge_says_why_from_the_curvature_on_its_path():
    r = run(Params(surface="rosenbrock"))
    i = 2  # 1.05 · 2/λmax at the minimum
    assert r.lrs[i] > r.th.diverge and r.kinds[i] != Kind.DIVERGED
    text = r.texts[i]
    assert "yet it did not blow up" in text and "not got there" in text
    x, y = r.path[i, -1]
    hess = np.array([[2 - 400 * y + 1200 * x * x, -400 * x], [-400 * x, 200.0]])  # closed form
    lam = float(np.linalg.eigvalsh(hess)[-1])
    assert f"λ = {fmt.num(lam)}" in text and f"2/λ = {rate(2 / lam)}" in text
    assert r.lrs[i] * lam < 2  # where it is, its rate is still stable


def test_beale_below_the_edge_that_blows_up_says_where():
    r = run(Params(surface="beale"))
    i = 1  # the theory's best at the minimum
    assert r.lrs[i] < r.th.diverge and r.kinds[i] == Kind.DIVERGED
    step = int(r.texts[i].split("From step ")[1].split(" ")[0])
    s = get_surface("beale")
    lam = float(np.linalg.eigvalsh(s.hessian(r.path[i, step]))[-1])
    assert r.lrs[i] * lam > 2 and f"λ = {fmt.num(lam)}" in r.texts[i]


def test_a_surface_without_a_minimum_has_its_own_words_and_question():
    p = Params(surface="saddle", n=4)
    r = run(p)
    assert not r.minima
    for kind, text, loss in zip(r.kinds, r.texts, r.loss, strict=True):
        fin = loss[np.isfinite(loss)]
        assert "not converged yet" not in text
        if fin[-1] < fin[0]:  # the loss fell: running off is not diverging
            assert kind == Kind.UNBOUNDED, text
    assert "nothing to converge to" in r.texts[0]
    cap = model.caption(r, model.CONTOUR)
    assert "downhill: the loss keeps falling" in cap and "diverged" not in cap
    q = model.question(p, r)
    assert q.options == model.NO_MINIMUM_OPTIONS
    assert q.options[q.answer].startswith("It lingers") and "*unbounded*" in q.explanation
    assert "downhill direction (λ = -1 < 0)" in model.theory_lines(r)
    # with a minimum, the question is about a steeper valley
    q = model.question(Params(), run(Params()))
    assert q.options[q.answer] == "It halves" and "from 0.1 to 0.05" in q.explanation


# ------------------------------------------------------------------ captions and alt text


def test_captions_state_the_numbers_the_charts_show():
    p = Params(view=model.SURFACE3D)
    r = run(p)
    xs, ys, z = r.grid
    assert r.cap == pytest.approx(np.quantile(z[np.isfinite(z)], 0.9))
    assert f"above a loss of {fmt.loss(r.cap)}" in model.caption(r, model.SURFACE3D)
    # the step at which a run leaves the picture is the first one outside the window
    r = run(Params())
    (lo, hi), _ = r.window
    i = 2
    out = np.flatnonzero(np.any(np.abs(r.path[i]) > hi, axis=-1))
    assert int(r.left_at[i]) == int(out[0])
    assert f"leaves it at step {out[0]} because it diverged" in model.caption(r, model.CONTOUR)
    cap = model.contraction_caption(r)
    assert f"2/λmax = {rate(r.th.diverge)}" in cap and f"best rate {rate(r.th.best)}" in cap
    alt = model.alt(r, model.CONTOUR)
    assert all(t in alt for t in r.texts) and "(2.2, 4.15)" in alt


def test_only_the_open_tab_is_computed():
    assert run(Params()).grid[0].size == model.GRID_2D
    assert run(Params(view=model.SURFACE3D)).grid[0].size == model.GRID_3D
    assert run(Params(view=model.LOSS)).grid is None


def test_table_holds_every_run():
    p = Params()
    r = run(p)
    df = model.table(p, r)
    assert len(df) == 101 and list(df.columns[:4]) == [
        "step",
        f"x {r.labels[0]}",
        f"y {r.labels[0]}",
        f"loss {r.labels[0]}",
    ]


# ------------------------------------------------------------------ take it home


@pytest.mark.parametrize(
    "p",
    [
        Params(kappa=40.0, angle=-45, lr1=0.0476, lr2=0.0952, n=2, steps=50, x0=2.0, y0=-1.5),
        Params(
            surface=model.CUSTOM,
            f="x^2 + 3*x*y + 10*y^2 + sin(x)",
            win=2.0,
            mode="optimisers",
            mom=0.5,
            olr=0.02,
            steps=50,
            x0=1.5,
            y0=-1.0,
        ),
    ],
    ids=["valley-rates", "typed-optimisers"],
)
def test_take_home_code_carries_the_view_and_reproduces_the_runs(p):
    """The engine code reruns the page's surface, start, runs and steps bit for bit; both codes
    carry the page's values (a typed function as the parser re-prints it, never as typed)."""
    r = run(p)
    th = model.takehome(p, r)
    values = [*r.start, *r.lrs, r.steps]
    if p.surface == model.CUSTOM:
        values += ["x**2+3*x*y+10*y**2+sin(x)", -2.0, 2.0, 0.5]
        assert "x^2" not in th.engine.source + th.torch.source
        assert "torch.sin(x)" in th.torch.source
    else:
        values += [40.0, -45.0]
    carries(th.engine.source, *values)
    carries(th.torch.source, *values[: len(r.start) + len(r.lrs) + 1])
    ns = run_code(th.engine.source)
    np.testing.assert_array_equal(ns["result"].path, r.path)
    np.testing.assert_array_equal(ns["result"].loss, r.loss)
    assert [v.kind for v in ns["result"].verdicts] == list(r.engine_kinds)
