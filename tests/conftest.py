"""Shared pytest set-up.

Hypothesis runs derandomised by default so that a CI run is reproducible: the same commit gives the
same examples. Set HYPOTHESIS_PROFILE=explore to search with fresh random examples (more of them).
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("explore", max_examples=500, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
