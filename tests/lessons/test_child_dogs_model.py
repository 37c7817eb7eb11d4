"""The model of "The child and the dogs" (no Streamlit): its runs against the closed form of the
update rule, its presets and labels against its verdicts, its sentences against its numbers."""

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from engine.child import (
    ANIMALS,
    DEFAULT_SEQUENCE,
    MAX_LENGTH,
    colour_outcomes,
    feature_outcomes,
    learn_colour,
    learn_features,
)
from engine.verdict import Kind
from lessons.child_dogs import figures as fc
from lessons.child_dogs import model
from lessons.child_dogs.model import Params
from lessons.ui import fields as F
from lessons.ui import guide
from lessons.ui.style import for_dark

SEEDS = range(1, 13)


@pytest.fixture(scope="module")
def default():
    return model.compute(Params())


def closed_form(seq: str, lr: float, prior: float = 0.5) -> np.ndarray:
    """b <- (1 - lr) b + lr c after each dog; a cat leaves b alone."""
    b, out = prior, [prior]
    for ch in seq:
        a = ANIMALS[ch]
        if a.is_dog:
            b = (1 - lr) * b + lr * a.black
        out.append(b)
    return np.array(out)


def test_the_runs_are_the_update_rule(default):
    r = default
    assert r.rates == (0.3, 0.05, 0.3, 0.9)
    for i, lr in enumerate(r.rates):
        np.testing.assert_allclose(r.colour.belief[i], closed_form(DEFAULT_SEQUENCE, lr), 1e-12)
    assert [str(k) for k in r.kinds] == ["good", "too low", "good", "too high"]
    assert r.outcomes == colour_outcomes(learn_colour(DEFAULT_SEQUENCE, list(r.rates)))
    assert r.features is None  # the richer child only when shown
    rich = model.compute(Params(rich=True))
    assert rich.feature_outcomes == feature_outcomes(learn_features(DEFAULT_SEQUENCE, r.rates))


# ---------------------------------------------------------------- presets, labels and verdicts


def sequences() -> list[str]:
    """The story, its shuffles, 30 random dogs, the cats story, typed oddities."""
    out = [DEFAULT_SEQUENCE, model.CATS_SEQUENCE, "W", "B", "BW", "BBW", "C", "CK", "WWWWWB"]
    out += [model.random_story(s) for s in SEEDS]
    out += [model.shuffled(DEFAULT_SEQUENCE, s) for s in SEEDS[:4]]
    out += ["B" * (MAX_LENGTH - 1) + "W", "BKBCW" * 8]
    return out


def test_the_story_keeps_its_presets():
    assert [(p.name, p.rate, p.found) for p in model.presets(DEFAULT_SEQUENCE)] == [
        ("Too low", 0.05, True),
        ("Desirable", 0.3, True),
        ("Too high", 0.9, True),
    ]


@pytest.mark.parametrize("seq", sequences())
def test_presets_are_measured_and_every_label_agrees_with_its_verdict(seq):
    """Each preset found is a run of its kind on these animals; every row the page writes
    (colour child, richer child, the learner's own) is named by its own outcome."""
    for p in model.presets(seq):
        if p.found:
            o = colour_outcomes(learn_colour(seq, [p.rate]))[0]
            assert model.kind_of(o) == p.kind, (seq, p)
    for lr in (0.05, 0.9, 0.0, 1.5, 2.5, *(p.rate for p in model.presets(seq))):
        r = model.compute(Params(lr=lr, seq=seq, rich=True))
        for row in model.all_rows(r):
            assert model.agree(row.label, row.kind), (seq, lr, row)
        assert all(model.agree(lab, k) for lab, k in zip(model.labels(r), r.kinds, strict=True))


def test_random_dogs_and_the_richer_child_no_longer_mislabelled():
    """The issue's two cases: 30 random dogs made 'Too low, lr = 0.05' read 'good', and the
    richer child at 'Too high, lr = 0.9' read 'good'."""
    seq = next(s for s in (model.random_story(k) for k in SEEDS) if len(s) == 30)
    assert model.kind_of(colour_outcomes(learn_colour(seq, [0.05]))[0]) == Kind.GOOD
    low = model.presets(seq)[0]
    assert low.found and low.rate < 1 / 30 and low.kind == Kind.TOO_LOW  # measured: lower
    r = model.compute(Params(seq=seq))
    assert model.comparison_rows(r)[0].label == f"Too low, lr = {low.rate:g}"
    assert model.comparison_rows(r)[0].kind == Kind.TOO_LOW
    rich = model.compute(Params(lr=0.9, rich=True))
    kinds = dict(zip(rich.rates, rich.feature_kinds, strict=True))
    assert kinds[0.9] == Kind.GOOD  # he still calls a white dog a dog: barking outweighs colour
    labels = [row.label for row in model.feature_rows(rich)]
    assert "Desirable, lr = 0.9" in labels and "Too high, lr = 0.9" not in labels


