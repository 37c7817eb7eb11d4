"""AppTest wiring of "Adaptive learning rate": both sections' widgets -> Params -> what the page
shows (the model's own sentences for those Params), every widget at its extremes, links (old
spellings too), the guide's link in lecture mode, the prediction and the β buttons."""

from __future__ import annotations

import base64
import dataclasses
import json

import numpy as np
import pytest

from lessons.adaptive import model, view
from lessons.adaptive.model import TrainParams, ValleyParams
from lessons.adaptive.view import LESSON
from lessons.ui import fields as F
from lessons.ui import guide
from lessons.ui.runner import cached
from tests.lessons.apptest import address_bar, assert_ok, open_page, texts

PAGE = "lessons/adaptive/page.py"
GUIDE = next(s for s in guide.PLAN if s.path == PAGE)
TRAIN, VALLEY = LESSON.sections


def shows(at, p: TrainParams | None = None, v: ValleyParams | None = None) -> None:
    """The page shows the model's words for ``p`` (training) and ``v`` (the valley)."""
    assert_ok(at)
    assert not at.error, [e.value for e in at.error]
    body = texts(at)
    if p is not None:
        r = cached(TRAIN)(p)
        for row in model.rows(p, r):
            assert f"{row.label} — {row.kind}: {row.text}" in body
        assert r.sens.text in body
        assert model.rates_caption(r, model.rate_panels(r)) in body
        assert model.sensitivity_caption(r) in body
        assert model.COST_TITLE in body and "Measured on this server" in body
        assert model.memory_words(model.cost_key(p), 0).split(";")[0] in body
    if v is not None:
        rv = cached(VALLEY)(v)
        for row in model.valley_rows(v, rv):
            assert f"{row.label} — {row.kind}: {row.text}" in body
        assert model.valley_rate_caption(rv) in body


FAKE_TIMING = {"iter_fixed": 3e-4, "iter_hd": 3.1e-4, "update_fixed": 7e-6, "update_hd": 1.6e-5}


@pytest.fixture(autouse=True)
def quick_timing(request, monkeypatch):
    """The live timing takes about a second per setting; it is measured for real once (the
    defaults' test), elsewhere a fixed timing stands in (the words around it are the same)."""
    if request.node.name.startswith("test_defaults"):
        return

    def fake(key):
        data, spec = model.data_and_spec("digits", key.model)
        return {**FAKE_TIMING, "P": float(spec.n_params)}

    monkeypatch.setattr(model, "measure", fake)
    monkeypatch.setattr(view, "_MEASURED", {})  # no stand-in timing outlives the test


def chart(at, key: str) -> dict:
    for el in at.get("plotly_chart"):
        if el.proto.id.endswith(key):
            return json.loads(el.proto.spec)
    raise AssertionError(f"no chart {key}")


def arr(v) -> np.ndarray:
    if isinstance(v, dict):
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
    return np.asarray(v, dtype=float)


def test_defaults_the_prediction_and_the_buttons():
    at = open_page(PAGE)
    assert at.title[0].value == "Adaptive learning rate"
    assert at.multiselect(key="ad_lrs").value == list(model.DEFAULT_LRS)
    assert at.select_slider(key="ad_beta").value == 1e-3
    shows(at, TrainParams(), ValleyParams())
    assert len(at.get("plotly_chart")) == 5
    assert "Next: Teacher's guide" in str(at.main.get("page_link")[-1].proto.label)
    assert address_bar(at) == {}
    # the rate chart carries the model's rates
    r = cached(TRAIN)(TrainParams())
    spec = chart(at, "ad_rates")
    hd = next(t for t in spec["data"] if t["name"] == "start 1e-5" and t["xaxis"] == "x2")
    np.testing.assert_allclose(arr(hd["y"]), r.hd.lr[0], rtol=1e-12)
    # the prediction: its answer and explanation come from the run
    q = model.question(TrainParams(), r)
    at.radio(key="ad_quiz_radio").set_value(q.answer).run()
    assert at.success[0].value == f"Right. {q.explanation}"
    assert at.query_params["ad_quiz"] == str(q.answer + 1)
    # the paper's and the poster's beta, and a fresh timing
    at.button(key="ad_poster").click().run()
    assert at.select_slider(key="ad_beta").value == model.POSTER_BETA
    shows(at, TrainParams(beta_add=model.POSTER_BETA))
    at.button(key="ad_paper").click().run()
    assert at.select_slider(key="ad_beta").value == 1e-3
    at.button(key="ad_remeasure").click().run()
    assert_ok(at)
    assert "Measured on this server" in texts(at)


