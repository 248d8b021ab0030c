"""Notebook 00's first widget: a labelled slider for C whose caption Python writes back.

The caption changes only when the kernel has seen the slider move, so a student who sees it change
knows that the page, the widget library and the kernel all talk to each other. A native range
input with a <label>: it has a name for screen readers and moves with the arrow keys.
"""
import pathlib

import anywidget
import traitlets

from ..checks import check_size
from ..i18n import N_, _, ngettext

MAX_CARDINALITY = 64
WAITING = N_("Move the slider: if this text changes, widgets work in your browser.")


def caption(cardinality):
    """What the caption says once Python has seen C (HTML: the first words are bold)."""
    paths = ngettext("a block with {c} parallel path", "a block with {c} parallel paths", cardinality)
    return _("<b>Widgets work.</b> C = {c}: {paths}.").format(c=cardinality, paths=paths.format(c=cardinality))


class FirstWidget(anywidget.AnyWidget):
    """A slider for C from 1 to 64 and a caption the kernel writes."""

    _esm = pathlib.Path(__file__).with_name("first_widget.js")
    cardinality = traitlets.Int(1).tag(sync=True)
    label = traitlets.Unicode().tag(sync=True)
    caption = traitlets.Unicode().tag(sync=True)

    def __init__(self, cardinality=1):
        check_cardinality(cardinality)
        super().__init__(cardinality=cardinality, label=_("cardinality C"))
        self.caption = _(WAITING)  # after the trait is set: nothing has moved yet

    @traitlets.validate("cardinality")
    def _check_cardinality(self, proposal):
        check_cardinality(proposal["value"])
        return proposal["value"]

    @traitlets.observe("cardinality")
    def _moved(self, change):
        self.caption = caption(change["new"])


def check_cardinality(value):
    check_size("cardinality", value, 1, maximum=MAX_CARDINALITY)


def first_widget(cardinality=1):
    """Notebook 00's check that widgets work: move the slider and watch the caption follow."""
    return FirstWidget(cardinality)