def test_a_kind_no_rate_reaches_keeps_the_story_rate_and_its_own_label():
    (low, good, high) = model.presets("C")  # only a cat: no dog, nothing learned
    assert not (low.found or good.found or high.found)
    r = model.compute(Params(seq="C"))
    assert [row.label for row in model.comparison_rows(r)] == [
        "No dog yet, lr = 0.05",
        "No dog yet, lr = 0.3",
        "No dog yet, lr = 0.9",
    ]
    assert "No rate from 0.01 to 0.95" in model.preset_help(low)


def test_the_guides_link(default):
    step = next(s for s in guide.PLAN if s.path == "lessons/child_dogs/page.py")
    p, notes = F.from_query(Params, step.query)
    assert notes == [] and p.lr == 0.9
    r = model.compute(p)
    assert model.user_label(r) == "Too high, lr = 0.9" and r.kinds[0] == Kind.TOO_HIGH
    assert step.expect in model.comparison_caption(r)  # "all dogs are white", from the run
    assert all(model.agree(row.label, row.kind) for row in model.all_rows(r))


# ---------------------------------------------------------------- words from numbers


def test_question_answer_comes_from_the_story_run(default):
    q = model.question(default.params, default)
    assert default.story.belief[0, -1] == 0.0  # lr = 1 copies the white dog
    assert q.options[q.answer].startswith("That all dogs are white")
    assert "after the white dog b = 0." in q.explanation
    assert default.story_outcome.text in q.explanation


def test_the_last_step_in_numbers(default):
    b = 1 - 0.5 * 0.7**10  # ten black dogs at lr = 0.3 from 1/2
    eq = model.last_step_latex(default)
    assert eq == (
        rf"b \leftarrow {b:.3g} - 0.3\times({b:.3g} - 0) = {b:.3g} - 0.3\times {b:.3g} "
        rf"= {0.7 * b:.2g}"
    )
    diverged = model.compute(Params(lr=2.5, seq="BW" * 20))
    assert model.last_step_latex(diverged) is None  # |b| beyond 1e6: no numbers to print
    assert "no dog yet" in model.last_step_sentence(model.compute(Params(seq="CC"))).lower()


def test_captions_and_alt_texts_state_what_the_chart_shows(default):
    r = default
    assert "at lr = 0.9, all dogs are white" in model.comparison_caption(r)
    cap = model.belief_caption(r)
    assert "a dark ● for a black dog" in cap and "a white ○ for a white dog" in cap
    assert "cat" not in cap
    assert "black line" not in cap and "grey steps" in cap  # GREY is grey in both themes
    assert "cat" in model.belief_caption(model.compute(Params(seq="BCKW")))
    alt = model.belief_alt(r)
    for i in r.shown:
        assert f"b = {model.fmt.num(float(r.colour.belief[i, -1]))} at the end" in alt
    assert "91%" in alt  # 10 of the 11 dogs were black
    table = model.belief_table(r)
    assert list(table.columns[3:]) == [f"belief {model.labels(r)[i]}" for i in r.shown]


def test_a_typed_sequence_is_never_read_as_markdown():
    r = model.compute(Params(seq="B*X*_B"))
    msg = model.sequence_error(r)
    assert msg.startswith("Can't show the child `B*X*_B`:") and r.seq == DEFAULT_SEQUENCE
    assert model.code("a`b") == "`` a`b ``"
    assert model.sequence_error(model.compute(Params(seq="bb w"))) is None


def test_sequence_editing():
    assert model.added("BW", "C") == ("BWC", False)
    full = "W" + "B" * (MAX_LENGTH - 1)
    assert model.added(full, "W") == ("B" * (MAX_LENGTH - 1) + "W", True)
    assert model.removed("BW") == "B" and model.removed("B") == "B"
    s = model.shuffled(DEFAULT_SEQUENCE, 3)
    assert sorted(s) == sorted(DEFAULT_SEQUENCE) and s == model.shuffled(DEFAULT_SEQUENCE, 3)
    rnd = model.random_story(5)
    assert len(rnd) == 30 and set(rnd) <= {"B", "W"} and rnd == model.random_story(5)
    assert model.shown_sequence("xyz")[0] == DEFAULT_SEQUENCE


# ---------------------------------------------------------------- pictures


@pytest.mark.parametrize("letter", list(ANIMALS))
def test_icons_are_small_well_formed_svgs(letter):
    path = fc.ASSETS / fc.ICON_FILES[letter]
    assert path.stat().st_size < 2048
    root = ET.fromstring(fc.icon_svg(letter))
    assert root.tag.endswith("svg") and root.get("viewBox") == "0 0 64 48"
    assert ANIMALS[letter].name == fc.NAMES[letter]


