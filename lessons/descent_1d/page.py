"""Lesson 2: Descent in 1-D. Up to four learning rates side by side on a 1-D loss, step by step."""

from lessons.descent_1d.view import LESSON
from lessons.ui.runner import run

run(LESSON)
