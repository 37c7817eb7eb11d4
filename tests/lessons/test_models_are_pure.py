"""Every lesson's model imports neither Streamlit nor plotly (usable from a notebook).

One fresh interpreter imports every model; if Streamlit or plotly came along, each model is
then imported alone to name the one that pulled it in."""

import subprocess
import sys

from tests.lessons.apptest import ROOT
from tests.lessons.lessons_index import model_modules

UI = ("streamlit", "plotly")


def ui_imported_by(modules: list[str]) -> str:
    code = (
        f"import sys, {', '.join(modules)}; print(','.join(m for m in {UI!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def test_every_model_imports_no_ui():
    modules = model_modules()
    assert len(modules) >= 9
    if ui_imported_by(modules):
        culprits = {m: ui_imported_by([m]) for m in modules}
        raise AssertionError({m: ui for m, ui in culprits.items() if ui})
