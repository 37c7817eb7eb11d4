"""A Jupyter notebook (nbformat v4) of a page's view: LR Lab's engine cells, then PyTorch cells.

``nbformat`` is imported when a notebook is built, not when :mod:`takehome` is imported.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from takehome.snippet import Snippet

__all__ = ["build_notebook", "notebook_json"]

_URL = re.compile(r"https?://[^\s<>()\[\]`]+\Z")

ENGINE_INTRO = (
    "## Recompute the view with LR Lab's engine\n\n"
    "Run this notebook from the LR Lab folder (or put that folder on `sys.path`), so that "
    "`import engine` finds LR Lab's numpy engine. Same values, same seed: the page's numbers."
)


def _torch_intro(requires: Sequence[str], uses_engine: bool = True) -> str:
    extra = [r for r in requires if r != "torch"]
    pip = "pip install torch" + "".join(f" {r}" for r in extra)
    where = (
        " The cells below load LR Lab's data through its engine too, so keep running from the "
        "LR Lab folder."
        if uses_engine
        else " The cells below need nothing else from LR Lab."
    )
    return f"## The same in PyTorch\n\nNeeds `{pip}` (PyTorch is not one of LR Lab's requirements).{where}"


def _markdown_text(text: str) -> str:
    """Plain text for a markdown cell: no HTML, no links or images of its own."""
    return re.sub(r"[<>\[\]`]", "", str(text)).strip()


def build_notebook(
    *,
    title: str,
    url: str | None = None,
    engine: Snippet | None = None,
    torch: Snippet | None = None,
    notes: Sequence[str] = (),
):
    """The notebook of one page's view, validated against the nbformat v4 schema.

    Cells: a markdown title naming the page and the link it came from (``url``, an ``http(s)``
    address); the engine snippet's import block and code; a markdown note that the PyTorch part
    needs ``pip install torch`` (and torch-lr-finder where used) with the notes of the
    snippets; then the torch imports and one cell per part of the torch snippet.

    Returns an ``nbformat.NotebookNode`` (``nbformat.writes`` turns it into JSON).
    """
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    head = f"# LR Lab: {_markdown_text(title)}"
    if url is not None:
        if not isinstance(url, str) or not _URL.match(url):
            raise ValueError("url must be an http(s) address without spaces or brackets")
        head += f"\n\nThis notebook reproduces the view at <{url}>."
    cells = [new_markdown_cell(head)]
    if engine is not None:
        cells.append(new_markdown_cell(ENGINE_INTRO))
        block = engine.import_block
        cells.append(new_code_cell(f"{block}\n\n{engine.code}" if block else engine.code))
    if torch is not None:
        said = [*torch.notes, *notes]
        intro = _torch_intro(torch.requires, any("engine" in line for line in torch.imports))
        if said:
            intro += "\n\n" + "\n".join(f"- {_markdown_text(n)}" for n in said)
        cells.append(new_markdown_cell(intro))
        if torch.imports:
            cells.append(new_code_cell(torch.import_block))
        cells.extend(new_code_cell(code) for code in torch.cells)
    elif notes:
        cells.append(new_markdown_cell("\n".join(f"- {_markdown_text(n)}" for n in notes)))
    nb = new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
    )
    nbformat.validate(nb)
    return nb


def notebook_json(**kwargs) -> str:
    """:func:`build_notebook` as the text of an ``.ipynb`` file (for a download button)."""
    import nbformat

    return nbformat.writes(build_notebook(**kwargs))
