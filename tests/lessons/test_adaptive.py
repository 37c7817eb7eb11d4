"""The "Adaptive learning rate" page through the real entry point (AppTest): defaults, every
widget at its extremes, the URL, malformed links, lecture mode, the prediction, the paper's-beta
button.

Expected numbers come from the engine directly (``engine.train.train``, ``engine.descent.
run_descent``), never from the page's own helpers; the sentences are rebuilt with the engine's
word functions (``engine.hypergrad``), which ``tests/engine/test_hypergrad_digits.py`` checks
against hand-computed runs.
"""

from __future__ import annotations

import base64
import json
import math
from functools import lru_cache

import numpy as np
import pytest

from engine.data import load_dataset
from engine.descent import run_descent
from engine.fmt import rate as fmt
from engine.hypergrad import final_rate_spread, rate_story, sensitivity, valley_story
from engine.models import ModelSpec
from engine.optim import Optimizer
from engine.surfaces import ill_conditioned
from engine.train import classify_run, train
from lessons.ui.widgets import VERDICT_ICONS
from tests.lessons.apptest import assert_ok, open_page, texts

PAGE = "lessons/adaptive.py"
DATA = load_dataset("digits")
SPECS = {"softmax": ModelSpec("softmax", 64, 10), "mlp": ModelSpec("mlp", 64, 10, hidden=(32,))}
SHORT = {"sgd": "SGD", "nesterov": "SGDN", "adam": "Adam"}
DEFAULT = dict(
    lrs=(1e-5, 1e-4, 1e-3, 1e-2, 1e-1),
    family="sgd",
    rule="additive",
    beta=1e-3,
    model="softmax",
    epochs=5,
    seed=0,
)
SURFACE = dict(kappa=10.0, where="floor", lr0=1e-3, rule="additive", beta=3e-3, steps=80)
QUIZ = (
    "They stay as far apart as they started",
    "They move closer together, but stay more than 2× apart",
    "They end within a factor of 2 of each other",
    "They all shrink towards zero",
    "Some blow up or turn negative",
)


@lru_cache(maxsize=32)
def runs(lrs, family, rule, beta, model, epochs, seed):
    kw = dict(epochs=epochs, batch_size=64, seed=seed)
    fixed = train(SPECS[model], DATA, list(lrs), optimizer=Optimizer(family), **kw)
    opt = Optimizer(family, hypergrad=rule, hyper_lr=beta)
    hd = train(SPECS[model], DATA, list(lrs), optimizer=opt, **kw)
    return fixed, hd


def expected(**kw) -> dict:
    """The verdict lines, the sensitivity sentence and the quiz answer, from the engine."""
    p = {**DEFAULT, **kw}
    fixed, hd = runs(
        p["lrs"], p["family"], p["rule"], p["beta"], p["model"], p["epochs"], p["seed"]
    )
    both = np.concatenate([fixed.final_val_loss, hd.final_val_loss])
    ref = float(both[np.isfinite(both)].min()) if np.isfinite(both).any() else None

    def final(h, k):
        if h.diverged[k]:
            return f"diverged at iteration {int(h.diverged_at[k])}"
        return f"final loss {h.final_val_loss[k]:.3f}"

    lines = []
    for k, lr0 in enumerate(p["lrs"]):
        kind, _ = classify_run(hd, k, reference=ref)
        lines.append(
            f"{VERDICT_ICONS.get(kind, '•')} **start {fmt(lr0)}** — *{kind}*: "
            f"{rate_story(hd.lr[k], lr0)}. HD: {final(hd, k)}; fixed rate: {final(fixed, k)}."
        )
    label = SHORT[p["family"]] + ("-HD" if p["rule"] == "additive" else "-HDM")
    sens = sensitivity(
        np.array(p["lrs"]), fixed.final_val_loss, hd.final_val_loss, label=label, beta=p["beta"]
    )
    finals, ratio = final_rate_spread(hd.lr)
    if hd.diverged.any() or not np.isfinite(finals).all() or np.any(finals <= 0):
        answer = 4
    elif np.all(finals < min(p["lrs"]) / 2):
        answer = 3
    elif ratio <= 2:
        answer = 2
    elif ratio >= max(p["lrs"]) / min(p["lrs"]) / 2:
        answer = 0
    else:
        answer = 1
    return {"lines": lines, "sens": sens, "fixed": fixed, "hd": hd, "answer": answer}


