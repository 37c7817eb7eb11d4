"""Every lesson's "Take it home" panel, from its model alone (no Streamlit).

For every converted lesson section that has one, at its defaults, at its extremes and at every
teacher's-guide link: the engine code and the PyTorch code parse, import only what they are
meant to, call nothing dangerous, and the notebook of the view validates.  At the defaults the
engine code runs (in a fresh namespace, as a notebook would).  Each lesson's own model test
checks that its code carries the page's values and reproduces the page's numbers.
"""

from __future__ import annotations

import ast
import contextlib
import io

import nbformat
import pytest

from lessons.ui import fields as F
from lessons.ui import guide
from takehome import notebook_json
from tests.lessons.lessons_index import converted

ALLOWED_MODULES = {"engine", "numpy", "math", "torch", "torch_lr_finder", "collections"}
FORBIDDEN_NAMES = {"eval", "exec", "open", "compile", "__import__", "globals", "getattr"}

SECTIONS = [
    pytest.param(info, section, id=f"{info.url_path}-{i}")
    for info, lesson in converted()
    for i, section in enumerate(lesson.sections)
    if section.takehome is not None
]


def extremes(params_cls) -> list:
    """Every field at its low end, and every field at its high end (two views)."""
    lows, highs = {}, {}
    for name, spec in F.fields(params_cls).items():
        if spec.kind == "number":
            lows[name], highs[name] = spec.lo, spec.hi
            if spec.integer:
                lows[name], highs[name] = int(spec.lo), int(spec.hi)
        elif spec.kind == "choice":
            lows[name], highs[name] = spec.options[0], spec.options[-1]
        elif spec.kind == "flag":
            lows[name], highs[name] = False, True
    return [params_cls(**lows), params_cls(**highs)]


def views(info, section) -> list:
    out = [section.params(), *extremes(section.params)]
    for step in guide.plan():
        if step.page.url_path == info.url_path:
            p, _ = F.from_query(section.params, step.query)
            out.append(p)
    return out


def check_source(src: str) -> None:
    tree = ast.parse(src)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            mods = [a.name.split(".")[0] for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            mods = [(node.module or "").split(".")[0]]
        else:
            mods = []
        assert set(mods) <= ALLOWED_MODULES, mods
        if isinstance(node, ast.Name):
            assert node.id not in FORBIDDEN_NAMES, node.id
        if isinstance(node, ast.Attribute):  # super().__init__ of an optimiser class only
            assert not node.attr.startswith("__") or node.attr == "__init__", node.attr


@pytest.mark.parametrize(("info", "section"), SECTIONS)
def test_take_home_code_parses_and_its_notebook_validates(info, section):
    for p in views(info, section):
        try:
            r = section.compute(p)
        except Exception:  # an extreme the page itself refuses is not this test's business
            continue
        th = section.takehome(p, r)
        check_source(th.engine.source)
        if th.torch is not None:
            check_source(th.torch.source)
        nb = nbformat.reads(
            notebook_json(
                title=info.title, url="https://lr-lab.example/x", engine=th.engine, torch=th.torch
            ),
            as_version=4,
        )
        nbformat.validate(nb)


@pytest.mark.parametrize(("info", "section"), SECTIONS)
def test_the_engine_code_runs_at_the_defaults(info, section):
    p = section.params()
    th = section.takehome(p, section.compute(p))
    ns: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(th.engine.source, f"<{info.url_path}>", "exec"), ns)  # noqa: S102


def test_the_panel_draws_the_views_code_only_when_opened():
    """On a page (Descent in 1-D, through the real entry point): closed, the panel holds no
    code (a browser draws none); opened (its state in ``st.session_state``, as a click sets
    it), it shows this view's engine and PyTorch code, as the model builds them for the
    link's settings, and the notebook download."""
    from lessons.descent_1d import model, view
    from lessons.ui.runner import take_home_key
    from tests.lessons.apptest import assert_ok, open_page

    query = {"d1_lr1": "0.05", "d1_steps": "50"}
    at = open_page("lessons/descent_1d/page.py", query)
    assert [e.label for e in at.expander if "Take it home" in e.label]
    assert not at.code
    assert not [b for b in at.get("download_button") if "notebook" in b.proto.label]

    at.session_state[take_home_key(view.LESSON, 0)] = True
    at.run()
    assert_ok(at)
    p, _ = F.from_query(model.Params, {k: [v] for k, v in query.items()})
    th = model.takehome(p, model.compute(p))
    shown = [c.value.strip() for c in at.code]  # st.code drops the final newline
    assert th.engine.source.strip() in shown
    assert th.torch is not None and th.torch.source.strip() in shown
    assert [b for b in at.get("download_button") if "notebook" in b.proto.label]
