"""Shared pytest set-up.

Hypothesis runs derandomised by default so that a CI run is reproducible: the same commit gives the
same examples. Set HYPOTHESIS_PROFILE=explore to search with fresh random examples (more of them).
"""

import functools
import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("explore", max_examples=500, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def _scan_installed_components_once() -> None:
    """AppTest starts a new Streamlit runtime for every test, and every start scans each
    installed package for component manifests (``streamlit.components.v2``): measured at 40%
    of the time of the AppTest tests. The installed packages do not change during a test run,
    so the scan runs once per process. (The app server scans once, at its start.)"""
    try:
        from streamlit.components.v2 import manifest_scanner
    except ImportError:  # another Streamlit: nothing to speed up
        return
    scan = getattr(manifest_scanner, "scan_component_manifests", None)
    if scan is not None and not hasattr(scan, "cache_info"):
        manifest_scanner.scan_component_manifests = functools.cache(scan)


_scan_installed_components_once()
