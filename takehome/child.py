"""The child and the dogs in plain PyTorch autograd: the same belief updates as LR Lab's
:mod:`engine.child`, one SGD step per animal, K children (one per learning rate) at once.

The colour child holds one number, his belief ``b`` (1 = dogs are black, 0 = white); a dog of
colour ``c`` costs him ``F(b) = 1/2 (b - c)^2`` and a cat leaves ``b`` alone.  The feature
child scores ``P(dog) = sigmoid(w . x)`` from five features of an animal and takes one step on
the logistic loss of each animal, dog or cat.  The animals' table is written from
:data:`engine.child.ANIMALS`; the sequence enters the code only after
:func:`engine.child.parse_sequence` (letters B, W, C, K).
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.child import ANIMALS, FEATURES, PRIOR, parse_sequence
from takehome.engine_code import _rates
from takehome.snippet import Snippet, join, lit

__all__ = ["CHILD_MODES", "torch_child"]

#: which children a snippet teaches: the colour child, the feature child, or both
CHILD_MODES = ("colour", "features", "both")


def _colour_lines() -> list[str]:
    colours = ", ".join(f"{lit(a.letter)}: {lit(a.black)}" for a in ANIMALS.values() if a.is_dog)
    return [
        "# The colour child: his belief b is how black he expects a dog to be (1 black, 0 white).",
        "# A dog of colour c costs him F(b) = 1/2 (b - c)^2 and he takes one SGD step per dog; a",
        "# cat is not a dog, so it says nothing about the colour of dogs.",
        f"dog_colour = {{{colours}}}  # c of each dog",
        f"b = torch.full((len(lrs),), {lit(PRIOR)}, dtype=torch.float64, requires_grad=True)",
        "beliefs = [b.detach().clone()]  # before any dog, colour tells him nothing",
        "for animal in animals:",
        "    if animal in dog_colour:",
        "        # the children are independent: the gradient of the sum is each one's dF/db",
        "        loss = (0.5 * (b - dog_colour[animal]) ** 2).sum()",
        "        b.grad = None",
        "        loss.backward()  # dF/db = b - c",
        "        with torch.no_grad():",
        "            b -= lrs * b.grad  # w <- w - lr * dF/dw",
        "    beliefs.append(b.detach().clone())",
        "belief = torch.stack(beliefs, dim=1)  # (children, animals + 1): ColourRun.belief",
        "for lr, row in zip(lrs.tolist(), belief.tolist()):",
        '    print(f"colour child, lr = {lr:g}: belief {row[-1]:.3f} after the last animal")',
    ]


def _feature_lines() -> list[str]:
    rows = [
        f"    {lit(a.letter)}: ({lit(list(a.features))}, {lit(float(a.is_dog))}),  # {a.name}"
        for a in ANIMALS.values()
    ]
    features = ", ".join(FEATURES)
    return [
        "# The feature child: P(dog) = sigmoid(w . x) from five features x of an animal, one SGD",
        "# step per animal (dog or cat) on the logistic loss, y = 1 for a dog and 0 for a cat.",
        f"# x: {features} (colour: black +1, white -1); then y",
        "animal_features = {",
        *rows,
        "}",
        "w = torch.zeros(len(lrs), 5, dtype=torch.float64, requires_grad=True)  # no opinion yet",
        "weights = [w.detach().clone()]",
        "for animal in animals:",
        "    features, is_dog = animal_features[animal]",
        "    x = torch.tensor(features, dtype=torch.float64)",
        "    y = torch.full((len(lrs),), is_dog, dtype=torch.float64)",
        "    # log(1 + e^z) - y z at z = w . x, summed over the independent children",
        '    loss = torch.nn.functional.binary_cross_entropy_with_logits(w @ x, y, reduction="sum")',
        "    w.grad = None",
        "    loss.backward()  # dF/dw = (P(dog) - y) x",
        "    with torch.no_grad():",
        "        w -= lrs[:, None] * w.grad  # w <- w - lr * dF/dw",
        "    weights.append(w.detach().clone())",
        "weights = torch.stack(weights, dim=1)  # (children, animals + 1, 5): FeatureRun.weights",
        'white_dog = torch.tensor(animal_features["W"][0], dtype=torch.float64)',
        'black_dog = torch.tensor(animal_features["B"][0], dtype=torch.float64)',
        "p_white = torch.sigmoid(weights[:, -1] @ white_dog)  # would he call a white dog a dog?",
        "p_black = torch.sigmoid(weights[:, -1] @ black_dog)",
        "for lr, pw, pb in zip(lrs.tolist(), p_white.tolist(), p_black.tolist()):",
        '    print(f"feature child, lr = {lr:g}: P(dog) of a white dog {pw:.3f}, black dog {pb:.3f}")',
    ]


def torch_child(sequence: str, lrs: Sequence[float], *, mode: str = "colour") -> Snippet:
    """The page's children in plain PyTorch autograd, one per rate in ``lrs``, shown
    ``sequence`` (validated by :func:`engine.child.parse_sequence`).

    ``mode``: ``"colour"`` (``belief``, ``(K, n + 1)`` as :attr:`engine.child.ColourRun.belief`),
    ``"features"`` (``weights``, ``(K, n + 1, 5)`` as :attr:`engine.child.FeatureRun.weights`,
    and ``p_white`` / ``p_black``, P(dog) of a white / black dog at the end) or ``"both"``.

    >>> s = torch_child("bbbw", [0.3])
    >>> s.code.splitlines()[:2]
    ['animals = "BBBW"  # B black dog, W white dog, C white cat, K black cat', \
'lrs = torch.tensor([0.3], dtype=torch.float64)  # one child per learning rate']
    """
    seq = parse_sequence(sequence)  # validated, canonical: letters B, W, C, K only
    rates = _rates(lrs)
    if mode not in CHILD_MODES:
        raise ValueError(f"mode must be one of {CHILD_MODES}, got {mode!r}")
    legend = ", ".join(f"{a.letter} {a.name}" for a in ANIMALS.values())
    head = [
        f"animals = {lit(seq)}  # {legend}",
        f"lrs = torch.tensor({lit(rates)}, dtype=torch.float64)  # one child per learning rate",
    ]
    parts = [Snippet("\n".join(head), ("import torch",), (), ("torch",))]
    if mode in ("colour", "both"):
        parts.append(Snippet("\n".join(_colour_lines()), ("import torch",), (), ("torch",)))
    if mode in ("features", "both"):
        parts.append(Snippet("\n".join(_feature_lines()), ("import torch",), (), ("torch",)))
    return join(*parts)
