"""The Descent in 2-D page through the real entry point (AppTest): every widget, the typed
function, the URL, lecture mode and the predict question, against independent engine calls."""

import json

import numpy as np
import pytest

from engine.convergence import measured_contraction
from engine.descent import run_many
from engine.expr import ExpressionError, parse_function
from engine.optim import Optimizer
from engine.surfaces import get_surface
from engine.theory import contraction_factor, local_thresholds
from tests.lessons.apptest import assert_ok, open_page, texts

PAGE = "lessons/descent_2d.py"
CUSTOM = "Type your own f(x, y)"  # a bound selectbox puts the option's label in the URL
OPTIMISERS = "several optimisers"
# the default view: κ = 20, 30°, start (2.2, 4.15), ½·best, best, just above 2/λmax
DEFAULT_RATES = (0.04762, 0.09524, 0.105)


def verdict_lines(surface, start, configs, steps, mu=0.9):
    res = run_many(
        surface, start, [(Optimizer(n, momentum=mu), lr) for n, lr in configs], steps=steps
    )
    return [f"*{v.kind}*: {v.text}" for v in res.verdicts], res


def page_view(at):
    """The page's inputs, read from its widgets (the expected values come from the engine)."""
    start = (at.slider(key="d2_x0").value, at.slider(key="d2_y0").value)
    rates = [w.value for w in at.number_input if w.key.startswith("d2_lr")]
    return start, rates, at.select_slider(key="d2_steps").value


def assert_verdicts_match(at, surface, mode="rates", mu=0.9):
    assert_ok(at)
    start, rates, steps = page_view(at)
    if mode == "rates":
        configs = [("sgd", lr) for lr in rates]
    else:
        lr = at.number_input(key="d2_olr").value
        configs = [(n, lr) for n in at.multiselect(key="d2_opts").value or ["sgd"]]
    lines, res = verdict_lines(surface, start, configs, steps, mu)
    body = texts(at)
    for line in lines:
        assert line in body
    return res


def chart_keys(at) -> list[str]:
    return [el.key for el in at.get("plotly_chart")]


def test_the_open_tab_is_in_the_link_and_only_it_is_drawn():
    at = open_page(PAGE, {"d2_view": "3-D view"})
    assert at.session_state["d2_view"] == "3-D view"
    assert chart_keys(at) == ["d2_3d", "d2_contraction"]
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert any(t["type"] == "surface" for t in spec["data"])
    at = open_page(PAGE, {"d2_view": "Loss vs step"})
    assert chart_keys(at) == ["d2_loss", "d2_contraction"]
    at = open_page(PAGE, {"d2_view": "4-D view"})  # not a tab: the first one, and a notice
    assert chart_keys(at) == ["d2_contour", "d2_contraction"]
    assert any("4-D view" in t.value for t in at.toast)


@pytest.fixture(scope="module")
def page():
    return open_page(PAGE)


def test_defaults_show_slow_zigzag_and_divergence(page):
    at = page
    assert at.title[0].value == "Descent in 2-D"
    assert page_view(at) == ((2.2, 4.15), list(DEFAULT_RATES), 100)
    s = get_surface("ill_conditioned", kappa=20.0, angle=30.0)
    res = assert_verdicts_match(at, s)
    assert [v.kind for v in res.verdicts] == ["converged", "oscillating", "diverged"]
    body = texts(at)
    th = local_thresholds(s, (0.0, 0.0))
    assert f"2/λmax = {th.diverge:.4g}" in body and f"= {th.best:.4g}**" in body
    assert f"**(κ − 1)/(κ + 1) = {th.contraction_at_best:.4g}**" in body
    assert "lr = 0.0952 (best)" in body and "lr = 0.105 (above 2/λmax)" in body
    # lazy tabs: the open one (contours) and the contraction chart below them
    assert chart_keys(at) == ["d2_contour", "d2_contraction"]
    # the theory table: predicted = max|1 - lr·λ|, measured from the runs, and they agree
    table = at.dataframe[0].value
    pred = contraction_factor([1.0, 20.0], DEFAULT_RATES)
    np.testing.assert_allclose(table["predicted ×/step"], pred, rtol=1e-9)
    meas = measured_contraction(res.path, [[0.0, 0.0]]).rate
    np.testing.assert_allclose(table["measured ×/step"], meas, rtol=1e-9)
    np.testing.assert_allclose(meas, pred, rtol=2e-3)
    assert body.count("as predicted") == 3
    assert "grows ×1.1000 per step" in body


