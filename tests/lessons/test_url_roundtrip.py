"""Shareable views: for every page, move widgets off their defaults, rebuild the link from the
page's own URL state, open a fresh session with it, and check it shows the same numbers.

"The same numbers" is checked on what the learner sees: every widget value, every chart's data
(the plotly JSON sent to the browser) and every sentence on the page (verdicts included).
"""

from __future__ import annotations

import pytest

from lessons.ui import pages
from tests.lessons.apptest import address_bar, assert_ok, open_page, texts

#: per page, non-default widget values to set (by key) before reading the link back
CHANGES: dict[str, dict[str, object]] = {
    "lessons/what_is_lr/page.py": {"w_lr": 1.5, "w_a": 2.0, "w_w0": -3.0},  # restarts the walk
    "lessons/child_dogs/page.py": {"cd_lr": 0.6, "cd_seq": "BBWBBCW", "cd_rich": True},
    "lessons/descent_1d/page.py": {
        "d1_a": 2.0,
        "d1_x0_quadratic": -3.0,
        "d1_lr1": 0.05,
        "d1_lr3": 0.0,
        "d1_steps": 50,
        "d1_model": True,
    },
    "lessons/descent_2d/page.py": {
        "d2_kappa": 40.0,
        "d2_x0": 3.0,
        "d2_y0": 1.0,
        "d2_n": 4,
        "d2_lr2": 0.06,
        "d2_steps": 200,
        "d2_view": "Loss vs step",  # a tab (controls.tabs), not a widget
    },
    "lessons/four_regimes/page.py": {
        "fr_show": True,
        "fr_lr_high": 5,
        "fr_lr_good": 0.5,
        "fr_epochs": 5,
        "fr_curve": "epoch mean",
        "fr_seed": 3,
    },
    "lessons/cyclical/page.py": {
        "cy_min": 0.1,
        "cy_max": 0.8,
        "cy_sched": ["triangular", "onecycle"],
        "cy_const": "max",
        "cy_step": 1.0,
        "cy_epochs": 6,
        "cy_seed": 2,
    },
    "lessons/coarse_to_fine/page.py": {
        "cf_range": (1e-6, 10.0),
        "cf_sampling": "random",
        "cf_seed": 3,
        "cf_subset": 0.5,
        "cf_halving": False,
    },
    "lessons/adaptive/page.py": {
        "ad_lrs": [1e-4, 0.01, 1.0],
        "ad_rule": "multiplicative",
        "ad_epochs": 3,
        "ad_seed": 4,
        "ad_kappa": 30.0,
        "ad_steps": 40,
    },
    "lessons/range_test/page.py": {
        "rt_data": "moons",
        "rt_min": 1e-3,
        "rt_max": 20.0,
        "rt_iters": 500,
        "rt_mode": "linear",
        "rt_beta": 0.9,
        "rt_stop": 5.0,
        "rt_seed": 3,
        "rt_try": "steepest",
        "rt_epochs": 3,
        "rt_view": "accuracy",
        "rt_val": 5,
    },
}

WIDGET_KINDS = (
    "slider",
    "select_slider",
    "selectbox",
    "radio",
    "multiselect",
    "toggle",
    "checkbox",
    "text_input",
    "number_input",
    "button_group",
)


def widget(at, key: str):
    """The widget with ``key``, whatever its kind."""
    for kind in WIDGET_KINDS:
        for w in at.get(kind):
            if getattr(w, "key", None) == key:
                return w
    raise KeyError(f"no widget with key {key!r} on the page")


def link_params(at, path: str) -> dict[str, list[str]]:
    """What a copied link holds: the page's address bar (the runner keeps it canonical)."""
    return {k: v for k, v in address_bar(at).items() if k != "lecture"}


def charts(at) -> list[str]:
    return [el.proto.spec for el in at.get("plotly_chart")]


def available_changes():
    paths = {p.path for p in pages.available()}
    return [
        pytest.param(path, ch, id=path.split("/")[-1])
        for path, ch in CHANGES.items()
        if path in paths
    ]


def test_every_page_has_a_roundtrip_case():
    lessons = {p.path for p in pages.available() if p.section == "Lessons"}
    assert lessons <= set(CHANGES), f"add a CHANGES entry for {sorted(lessons - set(CHANGES))}"


@pytest.mark.parametrize(("path", "changes"), available_changes())
def test_link_reproduces_the_view(path, changes):
    at = open_page(path)
    before = charts(at)
    for key, value in changes.items():
        try:
            widget(at, key).set_value(value)
        except KeyError:  # bound tabs are not widgets in AppTest: choose one through the state
            at.session_state[key] = value
    at.run()
    assert_ok(at)
    params = link_params(at, path)
    assert set(changes) <= set(params), f"not in the link: {set(changes) - set(params)}"
    assert charts(at) != before, "the changes did not change any chart"

    fresh = open_page(path, params)
    for key in changes:
        assert fresh.session_state[key] == at.session_state[key], key
    assert charts(fresh) == charts(at)
    assert texts(fresh) == texts(at)


def test_a_link_may_name_an_option_by_its_label_or_its_value():
    """An option in a link is read by its label or by the value behind it (the shared link
    check); anything else is named in a notice on the page, never silently dropped."""
    at = open_page("lessons/cyclical/page.py", {"cy_const": "upper bound", "cy_epochs": "2"})
    assert at.session_state["cy_const"] == "max" and not at.info
    at = open_page("lessons/cyclical/page.py", {"cy_const": "max", "cy_epochs": "2"})
    assert at.session_state["cy_const"] == "max" and not at.info
    at = open_page("lessons/cyclical/page.py", {"cy_const": "sideways", "cy_epochs": "2"})
    assert at.session_state["cy_const"] == "min"
    assert any("Constant rate at" in str(e.value) for e in at.info)