def surface_expected(**kw) -> list[str]:
    p = {**SURFACE, **kw}
    s = ill_conditioned(kappa=p["kappa"], angle=30.0)
    if p["where"] == "floor":
        c, sn = math.cos(math.radians(30)), math.sin(math.radians(30))
        x0 = (5 * c - 0.05 * sn, 5 * sn + 0.05 * c)
    else:
        x0 = s.default_start
    opt = Optimizer("sgd", hypergrad=p["rule"], hyper_lr=p["beta"])
    hd = run_descent(s, x0, [p["lr0"]], optimizer=opt, steps=p["steps"])
    fixed = run_descent(s, x0, [p["lr0"]], optimizer="sgd", steps=p["steps"])
    pol = run_descent(s, x0, [1.0], optimizer="polyak", steps=p["steps"])
    lab = "SGD-HD" if p["rule"] == "additive" else "SGD-HDM"
    story = valley_story(hd.lr_trace[0], p["kappa"], p["lr0"])
    return [
        f"**{lab}, β = {fmt(p['beta'])}** — *{hd.verdicts[0].kind}*: {story}; "
        f"{hd.verdicts[0].text}",
        f"**SGD, fixed {fmt(p['lr0'])}** — *{fixed.verdicts[0].kind}*: {fixed.verdicts[0].text}",
        f"**Polyak's step** — *{pol.verdicts[0].kind}*: its step size ranged from",
        pol.verdicts[0].text,
    ]


def assert_page(at, **kw) -> dict:
    assert_ok(at)
    exp = expected(**kw)
    body = texts(at)
    for line in exp["lines"]:
        assert line in body, line
    assert exp["sens"].text in body
    return exp


def assert_surface(at, **kw) -> None:
    body = texts(at)
    for line in surface_expected(**kw):
        assert line in body, line


def arr(v) -> np.ndarray:
    """A plotly JSON array (plain list, or typed array ``{"dtype", "bdata"}``) as numpy."""
    if isinstance(v, dict):
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
    return np.asarray(v, dtype=float)


def chart(at, key: str) -> dict:
    for el in at.get("plotly_chart"):
        if el.proto.id.endswith(key):
            return json.loads(el.proto.spec)
    raise AssertionError(f"no chart {key}")


@pytest.fixture(scope="module")
def page():
    return open_page(PAGE)


def test_defaults_show_the_papers_point(page):
    at = page
    assert at.title[0].value == "Adaptive learning rate"  # this page, not the default one
    exp = assert_page(at)
    assert at.multiselect(key="ad_lrs").value == list(DEFAULT["lrs"])
    assert at.segmented_control(key="ad_opt").value == "sgd"
    assert at.segmented_control(key="ad_rule").value == "additive"
    assert at.select_slider(key="ad_beta").value == 1e-3
    assert at.segmented_control(key="ad_model").value == "softmax"
    assert at.slider(key="ad_epochs").value == 5 and at.number_input(key="ad_seed").value == 0
    assert at.toggle(key="ad_sweep").value is False
    # the paper's point, measured: HD shrinks the spread of final losses many times
    sens = exp["sens"]
    assert sens.ratio > 8 and "less sensitive to the starting rate" in sens.text
    # the rate chart carries the engine's rates: fixed left (flat), HD right (adapted)
    spec = chart(at, "ad_rates")
    hd_1e5 = next(t for t in spec["data"] if t["name"] == "start 1e-5" and t["xaxis"] == "x2")
    np.testing.assert_allclose(arr(hd_1e5["y"]), exp["hd"].lr[0], rtol=1e-6)
    fx = next(t for t in spec["data"] if t["name"] == "start 1e-5" and t["xaxis"] == "x")
    np.testing.assert_allclose(arr(fx["y"]), 1e-5, rtol=1e-6)
    sens_spec = chart(at, "ad_sensitivity")
    np.testing.assert_allclose(arr(sens_spec["data"][1]["y"]), exp["hd"].final_val_loss)
    # cost: one gradient-sized copy of P = 650 numbers per model
    body = texts(at)
    assert "P = 650 float64 numbers = 5,200 bytes per model (5 model(s): 26,000 bytes)" in body
    assert [m.value for m in at.metric][2] == "5.2 kB"
    assert at.metric[0].value.endswith("µs") and at.metric[1].value.endswith("µs")
    # the surface: the rate grows past 2/lam_max on the floor and HD cuts it back
    assert_surface(at)
    assert "past the stability limit 2/λmax = 0.2" in body
    assert "HD cut it back below the limit" in body
    assert len(at.get("plotly_chart")) == 5
    assert "Next: Teacher's guide" in str(at.get("page_link")[-1].proto.label)


