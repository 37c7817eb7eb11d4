"""Lesson 3: Descent in 2-D. Valleys, Rosenbrock, saddles and typed-in surfaces: the largest
curvature sets the largest stable learning rate."""

from lessons.descent_2d.view import LESSON
from lessons.ui.runner import run

run(LESSON)
