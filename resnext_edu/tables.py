"""Tables that print as aligned text and show as HTML in a notebook: the one renderer of the package.

`counting.Breakdown`, the paper's Tables 1 and 2, `diagnose.Findings` and the pitfalls' symptoms
are all a `Table`: a list of rows and a tuple of `Column`s that say how to read a cell off a row.
A cell is a string, or a list of strings for a cell of several lines. This module imports
nothing from the rest of the package but i18n.

The words are translated where a table is shown: a Column's header, a Table's title and its `empty`
line are marked with N_() where they are defined (class attributes, written before a language is
set) and go through _() here, when the table is printed or rendered. Cells, notes and footers are
built at that moment, so they translate themselves with _(). The text table aligns by the columns
a character takes in a monospace font: a Hangul syllable takes two.
"""
import html
import unicodedata
from dataclasses import dataclass
from typing import Callable

from .i18n import _


class Markup(str):
    """HTML that is already safe: the HTML table shows it as it is, without escaping."""


@dataclass(frozen=True)
class Column:
    """One column: its header, how to read its cell off a row, and how the text table aligns it."""

    header: str  # marked with N_(); translated where the table is shown
    cell: Callable  # row -> str, or a list of str (one per line)
    align: str = "left"  # "left" for names, "right" for numbers (text only)
    html: Callable = None  # row -> str or Markup for the HTML table, when it differs from cell


def _lines(cell):
    return [cell] if isinstance(cell, str) else list(cell)


def _shown(text):
    """A message marked with N_(), in the current language; "" stays "" (gettext's _("") is the catalogue's header)."""
    return _(text) if text else text


def display_width(text):
    """The columns `text` takes in a monospace font: 2 for a wide character (Hangul, CJK), else 1."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text, width, align="left"):
    """`text` padded with spaces to `width` columns of a monospace font: ljust or rjust for wide characters too."""
    gap = " " * max(0, width - display_width(text))
    return gap + text if align == "right" else text + gap


def render_text(header, body, aligns, footer=None, spaced=False):
    """Aligned columns two spaces apart, a rule of dashes under the header, [a rule and the footer].

    header and footer are lists of cells, body a list of them; a cell may hold several lines.
    spaced: a blank line after each row (for rows of several lines).
    """
    rows = [[_lines(c) for c in row] for row in [header, *body, *([footer] if footer else [])]]
    widths = [max((display_width(line) for row in rows for line in row[i]), default=0) for i in range(len(header))]

    def fmt(cells):
        return "  ".join(pad(c, w, a) for c, w, a in zip(cells, widths, aligns)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    out = [fmt(header), rule]
    for row in rows[1:len(rows) - (1 if footer else 0)]:
        height = max(len(lines) for lines in row)
        out += [fmt([lines[i] if i < len(lines) else "" for lines in row]) for i in range(height)]
        if spaced:
            out.append("")
    if footer:
        out += [rule, fmt(footer)]
    return "\n".join(out).rstrip()


def _html_cell(cell):
    if isinstance(cell, Markup):
        return cell
    return "<br>".join(html.escape(line) for line in _lines(cell))


def render_html(header, body, footer=None, caption=""):
    """An HTML table, left-aligned; cells are escaped unless they are Markup."""
    def row(tag, cells):
        return "<tr>" + "".join(f"<{tag}>{_html_cell(c)}</{tag}>" for c in cells) + "</tr>"

    caption = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    foot = f"<tfoot>{row('td', footer)}</tfoot>" if footer else ""
    return (f'<table style="text-align:left">{caption}<thead>{row("th", header)}</thead><tbody>'
            + "".join(row("td", cells) for cells in body) + f"</tbody>{foot}</table>")


class Table(list):
    """A list of rows that prints as a text table and shows as an HTML table in a notebook.

    Subclasses set `columns` (a tuple of Column; `html_columns` if the HTML table has others)
    and may give a title, notes (lines printed
    between the title and the table), a footer (a row of cells, e.g. totals) and `empty`, the
    line shown instead of a table without rows. Headers, title and `empty` go through _() when
    shown (mark them with N_()); notes and footer are built when shown and translate themselves.
    """

    title = ""
    columns = ()
    html_columns = None  # the HTML table's columns, when they differ from the text table's
    spaced = False  # a blank line between rows, for rows of several lines
    empty = ""

    def notes(self):
        return []

    def footer(self):
        return None

    def __str__(self):
        title, empty = _shown(self.title), _shown(self.empty)
        head = ([title] if title else []) + [f"  {note}" for note in self.notes()]
        if not self:
            return "\n".join(head + (["", empty] if head and empty else [empty]))
        table = render_text([_shown(c.header) for c in self.columns], [[c.cell(r) for c in self.columns] for r in self],
                            [c.align for c in self.columns], self.footer(), self.spaced)
        return "\n".join(head + ([""] if self.notes() else []) + [table])

    __repr__ = __str__

    def _repr_pretty_(self, printer, cycle):
        printer.text(str(self))

    def _repr_html_(self):
        title, empty = _shown(self.title), _shown(self.empty)
        notes = "".join(f"<li>{html.escape(note)}</li>" for note in self.notes())
        head = (f"<p><b>{html.escape(title)}</b></p>" if title and notes else "") + \
            (f"<ul>{notes}</ul>" if notes else "")
        if not self:
            return head + f"<p>{html.escape(empty)}</p>"
        columns = self.html_columns or self.columns
        cells = [[(c.html or c.cell)(r) for c in columns] for r in self]
        caption = "" if notes else title
        return head + render_html([_shown(c.header) for c in columns], cells, self.footer(), caption)
