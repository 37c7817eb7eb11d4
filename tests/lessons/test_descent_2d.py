"""AppTest wiring for Descent in 2-D: widgets -> Params -> what the page shows (compared with
the model's own sentences), the open chart tab in the link, the guide's link, lecture mode."""

from __future__ import annotations

import functools
import json

from lessons.descent_2d import model
from lessons.descent_2d.model import Params
from lessons.ui import fields as F
from lessons.ui import guide
from tests.lessons.apptest import address_bar, assert_ok, open_page, texts

PAGE = "lessons/descent_2d/page.py"


@functools.lru_cache(maxsize=64)
def compute(p: Params):
    """The model's result (each view computed once per test session)."""
    return model.compute(p)


def params(at) -> Params:
    """The Params a link of the current address bar opens."""
    return F.from_query(Params, address_bar(at))[0]


def chart_keys(at) -> list[str]:
    return [el.key for el in at.get("plotly_chart")]


def assert_shows(at, p: Params | None = None) -> model.Result:
    """The page shows the model's rows for ``p`` (default: what its address bar says)."""
    assert_ok(at)
    p = params(at) if p is None else p
    r = compute(p)
    body = texts(at)
    for row in model.rows(p, r):
        assert f"{row.label} — {row.kind}: {row.text}" in body, row.label
    return r


def test_defaults_and_the_open_tab_in_the_link():
    at = open_page(PAGE)
    assert at.title[0].value == "Descent in 2-D"
    r = assert_shows(at, Params())
    assert [w.value for w in at.number_input] == list(r.rates_auto[:3])
    assert (at.slider(key="d2_x0").value, at.slider(key="d2_y0").value) == r.start
    assert chart_keys(at) == ["d2_contour", "d2_contraction"]
    assert model.agreement(r) in texts(at)
    assert at.dataframe[0].value["measured ×/step"].tolist() == r.measured.tolist()
    assert address_bar(at) == {}  # the surface's own start, rates and steps stay out of the link
    # a tab click (the tab's state) puts the open tab into the address bar; only it is drawn
    at.session_state["d2_view"] = "Loss vs step"
    at.run()
    assert chart_keys(at) == ["d2_loss", "d2_contraction"]
    assert address_bar(at) == {"d2_view": ["Loss vs step"]}
    # and a link opens it
    at = open_page(PAGE, {"d2_view": "3-D view"})
    assert chart_keys(at) == ["d2_3d", "d2_contraction"]
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert any(t["type"] == "surface" for t in spec["data"])
    assert model.caption(compute(Params(view="3-D view")), "3-D view") in texts(at)


def test_the_guides_link_in_lecture_mode():
    (step,) = [s for s in guide.plan() if s.path == PAGE]
    at = open_page(PAGE, dict(step.query), lecture=True)
    r = assert_shows(at)
    assert step.expect in texts(at)
    assert [w.value for w in at.number_input] == [0.0476, 0.0952, 0.105]
    assert at.select_slider(key="d2_kappa").value == 40.0
    # lecture mode: κ and the rates first (under the chart), the rest folded away
    labels = [e.label for e in at.expander]
    assert "More: surface, start, steps, optimisers" in labels
    assert r.kinds[1] == "diverged"


def test_surface_steepness_angle_start_steps_and_rates_at_their_extremes():
    at = open_page(PAGE)
    at.select_slider(key="d2_kappa").set_value(200.0).run()
    # the rates stay put when the walls get steeper (and now go into the link)
    assert [w.value for w in at.number_input] == [0.04762, 0.09524, 0.105]
    r = assert_shows(at)
    assert all(k == "diverged" for k in r.kinds)
    at.button(key="d2_theory").click().run()  # the theory's rates for κ = 200
    r = assert_shows(at)
    assert [w.value for w in at.number_input] == list(r.rates_auto[:3])
    at.select_slider(key="d2_kappa").set_value(1.0)
    at.slider(key="d2_angle").set_value(-90).run()
    assert (at.slider(key="d2_x0").value, at.slider(key="d2_y0").value) == (2.5, -4.0)
    at.segmented_control(key="d2_n").set_value(4).run()
    at.number_input(key="d2_lr1").set_value(1e-5)
    at.number_input(key="d2_lr4").set_value(10.0)
    at.slider(key="d2_x0").set_value(-6.0)
    at.slider(key="d2_y0").set_value(6.0)
    at.select_slider(key="d2_steps").set_value(2000).run()
    r = assert_shows(at)
    assert r.steps == 2000 and r.start == (-6.0, 6.0) and r.lrs[0] == 1e-5 and r.lrs[3] == 10.0
    at.segmented_control(key="d2_n").set_value(1)
    at.select_slider(key="d2_steps").set_value(10).run()
    r = assert_shows(at)
    assert len(r.labels) == 1 and r.steps == 10


def test_a_new_surface_brings_its_own_start_rates_and_steps():
    at = open_page(PAGE, {"d2_x0": "1", "d2_lr1": "0.01", "d2_steps": "20"})
    at.selectbox(key="d2_surface").set_value("saddle").run()
    r = assert_shows(at)
    assert r.start == (1.8, 0.05) and r.steps == 50 and r.lrs == r.rates_auto[:3]
    assert address_bar(at) == {"d2_surface": ["Saddle"]}
    q = model.question(params(at), r)
    at.radio(key="d2_quiz_radio").set_value(q.answer).run()
    assert "Right." in texts(at) and "*unbounded*" in texts(at)


def test_optimisers_with_momentum_at_its_extremes():
    at = open_page(PAGE, {"d2_mode": "several optimisers", "d2_mom": "0"})
    r = assert_shows(at)
    assert len(r.labels) == 4 and chart_keys(at) == ["d2_contour"]  # no GD-only V chart
    at.select_slider(key="d2_mom").set_value(0.99)
    at.number_input(key="d2_olr").set_value(10.0).run()
    assert_shows(at)
    at.multiselect(key="d2_opts").set_value([]).run()
    assert "No optimiser chosen" in at.warning[0].value
    assert_shows(at)


def test_a_typed_function_and_hostile_text():
    at = open_page(PAGE, {"d2_surface": model.NAMES[model.CUSTOM]})
    at.text_input(key="d2_f").set_value("(1 - x)**2 + 5*(y - x**2)**2")
    at.select_slider(key="d2_win").set_value(10.0).run()
    r = assert_shows(at)
    assert r.error is None and r.window == ((-10.0, 10.0), (-10.0, 10.0))
    at.text_input(key="d2_f").set_value("__import__('os').system('ls')").run()
    r = assert_shows(at)
    assert at.error[0].value == model.error_sentence(r)
    at = open_page(PAGE, {"d2_surface": "Type your own f(x, y)", "d2_f": "log(x) + y**2"})
    at.slider(key="d2_x0").set_value(-2.0).run()
    assert_ok(at)
    assert "Can't run from (-2" in at.error[0].value


def test_a_malformed_link_is_named_and_the_page_shows_what_it_says():
    q = {"d2_surface": "volcano", "d2_kappa": "banana", "d2_lr1": "-5", "d2_steps": "7",
         "d2_x0": "1e9", "d2_view": "4-D view"}  # fmt: skip
    at = open_page(PAGE, q)
    notes = " ".join(str(e.value) for e in at.info)
    for key in q:
        assert f"`{key}`" in notes
    r = assert_shows(at)
    assert r.start[0] == 10.0 and r.lrs[0] == model.LR_MIN  # out of range: the nearest end
    assert chart_keys(at)[0] == "d2_contour"
