"""Lesson 1: The child and the dogs. Ten black dogs, then a white one, at a learning rate you choose."""

from lessons.child_dogs.view import LESSON
from lessons.ui.runner import run

run(LESSON)