def test_condition_number_angle_steps_and_start_extremes():
    at = open_page(PAGE)
    at.select_slider(key="d2_kappa").set_value(200.0).run()
    s = get_surface("ill_conditioned", kappa=200.0, angle=30.0)
    res = assert_verdicts_match(at, s)
    assert all(v.kind == "diverged" for v in res.verdicts)  # 2/λmax is now 0.01
    assert "2/λmax = 0.01" in texts(at)
    at.select_slider(key="d2_kappa").set_value(1.0).run()
    at.slider(key="d2_angle").set_value(-90).run()
    assert page_view(at)[0] == (2.5, -4.0)  # the start turned with the valley
    at.select_slider(key="d2_steps").set_value(2000).run()
    s = get_surface("ill_conditioned", kappa=1.0, angle=-90.0)
    assert_verdicts_match(at, s)
    at.slider(key="d2_angle").set_value(90).run()
    at.slider(key="d2_x0").set_value(-6.0).run()
    at.slider(key="d2_y0").set_value(6.0).run()
    at.select_slider(key="d2_steps").set_value(10).run()
    assert page_view(at)[0] == (-6.0, 6.0)
    assert_verdicts_match(at, get_surface("ill_conditioned", kappa=1.0, angle=90.0))


def test_rates_runs_and_the_theory_button():
    at = open_page(PAGE)
    s = get_surface("ill_conditioned", kappa=20.0, angle=30.0)
    at.segmented_control(key="d2_n").set_value(4).run()
    assert page_view(at)[1] == [*DEFAULT_RATES, 0.05]  # the fourth: 1/λmax
    at.number_input(key="d2_lr1").set_value(1e-5).run()
    at.number_input(key="d2_lr4").set_value(10.0).run()
    res = assert_verdicts_match(at, s)
    assert res.verdicts[0].kind == "too slow" and res.verdicts[3].kind == "diverged"
    at.segmented_control(key="d2_n").set_value(1).run()
    assert page_view(at)[1] == [1e-5]
    assert_verdicts_match(at, s)
    # κ = 40, then the theory's rates for it
    at.segmented_control(key="d2_n").set_value(4).run()
    at.select_slider(key="d2_kappa").set_value(40.0).run()
    at.button(key="d2_theory").click().run()
    th = local_thresholds(get_surface("ill_conditioned", kappa=40.0), (0.0, 0.0))
    want = [th.best / 2, th.best, 1.05 * th.diverge, th.fastest]
    np.testing.assert_allclose(page_view(at)[1], want, rtol=5e-4)
    assert_verdicts_match(at, get_surface("ill_conditioned", kappa=40.0, angle=30.0))


@pytest.mark.parametrize(
    "key", ["rosenbrock", "himmelblau", "saddle", "saddle_well", "beale", "six_hump_camel"]
)
def test_every_surface_gets_its_own_rates_and_start(key):
    at = open_page(PAGE, {"d2_surface": get_surface(key).name, "d2_steps": "50"})
    s = get_surface(key)
    point = s.minima[0] if s.minima else s.saddles[0]
    th = local_thresholds(s, point)
    start, rates, steps = page_view(at)
    np.testing.assert_allclose(start, s.default_start, atol=0.006)
    if th.kind == "convex":
        np.testing.assert_allclose(rates, [th.best / 2, th.best, 1.05 * th.diverge], rtol=5e-4)
    assert steps == 50
    assert_verdicts_match(at, s)
    assert f"λmax = {th.eigenvalues[-1]:.4g}" in texts(at)


def test_changing_surface_in_the_app_resets_rates_steps_and_start():
    at = open_page(PAGE)
    at.selectbox(key="d2_surface").set_value("rosenbrock").run()
    s = get_surface("rosenbrock")
    th = local_thresholds(s, (1.0, 1.0))
    start, rates, steps = page_view(at)
    assert start == (-1.2, 1.0) and steps == 1000
    np.testing.assert_allclose(rates[1], th.best, rtol=5e-4)
    assert rates[1] < th.diverge  # rounding never pushes the best rate over the edge
    assert_verdicts_match(at, s)


