"""The "Four regimes" page through the real entry point (AppTest): widgets, URL, quiz, lecture.

Every verdict on the page is compared with an independent engine call (load_dataset -> train
-> classify_run), not with the page's own cached function.
"""

import functools
import json

import pytest

from engine.data import load_dataset
from engine.models import ModelSpec
from engine.train import classify_run, train
from engine.verdict import Kind
from lessons.four_regimes import (
    DEFAULT_RATES,
    LR_GRID,
    PRESETS,
    QUIZ_KINDS,
    QUIZ_OPTIONS,
    SLOTS,
    fmt_rate,
)
from tests.lessons.apptest import assert_ok, open_page, texts

PAGE = "lessons/four_regimes.py"
SHOW = {"fr_show": "true"}
KEYS = [key for _, key in SLOTS]


@functools.lru_cache(maxsize=32)
def engine_run(model="softmax", data="digits", rates=DEFAULT_RATES, epochs=10, batch=64, seed=0):
    d = load_dataset(data, seed=seed)
    spec = ModelSpec(model.lower(), d.n_features, d.n_classes, hidden=(32,))
    h = train(spec, d, list(rates), epochs=epochs, batch_size=batch, seed=seed)
    return h, [classify_run(h, k) for k in range(h.K)]


def verdict_lines(rates, **kw):
    _, verdicts = engine_run(rates=tuple(float(r) for r in rates), **kw)
    return [
        f"**{name}, lr = {fmt_rate(lr)}** — *{kind}*: {text}"
        for (name, _), lr, (kind, text) in zip(SLOTS, rates, verdicts, strict=True)
    ]


def assert_verdicts(at, rates, **kw):
    body = texts(at)
    for line in verdict_lines(rates, **kw):
        assert line in body, line


def rates_of(at):
    return tuple(float(at.select_slider(key=k).value) for k in KEYS)


def n_charts(at):
    return len(at.get("plotly_chart"))


def names(rates) -> list[str]:
    """The runs' legend names, as the page labels them."""
    return [f"{name}, lr = {fmt_rate(lr)}" for (name, _), lr in zip(SLOTS, rates, strict=True)]


def run_names(at) -> list[list[str]]:
    """Per chart, the runs drawn (legend entries that name a regime)."""
    out = []
    for el in at.get("plotly_chart"):
        traces = json.loads(el.proto.spec)["data"]
        drawn = [t.get("name", "") for t in traces if t.get("showlegend", True)]
        out.append([n.removesuffix(" (diverged)") for n in drawn if ", lr = " in n])
    return out


@pytest.mark.parametrize(("model", "data"), list(PRESETS))
def test_presets_show_the_regimes(model, data):
    """The suggested rates tell the four stories at the default epochs, batch and seed."""
    h, verdicts = engine_run(model, data, PRESETS[(model, data)])
    kinds = [k for k, _ in verdicts]
    assert kinds[0] == Kind.DIVERGED and kinds[2] == Kind.CONVERGED
    assert kinds[3] == Kind.SLOW
    assert not h.diverged[1] and h.final_val_loss[1] > 1.25 * h.final_val_loss[2]
    if model == "softmax":
        assert kinds == list(QUIZ_KINDS)
    assert all(r in LR_GRID for r in PRESETS[(model, data)])


def test_defaults_ask_before_they_show():
    at = open_page(PAGE)
    assert at.title[0].value == "Four regimes"  # this page, not the default one
    assert rates_of(at) == DEFAULT_RATES
    assert at.segmented_control(key="fr_model").value == "softmax"
    assert at.segmented_control(key="fr_data").value == "digits"
    assert at.toggle(key="fr_show").value is False
    # predict first: three runs are drawn, the high one (the question's) is withheld
    assert n_charts(at) == 2
    high = names(DEFAULT_RATES)[1]
    assert run_names(at) == [[n for n in names(DEFAULT_RATES) if n != high]] * 2
    h, verdicts = engine_run()
    body = texts(at)
    assert f"**{high}** — *not shown yet*: trained too ({h.T} iterations" in body
    assert verdicts[1][1] not in body  # its verdict waits for the answer
    for line in [v for k, v in enumerate(verdict_lines(DEFAULT_RATES)) if k != 1]:
        assert line in body
    assert "The **high** rate is lr = 30" in body
    # the learner answers (correctly: at lr = 30 softmax plateaus high): the curves appear
    radio = at.radio(key="fr_quiz")
    assert list(radio.options) == list(QUIZ_OPTIONS)
    radio.set_value(QUIZ_OPTIONS[1]).run()
    assert_ok(at)
    _, verdicts = engine_run()
    assert at.success and verdicts[1][1] in at.success[0].value
    assert n_charts(at) == 2
    assert run_names(at) == [names(DEFAULT_RATES)] * 2  # now all four
    assert_verdicts(at, DEFAULT_RATES)
    # a wrong answer is corrected with the engine's verdict
    radio.set_value(QUIZ_OPTIONS[3]).run()
    assert at.warning and QUIZ_OPTIONS[1] in at.warning[0].value


