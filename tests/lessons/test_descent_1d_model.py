"""The model of "Descent in 1-D" (no Streamlit): runs against the engine and the closed form on
a parabola, presets and band names against the verdicts, links, typed functions, figures."""

import math

import numpy as np
import pytest

from engine.descent import run_descent
from engine.expr import parse_function
from engine.surfaces import SURFACES_1D, get_surface
from engine.theory import quadratic_regime, quadratic_thresholds
from lessons.descent_1d import figures as fd
from lessons.descent_1d import model
from lessons.descent_1d.model import Params
from lessons.ui import fields as F
from lessons.ui import guide
from lessons.ui.style import GREY

CURVATURES = (0.25, 0.5, 1.0, 2.0, 4.0, 10.0)


@pytest.fixture(scope="module")
def default():
    return model.compute(Params())


def test_the_runs_are_the_engines_and_the_closed_form(default):
    r = default
    assert r.lrs == (0.1, 0.8, 1.7, 2.2) and r.labels[1] == "B: lr = 0.8"
    res = run_descent(get_surface("quadratic", a=1.0), (4.0,), [0.1, 0.8, 1.7, 2.2], steps=30)
    assert [v.text for v in r.verdicts] == [v.text for v in res.verdicts]
    assert [str(k) for k in r.kinds] == ["too slow", "converged", "oscillating", "diverged"]
    k = np.arange(31)
    np.testing.assert_allclose(r.path[2], 4.0 * (1 - 1.7) ** k, atol=1e-12)  # x_k = x0 (1-lr a)^k
    th = quadratic_thresholds(1.0)
    assert (r.theory.fastest, r.theory.diverge) == (th.fastest, th.diverge)
    assert model.rows(r.params, r)[3].text == res.verdicts[3].text
    table = model.table(r.params, r)
    np.testing.assert_allclose(table["x C: lr = 1.7"], r.path[2])


# ---------------------------------------------------------------- links: old keys, same labels


def test_every_old_key_and_label_still_opens_the_same_view():
    old = {
        "d1_surface": "Double well",
        "d1_tilt": "-0.6",
        "d1_x0_double_well": "-1.5",
        "d1_lr1": "0.05",
        "d1_lr2": "off",
        "d1_lr3": "0.0001",
        "d1_lr4": "1e-3",
        "d1_steps": "50",
        "d1_step50": "12",
        "d1_model": "true",
    }
    p, notes = F.from_query(Params, old)
    assert notes == []
    assert (p.surface, p.tilt, p.x0, p.rates) == ("double_well", -0.6, -1.5, (0.05, 0, 1e-4, 1e-3))
    assert (p.steps, p.replay, p.local) == (50, 12, True)
    q = F.to_query(p)
    assert q["d1_lr3"] == ["0.0001"] and q["d1_lr2"] == ["off"]  # the sliders' own labels
    keys = {s.key for s in F.fields(Params).values()}
    assert {f"d1_x0_{s}" for s in model.SURFACES} <= keys
    assert {f"d1_step{n}" for n in model.STEP_OPTIONS} <= keys
    # each start and each replay position keeps its own range and default
    assert F.field_of(Params, "x0_quadratic").hi == 5.0 and Params().x0_double_well == 1.6
    assert F.field_of(Params, "step10").hi == 10 and Params().step200 == 200
    custom, _ = F.from_query(Params, {"d1_surface": "Type a function", "d1_win": "w = 20"})
    assert custom.win == 20.0 and custom.x0_custom is None  # left to the page: its own start
    assert custom.x0 == model.custom_start(model.DEFAULT_TEXT, 20.0) == 12.0
    assert Params(surface="custom").x0 == model.custom_start(model.DEFAULT_TEXT, 3.0) == 1.8
    log_neg = Params(surface="custom", fn="log(-x)")
    assert log_neg.x0 == model.custom_start("log(-x)", 3.0) < 0  # a link without a start


def test_the_guides_link_shows_its_expect_and_its_labels_agree():
    step = next(s for s in guide.PLAN if s.path == "lessons/descent_1d/page.py")
    p, notes = F.from_query(Params, step.query)
    assert notes == [] and p.rates == (0.0, 1.9, 2.0, 2.2) and p.steps == 50
    r = model.compute(p)
    assert any(step.expect == str(k) for k in r.kinds)
    assert all(model.agrees(r)) and model.bands(r) == ("slides in", "zig-zags in", "diverges")
    assert model.band_of(r, 2.0) is None  # exactly on the 2/f'' line: in no band


