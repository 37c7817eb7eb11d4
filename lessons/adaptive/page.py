"""Lesson 8: Adaptive learning rate. Hypergradient descent (Baydin et al., ICLR 2018) tunes the
rate while training, from starting rates orders of magnitude apart."""

from lessons.adaptive.view import LESSON
from lessons.ui.runner import run

run(LESSON)