def test_prediction_reveals(page):
    at = page
    exp = expected()
    assert exp["answer"] == 2  # the default runs end within 2x of each other
    radio = at.radio(key="ad_quiz")
    assert radio.value is None
    radio.set_value(QUIZ[2]).run()
    assert_ok(at)
    finals, ratio = final_rate_spread(exp["hd"].lr)
    assert at.success and (
        f"they end between {fmt(finals.min())} and {fmt(finals.max())}, {ratio:.3g}× apart"
        in at.success[0].value
    )
    at.radio(key="ad_quiz").set_value(QUIZ[0]).run()
    assert "Not quite" in at.warning[0].value


def test_extremes_of_the_training_controls():
    at = open_page(PAGE, {"ad_epochs": "1"})
    at.multiselect(key="ad_lrs").set_value([1e-6, 1.0]).run()
    assert_page(at, lrs=(1e-6, 1.0), epochs=1)
    # beta = 0: HD is the fixed-rate optimiser, exactly; the rates stay put
    at.select_slider(key="ad_beta").set_value(0.0).run()
    exp = assert_page(at, lrs=(1e-6, 1.0), epochs=1, beta=0.0)
    np.testing.assert_array_equal(exp["hd"].final_val_loss, exp["fixed"].final_val_loss)
    assert "switched off" in texts(at)
    assert exp["answer"] == 0
    # the largest additive beta on Adam: what goes wrong
    at.segmented_control(key="ad_opt").set_value("adam").run()
    at.select_slider(key="ad_beta").set_value(1.0).run()
    assert_page(at, lrs=(1e-6, 1.0), epochs=1, beta=1.0, family="adam")
    # multiplicative rule at its largest beta', SGDN, the MLP, the last seed
    at.segmented_control(key="ad_rule").set_value("multiplicative").run()
    at.select_slider(key="ad_betam").set_value(2.0).run()
    at.segmented_control(key="ad_opt").set_value("nesterov").run()
    at.segmented_control(key="ad_model").set_value("mlp")
    at.number_input(key="ad_seed").set_value(999).run()
    assert_page(
        at, lrs=(1e-6, 1.0), epochs=1, beta=2.0, family="nesterov", rule="multiplicative",
        model="mlp", seed=999,
    )  # fmt: skip
    assert "P = 2,410 float64 numbers" in texts(at)
    # the smallest beta', the beta sweep on
    at.select_slider(key="ad_betam").set_value(0.0)
    at.toggle(key="ad_sweep").set_value(True).run()
    assert_ok(at)
    assert len(at.get("plotly_chart")) == 6
    assert "Final validation loss after 1 epoch against β" in texts(at)
    sweep = chart(at, "ad_beta_sweep")
    line = next(t for t in sweep["data"] if t["name"] == "start 1e-6")
    _, hd = runs((1e-6, 1.0), "nesterov", "multiplicative", 0.1, "mlp", 1, 999)
    np.testing.assert_allclose(arr(line["x"])[4], 0.1)
    np.testing.assert_allclose(arr(line["y"])[4], hd.final_val_loss[0])


def test_beta_too_large_blows_every_run_up():
    at = open_page(PAGE, {"ad_opt": "Adam", "ad_beta": "0.1", "ad_model": "MLP 64-32-10"})
    at.slider(key="ad_epochs").set_value(1).run()
    exp = assert_page(at, family="adam", beta=0.1, model="mlp", epochs=1)
    assert exp["hd"].diverged.all() and not exp["fixed"].diverged.any()
    assert "5 of the 5 Adam-HD runs diverged" in texts(at)
    assert exp["answer"] == 4
    spec = chart(at, "ad_rates")
    assert sum(t["mode"] == "markers" for t in spec["data"]) == 5  # an x where each blew up


def test_seven_rates_and_the_longest_run():
    lrs = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)
    at = open_page(PAGE, {"ad_lrs": [fmt(v) for v in lrs], "ad_epochs": "15"})
    assert at.slider(key="ad_epochs").value == 15
    assert_page(at, lrs=lrs, epochs=15)


def test_no_rate_chosen_falls_back_to_the_defaults():
    at = open_page(PAGE)
    at.multiselect(key="ad_lrs").set_value([]).run()
    assert_ok(at)
    assert "No starting rate chosen" in at.info[0].value
    assert_page(at)


