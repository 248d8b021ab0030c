"""What diagnose returns: a Finding per problem, and Findings, a table of them, most severe first."""
import html
import textwrap
from dataclasses import dataclass

from ..checks import check_choice
from ..i18n import N_, _, ngettext
from ..tables import Column, Markup, Table, display_width

SEVERITIES = ("info", "warning", "error")  # least to most severe: the keys, always English
SEVERITY_NAMES = {"info": N_("info"), "warning": N_("warning"), "error": N_("error")}  # shown as _(name)
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
        return self.layers[0] + (" " + _("(+{n} more)").format(n=more) if more > 0 else "")

    def names(self, layer):
        """True if this finding names `layer` or a layer inside it."""
        return any(name == layer or name.startswith(layer + ".") for name in self.layers)

    def __str__(self):
        return f"{severity_name(self.severity)}: {self.layer}: {self.what}"


def severity_name(severity):
    """How a severity key ("error") is shown in the current language."""
    return _(SEVERITY_NAMES[severity])


def rank(severity):
    """0 for "info" up to 2 for "error"; ValueError naming any other value."""
    check_choice("severity", severity, SEVERITIES)
    return SEVERITIES.index(severity)


def _more(finding):
    """"(+N more)" for the layers past the first NAMES_SHOWN, or nothing."""
    extra = len(finding.layers) - NAMES_SHOWN
    return [_("(+{n} more)").format(n=extra)] if extra > 0 else []


def _text(finding):
    """The finding column of the plain table: what, then "why: ..." and "fix: ...", wrapped."""
    lines = _wrap(finding.what)
    for label, part in ((_("why: "), finding.why), (_("fix: "), finding.fix)):
        lines += _wrap(label + part, " " * display_width(label))
    return lines


def _wrap(text, indent=""):
    """Lines of at most TEXT_WIDTH columns of a monospace font (a Hangul syllable takes two), broken at spaces."""
    if display_width(text) == len(text):  # no wide characters: textwrap, as always
        return textwrap.wrap(text, TEXT_WIDTH, subsequent_indent=indent)
    lines, line = [], ""
    for word in text.split():
        if line and display_width(f"{line} {word}") > TEXT_WIDTH:
            lines.append(line)
            line = indent + word
        else:
            line = f"{line} {word}" if line else word
    return lines + ([line] if line else [])


def _html_layers(finding):
    # Up to four names in <code>, then "(+N more)"; hovering the cell lists them all.
    names = [f"<code>{html.escape(n)}</code>" for n in finding.layers[:NAMES_SHOWN]] + _more(finding)
    return Markup(f'<span title="{html.escape(", ".join(finding.layers))}">{"<br>".join(names)}</span>')


class Findings(Table):
    """The findings of diagnose(), most severe first; prints as a table, shows as HTML in a notebook."""

    columns = (  # headers are N_() messages: the Table shows them in the current language
        Column(N_("severity"), lambda f: severity_name(f.severity),
               html=lambda f: Markup(f'<b style="color:{COLOURS[f.severity]}">'
                                     f'{html.escape(severity_name(f.severity))}</b>')),
        Column(N_("layer"), lambda f: [*f.layers[:NAMES_SHOWN], *_more(f)], html=_html_layers),
        Column(N_("finding"), _text),
    )
    html_columns = (  # the same severity and layer; the finding in three columns
        *columns[:2],
        Column(N_("what is wrong"), lambda f: f.what),
        Column(N_("why it matters"), lambda f: f.why),
        Column(N_("fix"), lambda f: f.fix),
    )
    spaced = True
    empty = N_("No problems found.")

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
        """One line: how many findings of each severity, e.g. "2 errors, 1 warning, 0 info"."""
        counts = self.counts()
        return ", ".join((ngettext("{n} error", "{n} errors", counts["error"]).format(n=counts["error"]),
                          ngettext("{n} warning", "{n} warnings", counts["warning"]).format(n=counts["warning"]),
                          _("{n} info").format(n=counts["info"])))


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
            what += " " + ngettext("The same holds in {n} more place.", "The same holds in {n} more places.",
                                   len(rest)).format(n=len(rest))
        merged.append(Finding(first.severity, first.check, tuple(layers), what, first.why, first.fix))
    return merged
