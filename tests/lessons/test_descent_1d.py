"""The "Descent in 1-D" page through the real entry point (AppTest): every widget, presets, typed
functions, URL state, lecture mode and the prediction, checked against independent engine runs."""

import base64
import json

import numpy as np
import pytest

from engine.descent import run_descent
from engine.expr import parse_function
from engine.surfaces import get_surface
from engine.theory import local_thresholds, quadratic_regime
from lessons.ui.fig_descent_1d import LR_GRID, fmt_rate, regime_rates, threshold_rates
from tests.lessons.apptest import assert_ok, open_page, texts

PAGE = "lessons/descent_1d.py"
DEFAULT_RATES = (0.1, 0.8, 1.7, 2.2)
LR_KEYS = ("d1_lr1", "d1_lr2", "d1_lr3", "d1_lr4")
PARAM_KEYS = {
    "quadratic": ("a", "d1_a"),
    "double_well": ("tilt", "d1_tilt"),
    "plateau": ("width", "d1_width"),
    "lopsided": ("skew", "d1_skew"),
    "quartic": ("scale", "d1_scale"),
}
EXAMPLE = "x**4 - 3*x**2 + x"


def surface(key="quadratic", text=EXAMPLE, half=3.0, **params):
    if key == "custom":
        return parse_function(text, ("x",), window=((-half, half),))
    return get_surface(key, **params)


def expected_lines(s, x0, rates, steps=30) -> list[str]:
    """The verdict lines an independent engine run gives (as widgets.verdicts prints them)."""
    on = [(n, r) for n, r in zip("ABCD", rates, strict=True) if r != 0.0]
    res = run_descent(s, (x0,), [r for _, r in on], steps=steps)
    return [
        f"**{n}: lr = {fmt_rate(r)}** — *{v.kind}*: {v.text}"
        for (n, r), v in zip(on, res.verdicts, strict=True)
    ]


def assert_verdicts(at, s, x0, rates, steps=30) -> None:
    assert_ok(at)
    body = texts(at)
    for line in expected_lines(s, x0, rates, steps):
        assert line in body, line


def rates_of(at) -> tuple[float, ...]:
    return tuple(at.select_slider(key=k).value for k in LR_KEYS)


def preset_fastest(s, x0) -> float:
    """1/f'' at the minimum nearest the start (at the start if that minimum is flat)."""
    for at_ in [min(s.minima, key=lambda m: abs(m[0] - x0))[0], x0] if s.minima else [x0]:
        t = local_thresholds(s, (at_,))
        if t.kind == "convex":
            return t.fastest
    raise AssertionError("no threshold")


def chart(at, key: str) -> dict:
    for el in at.get("plotly_chart"):
        spec = json.loads(el.proto.spec)
        if el.proto.id.endswith(key) or key in el.proto.id:
            return spec
    raise KeyError(key)


def arr(v) -> np.ndarray:
    """A plotly JSON array: a list, or plotly's base64 typed array ``{"dtype", "bdata"}``."""
    if isinstance(v, dict):
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
    return np.asarray(v, dtype=np.float64)


@pytest.fixture(scope="module")
def page():
    return open_page(PAGE)


def test_defaults_show_four_regimes_on_the_parabola(page):
    at = page
    assert at.title[0].value == "Descent in 1-D"  # this page, not the default one
    assert rates_of(at) == DEFAULT_RATES
    assert at.slider(key="d1_x0_quadratic").value == 4.0
    s = get_surface("quadratic", a=1.0)
    assert_verdicts(at, s, 4.0, DEFAULT_RATES)
    res = run_descent(s, (4.0,), DEFAULT_RATES, steps=30)
    assert [v.kind for v in res.verdicts] == ["too slow", "converged", "oscillating", "diverged"]
    body = texts(at)
    assert "**1/f'' = 1** (one step to the bottom) and **2/f'' = 2**" in body
    assert "| D: lr = 2.2 | 2.2 | −1.2 | zig-zags out" in body  # 1 - lr f'' per step
    assert "| C: lr = 1.7 | 1.7 | −0.7 | zig-zags in" in body
    assert "D: lr = 2.2 leaves the chart at step 2 (x = 5.76)" in body  # 4 * (1 - 2.2)^2
    assert len(at.get("plotly_chart")) == 3
    # the curve chart draws run C's iterates: x_k = (1 - 1.7)^k * 4
    curve = chart(at, "d1_curve")
    c = next(t for t in curve["data"] if t.get("name") == "C: lr = 1.7")
    np.testing.assert_allclose(arr(c["x"]), 4.0 * (-0.7) ** np.arange(31), atol=1e-12)
    loss = chart(at, "d1_loss")
    assert loss["layout"]["yaxis"]["type"] == "log"