def test_optimiser_mode_with_momentum_extremes():
    at = open_page(PAGE)
    at.segmented_control(key="d2_mode").set_value("optimisers").run()
    s = get_surface("ill_conditioned", kappa=20.0, angle=30.0)
    assert at.number_input(key="d2_olr").value == DEFAULT_RATES[1]
    res = assert_verdicts_match(at, s, mode="optimisers")
    assert len(res.verdicts) == 4
    assert "SGD, lr = 0.09524" in texts(at) or "SGD, lr = 0.0952" in texts(at)
    assert chart_keys(at) == ["d2_contour"]  # no GD-only contraction chart
    for mu in (0.0, 0.99):
        at.select_slider(key="d2_mom").set_value(mu).run()
        assert_verdicts_match(at, s, mode="optimisers", mu=mu)
    at.number_input(key="d2_olr").set_value(10.0).run()
    assert_verdicts_match(at, s, mode="optimisers", mu=0.99)
    at.multiselect(key="d2_opts").set_value([]).run()
    assert "No optimiser chosen" in at.warning[0].value
    assert_verdicts_match(at, s, mode="optimisers", mu=0.99)


def test_typed_function_and_hostile_text():
    at = open_page(PAGE, {"d2_surface": CUSTOM})
    text = "(1 - x)**2 + 5*(y - x**2)**2"
    at.text_input(key="d2_f").set_value(text).run()
    s = parse_function(text, variables=("x", "y"), window=((-3.0, 3.0), (-3.0, 3.0)))
    assert page_view(at)[0] == tuple(round(v, 2) for v in s.default_start)
    assert_verdicts_match(at, s)
    at.select_slider(key="d2_win").set_value(10.0).run()
    s10 = parse_function(text, variables=("x", "y"), window=((-10.0, 10.0), (-10.0, 10.0)))
    assert_verdicts_match(at, s10)
    for bad in ("__import__('os').system('ls')", "9**9**9", "x.__class__", "x +* y"):
        at.text_input(key="d2_f").set_value(bad).run()
        assert_ok(at)
        with pytest.raises(ExpressionError) as err:
            parse_function(bad, variables=("x", "y"))
        assert str(err.value) in at.error[0].value
        assert "Showing f(x, y) = x**2 + 3*x*y + 10*y**2 instead" in at.error[0].value


def test_a_start_where_the_function_is_undefined_is_explained():
    at = open_page(PAGE, {"d2_surface": CUSTOM, "d2_f": "log(x) + y**2"})
    at.slider(key="d2_x0").set_value(-2.0).run()
    assert_ok(at)
    assert "Can't run from (-2" in at.error[0].value
    assert "not a finite number at the start point" in at.error[0].value


def test_url_reopens_the_view():
    query = {"d2_kappa": "40", "d2_angle": "0", "d2_x0": "3", "d2_y0": "1", "d2_n": "2",
             "d2_lr1": "0.02", "d2_lr2": "0.06", "d2_steps": "200"}  # fmt: skip
    at = open_page(PAGE, query)
    assert at.select_slider(key="d2_kappa").value == 40.0
    assert page_view(at) == ((3.0, 1.0), [0.02, 0.06], 200)
    res = assert_verdicts_match(at, get_surface("ill_conditioned", kappa=40.0, angle=0.0))
    assert [v.kind for v in res.verdicts][1] == "diverged"  # 0.06 > 2/40


def test_malformed_url_falls_back_to_defaults():
    query = {"d2_surface": "volcano", "d2_kappa": "banana", "d2_lr1": "-5", "d2_steps": "7",
             "d2_x0": "1e9", "d2_mode": "chaos", "d2_n": "9"}  # fmt: skip
    at = open_page(PAGE, query)
    assert at.selectbox(key="d2_surface").value == "ill_conditioned"
    assert page_view(at) == ((2.2, 4.15), list(DEFAULT_RATES), 100)
    assert at.select_slider(key="d2_kappa").value == 20.0
    assert_verdicts_match(at, get_surface("ill_conditioned", kappa=20.0, angle=30.0))


def test_lecture_mode():
    at = open_page(PAGE, {"d2_mode": OPTIMISERS}, lecture=True)
    labels = [e.label for e in at.expander]
    assert "What to try, what to notice" in labels and "More: momentum" in labels
    assert_verdicts_match(at, get_surface("ill_conditioned", kappa=20.0, angle=30.0), "optimisers")


def test_predict_reveals_the_halved_rate(page):
    at = page
    radio = at.radio(key="d2_quiz")
    assert radio.value is None
    radio.set_value("It halves").run()
    assert_ok(at)
    assert "2/λmax goes from 0.1 to 0.05" in at.success[0].value
    t40 = local_thresholds(get_surface("ill_conditioned", kappa=40.0), (0.0, 0.0))
    assert f"×{t40.contraction_at_best:.4g} per step" in at.success[0].value
    radio.set_value("It doubles").run()
    assert "the answer is **It halves**" in at.warning[0].value
