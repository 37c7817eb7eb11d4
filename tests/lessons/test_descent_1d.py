"""AppTest wiring for "Descent in 1-D": widgets and buttons -> Params -> what the page shows,
compared with the model's own sentences."""

import json

from lessons.descent_1d import model
from lessons.descent_1d.model import Params
from lessons.ui import guide
from tests.lessons.apptest import address_bar, assert_ok, open_page, texts

PAGE = "lessons/descent_1d/page.py"
RATE_KEYS = ("d1_lr1", "d1_lr2", "d1_lr3", "d1_lr4")


def shows(at, p: Params) -> model.Result:
    """The page shows the model's words for ``p``; returns the model's result."""
    assert_ok(at)
    r = model.compute(p)
    body = texts(at)
    for row in model.rows(p, r):
        assert f"{row.label} — {row.kind}: {row.text}" in body, row
    assert model.threshold_text(r) in body
    assert model.curve_caption(r) in body
    if r.shown and r.theory is not None:
        assert model.theory_table(r) in body and model.rate_caption(r) in body
    return r


def rates(at) -> tuple[float, ...]:
    return tuple(at.select_slider(key=k).value for k in RATE_KEYS)


def now(at, **kw) -> Params:
    """``Params(**kw)`` with the rates the page's sliders hold."""
    return Params(**dict(zip(("lr1", "lr2", "lr3", "lr4"), rates(at), strict=True)), **kw)


def chart(at, key: str) -> dict:
    for el in at.get("plotly_chart"):
        if key in el.proto.id:
            return json.loads(el.proto.spec)
    raise KeyError(key)


def test_defaults_presets_and_the_curvatures_extremes():
    at = open_page(PAGE)
    assert at.title[0].value == "Descent in 1-D"
    shows(at, Params())
    assert len(at.get("plotly_chart")) == 3
    notes = [a["text"] for a in chart(at, "d1_rates")["layout"]["annotations"]]
    assert "B: lr = 0.8<br>converged" in notes and "slides in" in notes
    at.button(key="d1_preset_thresholds").click().run()
    assert rates(at) == (0.5, 1.0, 1.5, 2.0)
    shows(at, Params(lr1=0.5, lr2=1.0, lr3=1.5, lr4=2.0))
    for a in (10.0, 0.25):
        at.select_slider(key="d1_a").set_value(a).run()
        at.button(key="d1_preset_regimes").click().run()
        assert rates(at) == model.regime_rates(1 / a)
        shows(at, now(at, a=a))


def test_curves_starts_steps_replay_and_runs_switched_off():
    at = open_page(PAGE)
    at.selectbox(key="d1_surface").set_value("lopsided").run()
    p = Params(surface="lopsided")
    th = model.compute(p).theory
    assert rates(at) == model.regime_rates(th.fastest)  # a new curve gets its own regimes
    at.select_slider(key="d1_skew").set_value(2.0)
    at.slider(key="d1_x0_lopsided").set_value(-4.0)
    at.select_slider(key="d1_steps").set_value(200)
    at.select_slider(key="d1_lr1").set_value(100.0)
    at.select_slider(key="d1_lr2").set_value(0.0)
    at.run()
    at.slider(key="d1_step200").set_value(0).run()
    shows(at, now(at, surface="lopsided", skew=2.0, x0_lopsided=-4.0, steps=200, step200=0))
    assert at.slider(key="d1_step200").max == 200
    bar = address_bar(at)
    assert bar["d1_x0_lopsided"] == ["-4"] and bar["d1_step200"] == ["0"]
    at.selectbox(key="d1_surface").set_value("quadratic").run()
    at.select_slider(key="d1_steps").set_value(30).run()  # a second run on another curve
    assert "d1_x0_lopsided" in address_bar(at)
    at.selectbox(key="d1_surface").set_value("lopsided").run()
    assert at.slider(key="d1_x0_lopsided").value == -4.0  # each curve keeps its own start
    at.select_slider(key="d1_steps").set_value(200).run()
    assert at.slider(key="d1_step200").value == 0  # each step count its own replay position
    for k in RATE_KEYS:
        at.select_slider(key=k).set_value(0.0)
    at.run()
    assert_ok(at)
    assert model.ALL_OFF in [w.value for w in at.warning]
    assert len(at.get("plotly_chart")) == 1  # the curve alone


def test_typed_functions_are_checked_and_shown_as_typed():
    at = open_page(PAGE, {"d1_surface": "Type a function"})
    shows(at, Params(surface="custom"))
    assert at.slider(key="d1_x0_custom").value == 1.8  # the function's own start
    at.select_slider(key="d1_win").set_value(20.0)
    at.slider(key="d1_x0_custom").set_value(-20.0)
    at.run()
    shows(at, Params(surface="custom", win=20.0, x0_custom=-20.0))
    for bad in ("2x", "x**2 # + x", "(x**9)**9"):
        at.text_input(key="d1_fn").set_value(bad).run()
        r = shows(at, now(at, surface="custom", win=20.0, x0_custom=-20.0, fn=bad))
        assert at.error[0].value == model.fn_error_message(r)
    at.text_input(key="d1_fn").set_value("-x**2").run()
    assert at.button(key="d1_preset_regimes").disabled
    assert "gives no threshold here" in texts(at)


def test_old_links_and_bad_links():
    old = {
        "d1_surface": "Double well",
        "d1_tilt": "-0.6",
        "d1_x0_double_well": "-1.5",
        "d1_lr2": "off",
        "d1_steps": "50",
        "d1_step50": "12",
        "d1_model": "true",
        "d1_quiz": "4",
    }
    at = open_page(PAGE, old)
    assert at.slider(key="d1_x0_double_well").value == -1.5
    assert at.slider(key="d1_step50").value == 12
    shows(at, Params(surface="double_well", tilt=-0.6, x0_double_well=-1.5, lr2=0.0, steps=50,
                     step50=12, local=True))  # fmt: skip
    assert "Right." in texts(at)
    long_fn = {"d1_surface": "Type a function", "d1_fn": "x+" * 101 + "x", "d1_lr1": "banana"}
    bad = open_page(PAGE, long_fn)
    notes = " ".join(str(e.value) for e in bad.info)
    assert "showing the default, `x**4 - 3*x**2 + x`" in notes and "`d1_lr1`" in notes
    assert not bad.error  # the default, as the notice says: nothing refused, nothing cut
    assert bad.text_input(key="d1_fn").value == model.DEFAULT_TEXT
    shows(bad, Params(surface="custom"))
    own = open_page(PAGE, {"d1_surface": "Type a function", "d1_fn": "log(-x)"})
    start = model.custom_start("log(-x)", 3.0)
    assert own.slider(key="d1_x0_custom").value == start < 0  # the function's own start
    assert "d1_x0_custom" not in address_bar(own)  # left to the page, as the link left it
    shows(own, Params(surface="custom", fn="log(-x)"))


def test_the_guides_link_in_lecture_mode():
    step = next(s for s in guide.plan() if s.path == PAGE)
    at = open_page(PAGE, dict(step.query), lecture=True)
    shows(at, Params(lr1=0.0, lr2=1.9, lr3=2.0, lr4=2.2, steps=50))
    assert step.expect in texts(at)
    assert chart(at, "d1_curve")["layout"]["font"]["size"] == 20
    assert "What to try, what to notice" in [e.label for e in at.expander]
