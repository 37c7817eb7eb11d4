"""Lesson 4: Four regimes. A real classifier trained at very high, high, good and low rates."""

from lessons.four_regimes.view import LESSON
from lessons.ui.runner import run

run(LESSON)
