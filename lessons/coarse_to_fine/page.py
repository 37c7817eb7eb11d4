"""Lesson 5: Coarse-to-fine search. Sweep decades cheaply on a subset, then refine where it pays."""

from lessons.coarse_to_fine.view import LESSON
from lessons.ui.runner import run

run(LESSON)
