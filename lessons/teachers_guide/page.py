"""For teachers: a 45-minute lecture plan, every step a link that opens the exact view to show."""

from lessons.teachers_guide.view import LESSON
from lessons.ui.runner import run

run(LESSON)
