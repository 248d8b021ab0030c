"""The notebooks' explorers: anywidgets whose ES modules compute and draw in the page, with no kernel.

    page.py                  each explorer's ES module (explorer_common.js, then its own .js) and its words
    cardinality_explorer.py  C against d at equal complexity (Xie et al. 2017, Table 2)
    family_explorer.py       the same block with SE, ResNeSt's radix or Res2Net's scale
    first_widget.py          notebook 00's labelled slider: do widgets work?
    grouped_conv.py          one grouped conv, dense to depthwise, who reads whom; ShuffleNet's shuffle
"""
from .cardinality_explorer import CARDINALITIES, cardinality_explorer, explorer_numbers, locked_width
from .family_explorer import family_explorer, family_numbers, preset, valid_radixes
from .first_widget import first_widget
from .grouped_conv import grouped_conv_explorer

__all__ = ["CARDINALITIES", "cardinality_explorer", "explorer_numbers", "family_explorer", "family_numbers", "first_widget",
           "grouped_conv_explorer", "locked_width", "preset", "valid_radixes"]