# ---------------------------------------------------------------- labels against verdicts


def _grid_params():
    rates = [(0.0001, 0.01, 0.45, 0.95), (1.05, 1.5, 1.95, 2.05), (2.5, 4.0, 9.5, 100.0)]
    for a in (0.25, 10.0):
        for x0 in (-5.0, 0.3):
            for steps in (10, 200):
                for base in rates:
                    yield Params(a=a, x0_quadratic=x0, steps=steps, **_rates([b / a for b in base]))
                for preset in (model.regime_rates(1 / a), model.threshold_rates(1 / a)):
                    yield Params(a=a, x0_quadratic=x0, steps=steps, **_rates(preset))


def _rates(rates):
    return {f"lr{i + 1}": model.snap(v, model.LR_GRID) for i, v in enumerate(rates)}


def test_on_the_parabola_the_thresholds_predict_every_verdict():
    """Below 1/f'' a run slides in (converged or too slow), between the thresholds it zig-zags
    in, above 2/f'' it diverges: so the bands keep their names and the table agrees."""
    for p in _grid_params():
        r = model.compute(p)
        assert all(model.agrees(r)), (p.a, p.x0, p.steps, p.rates, r.kinds)
        assert model.bands(r) == ("slides in", "zig-zags in", "diverges")


def test_the_run_that_converges_in_7_steps_is_in_no_band_called_creeps():
    """The issue: the band labelled "creeps in" held run B, converged in 7 steps."""
    r = model.compute(Params())
    assert r.verdicts[1].text == "converged in 7 steps, moving steadily downhill"
    b = model.band_of(r, 0.8)
    assert model.bands(r)[b] == "slides in" and r.kinds[1] in model.AGREES["monotone"]
    fig = fd.rate_axis_figure(
        r.lrs, list(r.labels), fastest=1.0, diverge=2.0,
        band_names=model.bands(r), kinds=[str(k) for k in r.kinds],
    )  # fmt: skip
    texts = [a.text for a in fig.layout.annotations]
    assert "creeps in" not in texts and "B: lr = 0.8<br>converged" in texts


@pytest.mark.parametrize("surface", list(SURFACES_1D))
def test_a_band_is_named_by_the_prediction_only_where_its_runs_did_it(surface):
    """Off the parabola f'' changes along the way: the prediction is kept in the table next to
    the verdict, and a band holding a run that did something else is named by its thresholds."""
    for steps in (10, 30):
        p = Params(surface=surface, steps=steps)
        th = model.compute(p).theory
        if th is None:
            continue
        for preset in (model.regime_rates(th.fastest), model.threshold_rates(th.fastest)):
            r = model.compute(Params(surface=surface, steps=steps, **_rates(preset)))
            named = model.bands(r)
            for lr, kind in zip(r.lrs, r.kinds, strict=True):
                b = model.band_of(r, lr)
                if b is not None and named[b] == model.BANDS[b][0]:
                    assert kind in model.AGREES[model.BANDS[b][2][0]], (surface, lr, kind)
            assert model.marks(r) == [
                f"{lab} · {k}" for lab, k in zip(r.labels, r.kinds, strict=True)
            ]
            table = model.theory_table(r)
            for lab, k, ok in zip(r.labels, r.kinds, model.agrees(r), strict=True):
                row = next(x for x in table.splitlines() if x.startswith(f"| {lab} |"))
                assert f"*{k}*" in row and (ok or "prediction holds only near x*" in row)


