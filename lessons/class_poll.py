"""The class poll on a student's phone: ``/poll?room=K7P4QX`` (hidden from the menu)."""

from lessons.ui.poll import student_page

student_page()
