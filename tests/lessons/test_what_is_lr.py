"""AppTest for lessons/what_is_lr.py: widgets moved, numbers checked against the engine."""

import pytest

from engine.descent import run_descent
from engine.surfaces import get_surface
from tests.lessons.apptest import assert_ok, open_page, texts

PAGE = "lessons/what_is_lr.py"


def test_defaults_show_the_rule_and_verdict():
    at = open_page(PAGE)
    assert "What is a learning rate?" in texts(at)
    res = run_descent(get_surface("quadratic", a=1.0), (4.0,), [0.3], steps=30)
    assert res.verdicts[0].text in texts(at)


def test_step_buttons_move_the_ball():
    at = open_page(PAGE)
    at.button(key="w_fwd").click().run()
    at.button(key="w_fwd").click().run()
    assert_ok(at)
    assert at.slider(key="w_steps").value == 2
    # w1 = 4 - 0.3 * 4 = 2.8; the page shows the next step from w2 = 1.96
    assert "1.960" in texts(at)
    at.button(key="w_back").click().run()
    assert at.slider(key="w_steps").value == 1
    at.button(key="w_reset").click().run()
    assert at.slider(key="w_steps").value == 0


@pytest.mark.parametrize("lr", [0.05, 1.0, 2.0, 2.3])
@pytest.mark.parametrize("a", [0.5, 2.0])
def test_extremes_never_raise(lr, a):
    at = open_page(PAGE)
    at.select_slider(key="w_lr").set_value(lr)
    at.select_slider(key="w_a").set_value(a)
    at.slider(key="w_w0").set_value(-5.0)
    at.slider(key="w_steps").set_value(30)
    at.run()
    assert_ok(at)
    res = run_descent(get_surface("quadratic", a=a), (-5.0,), [lr], steps=30)
    assert res.verdicts[0].text in texts(at)


def test_link_state_and_bad_values():
    at = open_page(PAGE, {"w_lr": "1.5", "w_steps": "3"})
    assert at.select_slider(key="w_lr").value == 1.5
    assert at.slider(key="w_steps").value == 3
    at = open_page(PAGE, {"w_lr": "banana", "w_steps": "999"})
    assert at.select_slider(key="w_lr").value == 0.3
    assert at.slider(key="w_steps").value == 0


def test_predict_then_reveal_and_lecture_mode():
    at = open_page(PAGE, lecture=True)
    at.radio(key="w_quiz").set_value("lr = 1").run()
    assert_ok(at)
    assert "Right." in texts(at)
