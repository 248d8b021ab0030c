"""What diagnose returns: a Finding per problem, and Findings, a table of them, most severe first."""
import html
import textwrap
from dataclasses import dataclass

from ..checks import check_choice
from ..tables import Column, Markup, Table

SEVERITIES = ("info", "warning", "error")  # least to most severe
COLOURS = {"error": "#c62828", "warning": "#bf360c", "info": "#1565c0"}
TEXT_WIDTH = 70  # characters of the finding column in the plain table
NAMES_SHOWN = 4  # layer names listed per finding; the rest are counted


@dataclass(frozen=True)
class Finding:
    """One problem: how bad, where, what is wrong, why it matters and how to fix it."""

    severity: str   # "error", "warning" or "info"
    check: str      # the check that found it, e.g. "grouped-1x1"
    layers: tuple   # names of the layers concerned (state_dict prefixes), in execution order
    what: str
    why: str
    fix: str

    @property
    def layer(self):
        """The first layer's name, with how many more share the finding."""
        more = len(self.layers) - 1
        return self.layers[0] + (f" (+{more} more)" if more > 0 else "")

    def names(self, layer):
        """True if this finding names `layer` or a layer inside it."""
        return any(name == layer or name.startswith(layer + ".") for name in self.layers)

    def __str__(self):
        return f"{self.severity}: {self.layer}: {self.what}"


def rank(severity):
    """0 for "info" up to 2 for "error"; ValueError naming any other value."""
    check_choice("severity", severity, SEVERITIES)
    return SEVERITIES.index(severity)


def _more(finding):
    """"(+N more)" for the layers past the first NAMES_SHOWN, or nothing."""
    extra = len(finding.layers) - NAMES_SHOWN
    return [f"(+{extra} more)"] if extra > 0 else []


def _text(finding):
    """The finding column of the plain table: what, then "why: ..." and "fix: ...", wrapped."""
    lines = textwrap.wrap(finding.what, TEXT_WIDTH)
    for label, part in (("why: ", finding.why), ("fix: ", finding.fix)):
        lines += textwrap.wrap(label + part, TEXT_WIDTH, subsequent_indent="     ")
    return lines


def _html_layers(finding):
    # Up to four names in <code>, then "(+N more)"; hovering the cell lists them all.
    names = [f"<code>{html.escape(n)}</code>" for n in finding.layers[:NAMES_SHOWN]] + _more(finding)
    return Markup(f'<span title="{html.escape(", ".join(finding.layers))}">{"<br>".join(names)}</span>')


class Findings(Table):
    """The findings of diagnose(), most severe first; prints as a table, shows as HTML in a notebook."""

    columns = (
        Column("severity", lambda f: f.severity,
               html=lambda f: Markup(f'<b style="color:{COLOURS[f.severity]}">{f.severity}</b>')),
        Column("layer", lambda f: [*f.layers[:NAMES_SHOWN], *_more(f)], html=_html_layers),
        Column("finding", _text),
    )
    html_columns = (  # the same severity and layer; the finding in three columns
        *columns[:2],
        Column("what is wrong", lambda f: f.what),
        Column("why it matters", lambda f: f.why),
        Column("fix", lambda f: f.fix),
    )
    spaced = True
    empty = "No problems found."

    def __init__(self, findings=(), title="", facts=()):
        super().__init__(sorted(findings, key=lambda f: -rank(f.severity)))
        self.title = title    # e.g. "diagnose: ResNet at input (3, 224, 224)"
        self.facts = facts    # lines about the model: parameters, blocks, total stride

    def notes(self):
        return [*self.facts, self.summary()]

    def _same(self, findings):
        return Findings(findings, self.title, self.facts)

    def at_least(self, severity):
        """The findings of this severity or worse: `.at_least("warning")` drops the info."""
        return self._same(f for f in self if rank(f.severity) >= rank(severity))

    def about(self, layer):
        """The findings that name this layer, or a layer inside it."""
        return self._same(f for f in self if f.names(layer))

    def of(self, check):
        """The findings of one check, e.g. `.of("no-gradient")`."""
        return self._same(f for f in self if f.check == check)

    @property
    def checks(self):
        """The names of the checks that found something."""
        return {f.check for f in self}

    def counts(self):
        """{severity: number of findings}, most severe first."""
        return {s: sum(f.severity == s for f in self) for s in reversed(SEVERITIES)}

    def summary(self):
        """One line: how many findings of each severity."""
        return ", ".join(f"{n} {s}{'s' if n != 1 and s != 'info' else ''}" for s, n in self.counts().items())


UNMERGED = ("expect",)  # checks whose findings each say something different: one row each


def merge(findings):
    """One finding per check and severity: the first one's text, all the layers, in order."""
    groups = {}
    for i, f in enumerate(findings):
        groups.setdefault((f.check, f.severity, i if f.check in UNMERGED else None), []).append(f)
    merged = []
    for first, *rest in groups.values():
        layers = list(first.layers)
        for f in rest:
            layers += [n for n in f.layers if n not in layers]
        what = first.what
        if rest:
            what += f" The same holds in {len(rest)} more place{'s' if len(rest) > 1 else ''}."
        merged.append(Finding(first.severity, first.check, tuple(layers), what, first.why, first.fix))
    return merged
