"""The child-and-dogs page through the real entry point (AppTest): widgets, buttons, URL, lecture."""

import numpy as np
import pytest

from engine.child import (
    COPY_RATE,
    DEFAULT_SEQUENCE,
    DESIRABLE,
    MAX_LENGTH,
    TOO_HIGH,
    TOO_LOW,
    colour_outcomes,
    feature_outcomes,
    learn_colour,
    learn_features,
)
from tests.lessons.apptest import assert_ok, open_page, texts

PAGE = "lessons/child_dogs.py"
RATES = (TOO_LOW, DESIRABLE, TOO_HIGH)


def verdict_line(o) -> str:
    """How widgets.verdicts prints an outcome."""
    return f"*{o.kind}*: {o.text}"


def expected(seq: str, lr: float):
    return colour_outcomes(learn_colour(seq, [lr, *RATES]))


def strips(at) -> list[str]:
    return [h.value for h in at.get("html") if "cd-cell" in h.value]


def seq_of(at) -> str:
    return at.text_input(key="cd_seq").value


@pytest.fixture(scope="module")
def page():
    return open_page(PAGE)


def test_defaults_show_the_three_outcomes(page):
    at = page
    assert at.title[0].value == "The child and the dogs"  # this page, not the default one
    body = texts(at)
    for o in expected(DEFAULT_SEQUENCE, DESIRABLE):
        assert verdict_line(o) in body
    kinds = [o.kind for o in expected(DEFAULT_SEQUENCE, DESIRABLE)[1:]]
    assert kinds == ["too low", "good", "too high"]
    strip, cmp_ = strips(at)
    assert strip.count('alt="imagined dog"') == len(DEFAULT_SEQUENCE) + 1
    assert cmp_.count('alt="imagined dog"') == 3 * (len(DEFAULT_SEQUENCE) + 1)
    assert at.slider(key="cd_lr").value == DESIRABLE
    assert seq_of(at) == DEFAULT_SEQUENCE
    assert len(at.get("plotly_chart")) == 1
    # the closing line: the update rule with the numbers of the last step
    assert any(r"b \leftarrow 0.986 - 0.3" in str(e.value) for e in at.latex)


def test_slider_extremes_and_presets():
    at = open_page(PAGE)
    for lr, kind in ((0.0, "too low"), (LR_MAX := 2.5, "diverged"), (1.0, "too high")):
        at.slider(key="cd_lr").set_value(lr).run()
        assert_ok(at)
        o = expected(DEFAULT_SEQUENCE, lr)[0]
        assert o.kind == kind
        assert verdict_line(o) in texts(at)
    assert LR_MAX == at.slider(key="cd_lr").max
    for key, value in (
        ("cd_preset_too_low", TOO_LOW),
        ("cd_preset_too_high", TOO_HIGH),
        ("cd_preset_desirable", DESIRABLE),
    ):
        at.button(key=key).click().run()
        assert_ok(at)
        assert at.slider(key="cd_lr").value == pytest.approx(value)
        assert verdict_line(expected(DEFAULT_SEQUENCE, value)[0]) in texts(at)


def test_sequence_buttons_edit_the_story():
    at = open_page(PAGE)
    at.button(key="cd_add_b").click().run()
    assert seq_of(at) == DEFAULT_SEQUENCE + "B"
    at.button(key="cd_add_w").click().run()
    at.button(key="cd_add_c").click().run()
    at.button(key="cd_add_k").click().run()
    assert seq_of(at) == DEFAULT_SEQUENCE + "BWCK"
    at.button(key="cd_pop").click().run()
    assert seq_of(at) == DEFAULT_SEQUENCE + "BWC"
    assert_ok(at)
    assert verdict_line(expected(seq_of(at), DESIRABLE)[0]) in texts(at)
    before = seq_of(at)
    at.button(key="cd_shuffle").click().run()
    assert sorted(seq_of(at)) == sorted(before)
    at.button(key="cd_random").click().run()
    seq = seq_of(at)
    assert len(seq) == 30 and set(seq) <= set("BW")
    assert_ok(at)
    assert verdict_line(expected(seq, DESIRABLE)[0]) in texts(at)
    at.button(key="cd_reset").click().run()
    assert seq_of(at) == DEFAULT_SEQUENCE
    # at the maximum length, adding drops the first animal
    at.text_input(key="cd_seq").set_value("W" + "B" * (MAX_LENGTH - 1)).run()
    at.button(key="cd_add_w").click().run()
    assert seq_of(at) == "B" * (MAX_LENGTH - 1) + "W"
    assert_ok(at)


def test_typed_sequences_are_validated():
    at = open_page(PAGE)
    at.text_input(key="cd_seq").set_value("bb w").run()
    assert_ok(at)
    assert seq_of(at) == "BBW"  # put in canonical form
    assert verdict_line(expected("BBW", DESIRABLE)[0]) in texts(at)
    at.text_input(key="cd_seq").set_value("BXB").run()
    assert_ok(at)
    assert "'X' is not an animal" in at.error[0].value
    assert verdict_line(expected(DEFAULT_SEQUENCE, DESIRABLE)[0]) in texts(at)
    at.text_input(key="cd_seq").set_value("B" * (MAX_LENGTH + 1)).run()
    assert "too many" in at.error[0].value
    at.text_input(key="cd_seq").set_value("").run()
    assert "empty" in at.error[0].value
    assert_ok(at)


def test_malformed_url_never_shows_a_traceback():
    at = open_page(PAGE, {"cd_seq": "BBQ<script>", "cd_lr": "lots"})
    assert "are not animals" in at.error[0].value
    assert at.slider(key="cd_lr").value == DESIRABLE
    assert verdict_line(expected(DEFAULT_SEQUENCE, DESIRABLE)[0]) in texts(at)


def test_url_reproduces_the_view_and_the_rich_child():
    seq = "BC" * 10 + "W"
    at = open_page(PAGE, {"cd_seq": seq, "cd_lr": "1.5", "cd_rich": "true"})
    assert seq_of(at) == seq and at.slider(key="cd_lr").value == 1.5
    body = texts(at)
    assert verdict_line(expected(seq, 1.5)[0]) in body  # oscillating, flagged
    assert expected(seq, 1.5)[0].kind == "oscillating"
    for o in feature_outcomes(learn_features(seq, [1.5, *RATES])):
        assert verdict_line(o) in body
    assert len(at.get("plotly_chart")) == 3
    at.button(key="cd_cats_story").click().run()
    assert seq_of(at) == seq
    assert_ok(at)


def test_predict_reveals_the_engine_numbers():
    at = open_page(PAGE)
    radio = at.radio(key="cd_quiz")
    radio.set_value(radio.options[2]).run()
    assert_ok(at)
    story = learn_colour(DEFAULT_SEQUENCE, [COPY_RATE])
    assert at.success and f"b = {story.belief[0, -1]:.2f}" in at.success[0].value
    assert colour_outcomes(story)[0].text in at.success[0].value


def test_lecture_mode():
    at = open_page(PAGE, lecture=True)
    labels = [e.label for e in at.expander]
    assert "What to try, what to notice" in labels  # narrative folded away
    assert all("cd-big" in s for s in strips(at))  # bigger pictures for the projector
    assert verdict_line(expected(DEFAULT_SEQUENCE, DESIRABLE)[1]) in texts(at)
    assert np.isfinite(at.slider(key="cd_lr").value)
