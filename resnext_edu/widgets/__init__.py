"""The notebooks' explorers: sliders, readouts and a live figure (ipywidgets).

    live.py                  what both share: the blitted live figure, its PNG, the busy guard, the error box
    cardinality_explorer.py  C against d at equal complexity (Xie et al. 2017, Table 2)
    family_explorer.py       the same block with SE, ResNeSt's radix or Res2Net's scale
"""
from .cardinality_explorer import CARDINALITIES, cardinality_explorer, explorer_numbers, locked_width
from .family_explorer import family_explorer, family_numbers, preset, valid_radixes
from .live import ERROR_STYLE, NOTE_STYLE, error_html

__all__ = ["CARDINALITIES", "ERROR_STYLE", "NOTE_STYLE", "cardinality_explorer", "error_html",
           "explorer_numbers", "family_explorer", "family_numbers", "locked_width", "preset", "valid_radixes"]
