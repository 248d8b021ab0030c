"""The explorers' ES modules: the shared part (explorer_common.js) and each explorer's own, as one module.

anywidget sends a widget's `_esm` source to the page, which runs it: in JupyterLab, and in a
static export from the widget state saved in the notebook. A module there cannot import a
sibling file, so the shared code is put in front of each explorer's module here.
"""
import functools
from pathlib import Path

HERE = Path(__file__).parent


@functools.lru_cache(maxsize=None)
def esm(name):
    """explorer_common.js, then {name}.js: the source of one explorer's ES module."""
    return (HERE / "explorer_common.js").read_text(encoding="utf-8") + "\n" + (HERE / f"{name}.js").read_text(
        encoding="utf-8")