def test_imagined_dog_is_shaded_by_the_belief():
    assert fc.grey_of(1.0) == "#1f1f1f" and fc.grey_of(0.0) == "#ffffff"
    assert fc.grey_of(-3.0) == "#ffffff" and fc.grey_of(np.inf) == "#1f1f1f"
    ET.fromstring(fc.imagined_dog_svg(0.4))


def test_strip_and_comparison_cells(default):
    r = default
    n = len(DEFAULT_SEQUENCE)
    strip = fc.strip_html(r.seq, r.colour.belief[0], alt=model.strip_alt(r))
    assert strip.count('alt="imagined dog"') == n + 1 and 'aria-label="11 animals' in strip
    over = fc.strip_html(r.seq, closed_form(r.seq, 1.5))
    assert "cd-over" in over and "-0.5" in over  # 1.5 overshoots past white: framed
    cmp_ = fc.comparison_html(r.seq, r.colour.belief[1:], model.labels(r)[1:], ["a", "b", "c"])
    assert cmp_.count('class="cd-cell') == 4 * (n + 1)
    with pytest.raises(ValueError):
        fc.strip_html("BW", [0.5, 0.6])


def test_the_story_stays_on_one_row_in_lecture_mode():
    """Twelve cells (the start and eleven animals) fit the main column of a 1280 px projector
    even with the sidebar open (820 px measured), so the row never wraps; a phone wraps."""
    assert fc.min_row_width(len(DEFAULT_SEQUENCE) + 1, big=True) <= 820
    assert fc.min_row_width(len(DEFAULT_SEQUENCE) + 1, big=False) <= 820
    css = fc.strip_html("B", [0.5, 0.6], big=True)
    assert "flex:1 1 var(--cdmin)" in css and "min-width:var(--cdmin)" in css
    assert ".cd-big{--cdw:84px;--cdmin:56px;--cdf:18px}" in css  # projector-sized text
    assert ".cd-big .cd-n{font-size:var(--cdf)}" in css


def _luminance(colour: str) -> float:
    h = colour.lstrip("#")
    return sum(w * int(h[i : i + 2], 16) / 255 for w, i in ((0.2126, 0), (0.7152, 2), (0.0722, 4)))


def test_every_mark_stays_visible_in_both_themes(default):
    """The page learns the browser's theme only after its first run: each animal's mark is a
    dark or white shape ringed in the other, visible on white and on Streamlit's dark
    background whether or not the figure was drawn for the dark theme."""
    r = default
    args = (r.seq, r.colour.belief[r.shown], ["a", "b", "c"], r.colour.truth)
    fig = fc.belief_figure(*args, styles=r.shown)
    for drawn in (fig, for_dark(fig)):
        marks = [t for t in drawn.data if t.name in fc.NAMES.values()]
        assert {t.name for t in marks} == {"black dog", "white dog"}
        for t in marks:
            for paper in ("#ffffff", "#0e1117"):
                seen = [
                    abs(_luminance(c) - _luminance(paper))
                    for c in (t.marker.color, t.marker.line.color)
                ]
                assert max(seen) > 0.6, (t.name, paper)
        black = next(t for t in marks if t.name == "black dog")
        assert _luminance(black.marker.color) < 0.2  # the caption's "a dark ●"


def test_belief_figure_traces_and_range():
    run = learn_colour(DEFAULT_SEQUENCE, [0.05, 0.3, 2.5])
    fig = fc.belief_figure(
        DEFAULT_SEQUENCE, run.belief, ["a", "b", "c"], run.truth, styles=[1, 2, 3]
    )
    names = [t.name for t in fig.data]
    assert names[0].startswith("share of black dogs") and names[1:4] == ["a", "b", "c"]
    assert tuple(fig.layout.yaxis.range) == (-3.0, 4.0)  # a diverging run: range capped
    animals = [t for t in fig.data if t.name in {"black dog", "white dog"}]
    assert all(t.yaxis == "y2" for t in animals)
    assert fig.layout.yaxis2.domain[0] > fig.layout.yaxis.domain[1]


def test_feature_figures():
    r = model.compute(Params(seq="BCW", rich=True))
    fig = fc.weights_figure(r.seq, r.features.weights[0], model.FEATURES, "lr 0.3")
    assert [t.name for t in fig.data] == list(model.FEATURES)
    shown = model.rich_shown(r)
    fig = fc.p_dog_figure(r.features.p_white_dog[shown], ["a"] * len(shown), styles=shown)
    np.testing.assert_allclose(fig.data[0].y, r.features.p_white_dog[0])