def test_one_rate_asks_for_more():
    at = open_page(PAGE, {"ad_lrs": "0.01"})
    assert_page(at, lrs=(0.01,))
    assert "Pick two or more starting rates" in texts(at)
    assert not at.radio  # no question about a spread of one


def test_paper_beta_button_follows_the_family():
    at = open_page(PAGE, {"ad_opt": "Adam", "ad_epochs": "1"})
    assert at.segmented_control(key="ad_opt").value == "adam"
    assert at.button(key="ad_paper").label.endswith("1e-7")
    at.button(key="ad_paper").click().run()
    assert at.select_slider(key="ad_beta").value == 1e-7
    assert_page(at, family="adam", beta=1e-7, epochs=1)
    at.button(key="ad_poster").click().run()
    assert at.select_slider(key="ad_beta").value == 1e-4
    at.button(key="ad_remeasure").click().run()
    assert_ok(at)


def test_surface_extremes(page):
    at = page
    at.select_slider(key="ad_kappa").set_value(100.0)
    at.segmented_control(key="ad_start").set_value("wall")
    at.select_slider(key="ad_slr").set_value(0.3)
    at.select_slider(key="ad_sbeta").set_value(0.1)
    at.slider(key="ad_steps").set_value(300).run()
    assert_ok(at)
    kw = dict(kappa=100.0, where="wall", lr0=0.3, beta=0.1, steps=300)
    assert_surface(at, **kw)
    assert "diverged" in texts(at)
    at.select_slider(key="ad_kappa").set_value(3.0)
    at.select_slider(key="ad_slr").set_value(1e-5)
    at.segmented_control(key="ad_srule").set_value("multiplicative").run()
    at.select_slider(key="ad_sbetam").set_value(2.0)
    at.slider(key="ad_steps").set_value(20).run()
    assert_ok(at)
    assert_surface(at, kappa=3.0, where="wall", lr0=1e-5, rule="multiplicative", beta=2.0, steps=20)


def test_link_reopens_the_view():
    q = {
        "ad_lrs": ["1e-4", "0.01"],
        "ad_opt": "SGDN (Nesterov)",
        "ad_beta": "1e-4",
        "ad_epochs": "2",
        "ad_seed": "7",
        "ad_kappa": "30",
        "ad_start": "on the steep wall",
        "ad_slr": "1e-4",
        "ad_sbeta": "1e-5",
        "ad_steps": "120",
    }
    at = open_page(PAGE, q)
    assert at.multiselect(key="ad_lrs").value == [1e-4, 0.01]
    assert at.segmented_control(key="ad_opt").value == "nesterov"
    assert at.select_slider(key="ad_beta").value == 1e-4
    assert at.slider(key="ad_epochs").value == 2 and at.number_input(key="ad_seed").value == 7
    assert at.select_slider(key="ad_kappa").value == 30.0
    assert at.segmented_control(key="ad_start").value == "wall"
    assert at.slider(key="ad_steps").value == 120
    assert_page(at, lrs=(1e-4, 0.01), family="nesterov", beta=1e-4, epochs=2, seed=7)
    assert_surface(at, kappa=30.0, where="wall", lr0=1e-4, beta=1e-5, steps=120)


def test_malformed_link_falls_back_to_defaults():
    q = {
        "ad_lrs": ["banana", "7"],
        "ad_opt": "LBFGS",
        "ad_beta": "42",
        "ad_epochs": "999",
        "ad_seed": "-3",
        "ad_model": "resnet",
        "ad_kappa": "abc",
        "ad_steps": "1e9",
        "ad_sweep": "maybe",
    }
    at = open_page(PAGE, q)
    assert at.multiselect(key="ad_lrs").value == list(DEFAULT["lrs"])
    assert at.segmented_control(key="ad_opt").value == "sgd"
    assert at.select_slider(key="ad_beta").value == 1e-3
    assert at.slider(key="ad_epochs").value == 5
    assert at.select_slider(key="ad_kappa").value == 10.0
    assert at.toggle(key="ad_sweep").value is False
    assert_page(at)
    assert_surface(at)


def test_lecture_mode():
    at = open_page(PAGE, lecture=True)
    assert_page(at)
    spec = chart(at, "ad_rates")
    assert spec["layout"]["font"]["size"] == 20  # projector-sized
    assert not at.expander[0].proto.expanded  # the narrative folds away
