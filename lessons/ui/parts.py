"""What a lesson's model hands to the page, as plain data (no Streamlit, no plotly).

A model's sentences come out as :class:`Row` (one verdict line per run) and
:class:`Question` (the predict-then-reveal block); the runner draws them the same way on every
page, with one icon per :class:`engine.verdict.Kind`.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.verdict import Kind
from takehome import Snippet

__all__ = ["Question", "Row", "TakeHome"]


@dataclass(frozen=True)
class Row:
    """One verdict line: the run's label, what it did, and a sentence computed from the run."""

    label: str
    kind: Kind
    text: str


@dataclass(frozen=True)
class Question:
    """A predict-then-reveal question: the learner (or the whole hall) answers first.

    ``answer`` is the index of the right option, computed from the run where it can be;
    ``explanation`` is shown with the verdict once an answer is given.
    """

    text: str
    options: tuple[str, ...]
    answer: int
    explanation: str

    def __post_init__(self) -> None:
        if not 0 <= self.answer < len(self.options):
            raise ValueError("the answer must be one of the options")


@dataclass(frozen=True)
class TakeHome:
    """A view as code: LR Lab's engine lines that recompute it and, where there is one, the
    PyTorch equivalent (both from :mod:`takehome`, built from the view's ``Params``)."""

    engine: Snippet
    torch: Snippet | None = None
    #: what the PyTorch tab is called ("PyTorch", "PyTorch autograd" ...)
    torch_label: str = "PyTorch"
