"""The model of "Adaptive learning rate" without Streamlit: its runs against independent engine
calls, captions against the charts they describe, labels against verdicts (presets and the
guide's link), the old links' labels, and the live timing kept out of the cached compute."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import io
import math
import re

import numpy as np
import pytest

from engine import fmt
from engine.data import load_dataset
from engine.descent import run_descent
from engine.models import ModelSpec
from engine.optim import Optimizer
from engine.surfaces import ill_conditioned
from engine.train import classify_run, train
from engine.verdict import Kind
from lessons.adaptive import model, view
from lessons.adaptive.model import TrainParams, ValleyParams
from lessons.ui import fields as F
from lessons.ui import guide
from takehome import build_notebook, lit
from tests.lessons.test_takehome_panels import extremes
from tests.takehome.helpers import carries, check_names

DATA = load_dataset("digits")
SPECS = {"softmax": ModelSpec("softmax", 64, 10), "mlp": ModelSpec("mlp", 64, 10, hidden=(32,))}
GUIDE = next(s for s in guide.PLAN if s.path == "lessons/adaptive/page.py")

#: the views whose labels are checked: the defaults (= the guide's link), the paper's and the
#: poster's beta, Adam with its paper beta, the largest multiplicative step, and a beta so
#: large that every Adam-HD run blows up
PRESETS = {
    "defaults": TrainParams(),
    "poster": TrainParams(beta_add=model.POSTER_BETA),
    "adam-paper": TrainParams(family="adam", beta_add=1e-7, epochs=2),
    "hdm-2": TrainParams(rule="multiplicative", beta_mul=2.0, epochs=2),
    "blow-up": TrainParams(family="adam", beta_add=0.1, model="mlp", epochs=1),
}


@functools.cache
def result(p: TrainParams) -> model.TrainResult:
    return model.compute_training(p)


@functools.cache
def engine_runs(p: TrainParams):
    kw = dict(epochs=p.epochs, batch_size=64, seed=p.seed)
    lrs = list(p.rates)
    fixed = train(SPECS[p.model], DATA, lrs, optimizer=Optimizer(p.family), **kw)
    opt = Optimizer(p.family, hypergrad=p.rule, hyper_lr=p.beta)
    return fixed, train(SPECS[p.model], DATA, lrs, optimizer=opt, **kw)


def test_the_guides_link_is_the_default_view_and_its_words_hold():
    p, notes = F.from_query(TrainParams, GUIDE.query)
    assert notes == [] and p == TrainParams()
    r = result(p)
    assert GUIDE.expect in r.sens.text
    # "the HD rates climb towards each other to about 0.07 ... the spread of final losses
    # shrinks about 20x"
    finals = model.final_rates(r)
    assert np.sum(np.abs(finals - 0.07) < 0.01) >= 4 and 15 < r.sens.ratio < 25


def test_runs_are_the_engines():
    p = TrainParams()
    r = result(p)
    fixed, hd = engine_runs(p)
    np.testing.assert_array_equal(r.fixed.lr, fixed.lr)
    np.testing.assert_array_equal(r.hd.lr, hd.lr)
    np.testing.assert_array_equal(r.hd.final_val_loss, hd.final_val_loss)
    np.testing.assert_array_equal(r.fixed.train_loss, fixed.train_loss)
    assert np.all(r.fixed.lr == np.asarray(p.rates)[:, None])  # a fixed rate stays put
    # HD starts at the starting rate and adapts it from the second iteration on (the caption)
    assert np.all(r.hd.lr[:, 0] == np.asarray(p.rates)) and np.all(r.hd.lr[:, 1] != r.hd.lr[:, 0])
    assert "from the second iteration on" in model.rates_caption(r, model.rate_panels(r))


def _numbers(text: str) -> list[str]:
    return re.findall(r"\d+(?:\.\d+)?(?:e[+-]?\d+)?", text)


@pytest.mark.parametrize("name", ["defaults", "hdm-2", "blow-up"])
def test_the_rate_caption_states_what_the_rate_panels_show(name):
    p = PRESETS[name]
    r = result(p)
    panels = model.rate_panels(r)
    fig = view.rates_figure(r, panels, big=False)
    lines = [t for t in fig.data if t.mode == "lines"]
    right = [t for t in lines if t.xaxis == "x2"]
    left = [t for t in lines if t.xaxis == "x"]
    drawn_ends = [float(np.asarray(t.y, dtype=float)[np.isfinite(np.asarray(t.y, float))][-1])
                  for t in right if np.isfinite(np.asarray(t.y, dtype=float)).any()]  # fmt: skip
    caption = model.rates_caption(r, panels)
    if drawn_ends:
        lo, hi = fmt.rate(min(drawn_ends)), fmt.rate(max(drawn_ends))
        assert f"The HD rates end between {lo} and {hi}" in caption
    else:
        assert "The HD rates end" not in caption
    starts = [float(np.asarray(t.y, dtype=float)[0]) for t in left]
    assert f"from {fmt.rate(min(starts))} to {fmt.rate(max(starts))}" in caption
    lost = sum(1 for t in right if not np.isfinite(np.asarray(t.y, dtype=float)).any())
    assert (f"{lost} HD run(s) have no positive rate" in caption) == (lost > 0)
    # the panel names are the model's, on each panel (wrapped after a comma for a phone)
    fixed_name, hd_name = (t.replace(", ", ",<br>") for t in model.panel_titles(r))
    assert fixed_name in fig.layout.xaxis.title.text and hd_name in fig.layout.xaxis2.title.text


def test_the_quiz_and_its_answer_come_from_the_final_rates():
    for p in PRESETS.values():
        r = result(p)
        q = model.question(p, r)
        finals = model.final_rates(r)
        if q.answer == 2:
            assert finals.max() / finals.min() <= 2
        if q.answer == 4:
            assert r.hd.diverged.any() or np.any(~(finals > 0))
        assert f"they end between {fmt.rate(float(np.nanmin(finals)))}" in q.explanation
    one = dataclasses.replace(TrainParams(), lrs=(0.01,))
    assert model.question(one, result(one)) is None


@pytest.mark.parametrize("name", list(PRESETS))
def test_no_label_contradicts_its_verdict(name):
    """A row's label names the HD run; its kind is the engine's verdict on that very run; the
    fixed-rate run's own verdict is named in the text; the sensitivity sentence agrees."""
    p = PRESETS[name]
    r = result(p)
    fixed, hd = engine_runs(p)
    both = np.concatenate([fixed.final_val_loss, hd.final_val_loss])
    ref = float(both[np.isfinite(both)].min()) if np.isfinite(both).any() else None
    rows = model.rows(p, r)
    assert len(rows) == len(p.rates)
    for k, row in enumerate(rows):
        assert row.label == f"{p.name} from {fmt.rate(p.rates[k])}"
        assert row.kind == model.as_kind(classify_run(hd, k, reference=ref)[0])
        fixed_kind = model.as_kind(classify_run(fixed, k, reference=ref)[0])
        assert f"The same start at a fixed rate: {fixed_kind}," in row.text
        assert (row.kind == Kind.DIVERGED) == bool(hd.diverged[k])
        if hd.diverged[k]:
            assert f"diverged at iteration {int(hd.diverged_at[k])}" in row.text
    n_div = sum(row.kind == Kind.DIVERGED for row in rows)
    if n_div:
        assert f"{n_div} of the {len(rows)} {p.name} runs diverged" in r.sens.text
    if name == "blow-up":
        assert n_div == len(rows)


