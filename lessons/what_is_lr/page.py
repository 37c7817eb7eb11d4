"""Lesson 0: What is a learning rate? The update rule, one click at a time on a parabola."""

from lessons.ui.runner import run
from lessons.what_is_lr.view import LESSON

run(LESSON)
