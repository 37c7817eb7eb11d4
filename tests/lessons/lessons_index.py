"""The converted lessons (model + view + runner), found through the page catalogue."""

from __future__ import annotations

import importlib

from lessons.ui import pages
from lessons.ui.runner import Lesson


def lesson_of(info: pages.PageInfo) -> Lesson | None:
    """The ``LESSON`` of a page built on the shared runner (``lessons/<name>/page.py``)."""
    parts = info.path.split("/")
    if len(parts) != 3 or parts[2] != "page.py":
        return None
    view = importlib.import_module(f"lessons.{parts[1]}.view")
    return getattr(view, "LESSON", None)


def converted() -> list[tuple[pages.PageInfo, Lesson]]:
    out = []
    for info in pages.available():
        lesson = lesson_of(info)
        if lesson is not None:
            out.append((info, lesson))
    return out


def model_modules() -> list[str]:
    """Module names of every converted lesson's model."""
    return [f"lessons.{info.path.split('/')[1]}.model" for info, _ in converted()]