def test_captions_name_no_colour_the_dark_theme_redraws():
    r = result(TrainParams())
    for caption in (model.sensitivity_caption(r), model.loss_caption(r)):
        assert "black" not in caption
    fig = view.sens_figure(r, big=False)
    assert fig.data[1].line.dash == "dash" and "dashed line" in model.sensitivity_caption(r)


def test_old_links_keep_their_labels():
    """Every option is labelled as the old page labelled it (hypergrad's 2-digit rates), so
    saved links and the guide's link still name valid options."""
    old_labels = {  # as the old page wrote them (hypergrad's 2-digit rate formatter)
        "ad_lrs": "1e-6 3e-6 1e-5 3e-5 1e-4 3e-4 0.001 0.003 0.01 0.03 0.1 0.3 1",
        "ad_beta": "0 1e-8 3e-8 1e-7 3e-7 1e-6 3e-6 1e-5 3e-5 1e-4 3e-4 0.001 0.003 0.01 0.03 "
        "0.1 0.3 1",
        "ad_betam": "0 0.001 0.003 0.01 0.03 0.1 0.3 1 2",
        "ad_slr": "1e-5 3e-5 1e-4 3e-4 0.001 0.003 0.01 0.03 0.1 0.3",
        "ad_sbeta": "0 1e-5 3e-5 1e-4 3e-4 0.001 0.003 0.01 0.03 0.1",
        "ad_sbetam": "0 0.001 0.003 0.01 0.03 0.1 0.3 1 2",
    }
    for params in (TrainParams, ValleyParams):
        for spec in F.fields(params).values():
            if spec.key in old_labels:
                assert " ".join(spec.name(o) for o in spec.options) == old_labels[spec.key]
    assert F.field_of(ValleyParams, "kappa").names == ("3", "10", "30", "100")
    old = {
        "ad_lrs": ["1e-4", "0.01"],
        "ad_opt": "SGDN (Nesterov)",
        "ad_model": "MLP 64-32-10",
        "ad_beta": "1e-4",
        "ad_start": "on the steep wall",
    }
    (p, notes) = F.from_query(TrainParams, old)
    assert notes == [] and (p.lrs, p.family, p.model, p.beta) == (
        (1e-4, 0.01),
        "nesterov",
        "mlp",
        1e-4,
    )
    many = {"ad_lrs": [fmt.rate(v) for v in model.LR_OPTIONS[:9]]}
    p, (note,) = F.from_query(TrainParams, many)
    assert p.lrs == model.LR_OPTIONS[: model.MAX_RATES] and "more than 7" in note.text


