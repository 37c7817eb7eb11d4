"""AppTest wiring for Four regimes: widgets -> Params -> what the page shows (compared with the
model's own sentences), the held-back run, the link, the guide's link, lecture mode."""

from __future__ import annotations

import functools
import json

from lessons.four_regimes import model
from lessons.four_regimes.model import Params
from lessons.ui import fields as F
from lessons.ui import guide
from tests.lessons.apptest import address_bar, assert_ok, open_page, texts

PAGE = "lessons/four_regimes/page.py"
KEYS = [key for _, key, _ in model.SLOTS]


@functools.lru_cache(maxsize=64)
def compute(p: Params):
    """The model's result (each view computed once per test session)."""
    return model.compute(p)


def params(at) -> Params:
    return F.from_query(Params, address_bar(at))[0]


def rates_of(at) -> tuple[float, ...]:
    return tuple(float(at.select_slider(key=k).value) for k in KEYS)


def drawn(at) -> list[list[str]]:
    """Per chart, the runs drawn (legend entries that name a regime; a long entry is wrapped
    onto two lines for a phone)."""
    out = []
    for el in at.get("plotly_chart"):
        traces = json.loads(el.proto.spec)["data"]
        names = [
            t.get("name", "").replace("<br>", " ") for t in traces if t.get("showlegend", True)
        ]
        out.append([n.removesuffix(" (diverged)") for n in names if ", lr = " in n])
    return out


def assert_shows(at, answered: bool = True) -> model.Result:
    assert_ok(at)
    p = params(at)
    r = compute(p)
    body = texts(at)
    for row in model.rows(p, r, answered):
        assert f"{row.label} — {row.kind}: {row.text}" in body, row.label
    assert rates_of(at) == r.rates
    return r


def test_defaults_ask_before_they_show_then_reveal():
    at = open_page(PAGE)
    assert at.title[0].value == "Four regimes"
    r = assert_shows(at, answered=False)
    assert address_bar(at) == {}  # measured rates stay out of the link
    assert model.suggestion_sentence(r) in texts(at)
    held = r.labels[model.QUIZ_RUN]
    assert drawn(at) == [[lab for lab in r.labels if lab != held]] * 2
    assert model.withheld_sentence(r) in texts(at)
    q = model.question(params(at), r)
    at.radio(key="fr_quiz_radio").set_value(q.answer).run()
    assert_shows(at)
    assert "Right." in texts(at) and drawn(at) == [list(r.labels)] * 2
    assert address_bar(at) == {"fr_quiz": [str(q.answer + 1)]}


def test_the_guides_link_and_a_link_with_show_in_lecture_mode():
    (step,) = [s for s in guide.plan() if s.path == PAGE]
    at = open_page(PAGE, dict(step.query), lecture=True)
    assert step.expect in texts(at)
    at = open_page(PAGE, {"fr_show": "true", "fr_curve": "every minibatch"}, lecture=True)
    r = assert_shows(at)
    assert drawn(at) == [list(r.labels)] * 2
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["font"]["size"] == 20 and spec["layout"]["yaxis"]["type"] == "log"
    marks = [t for t in spec["data"] if t.get("mode") == "markers+text"]
    assert marks[0]["text"][0].startswith(f"diverged at iteration {r.history.diverged_at[0]}")


def test_widgets_at_their_extremes():
    at = open_page(PAGE, {"fr_show": "true", "fr_data": "moons"})
    # a new model: the rates are measured for it
    at.segmented_control(key="fr_model").set_value("MLP").run()
    r = assert_shows(at)
    assert r.rates == compute(Params(model="MLP", data="moons")).rates
    assert len(at.get("plotly_chart")) == 3  # + decision regions on a 2-feature set
    # another data set; epochs, batch size and seed at their extremes: measured for them
    at.segmented_control(key="fr_data").set_value("spirals")
    at.slider(key="fr_epochs").set_value(1)
    at.select_slider(key="fr_batch").set_value(256)
    at.number_input(key="fr_seed").set_value(999).run()
    assert_shows(at)
    # moving one rate makes all four the learner's own (in the link); grid ends
    at.select_slider(key="fr_lr_high").set_value(model.LR_GRID[0]).run()
    r = assert_shows(at)
    assert set(address_bar(at)) >= set(KEYS) and r.suggestion is None
    assert model.order_note(r) in texts(at)
    for k in KEYS:
        at.select_slider(key=k).set_value(model.LR_GRID[-1])
    at.segmented_control(key="fr_curve").set_value("epoch mean")
    at.toggle(key="fr_val").set_value(False).run()
    assert_shows(at)
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert not any("validation loss" in (t.get("name") or "") for t in spec["data"])
    # the button measures again
    at.button(key="fr_suggest").click().run()
    r = assert_shows(at)
    assert r.suggestion is not None and not set(address_bar(at)) & set(KEYS)


def test_a_malformed_link_is_named():
    q = {"fr_lr_high": "banana", "fr_model": "cnn", "fr_epochs": "999", "fr_batch": "7",
         "fr_seed": "-3", "fr_curve": "wiggly", "fr_show": "maybe"}  # fmt: skip
    at = open_page(PAGE, q)
    notes = " ".join(str(e.value) for e in at.info)
    for key in q:
        assert f"`{key}`" in notes
    assert_shows(at, answered=False)
    assert at.slider(key="fr_epochs").value == model.EPOCHS_MAX
