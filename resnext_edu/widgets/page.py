"""The explorers' ES modules, and the words they show.

anywidget sends a widget's `_esm` source to the page, which runs it: in JupyterLab, and in a
static export from the widget state saved in the notebook. A module there cannot import a
sibling file, so the shared code is put in front of each explorer's module here.

The modules hold no words of their own: every label, readout word, note and error is sent in
the widget's `config` (or `messages`) trait, in the language set when the widget is made, as a
template with named fields ({c}, {d}) that the page fills in (`say` in the JS, `fill` here).
The explorers' own messages are marked with `_()` in their modules (locale/ko/widgets.po). The
words of the diagrams and of the blocks' checks belong to viz and family: `learn` reads them off
what those modules say, so the page says exactly what Python says, in English or in Korean.
"""
import functools
import re
from pathlib import Path

from ..i18n import N_, _
from ..viz import block_spec
from ..viz.engine import Spec

HERE = Path(__file__).parent

ON_EXPLORER = N_("is not on the explorer")  # check_choice's `what` (check_choice translates it)
STALE = N_("The greyed diagram below is the last valid setting, not the values above.")
BLOCK_HEADING = N_("one conv2 block (256-d, 56×56)")


@functools.lru_cache(maxsize=None)
def esm(name):
    """explorer_common.js, then {name}.js: the source of one explorer's ES module."""
    return (HERE / "explorer_common.js").read_text(encoding="utf-8") + "\n" + (HERE / f"{name}.js").read_text(
        encoding="utf-8")


def fill(text, **fields):
    """A template with its {fields} filled in, as the page's `say` does; a field not given stays as it is."""
    return re.sub(r"\{(\w+)\}", lambda m: str(fields[m[1]]) if m[1] in fields else m[0], text)


def forms(message):
    """[message(1), message(2)]: an ngettext message's form for one and for more; the page picks by n === 1."""
    return [message(1), message(2)]


def template(text, **fields):
    """A message shown with these values, back as a template: each value, matched whole, becomes its {field}."""
    for name, value in fields.items():
        text = re.sub(rf"(?<![\d.]){re.escape(str(value))}(?!\d)", "{" + name + "}", text)
    return text


def learn(make, probe, check):
    """The template of another module's message: make(*probe) gives (text, {field: value shown}).

    The template is proven on make(*check), other values: filled in, it must give that text, so
    a value that also appears as a constant of the message cannot slip into a field unnoticed.
    """
    text, fields = make(*probe)
    found = template(text, **fields)
    text, fields = make(*check)
    if fill(found, **fields) != text:
        raise RuntimeError(f"the page cannot say {text!r}: the template read off the message, {found!r}, "
                           f"gives {fill(found, **fields)!r}")
    return found


def _node(form, c, d, n, index):
    """The label of node `index` of block_spec(form, C, d, n): viz's words for one node of the diagram."""
    return block_spec(form, c, d, n).nodes[index].label


def describe_words():
    """Spec.describe() as templates: {title}, the {boxes} and the {notes} joined as viz joins them."""
    title, boxes, notes = "\ue000", ["\ue001", "\ue002"], ["\ue003", "\ue004"]
    words = {}
    for key, texts in (("describe", notes), ("describe_plain", [])):
        spec = Spec(title)
        for box in boxes:
            spec.box(0, 0, box)
        for note in texts:
            spec.add("text", 0, 0, note)
        said = spec.describe()
        words["box_sep"] = said[said.index(boxes[0]) + 1:said.index(boxes[1])]
        said = said.replace(words["box_sep"].join(boxes), "{boxes}").replace(title, "{title}")
        if texts:
            words["note_sep"] = said[said.index(notes[0]) + 1:said.index(notes[1])]
            said = said.replace(words["note_sep"].join(notes), "{notes}")
        words[key] = said
    spec = block_spec("a", 4, 4)  # proven on a real diagram, as the page fills it
    notes = [n.label for n in spec.nodes if n.kind == "text" and n.label.strip("…")]
    said = fill(words["describe"], title=spec.title, boxes=words["box_sep"].join(spec.labels()),
                notes=words["note_sep"].join(notes))
    if said != spec.describe():
        raise RuntimeError(f"the page cannot describe a diagram as viz does: {said!r} against {spec.describe()!r}")
    return words


def diagram_words():
    """The words of viz's block diagrams that the page writes itself (its labels, titles and description)."""
    return dict(
        input=learn(lambda n: (_node("c", 32, 4, n, 0), {"n": n}), (256,), (512,)),  # "256-d in"
        output=learn(lambda n: (_node("c", 32, 4, n, 3), {"n": n}), (256,), (512,)),  # "256-d out"
        identity=_node("c", 32, 4, 256, 2),
        concatenate=_node("b", 2, 4, 256, 8),
        total=[learn(lambda c: (_node("a", c, 4, 256, -1), {"c": c}), (1,), (1,)),  # "total 1 path"
               learn(lambda c: (_node("a", c, 4, 256, -1), {"c": c}), (2,), (5,))],  # "total 2 paths"
        titles={form: block_spec(form).title for form in ("a", "b", "c")},
        **describe_words())


def common_messages():
    """The words of explorer_common.js and of both explorers, in the current language."""
    return dict(stale=_(STALE), block_heading=_(BLOCK_HEADING), params=_("params"), vs_resnet=_("vs ResNet"),
                macs="MACs",  # a unit, as in the notebooks: not translated
                cardinality=_("cardinality C"), width=_("width d"), diagram=diagram_words())