def test_the_timing_is_not_part_of_the_cached_compute(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("compute_training timed something")

    monkeypatch.setattr(model, "measure_cost", boom)
    p = dataclasses.replace(TrainParams(), epochs=1)
    r = model.compute_training(p)
    assert not any("time" in f.name or "cost" in f.name for f in dataclasses.fields(r))
    key = model.cost_key(p)
    fake = {"iter_fixed": 3e-4, "iter_hd": 3.1e-4, "update_fixed": 7e-6, "update_hd": 1.6e-5,
            "P": 650.0}  # fmt: skip
    words = model.cost_words(key, fake)
    assert words.startswith("Measured on this server")
    assert "P = 650 float64 numbers = 5,200 bytes per model (5 model(s): 26,000 bytes)" in words
    assert [m[1] for m in model.cost_metrics(key, fake)] == ["300 µs", "310 µs", "5.2 kB"]


# ------------------------------------------------------------------ the valley


@functools.cache
def valley(p: ValleyParams) -> model.ValleyResult:
    return model.compute_valley(p)


@pytest.mark.parametrize(
    "p",
    [ValleyParams(), ValleyParams(kappa=100.0, start="wall", lr0=0.3, beta_add=0.1, steps=300)],
    ids=["defaults", "wall"],
)
def test_valley_runs_rows_and_caption(p):
    r = valley(p)
    s = ill_conditioned(kappa=p.kappa, angle=30.0)
    opt = Optimizer("sgd", hypergrad=p.rule, hyper_lr=p.beta)
    hd = run_descent(s, model.valley_start(p.kappa, p.start), [p.lr0], optimizer=opt, steps=p.steps)
    np.testing.assert_array_equal(r.hd.rate, hd.lr_trace[0])
    rows = model.valley_rows(p, r)
    assert rows[0].kind == model.as_kind(hd.verdicts[0].kind)
    assert rows[0].text.endswith(hd.verdicts[0].text)
    assert r.limit == pytest.approx(2 / p.kappa) and r.ideal == pytest.approx(1.0)
    # the caption's numbers are the reference lines the chart draws, labelled where they are
    _, rate = view.valley_figures(r, big=False)
    values = sorted(sh.y0 for sh in rate.layout.shapes)
    assert values == sorted([r.limit, r.ideal])
    caption = model.valley_rate_caption(r)
    for v in values:
        assert fmt.rate(v) in caption
    for note in rate.layout.annotations:  # an annotation on a log axis sits at log10 of it
        v = float(note.text.split("= ")[1])
        assert note.y == pytest.approx(math.log10(v), abs=0.01)


# ------------------------------------------------------------------ take it home

ENGINE_MODULES = {"engine", "engine.hypergrad"}
TORCH_MODULES = {"math", "numpy", "torch", "engine.data", "engine.models"}
#: the training views whose code is checked: the defaults (= the guide's link), both extremes,
#: and the presets above (Adam with its paper beta, the largest multiplicative step ...)
TRAIN_VIEWS = {
    "defaults": TrainParams(),
    "low": extremes(TrainParams)[0],
    "high": extremes(TrainParams)[1],
    "nesterov-sweep": TrainParams(family="nesterov", lrs=(1e-4, 0.01), epochs=1, sweep=True),
    **{k: v for k, v in PRESETS.items() if k != "defaults"},
}
VALLEY_VIEWS = {
    "defaults": ValleyParams(),
    "low": extremes(ValleyParams)[0],
    "high": extremes(ValleyParams)[1],
    "wall-hdm": ValleyParams(start="wall", rule="multiplicative", kappa=30.0, lr0=0.01),
}


def engine_cell(th) -> str:
    """The notebook's engine cell (its first code cell), as a download would hold it."""
    nb = build_notebook(title="Adaptive learning rate", engine=th.engine, torch=th.torch)
    return next(c.source for c in nb.cells if c.cell_type == "code")


def run_cell(th) -> tuple[dict, str]:
    ns: dict = {}
    with contextlib.redirect_stdout(io.StringIO()) as out:
        exec(engine_cell(th), ns)  # noqa: S102
    return ns, out.getvalue()


def same(got, want):
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)


