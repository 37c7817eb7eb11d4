"""AppTest wiring of "Coarse-to-fine search": widgets -> Params -> what the page shows (the
model's own sentences for that Params), every widget at its extremes, links, the guide's link."""

from __future__ import annotations

import dataclasses

import pytest

from engine import fmt
from lessons.coarse_to_fine import model
from lessons.coarse_to_fine.model import Params, Status
from lessons.coarse_to_fine.view import LESSON
from lessons.ui import fields as F
from lessons.ui import guide
from lessons.ui.runner import cached
from tests.lessons.apptest import address_bar, assert_ok, open_page, texts
from tests.lessons.test_coarse_to_fine_model import assert_labels_agree

PAGE = "lessons/coarse_to_fine/page.py"
GUIDE = next(s for s in guide.PLAN if s.path == PAGE)


def computed(p: Params) -> model.Result:
    """The page's own result for ``p`` (the runner's cache: no second training)."""
    return cached(LESSON.sections[0])(p)


def shows(at, p: Params) -> model.Result:
    """The page shows the model's words and numbers for ``p``."""
    assert_ok(at)
    r = computed(p)
    body = texts(at)
    for row in model.rows(p, r):
        assert f"{row.label} — {row.kind}: {row.text}" in body
    for words in (
        model.stage1_head(r),
        model.pick_sentence(r),
        model.cost_sentence(r),
        model.sampling_sentence(r),
        model.search_caption(r),
        model.close_caption(r),
        model.full_sentence(r),
        model.halving_sentence(r),
        model.range_note(r),
        model.edge_note(r),
    ):
        if words is not None:
            assert words in body, words
    assert ("**Check:**" in body) == p.full and ("Successive halving**" in body) == p.halving
    assert [(m.label, m.value) for m in at.metric] == [(a, b) for a, b, _ in model.metrics(r)]
    assert len(at.get("plotly_chart")) == 3 + p.halving
    return r


def test_defaults(page):
    at = page
    assert at.title[0].value == "Coarse-to-fine search"
    assert at.select_slider(key="cf_range").value == (1e-7, 10.0)
    assert at.segmented_control(key="cf_model").value == "softmax"
    assert at.slider(key="cf_points").value == 8 and at.number_input(key="cf_seed").value == 0
    r = shows(at, Params())
    assert not at.warning  # the best stage-1 rate is inside the range: nothing to warn about
    assert fmt.count(r.grid_cost) in texts(at)
    assert address_bar(at) == {}


def test_the_prediction_is_revealed_from_the_run(page):
    at = page
    p = Params()
    q = model.question(p, computed(p))
    at.radio(key="cf_quiz_radio").set_value(q.answer).run()
    assert_ok(at)
    assert at.success[0].value == f"Right. {q.explanation}"
    assert at.query_params["cf_quiz"] == str(q.answer + 1)
    at.radio(key="cf_quiz_radio").set_value((q.answer + 1) % len(q.options)).run()
    assert f"the answer is **{q.options[q.answer]}**" in at.warning[0].value


def test_expensive_extremes():
    at = open_page(PAGE)
    at.segmented_control(key="cf_model").set_value("MLP")
    at.select_slider(key="cf_range").set_range(1e-7, 10.0)
    at.select_slider(key="cf_subset").set_value(0.05)
    at.slider(key="cf_ep1").set_value(1)
    at.segmented_control(key="cf_decades").set_value(2)
    at.slider(key="cf_points").set_value(10)
    at.slider(key="cf_ep2").set_value(8)
    at.segmented_control(key="cf_sampling").set_value("random")
    at.number_input(key="cf_seed").set_value(999)
    at.toggle(key="cf_full").set_value(False)
    at.toggle(key="cf_halving").set_value(False).run()
    p = Params(
        model="MLP",
        sampling="random",
        subset=0.05,
        epochs1=1,
        decades=2,
        points=10,
        epochs2=8,
        seed=999,
        full=False,
        halving=False,
    )
    shows(at, p)
    assert at.segmented_control(key="cf_eta").disabled  # η means nothing without halving