def test_regime_presets_land_in_their_regimes():
    for curv in (0.021, 0.25, 1.0, 7.06, 250.0):
        rates = model.regime_rates(1.0 / curv)
        assert all(v in model.LR_GRID for v in rates) and model.presets_fit(1.0 / curv)
        m = np.array(rates) * curv
        assert m[0] <= 0.3 and 0.6 < m[1] < 1.0 and 1.3 < m[2] < 1.95 and 2.05 < m[3] < 3.0
    for a in CURVATURES:
        th = model.threshold_rates(1.0 / a)
        assert th[1] == pytest.approx(1 / a, rel=1e-12) and th[3] == pytest.approx(2 / a, rel=1e-12)
        r = model.compute(Params(a=a, **_rates(model.regime_rates(1 / a))))
        assert [str(k) for k in r.kinds] == ["too slow", "converged", "oscillating", "diverged"]
    rates, note = model.preset_rates(Params(surface="custom", fn="-x**2"), "regimes")
    assert rates is None and "no upward curvature" in note
    assert not model.presets_available(Params(surface="custom", fn="-x**2"))
    assert not model.presets_fit(60.0) and not model.presets_fit(1e-4)


# ---------------------------------------------------------------- typed functions


def test_a_link_whose_function_is_too_long_shows_the_default():
    """The notice says "showing the default", and the default is what is plotted."""
    p, (note,) = F.from_query(Params, {"d1_surface": "custom", "d1_fn": "x+" * 101 + "x"})
    assert p.fn == model.DEFAULT_TEXT and "showing the default" in note.text
    r = model.compute(p)
    assert r.fn_error is None
    assert r.formula == parse_function(model.DEFAULT_TEXT, window=((-3.0, 3.0),)).formula


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("2x", "`2*x`"),
        ("x**2 # + x", "`#` is not allowed"),
        ("(sin)(x)", "plain name"),
        ("(x**9)**9", "total exponent of 81"),
        ("((x**5)**5)**5", "total exponent of 25"),
        ("x*_y_*", "Can't use `x*_y_*`"),
    ],
)
def test_a_refused_function_is_explained_in_code_spans(text, says):
    r = model.compute(Params(surface="custom", fn=text))
    msg = model.fn_error_message(r)
    assert says in msg and msg.endswith(f"Showing the `{model.DEFAULT_TEXT}` example instead.")
    assert r.text == model.DEFAULT_TEXT and r.shown  # the example is what is drawn
    outside = "".join(msg.split("`")[::2])  # the text outside code spans
    assert not any(c in outside for c in "*_#[]"), outside


def test_a_start_where_the_function_is_undefined():
    r = model.compute(Params(surface="custom", fn="log(x)", x0_custom=-3.0))
    assert not r.shown and model.run_error_message(r).startswith("Can't start at x₀ = -3:")
    assert model.custom_start("log(-x)", 3.0) < 0 < model.custom_start("log(x)", 3.0)


# ---------------------------------------------------------------- words from numbers


def test_captions_state_what_the_charts_show(default):
    r = default
    assert "D: lr = 2.2 leaves the chart at step 2 (x = 5.76), still growing." in (
        model.curve_caption(r)
    )  # 4 * (1 - 2.2)^2, the first iterate past the window's edge 5.2
    early = model.compute(Params(step30=1))
    assert "leaves the chart" not in model.curve_caption(early)  # not within the replayed step
    assert "x₀ … x₁ sit on it" in model.curve_caption(early)
    fig = fd.curve_figure(
        r.xs, r.fx, r.path, r.loss, list(r.labels), step=r.replay, minima=r.minima
    )
    notes = [a.text for a in fig.layout.annotations]
    assert notes == ["D: lr = 2.2<br>leaves the chart at step 2 →"]  # as the caption says
    assert "A: lr = 0.1 is at x = 0.17 after step 30 (too slow" in model.curve_alt(r)
    assert "gap to f_min 8 at step 0" in model.loss_alt(r)  # f(4) = 8
    assert "1/f'' = 1, 2/f'' = 2" in model.rate_alt(r)
    assert "**1/f'' = 1** (one step to the bottom)" in model.threshold_text(r)


def test_question_answer_is_the_engines_verdict():
    for a in CURVATURES:
        r = model.compute(Params(a=a))
        q = model.question(r.params, r)
        assert q.options[q.answer].startswith("It zig-zags with ever bigger swings")
        assert r.quiz.text in q.explanation and "1 − lr·f'' = -1.2" in q.explanation
    assert "20% farther out" in q.explanation


# ---------------------------------------------------------------- figures