def test_the_training_code_is_built_from_the_params_alone():
    p = TrainParams()
    assert model.takehome_training(p, result(p)) == model.takehome_training(p)


@pytest.mark.parametrize("p", list(TRAIN_VIEWS.values()), ids=list(TRAIN_VIEWS))
def test_the_training_code_carries_the_view(p):
    th = model.takehome_training(p)  # the params alone (the "high" view trains for seconds)
    eng, tor = th.engine.source, th.torch.source
    check_names(eng, modules=ENGINE_MODULES)
    check_names(tor, modules=TORCH_MODULES)
    for src in (eng, tor):
        carries(src, *p.rates, p.beta, p.family, p.rule, p.model, p.epochs, p.seed, 64)
    # the torch HD optimiser: the short class, with the family's constants and its epsilon
    # placement said in a comment
    assert "class HDOptimizer(torch.optim.Optimizer)" in tor
    assert "added to sqrt(v_hat) AFTER bias correction" in tor
    assert f"base={lit(p.family)}" in tor and f"rule={lit(p.rule)}" in tor
    if p.family == "nesterov":
        carries(tor, 0.9)
    if p.family == "adam":
        carries(tor, 0.9, 0.999, 1e-8)
    fixed = {"sgd": "torch.optim.SGD(model.parameters(), lr=lr)", "adam": "torch.optim.Adam("}
    note = th.torch.notes[-1]
    assert fixed.get(p.family, "nesterov=True") in note
    assert ("sweep = {" in eng) == p.sweep
    if p.sweep:
        betas, n_ep = model.sweep_plan(p)
        carries(eng, *betas, n_ep)


@pytest.mark.parametrize(
    "p",
    [TrainParams(), TRAIN_VIEWS["nesterov-sweep"], PRESETS["adam-paper"]],
    ids=["defaults", "nesterov-sweep", "adam-paper"],
)
def test_the_notebooks_engine_cell_reproduces_the_training(p):
    r = result(p)
    ns, out = run_cell(model.takehome_training(p, r))
    for name, runs in (("fixed", r.fixed), ("hd", r.hd)):
        h = ns[name]
        same(h.lrs, runs.lrs)
        same(h.lr, runs.lr)
        same(h.train_loss, runs.train_loss)
        same(h.final_val_loss, runs.final_val_loss)
        same(h.final_val_acc, runs.final_val_acc)
    words = ns["words"]
    assert words.text == r.sens.text and words.text in out
    same([words.spread_fixed, words.spread_hd], [r.sens.spread_fixed, r.sens.spread_hd])
    if p.sweep:
        same(np.stack([ns["sweep"][b] for b in r.sweep.betas]), r.sweep.finals)


@pytest.mark.parametrize("p", list(VALLEY_VIEWS.values()), ids=list(VALLEY_VIEWS))
def test_the_valley_code_carries_the_view_and_reproduces_its_runs(p):
    r = valley(p)
    th = model.takehome_valley(p, r)
    eng, tor = th.engine.source, th.torch.source
    check_names(eng, modules=ENGINE_MODULES)
    check_names(tor, modules=TORCH_MODULES)
    for src in (eng, tor):
        carries(src, *r.x0, p.lr0, p.rule, p.steps)
    carries(tor, p.beta)
    if p.beta:  # hyper_lr = 0 is the Optimizer's default, left unsaid in the engine's code
        carries(eng, p.beta)
    carries(eng, p.kappa, 30.0, "polyak", 1.0)
    # torch writes the valley out: 1/2 [x y] A [x y]^T with the page's A
    a = ill_conditioned(kappa=p.kappa, angle=30.0).hessian((0.0, 0.0))
    carries(tor, float(a[0, 0]), float(a[0, 1]), float(a[1, 1]))
    assert "polyak" not in tor.lower() and "Polyak" in th.torch.notes[-1]
    assert th.torch_label == "PyTorch autograd"
    ns, out = run_cell(th)
    res = ns["result"]
    for i, run in enumerate((r.hd, r.fixed, r.polyak)):  # the page's three runs, in order
        same(res.path[i], run.path)
        same(res.lr_trace[i], run.rate)
        same(res.loss[i], run.loss)
        assert model.as_kind(res.verdicts[i].kind) == run.kind
        assert res.verdicts[i].text == run.text and run.text in out
