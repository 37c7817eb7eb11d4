"""Builders of "The child and the dogs": icons, HTML strips and figures, without Streamlit."""

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from engine.child import ANIMALS, DEFAULT_SEQUENCE, FEATURES, learn_colour, learn_features
from lessons.ui import fig_child as fc
from lessons.ui.style import color


@pytest.mark.parametrize("letter", list(ANIMALS))
def test_icons_are_small_well_formed_svgs(letter):
    path = fc.ASSETS / fc.ICON_FILES[letter]
    assert path.stat().st_size < 2048
    root = ET.fromstring(fc.icon_svg(letter))
    assert root.tag.endswith("svg") and root.get("viewBox") == "0 0 64 48"
    assert fc.icon_uri(letter).startswith("data:image/svg+xml;base64,")
    assert ANIMALS[letter].name == fc.NAMES[letter]


def test_imagined_dog_is_shaded_by_the_belief():
    assert fc.grey_of(1.0) == "#1f1f1f" and fc.grey_of(0.0) == "#ffffff"
    assert fc.grey_of(-3.0) == "#ffffff" and fc.grey_of(7.0) == "#1f1f1f"
    assert fc.grey_of(np.inf) == "#1f1f1f" and fc.grey_of(np.nan) == "#ffffff"
    dark, light = fc.imagined_dog_svg(1.0), fc.imagined_dog_svg(0.0)
    ET.fromstring(dark)
    assert 'fill="#1f1f1f"' in dark and 'fill="#ffffff"/>' in dark  # dark body, white eye
    assert 'href="#d" fill="#ffffff"' in light  # a white dog, still outlined
    assert fc.imagined_dog_svg(0.5) != fc.icon_svg("W")


def test_fmt_belief():
    assert fc.fmt_belief(0.6912) == "0.69"
    assert fc.fmt_belief(-0.5) == "−0.50"
    assert fc.fmt_belief(-1234.0) == "−1.2e3"
    assert fc.fmt_belief(np.inf) == "∞"


def test_strip_has_one_cell_per_animal_plus_the_start():
    run = learn_colour(DEFAULT_SEQUENCE, [1.5])
    html = fc.strip_html(DEFAULT_SEQUENCE, run.belief[0])
    n = len(DEFAULT_SEQUENCE)
    assert html.count('class="cd-cell') == n + 1
    assert html.count('alt="imagined dog"') == n + 1
    assert html.count('alt="black dog"') == 10 and html.count('alt="white dog"') == 1
    assert "cd-over" in html  # 1.5 overshoots: framed
    assert "−0.50" in html
    with pytest.raises(ValueError):
        fc.strip_html("BW", [0.5, 0.6])


def test_comparison_rows_line_up():
    seq = "BBCW"
    run = learn_colour(seq, [0.05, 0.3, 0.9])
    html = fc.comparison_html(seq, run.belief, ["a", "b", "c"], ["x", "y", "z"], big=True)
    assert html.count('class="cd-cell') == (len(seq) + 1) * 4  # animals row + 3 rows
    assert "cd-big" in html and "= " in html  # a cat leaves the belief alone: "= b"
    with pytest.raises(ValueError):
        fc.comparison_html(seq, run.belief, ["a"], ["x"])


def test_belief_figure_traces_and_range():
    run = learn_colour(DEFAULT_SEQUENCE, [0.05, 0.3, 2.5])
    fig = fc.belief_figure(
        DEFAULT_SEQUENCE, run.belief, ["a", "b", "c"], run.truth, styles=[1, 2, 3]
    )
    names = [t.name for t in fig.data]
    assert names[0].startswith("share of black dogs") and names[1:4] == ["a", "b", "c"]
    assert fig.data[1].line.color == color(1)  # styles pick the look
    assert {"black dog", "white dog"} <= set(names)
    lo, hi = fig.layout.yaxis.range
    assert (lo, hi) == (-3.0, 4.0)  # diverging run: range capped
    # the animals sit in their own strip above the plot, where no clipped line can cross them
    animals = [t for t in fig.data if t.name in {"black dog", "white dog"}]
    assert all(t.yaxis == "y2" for t in animals)
    assert all(t.yaxis in (None, "y") for t in fig.data if t not in animals)
    assert fig.layout.yaxis2.domain[0] > fig.layout.yaxis.domain[1]


def test_feature_figures():
    run = learn_features("BCW", [0.3, 0.9])
    fig = fc.weights_figure("BCW", run.weights[0], FEATURES, "lr 0.3")
    assert [t.name for t in fig.data] == list(FEATURES)
    fig = fc.p_dog_figure(run.p_white_dog, ["a", "b"], styles=[2, 3])
    assert [t.name for t in fig.data] == ["a", "b"] and fig.data[0].line.color == color(2)
