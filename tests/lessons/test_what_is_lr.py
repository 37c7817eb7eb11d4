"""AppTest wiring for "What is a learning rate?": widgets -> Params -> what the page shows."""

import pytest

from lessons.what_is_lr import model
from lessons.what_is_lr.model import Params
from tests.lessons.apptest import assert_ok, open_page, texts

PAGE = "lessons/what_is_lr/page.py"


def test_defaults_show_the_models_words():
    at = open_page(PAGE)
    r = model.compute(Params())
    shown = texts(at)
    assert model.rows(r.params, r)[0].text in shown
    assert model.thresholds_sentence(r) in shown


def test_step_buttons_move_the_ball_and_a_new_rate_restarts_the_walk():
    at = open_page(PAGE)
    at.button(key="w_fwd").click().run()
    at.button(key="w_fwd").click().run()
    assert_ok(at)
    assert at.slider(key="w_steps").value == 2
    r = model.compute(Params(steps=2))
    assert model.step_equation(r) in [e.value.strip("$\n") for e in at.latex]
    at.button(key="w_back").click().run()
    assert at.slider(key="w_steps").value == 1
    at.select_slider(key="w_lr").set_value(1.0).run()
    assert at.slider(key="w_steps").value == 0  # the walk restarts at the new rate
    at.button(key="w_fwd").click().run()
    assert "w = 0," in texts(at) or "at w = 0" in texts(at)
    at.button(key="w_reset").click().run()
    assert at.slider(key="w_steps").value == 0


@pytest.mark.parametrize(("lr", "a", "w0"), [(0.05, 0.5, -5.0), (2.3, 2.0, 5.0)])
def test_extremes(lr, a, w0):
    at = open_page(PAGE)
    at.select_slider(key="w_lr").set_value(lr)
    at.select_slider(key="w_a").set_value(a)
    at.slider(key="w_w0").set_value(w0).run()
    at.slider(key="w_steps").set_value(30).run()
    assert_ok(at)
    p = Params(lr=lr, a=a, w0=w0, steps=30)
    assert model.rows(p, model.compute(p))[0].text in texts(at)


def test_a_link_opens_the_view_and_names_what_it_could_not_apply():
    at = open_page(PAGE, {"w_lr": "1.5", "w_steps": "3", "w_quiz": "3"})
    assert at.select_slider(key="w_lr").value == 1.5
    assert at.slider(key="w_steps").value == 3
    assert "Right." in texts(at)  # the answer given before the link was copied is revealed
    at = open_page(PAGE, {"w_lr": "banana", "w_steps": "999"})
    assert at.select_slider(key="w_lr").value == 0.3
    assert at.slider(key="w_steps").value == 30
    notes = " ".join(str(e.value) for e in at.info)
    assert "`w_lr`" in notes and "`banana`" in notes and "showing the default, 0.3" in notes
    assert "`w_steps`" in notes and "showing 30" in notes
    assert dict(at.query_params).get("w_steps") == "30" and "w_lr" not in at.query_params


def test_lecture_mode_and_the_prediction():
    at = open_page(PAGE, lecture=True)
    at.radio(key="w_quiz_radio").set_value(2).run()
    assert_ok(at)
    assert "Right." in texts(at)
    assert at.query_params["w_quiz"] == "3"