def test_link_with_show_opens_on_the_curves():
    at = open_page(PAGE, SHOW)
    assert at.toggle(key="fr_show").value is True
    assert n_charts(at) == 2
    assert_verdicts(at, DEFAULT_RATES)
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["yaxis"]["type"] == "log"
    h, _ = engine_run()
    marks = [t for t in spec["data"] if t.get("mode") == "markers+text"]
    assert len(marks) == 1 and marks[0]["text"][0].startswith(
        f"diverged at iteration {h.diverged_at[0]}"
    )
    assert len(at.get("download_button")) == 2


def test_widgets_at_their_extremes():
    at = open_page(PAGE, SHOW)
    # model and data set: the suggested rates for the new choice are loaded
    at.segmented_control(key="fr_model").set_value("MLP").run()
    assert_ok(at)
    assert rates_of(at) == PRESETS[("MLP", "digits")]
    assert_verdicts(at, PRESETS[("MLP", "digits")], model="MLP")
    at.segmented_control(key="fr_data").set_value("spirals").run()
    assert_ok(at)
    rates = PRESETS[("MLP", "spirals")]
    assert rates_of(at) == rates
    assert_verdicts(at, rates, model="MLP", data="spirals")
    assert n_charts(at) == 3  # + decision regions on a 2-feature set
    # epochs, batch size and seed at their extremes
    at.slider(key="fr_epochs").set_value(1)
    at.select_slider(key="fr_batch").set_value(256)
    at.number_input(key="fr_seed").set_value(999)
    at.run()
    assert_ok(at)
    assert_verdicts(at, rates, model="MLP", data="spirals", epochs=1, batch=256, seed=999)
    # every rate at the bottom, then at the top of the grid
    for value in (LR_GRID[0], LR_GRID[-1]):
        for k in KEYS:
            at.select_slider(key=k).set_value(value)
        at.run()
        assert_ok(at)
        assert_verdicts(
            at, (value,) * 4, model="MLP", data="spirals", epochs=1, batch=256, seed=999
        )
    assert "diverged at iteration" in texts(at)
    # each way of drawing the loss, with and without the validation markers
    for curve in ("epoch mean", "every minibatch", "smoothed"):
        at.segmented_control(key="fr_curve").set_value(curve).run()
        assert_ok(at)
    at.toggle(key="fr_val").set_value(False).run()
    assert_ok(at)
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert not any("validation loss" in (t.get("name") or "") for t in spec["data"])


def test_longest_run_and_suggest_button():
    at = open_page(PAGE, {**SHOW, "fr_epochs": "20", "fr_batch": "32"})
    assert_verdicts(at, DEFAULT_RATES, epochs=20, batch=32)
    at.select_slider(key="fr_lr_high").set_value(LR_GRID[0]).run()
    assert "not in the order" in texts(at)
    at.button(key="fr_suggest").click().run()
    assert_ok(at)
    assert rates_of(at) == DEFAULT_RATES
    assert "not in the order" not in texts(at)


def test_url_reopens_the_view():
    query = {
        **SHOW,
        "fr_model": "MLP",
        "fr_data": "moons",
        "fr_lr_vhigh": "100",
        "fr_lr_high": "5",
        "fr_lr_good": "0.5",
        "fr_lr_low": "0.00015",
        "fr_epochs": "4",
        "fr_seed": "7",
        "fr_curve": "every minibatch",
    }
    at = open_page(PAGE, query)
    rates = (100, 5, 0.5, 0.00015)
    assert rates_of(at) == rates
    assert at.segmented_control(key="fr_model").value == "MLP"
    assert at.segmented_control(key="fr_data").value == "moons"
    assert at.slider(key="fr_epochs").value == 4
    assert at.number_input(key="fr_seed").value == 7
    assert at.segmented_control(key="fr_curve").value == "every minibatch"
    assert_verdicts(at, rates, model="MLP", data="moons", epochs=4, seed=7)
    assert n_charts(at) == 3
    regions = json.loads(at.get("plotly_chart")[2].proto.spec)
    h, _ = engine_run("MLP", "moons", tuple(float(r) for r in rates), 4, 64, 7)
    titles = [a["text"] for a in regions["layout"]["annotations"]]
    assert f"good, lr = 0.5: {h.final_val_acc[2]:.0%}" in titles


def test_malformed_url_falls_back_to_defaults():
    query = {
        "fr_lr_high": "banana",
        "fr_lr_vhigh": "1e99",
        "fr_model": "cnn",
        "fr_data": "mnist",
        "fr_epochs": "999",
        "fr_batch": "7",
        "fr_seed": "-3",
        "fr_curve": "wiggly",
        "fr_show": "maybe",
    }
    at = open_page(PAGE, query)
    assert rates_of(at) == DEFAULT_RATES
    assert at.segmented_control(key="fr_model").value == "softmax"
    assert at.segmented_control(key="fr_data").value == "digits"
    assert at.slider(key="fr_epochs").value == 10
    assert at.select_slider(key="fr_batch").value == 64
    assert at.number_input(key="fr_seed").value == 0
    assert at.toggle(key="fr_show").value is False
    assert len(run_names(at)[0]) == 3  # the high run withheld


def test_lecture_mode():
    at = open_page(PAGE, SHOW, lecture=True)
    assert "What to try, what to notice" in [e.label for e in at.expander]  # folded away
    assert_verdicts(at, DEFAULT_RATES)
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["font"]["size"] == 20  # big for the projector
