"""Notebooks validate against nbformat v4 and their engine cells run, in one namespace."""

import json

import nbformat
import numpy as np
import pytest

from engine import ModelSpec, load_dataset, train
from takehome import (
    build_notebook,
    engine_descent,
    engine_train,
    function_spec,
    notebook_json,
    torch_descent,
    torch_range_test,
    torch_training,
)

URL = "https://lr-lab.streamlit.app/four_regimes?lrs=0.01,0.1&epochs=1"


def engine_cells(nb) -> list[str]:
    """The code cells before the PyTorch section."""
    out = []
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("## The same in PyTorch"):
            break
        if cell.cell_type == "code":
            out.append(cell.source)
    return out


def test_notebook_of_a_training_view_validates_and_its_engine_cells_run(capsys):
    engine = engine_train(model="softmax", lrs=(0.01, 0.1), epochs=1)
    torch = torch_training(model="softmax", lrs=(0.01, 0.1), epochs=1)
    nb = build_notebook(title="Four regimes", url=URL, engine=engine, torch=torch)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    head = nb.cells[0]
    assert head.cell_type == "markdown" and "Four regimes" in head.source and URL in head.source
    ns: dict = {}
    for code in engine_cells(nb):
        exec(compile(code, "<cell>", "exec"), ns)
    h = train(ModelSpec("softmax", 64, 10), load_dataset("digits"), [0.01, 0.1], epochs=1)
    np.testing.assert_array_equal(ns["history"].train_loss, h.train_loss)
    texts = [c.source for c in nb.cells if c.cell_type == "markdown"]
    assert any("pip install torch`" in t for t in texts)
    torch_cells = [c.source for c in nb.cells if c.cell_type == "code"][len(engine_cells(nb)) :]
    assert torch_cells[0].startswith("import math") and len(torch_cells) == 1 + len(torch.cells)


def test_notebook_json_round_trips_and_names_torch_lr_finder():
    text = notebook_json(title="Range test", url=None, torch=torch_range_test(num_iter=50))
    nb = nbformat.reads(text, as_version=4)
    nbformat.validate(nb)
    assert json.loads(text)["nbformat"] == 4
    assert any("pip install torch torch-lr-finder" in c.source for c in nb.cells)


def test_descent_notebook_engine_cells_run(capsys):
    spec = function_spec("custom", formula="x^2 + 3*y^2", variables=("x", "y"))
    nb = build_notebook(
        title="Descent in 2-D",
        url="http://localhost:8501/descent_2d?f=x%5E2",
        engine=engine_descent(spec, (2.0, 1.0), lrs=(0.1, 0.3)),
        torch=torch_descent(spec, (2.0, 1.0), lrs=(0.1, 0.3)),
        notes=("a note",),
    )
    ns: dict = {}
    for code in engine_cells(nb):
        exec(compile(code, "<cell>", "exec"), ns)
    assert ns["result"].path.shape == (2, 51, 2)
    assert any("- a note" in c.source for c in nb.cells if c.cell_type == "markdown")


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "https://x.org/a b", "https://x.org/)[x](y", "ftp://x"]
)
def test_bad_links_are_refused(url):
    with pytest.raises(ValueError):
        build_notebook(title="x", url=url)


def test_title_cannot_smuggle_markup():
    nb = build_notebook(title="<script>alert(1)</script> [x](javascript:y)")
    assert "<" not in nb.cells[0].source and "](" not in nb.cells[0].source
