"""AppTest wiring for "Cyclical schedules": widgets -> Params -> what the page shows, the bounds
a range-test link carries (snapped, said, restorable), the prediction and lecture mode."""

from __future__ import annotations

from dataclasses import replace

import pytest

from lessons.cyclical import model
from lessons.cyclical.model import FromRangeTest, Params
from lessons.cyclical.view import LESSON
from lessons.ui import fields as F
from lessons.ui.runner import cached
from tests.lessons.apptest import address_bar, assert_ok, open_page, texts
from tests.lessons.test_range_test import order

PAGE = "lessons/cyclical/page.py"
#: a cheap view for the tests that retrain: one schedule, two epochs
CHEAP = {"cy_sched": ["Triangular"], "cy_epochs": "2"}


def compute(p: Params):
    """The model's result for ``p``, from the cache the page itself filled (no retraining)."""
    return cached(LESSON.sections[0])(p)


def shows(at, r) -> None:
    """The page shows the model's words for ``r``."""
    body = texts(at)
    for row in model.rows(r.params, r):
        assert f"{row.label} — {row.kind}: {row.text}" in body
    assert model.race_headline(r) in body
    assert model.schedule_caption(r) in body
    assert at.dataframe[0].value.equals(model.table(r))


@pytest.fixture(scope="module")
def page():
    return open_page(PAGE)


def test_defaults_show_the_models_words(page):
    r = compute(Params())
    shows(page, r)
    assert model.bounds_sentence(Params()) in texts(page)
    assert "Smith's headline claim" in texts(page)
    assert len(page.get("plotly_chart")) == 3
    assert [e.proto.label for e in page.get("page_link")][
        0
    ] == "Find the bounds with the Range test"
    seq = order(page)
    assert seq.index("cy_sched") < seq.index("cy_schedules") < seq.index("cy_quiz_radio")


def test_the_prediction(page):
    page.radio(key="cy_quiz_radio").set_value(model.CONSTANT_WINS).run()
    assert_ok(page)
    warning = page.warning[0].value
    assert warning.startswith("Not quite: the answer is **A cyclical schedule**")
    assert address_bar(page)["cy_quiz"] == ["1"]


def test_range_test_bounds_in_the_link_then_by_hand_then_back():
    q = F.to_query(
        model.from_range_test(
            FromRangeTest(0.33, 1.34, "range test on digits/MLP, seed 0"),
            Params(schedules=("triangular",), epochs=2),
        )
    )
    at = open_page(PAGE, q)
    assert (at.select_slider(key="cy_min").value, at.select_slider(key="cy_max").value) == (
        0.3,
        1.5,
    )
    p, _ = F.from_query(Params, q)
    assert model.bounds_sentence(p) in texts(at) and not at.info
    assert "max_lr 1.34 from the range test, shown as **1.5**" in texts(at)
    shows(at, compute(p))
    # moved by hand: said, and a button brings the range test's bounds back
    at.select_slider(key="cy_max").set_value(1.0).run()
    assert_ok(at)
    assert model.bounds_sentence(replace(p, hi=1.0)) in texts(at)
    at.button(key="cy_use_rt").click().run()
    assert at.select_slider(key="cy_max").value == 1.5
    assert "shown as **1.5**" in texts(at)
    assert address_bar(at)["cy_from"] == ["range test on digits/MLP, seed 0"]


def test_every_widget_at_its_extremes():
    at = open_page(PAGE, CHEAP)
    at.select_slider(key="cy_min").set_value(1e-4)
    at.select_slider(key="cy_max").set_value(10.0).run()
    assert_ok(at)
    p, _ = F.from_query(Params, address_bar(at))
    r = compute(p)
    assert r.runs[1].diverged  # the cycle blows up on its way to 10
    shows(at, r)
    # the bounds the wrong way round, then equal
    at.select_slider(key="cy_min").set_value(0.6)
    at.select_slider(key="cy_max").set_value(0.15).run()
    assert "using them the other way round" in at.warning[0].value
    at.select_slider(key="cy_max").set_value(0.6).run()
    assert "nothing to cycle" in at.warning[0].value
    # everything else at one end ...
    at.select_slider(key="cy_max").set_value(0.8)
    at.multiselect(key="cy_sched").set_value(list(model.CYCLICAL))
    at.slider(key="cy_epochs").set_value(2)
    at.select_slider(key="cy_step").set_value(0.5)
    at.select_slider(key="cy_gamma").set_value(0.98)
    at.select_slider(key="cy_target").set_value(0.98)
    at.number_input(key="cy_seed").set_value(999)
    at.button_group(key="cy_const").set_value("max").run()
    assert_ok(at)
    p, notes = F.from_query(Params, address_bar(at))
    assert notes == [] and p.seed == 999 and p.schedules == model.CYCLICAL
    shows(at, compute(p))
    # ... and at the other
    at.multiselect(key="cy_sched").set_value([])
    at.slider(key="cy_epochs").set_value(30)
    at.select_slider(key="cy_step").set_value(10.0)
    at.select_slider(key="cy_gamma").set_value(0.9995)
    at.select_slider(key="cy_target").set_value(0.9)
    at.number_input(key="cy_seed").set_value(0)
    at.button_group(key="cy_const").set_value("mid").run()
    assert_ok(at)
    assert "No schedule chosen: showing Triangular" in at.info[0].value
    p, _ = F.from_query(Params, address_bar(at))
    assert p.epochs == 30 and p.schedules == ()
    shows(at, compute(p))


def test_lecture_mode_puts_the_schedule_chart_first():
    at = open_page(PAGE, CHEAP, lecture=True)
    seq = order(at)
    assert seq[:3] == ["Title", "Markdown", "cy_schedules"]
    assert seq.index("cy_schedules") < seq.index("cy_min") < seq.index("cy_quiz_radio")