def test_curve_figure_draws_the_iterates_on_the_curve(default):
    r = default
    fig = fd.curve_figure(r.xs, r.fx, r.path, r.loss, list(r.labels), step=30, minima=[0.0])
    runs = {t.name: t for t in fig.data if t.mode == "lines+markers"}
    c = runs["C: lr = 1.7"]
    np.testing.assert_allclose(c.x, r.path[2])
    np.testing.assert_allclose(c.y, 0.5 * r.path[2] ** 2)  # on the curve f = x^2/2
    np.testing.assert_allclose(runs["D: lr = 2.2"].x, [4.0, -4.8, 5.76])  # on to the exit
    local = model.compute(Params(local=True)).local
    fig = fd.curve_figure(r.xs, r.fx, r.path[:1], r.loss[:1], ["A"], step=0, model=local, big=True)
    line = next(t for t in fig.data if t.name == "parabola with the same f''")
    assert line.line.color == GREY and line.line.dash == "dot"  # grey shows in both themes
    assert fig.layout.font.size == 20


def test_loss_figure_is_the_log_gap(default):
    r = default
    fig = fd.loss_figure(r.loss, list(r.labels), f_min=0.0, step=12, diverged_at=r.diverged_at)
    assert fig.layout.yaxis.type == "log" and fig.layout.shapes[0].x0 == 12
    np.testing.assert_allclose(fig.data[0].y, 8.0 * 0.81 ** np.arange(31))  # 1/2 (4 * 0.9^k)^2
    res = run_descent(get_surface("quadratic"), (4.0,), [1.0, 2.6], steps=30)
    fig = fd.loss_figure(res.loss, ["one", "up"], f_min=0.0, diverged_at=res.diverged_at)
    assert "exactly at the minimum" in fig.data[0].customdata[1]
    assert [t.text[0] for t in fig.data if t.mode == "markers+text"] == [
        f"blew up (step {int(res.diverged_at[1])})"
    ]
    down = np.array([[-1.0, -4.0, -16.0, -64.0]])  # no bottom: leaves through the floor
    flat = fd.loss_figure(down, ["down"], f_min=None, linear_range=(-9, 0))
    assert tuple(flat.layout.yaxis.range) == (-9.0, 0.0) and np.isnan(flat.data[0].y[3])


@pytest.mark.parametrize(
    ("fastest", "diverge"), [(0.0, 0.0), (math.inf, math.inf), (math.nan, math.nan), (2.0, 1.0)]
)
def test_rate_axis_survives_thresholds_a_log_axis_cannot_draw(fastest, diverge):
    fig = fd.rate_axis_figure([0.1, 1.0], ["A", "B"], fastest=fastest, diverge=diverge)
    assert len(fig.data) == 2 and not any(s.type == "rect" for s in fig.layout.shapes)


def test_figures_stay_small():
    r = model.compute(Params(surface="double_well", steps=200))
    curve = fd.curve_figure(r.xs, r.fx, r.path, r.loss, list(r.labels), step=200)
    loss = fd.loss_figure(r.loss, list(r.labels), f_min=r.f_min, diverged_at=r.diverged_at)
    assert len(curve.to_json()) + len(loss.to_json()) < 120_000
    assert quadratic_regime(1.0, [2.0]).tolist() == ["bounded oscillation"]


def test_lecture_mode_text_is_projector_sized(default):
    """Every annotation at least 18 px, and the log axis' exponents too (drawn smaller than
    their tick labels), in lecture mode."""
    r = model.compute(Params(steps=10))
    figs = [
        fd.curve_figure(r.xs, r.fx, r.path, r.loss, list(r.labels), step=10, big=True),
        fd.loss_figure(r.loss, list(r.labels), f_min=0.0, diverged_at=r.diverged_at, big=True),
        fd.rate_axis_figure(r.lrs, list(r.labels), fastest=1.0, diverge=2.0, big=True,
                            band_names=model.bands(r), kinds=[str(k) for k in r.kinds]),
    ]  # fmt: skip
    for fig in figs:
        assert all(a.font.size >= fd.LECTURE_TEXT for a in fig.layout.annotations)
        assert fig.layout.xaxis.tickfont.size >= fd.LECTURE_TEXT
    assert figs[1].layout.yaxis.tickfont.size == fd.LECTURE_LOG_TICKS
    assert figs[2].layout.xaxis.dtick == 1  # no small minor digits on the rate axis
