"""Helpers for AppTest page tests: open a lesson through the real entry point."""

from __future__ import annotations

import html
import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")


def open_page(
    path: str, query: dict | None = None, *, timeout: float = 60, lecture: bool = False
) -> AppTest:
    """Run ``app.py``, switch to the lesson at ``path`` (e.g. ``"lessons/descent_1d.py"``), run.

    ``query`` seeds the URL's query parameters, as a shared link would.
    """
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()  # AppTest starts on the default page; the link is followed from there
    for k, v in (query or {}).items():
        at.query_params[k] = v
    if lecture:
        at.query_params["lecture"] = "true"
    at.switch_page(path)
    at.run()
    assert_ok(at)
    return at


def assert_ok(at: AppTest) -> None:
    """No exception element on the page."""
    assert not at.exception, [e.value for e in at.exception]


def texts(at: AppTest) -> str:
    """All markdown, caption, title and alert text on the page, joined (for content asserts)."""
    parts = []
    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "success",
        "info",
        "warning",
        "error",
        "latex",
    ):
        parts.extend(str(e.value) for e in getattr(at, kind))
    for e in at.get("html"):  # verdict lines (a live region) are HTML: their text, unescaped
        body = e.proto.body
        if not body.lstrip().startswith("<style"):
            parts.append(html.unescape(re.sub(r"<[^>]+>", "", body)))
    return "\n".join(parts)


def address_bar(at: AppTest) -> dict[str, list[str]]:
    """The page's address bar (query parameters), each key with its list of values."""
    return {k: v if isinstance(v, list) else [v] for k, v in at.query_params.items()}
