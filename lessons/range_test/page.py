"""Lesson 6: Range test. Raise the learning rate every iteration and read the bounds off the
loss curve (Smith 2017); then train fresh models at a suggestion and ten times either side."""

from lessons.range_test.view import LESSON
from lessons.ui.runner import run

run(LESSON)
