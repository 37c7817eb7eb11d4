"""Every lesson's model imports neither Streamlit nor plotly (usable from a notebook)."""

import subprocess
import sys

import pytest

from tests.lessons.apptest import ROOT
from tests.lessons.lessons_index import model_modules


@pytest.mark.parametrize("module", model_modules())
def test_model_imports_no_ui(module):
    code = (
        f"import sys, {module}\n"
        "bad = sorted(m for m in ('streamlit', 'plotly') if m in sys.modules)\n"
        "print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "", f"{module} imports {out.stdout.strip()}"
