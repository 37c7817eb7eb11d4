"""The child and the dogs as code: :func:`takehome.torch_child` (plain PyTorch autograd) and
:func:`takehome.engine_child` with both children, read from their syntax trees; the engine
code run against :mod:`engine.child` (the torch code runs in ``test_torch_equivalence``)."""

import ast

import numpy as np
import pytest

from engine.child import ANIMALS, SequenceError, learn_colour, learn_features
from takehome import engine_child, torch_child
from tests.takehome.helpers import carries, check_names, run

TORCH_ONLY = {"torch"}


@pytest.mark.parametrize("mode", ["colour", "features", "both"])
def test_torch_child_parses_uses_only_torch_and_carries_the_view(mode):
    s = torch_child("bbbb bw,c", (0.05, 0.3, 2.5), mode=mode)
    src = s.source
    check_names(src, modules=TORCH_ONLY)
    carries(src, "BBBBBWC", 0.05, 0.3, 2.5)
    assert s.requires == ("torch",) and s.imports == ("import torch",)
    assert ("belief = torch.stack" in src) == (mode != "features")
    assert ("weights = torch.stack" in src) == (mode != "colour")
    assert src.count("loss.backward()") == (2 if mode == "both" else 1)
    assert len(s.cells) == (3 if mode == "both" else 2)  # the sequence and rates, then a child


def test_torch_child_writes_the_animals_from_the_engine():
    src = torch_child("W", (1.0,), mode="both").source
    tree = ast.parse(src)
    tables = {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Dict)
    }
    assert tables["dog_colour"] == {a.letter: a.black for a in ANIMALS.values() if a.is_dog}
    assert tables["animal_features"] == {
        a.letter: (list(a.features), float(a.is_dog)) for a in ANIMALS.values()
    }


def test_torch_child_refuses_what_the_page_refuses():
    with pytest.raises(SequenceError):
        torch_child('B"; import os; "', (0.3,))
    with pytest.raises(ValueError, match="rates"):
        torch_child("BW", (-0.1,))
    with pytest.raises(ValueError, match="rates"):
        torch_child("BW", ())
    with pytest.raises(ValueError, match="mode"):
        torch_child("BW", (0.3,), mode="cats")


def test_engine_child_with_both_children_runs_as_the_engine(capsys):
    seq, lrs = "BC" * 5 + "W", [0.05, 0.3, 0.9]
    src = engine_child(seq, lrs, mode="both").source
    check_names(src, modules={"engine.child"})
    carries(src, seq, *lrs)
    ns = run(src)
    np.testing.assert_array_equal(ns["run"].belief, learn_colour(seq, lrs).belief)
    np.testing.assert_array_equal(ns["feature_run"].weights, learn_features(seq, lrs).weights)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 6
    assert out[0].startswith("colour child, lr = 0.05:") and out[3].startswith("feature child")
    with pytest.raises(ValueError, match="mode"):
        engine_child(seq, lrs, mode="dogs")