def test_presets_follow_the_curvature():
    at = open_page(PAGE)
    at.button(key="d1_preset_thresholds").click().run()
    assert rates_of(at) == (0.5, 1.0, 1.5, 2.0)
    s = get_surface("quadratic", a=1.0)
    assert_verdicts(at, s, 4.0, (0.5, 1.0, 1.5, 2.0))
    assert "converged in a single step" in texts(at)
    assert "bounces between two points forever" in texts(at)  # lr = 2/f''
    for a in (10.0, 0.25):  # the slider's extremes
        at.select_slider(key="d1_a").set_value(a).run()
        assert f"**1/f'' = {1 / a:.3g}**" in texts(at)
        at.button(key="d1_preset_regimes").click().run()
        rates = regime_rates(1.0 / a)
        assert rates_of(at) == rates
        assert quadratic_regime(a, rates).tolist()[2:] == ["oscillating", "diverging"]
        assert_verdicts(at, get_surface("quadratic", a=a), 4.0, rates)
    at.button(key="d1_preset_thresholds").click().run()
    assert rates_of(at) == threshold_rates(4.0) == (2.0, 4.0, 6.0, 8.0)


@pytest.mark.parametrize("key", ["double_well", "plateau", "lopsided", "quartic"])
def test_every_curve_and_its_extremes(key):
    at = open_page(PAGE)
    at.selectbox(key="d1_surface").set_value(key).run()
    s = get_surface(key)
    x0 = s.default_start[0]
    rates = regime_rates(preset_fastest(s, x0))  # a new curve gets its own four regimes
    assert rates_of(at) == rates
    assert_verdicts(at, s, x0, rates)
    name, pkey = PARAM_KEYS[key]
    param = at.select_slider(key=pkey)
    start = at.slider(key=f"d1_x0_{key}")
    for value, x in ((param.options[0], start.min), (param.options[-1], start.max)):
        p = float(value)
        at.select_slider(key=pkey).set_value(p)
        at.slider(key=f"d1_x0_{key}").set_value(x)
        at.run()
        assert_verdicts(at, get_surface(key, **{name: p}), x, rates)
        assert len(at.get("plotly_chart")) == 3


def test_rate_sliders_steps_and_replay_extremes():
    at = open_page(PAGE)
    s = get_surface("quadratic", a=1.0)
    rates = (0.0, LR_GRID[-1], LR_GRID[0], 2.0)
    for k, r in zip(LR_KEYS, rates, strict=True):
        at.select_slider(key=k).set_value(r)
    at.select_slider(key="d1_steps").set_value(200)
    at.run()
    assert_verdicts(at, s, 4.0, rates, steps=200)
    assert "A: lr" not in texts(at)  # run A is off
    at.slider(key="d1_step200").set_value(0).run()
    assert_ok(at)
    curve = chart(at, "d1_curve")
    runs = [t for t in curve["data"] if t.get("mode") == "lines+markers"]
    assert [arr(t["x"]).size for t in runs] == [1, 1, 1]  # replayed back to the start
    at.slider(key="d1_step200").set_value(150).run()
    at.select_slider(key="d1_steps").set_value(10).run()  # a replay slider with 10 steps
    assert_verdicts(at, s, 4.0, rates, steps=10)
    assert at.slider(key="d1_step10").max == 10 and at.slider(key="d1_step10").value == 10
    assert "x₀ … x₁₀ sit on it" in texts(at)
    for k in LR_KEYS:
        at.select_slider(key=k).set_value(0.0)
    at.run()
    assert_ok(at)
    assert "Every run is switched off" in at.warning[0].value
    assert len(at.get("plotly_chart")) == 1  # the curve alone


