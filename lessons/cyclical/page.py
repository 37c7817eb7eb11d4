"""Lesson 7: Cyclical schedules. Cycle the learning rate between the range test's bounds and
race triangular, triangular2, exp_range, 1cycle and SGDR against a constant rate."""

from lessons.cyclical.view import LESSON
from lessons.ui.runner import run

run(LESSON)
