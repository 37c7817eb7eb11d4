"""AppTest wiring for "Range test": widgets -> Params -> what the page shows, the prediction
that holds the "try it" runs back, and the link that opens the Cyclical schedules page at
Smith's bounds."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from lessons.cyclical import model as cyclical
from lessons.range_test import model
from lessons.range_test.model import Params
from lessons.range_test.view import LESSON
from lessons.ui import fields as F
from lessons.ui.runner import cached
from tests.lessons.apptest import address_bar, assert_ok, open_page, texts

PAGE = "lessons/range_test/page.py"
CYCLICAL = "lessons/cyclical/page.py"


def order(at) -> list[str]:
    """The main area's elements, in order: their key, else their type."""
    out: list[str] = []

    def walk(node) -> None:
        for child in getattr(node, "children", {}).values():
            if getattr(child, "children", None):
                walk(child)
            elif type(child).__name__ != "Block":  # an empty container draws nothing
                out.append(str(getattr(child, "key", None) or type(child).__name__))

    walk(at.main)
    return out


def compute(p: Params):
    """The model's result for ``p``, from the cache the page itself filled (no retraining)."""
    return cached(LESSON.sections[0])(p)


@pytest.fixture(scope="module")
def page():
    return open_page(PAGE)


@pytest.fixture(scope="module")
def result(page):
    return compute(Params())


def test_defaults_show_the_models_words_and_hold_the_runs_back(page, result):
    at = page
    shown = texts(at)
    for words in (
        model.heading(result.params),
        model.run_words(result),
        model.smith_words(result),
        model.chart_caption(result),
        model.handoff_words(result),
        model.question(result.params, result).text,
    ):
        assert words in shown
    table = next(t.value for t in at.table if "what the rule saw" in t.value.columns)
    assert table.equals(model.suggestion_table(result))
    # predict first: the three fresh runs are not shown until then
    assert len(at.get("plotly_chart")) == 1
    assert "Answer the question above" in shown
    assert model.try_rows(result)[2].text not in shown
    # normal mode: controls, then the chart, then the question about it
    seq = order(at)
    assert seq.index("rt_min") < seq.index("rt_chart") < seq.index("rt_quiz_radio")


def test_the_prediction_reveals_the_runs(result):
    at = open_page(PAGE)
    at.radio(key="rt_quiz_radio").set_value(model.BLOWS_UP).run()
    assert_ok(at)
    shown = texts(at)
    assert f"Right. {model.question(result.params, result).explanation}" in shown
    for row in model.try_rows(result):
        assert f"{row.label} — {row.kind}: {row.text}" in shown
    assert len(at.get("plotly_chart")) == 2
    table = next(t.value for t in at.table if "final validation loss" in t.value.columns)
    assert table.equals(model.try_table(result))
    assert address_bar(at)["rt_quiz"] == [str(model.BLOWS_UP + 1)]


def test_the_link_opens_the_cyclical_page_at_smiths_bounds(page, result):
    """Range test -> "Cycle between these bounds" -> the Cyclical schedules page, set to the
    bounds (snapped to its grid) and saying where they came from."""
    (link,) = [e for e in page.get("page_link") if e.proto.label == "Cycle between these bounds"]
    query = parse_qs(link.proto.query_string)
    assert query == model.handoff_query(result)
    at = open_page(CYCLICAL, query)
    p = model.handoff_params(result)
    assert (at.select_slider(key="cy_min").value, at.select_slider(key="cy_max").value) == (
        p.lo,
        p.hi,
    )
    assert not at.info  # applied as written: no notice
    assert cyclical.bounds_sentence(p) in texts(at)
    assert "range test on digits/MLP, exponential ramp, seed 0" in texts(at)
    assert "max_lr 0.412 from the range test, shown as **0.4**" in texts(at)
    assert {k: address_bar(at)[k] for k in query} == query  # the link stays in the address bar


def test_every_widget_at_its_extremes():
    at = open_page(PAGE)
    low = {
        "rt_data": "moons",
        "rt_min": 1e-7,
        "rt_iters": 30,
        "rt_beta": 0.0,
        "rt_stop": 2.0,
        "rt_val": 1,
        "rt_view": "accuracy",
        "rt_try": "Smith: start",
        "rt_epochs": 1,
    }
    high = {
        "rt_data": "spirals",
        "rt_model": "softmax",
        "rt_max": 100.0,
        "rt_iters": 1000,
        "rt_mode": "linear",
        "rt_beta": 0.99,
        "rt_stop": float("inf"),
        "rt_val": 20,
        "rt_seed": 9999,
        "rt_try": "Smith: min",
        "rt_epochs": 15,
    }
    for changes in (low, high):
        for key, value in changes.items():
            kind = {
                "rt_data": "button_group",
                "rt_model": "button_group",
                "rt_mode": "button_group",
                "rt_view": "button_group",
                "rt_try": "selectbox",
                "rt_epochs": "slider",
                "rt_seed": "number_input",
            }.get(key, "select_slider")
            getattr(at, kind)(key=key).set_value(value)
        at.run()
        assert_ok(at)
        p, notes = F.from_query(Params, address_bar(at))
        assert notes == []
        r = compute(p)
        table = next(t.value for t in at.table if "what the rule saw" in t.value.columns)
        assert table.equals(model.suggestion_table(r))
        assert model.chart_caption(r) in texts(at)
    assert p.view == "accuracy" and p.stop == float("inf") and p.epochs == 15


def test_a_link_with_old_spellings_and_bad_values():
    at = open_page(
        PAGE,
        {
            "rt_min": "1e-4",
            "rt_max": "5e-1",
            "rt_stop": "off",
            "rt_try": "valley",
            "rt_seed": "x",
            "rt_iters": "30",
            "rt_epochs": "1",
        },
    )
    assert at.select_slider(key="rt_min").value == 1e-4
    assert at.select_slider(key="rt_max").value == 0.5
    assert at.select_slider(key="rt_stop").value == float("inf")
    assert at.selectbox(key="rt_try").value == "valley"
    notes = " ".join(str(e.value) for e in at.info)
    assert "`rt_seed`" in notes and "showing the default, 0" in notes
    bar = address_bar(at)
    assert bar["rt_max"] == ["5e-1"] and bar["rt_stop"] == ["off"] and "rt_seed" not in bar


def test_lecture_mode_puts_the_chart_first(result):
    at = open_page(PAGE, lecture=True)
    seq = order(at)
    assert seq[:3] == ["Title", "Markdown", "rt_chart"]
    assert seq.index("rt_chart") < seq.index("rt_try") < seq.index("rt_quiz_radio")
    assert model.question(result.params, result).text in texts(at)
    link = next(e for e in at.get("page_link") if e.proto.label == "Cycle between these bounds")
    assert parse_qs(link.proto.query_string)["lecture"] == ["true"]  # stays in lecture mode