def test_typed_functions_are_parsed_checked_and_explained():
    at = open_page(PAGE)
    at.selectbox(key="d1_surface").set_value("custom").run()
    s = surface("custom")
    x0 = at.slider(key="d1_x0_custom").value
    assert x0 == pytest.approx(s.default_start[0], abs=0.06)
    rates = regime_rates(preset_fastest(s, x0))
    assert rates_of(at) == rates
    assert_verdicts(at, s, x0, rates)
    for half, x in ((20.0, 20.0), (1.0, -20.0)):  # the window's and the start's extremes
        at.select_slider(key="d1_win").set_value(half)
        at.slider(key="d1_x0_custom").set_value(x)
        at.run()
        assert at.slider(key="d1_x0_custom").value == x
        assert_verdicts(at, surface("custom", half=half), x, rates)
        curve = chart(at, "d1_curve")
        assert min(curve["layout"]["xaxis"]["range"]) <= x <= max(curve["layout"]["xaxis"]["range"])
    at.select_slider(key="d1_win").set_value(3.0).run()
    for bad, message in (
        ("x.__class__", "attribute access"),
        ("__import__('os')", "not allowed"),
        ("9**9**9", "Exponents must lie between"),
        ("2+", "Can't use"),
    ):
        at.text_input(key="d1_fn").set_value(bad).run()
        assert_ok(at)
        assert at.error and message in at.error[0].value
        assert_verdicts(at, surface("custom"), at.slider(key="d1_x0_custom").value, rates_of(at))
    # a function curving down everywhere: no threshold, presets disabled, no log gap
    at.text_input(key="d1_fn").set_value("-x**2").run()
    assert_ok(at)
    assert "gives no threshold here" in texts(at)
    assert at.button(key="d1_preset_regimes").disabled
    assert chart(at, "d1_loss")["layout"]["yaxis"].get("type") != "log"
    # a start where the function is undefined is a message, not a traceback
    at.text_input(key="d1_fn").set_value("log(x)").run()
    at.slider(key="d1_x0_custom").set_value(-3.0).run()
    assert_ok(at)
    assert "Can't start at x₀ = -3" in at.error[0].value


def test_url_reopens_the_view():
    query = {
        "d1_surface": "Double well",
        "d1_tilt": "-0.6",
        "d1_x0_double_well": "-1.5",
        "d1_lr1": "0.05",
        "d1_lr2": "off",
        "d1_lr3": "0.3",
        "d1_lr4": "0.001",
        "d1_steps": "50",
        "d1_model": "true",
    }
    at = open_page(PAGE, query)
    assert at.selectbox(key="d1_surface").value == "double_well"
    assert at.select_slider(key="d1_tilt").value == -0.6
    assert at.slider(key="d1_x0_double_well").value == -1.5
    rates = (0.05, 0.0, 0.3, 0.001)
    assert rates_of(at) == rates
    assert at.toggle(key="d1_model").value is True
    assert_verdicts(at, get_surface("double_well", tilt=-0.6), -1.5, rates, steps=50)
    curve = chart(at, "d1_curve")
    assert any(t.get("name") == "parabola with the same f''" for t in curve["data"])


def test_malformed_url_falls_back_to_defaults():
    query = {
        "d1_surface": "Nowhere",
        "d1_a": "7",
        "d1_x0_quadratic": "99",
        "d1_lr1": "banana",
        "d1_lr2": "1e9",
        "d1_steps": "-3",
        "d1_step30": "x",
        "d1_fn": "x" * 500,
    }
    at = open_page(PAGE, query)
    assert at.selectbox(key="d1_surface").value == "quadratic"
    assert at.select_slider(key="d1_a").value == 1.0
    assert at.slider(key="d1_x0_quadratic").value == 4.0
    assert rates_of(at) == DEFAULT_RATES
    assert at.select_slider(key="d1_steps").value == 30
    assert_verdicts(at, get_surface("quadratic"), 4.0, DEFAULT_RATES)


def test_lecture_mode():
    at = open_page(PAGE, lecture=True)
    assert "What to try, what to notice" in [e.label for e in at.expander]
    assert_verdicts(at, get_surface("quadratic"), 4.0, DEFAULT_RATES)
    assert chart(at, "d1_curve")["layout"]["font"]["size"] == 20  # big for the projector


def test_predict_reveals_the_engine_verdict(page):
    at = page
    radio = at.radio(key="d1_quiz")
    assert "just above 2/f'' = 2" in at.markdown[-3].value or "2/f'' = 2, say lr = 2.2" in texts(at)
    radio.set_value(radio.options[3]).run()
    assert_ok(at)
    v = run_descent(get_surface("quadratic"), (4.0,), [2.2], steps=30).verdicts[0]
    assert at.success and v.text in at.success[0].value
    assert "−1.20" in at.success[0].value or "-1.20" in at.success[0].value
    radio.set_value(radio.options[1]).run()
    assert at.warning and "It zig-zags with ever bigger swings" in at.warning[0].value