def test_cheap_extremes_and_a_one_decade_range():
    at = open_page(PAGE, {"cf_full": "false", "cf_eta": "4"})
    at.select_slider(key="cf_range").set_range(0.01, 0.01)
    at.select_slider(key="cf_subset").set_value(1.0)
    at.slider(key="cf_ep1").set_value(10)
    at.slider(key="cf_points").set_value(3)
    at.slider(key="cf_ep2").set_value(1).run()
    p = Params(span=(0.01, 0.01), subset=1.0, epochs1=10, points=3, epochs2=1, full=False, eta=4)
    r = shows(at, p)
    assert (r.lo_exp, r.hi_exp) == (-2, -1)
    assert "searching 0.01 … 0.1 instead" in at.warning[0].value


def test_a_link_round_trip_with_the_answer():
    q = {
        "cf_range": ["1e-6", "10"],
        "cf_sampling": "random",
        "cf_seed": "3",
        "cf_decades": "2",
        "cf_subset": "50%",
        "cf_halving": "false",
        "cf_quiz": "1",
    }
    at = open_page(PAGE, q)
    p = Params(span=(1e-6, 10.0), sampling="random", seed=3, decades=2, subset=0.5, halving=False)
    assert F.from_query(Params, q) == (p, [])
    shows(at, p)
    assert at.select_slider(key="cf_subset").value == 0.5 and not at.info
    assert at.radio(key="cf_quiz_radio").value is not None  # answered before the link was copied
    bar = address_bar(at)
    assert {k: v for k, v in bar.items() if k != "cf_quiz"} == F.to_query(p)
    again = open_page(PAGE, bar)
    assert texts(again) == texts(at)


def test_a_malformed_link_is_named_and_the_defaults_shown():
    q = {"cf_range": ["banana", "1e99"], "cf_points": "lots", "cf_subset": "7%", "cf_ep2": "0"}
    at = open_page(PAGE, q)
    notes = " ".join(e.value for e in at.info)
    for key in ("cf_range", "cf_points", "cf_subset", "cf_ep2"):
        assert f"`{key}`" in notes
    p, _ = F.from_query(Params, q)
    assert p == dataclasses.replace(Params(), epochs2=1)  # 0 epochs: the fewest, 1
    shows(at, p)


def test_the_guides_link_in_lecture_mode():
    at = open_page(PAGE, dict(GUIDE.query), lecture=True)
    p, notes = F.from_query(Params, GUIDE.query)
    assert notes == [] and not at.info
    r = shows(at, p)
    assert GUIDE.expect in texts(at)
    assert [e.label for e in at.expander][-1] == "What to try, what to notice"  # folded away
    assert_labels_agree(p, r)
    # the guide's words: "Five rates stall, 10 diverges, only 0.1 and 1 are worth refining;
    # stage 2 picks about 1.2, as good as the brute-force grid, for about 14% of its cost"
    c = r.search.coarse
    assert int((c.status == Status.STALLED).sum()) == 5
    assert c.lrs[c.status == Status.DIVERGED].tolist() == [10.0]
    assert c.lrs[c.status == Status.WORTH].tolist() == [0.1, 1.0]
    assert 1.1 < r.search.best_lr < 1.3 and "14%" in GUIDE.see
    assert r.search.best_loss <= r.full.loss[r.full.best] * 1.01
    assert fmt.pct(r.search.cost / r.grid_cost) == "14%"
    # the guide's old link (the range spelled out) opens the same view, with no notice
    old = {"cf_model": "MLP", "cf_range": ["1e-7", "10"]}
    assert F.from_query(Params, old) == (p, [])
    at = open_page(PAGE, old, lecture=True)
    assert GUIDE.expect in texts(at) and not at.info
    assert {k: v for k, v in address_bar(at).items() if k != "lecture"} == F.to_query(p)


@pytest.fixture(scope="module")
def page():
    return open_page(PAGE)
