"""Kept for ``lessons/adaptive.py`` until it is converted: :func:`binned` now lives in the
shared pure module :mod:`lessons.ui.common` (the Cyclical schedules figures moved to
``lessons/cyclical/figures.py``)."""

from lessons.ui.common import binned

__all__ = ["binned"]