def test_extremes_of_the_training_controls():
    at = open_page(PAGE, {"ad_epochs": "1", "ad_lrs": ["1e-6", "1"], "ad_beta": "0"})
    p = TrainParams(lrs=(1e-6, 1.0), epochs=1, beta_add=0.0)
    shows(at, p)
    assert "switched off" in texts(at)  # beta = 0 is the fixed-rate optimiser, exactly
    at.segmented_control(key="ad_rule").set_value("multiplicative").run()
    at.select_slider(key="ad_betam").set_value(2.0)
    at.segmented_control(key="ad_opt").set_value("nesterov")
    at.number_input(key="ad_seed").set_value(999)
    at.slider(key="ad_epochs").set_value(15)
    at.toggle(key="ad_sweep").set_value(True).run()
    p = TrainParams(
        lrs=(1e-6, 1.0),
        family="nesterov",
        rule="multiplicative",
        beta_mul=2.0,
        epochs=15,
        seed=999,
        sweep=True,
    )
    shows(at, p)
    assert len(at.get("plotly_chart")) == 6
    caption, _ = model.sweep_words(cached(TRAIN)(p))
    assert caption in texts(at) and "the sweep stops at 5 epochs" in caption
    # the largest additive beta on Adam and the MLP: every run blows up, and the page says so
    at.segmented_control(key="ad_rule").set_value("additive")
    at.segmented_control(key="ad_opt").set_value("adam")
    at.segmented_control(key="ad_model").set_value("mlp")
    at.slider(key="ad_epochs").set_value(1)
    at.toggle(key="ad_sweep").set_value(False).run()
    at.select_slider(key="ad_beta").set_value(1.0).run()
    p = dataclasses.replace(
        p, rule="additive", family="adam", beta_add=1.0, model="mlp", epochs=1, sweep=False
    )
    shows(at, p)
    assert "P = 2,410 float64 numbers" in texts(at)
    assert "runs diverged" in texts(at)


def test_extremes_of_the_valley_and_seven_rates():
    lrs = model.LR_OPTIONS[:7]
    at = open_page(PAGE, {"ad_lrs": [str(v) for v in lrs], "ad_epochs": "1"})
    at.select_slider(key="ad_kappa").set_value(100.0)
    at.segmented_control(key="ad_start").set_value("wall")
    at.select_slider(key="ad_slr").set_value(0.3)
    at.select_slider(key="ad_sbeta").set_value(0.1)
    at.slider(key="ad_steps").set_value(300).run()
    v = ValleyParams(kappa=100.0, start="wall", lr0=0.3, beta_add=0.1, steps=300)
    shows(at, TrainParams(lrs=lrs, epochs=1), v)
    assert "diverged" in texts(at)
    at.select_slider(key="ad_kappa").set_value(3.0)
    at.select_slider(key="ad_slr").set_value(1e-5)
    at.segmented_control(key="ad_srule").set_value("multiplicative").run()
    at.select_slider(key="ad_sbetam").set_value(2.0)
    at.slider(key="ad_steps").set_value(20).run()
    v = ValleyParams(
        kappa=3.0, start="wall", lr0=1e-5, rule="multiplicative", beta_mul=2.0, steps=20
    )
    shows(at, v=v)


def test_an_old_link_round_trip():
    q = {
        "ad_lrs": ["1e-4", "0.01"],
        "ad_opt": "SGDN (Nesterov)",
        "ad_beta": "1e-4",
        "ad_epochs": "2",
        "ad_seed": "7",
        "ad_kappa": "30",
        "ad_start": "on the steep wall",
        "ad_sbeta": "1e-5",
        "ad_quiz": "2",
    }
    at = open_page(PAGE, q)
    p = TrainParams(lrs=(1e-4, 0.01), family="nesterov", beta_add=1e-4, epochs=2, seed=7)
    v = ValleyParams(kappa=30.0, start="wall", beta_add=1e-5)
    assert not at.info
    shows(at, p, v)
    assert at.radio(key="ad_quiz_radio").value is not None  # answered before it was copied
    bar = address_bar(at)
    assert {k: bar[k] for k in F.to_query(p)} == F.to_query(p)
    assert {k: bar[k] for k in F.to_query(v)} == F.to_query(v)
    again = open_page(PAGE, bar)
    assert texts(again) == texts(at)


def test_a_malformed_link_and_no_rate_chosen():
    q = {"ad_lrs": [""], "ad_opt": "LBFGS", "ad_beta": "42", "ad_kappa": "abc", "ad_steps": "1e9"}
    at = open_page(PAGE, q)
    notes = " ".join(e.value for e in at.info)
    for key in ("ad_opt", "ad_beta", "ad_kappa", "ad_steps"):
        assert f"`{key}`" in notes
    assert "No starting rate chosen" in notes
    shows(at, TrainParams(lrs=()), ValleyParams(steps=300))
    assert address_bar(at)["ad_lrs"] == [""]  # the empty choice stays in the link


def test_one_rate_asks_nothing():
    at = open_page(PAGE, {"ad_lrs": "0.01", "ad_epochs": "1"})
    shows(at, TrainParams(lrs=(0.01,), epochs=1))
    assert "Pick two or more starting rates" in texts(at)
    assert not at.radio  # no question about the spread of one run


def test_the_guides_link_in_lecture_mode():
    at = open_page(PAGE, dict(GUIDE.query), lecture=True)
    p, notes = F.from_query(TrainParams, GUIDE.query)
    assert notes == [] and not at.info
    shows(at, p, ValleyParams())
    assert GUIDE.expect in texts(at)
    spec = chart(at, "ad_rates")
    assert spec["layout"]["font"]["size"] == 20  # projector-sized
    assert "<br>" in spec["layout"]["xaxis"]["title"]["text"]  # panel names wrap on a phone
    assert [e.label for e in at.expander][-1] == "What to try, what to notice"
    # the guide's old link (the defaults spelled out) opens the same view, with no notice
    old = {"ad_epochs": "5", "ad_seed": "0", "ad_opt": "SGD"}
    assert F.from_query(TrainParams, old) == (TrainParams(), [])
    at = open_page(PAGE, old, lecture=True)
    assert GUIDE.expect in texts(at) and not at.info
