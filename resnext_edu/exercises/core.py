"""Self-checking exercises in the style of Kaggle's learntools: `q1.check()`, `q1.hint()`, `q1.solution()`.

A question is a small class. It names the notebook variable it reads (`_var`), gives hints from a
nudge to a near-answer, a runnable solution (`_solution = CS(...)`), and a `_check(value)` that
raises `Incorrect("...")` with a message that teaches. A module of questions ends with
`bind_exercises(globals(), [...])`, which creates `q1`, `q2`, ... for the notebook to import.
"""
import html
import inspect
import math

from ..i18n import N_, _

__all__ = ["CS", "EqualityProblem", "Feedback", "FunctionProblem", "Incorrect", "MultipleChoiceProblem", "Problem",
           "bind_exercises", "____"]


class _Blank:
    """The starter-code placeholder: `answer = ____` means "not attempted yet"."""

    def __repr__(self):
        return "____"


____ = _Blank()


class Incorrect(Exception):
    """Raised by a check with the message the student sees."""


class CS(str):
    """Code of a solution: shown to the student, and run by the tests through the check."""


class Feedback:
    """What a check, hint or solution says; shows as coloured HTML in a notebook, plain text elsewhere."""

    COLOURS = {"Correct": "#2e7d32", "Incorrect": "#c62828", "Not attempted": "#6d4c41",
               "Hint": "#1565c0", "Solution": "#6a1b9a"}
    LABELS = (N_("Correct"), N_("Incorrect"), N_("Not attempted"), N_("Hint"), N_("Solution"))  # shown as _(label)

    def __init__(self, label, message, code=None):
        self.label, self.message, self.code = label, message, code

    @property
    def correct(self):
        return self.label == "Correct"

    @property
    def shown_label(self):
        """The label in the current language; `label` itself stays English ("Correct", "Hint 2"), a key."""
        kind, _sep, n = self.label.rpartition(" ")
        if kind == "Hint" and n.isdigit():
            return _("Hint {n}").format(n=n)
        return _(self.label)

    def __repr__(self):
        label = self.shown_label
        text = f"{label}: {self.message}" if self.message else f"{label}:"
        return text + (f"\n{self.code}" if self.code else "")

    def _repr_html_(self):
        # The label says it in words; the colour only repeats it. The box sets its own text and background,
        # so every colour keeps at least 4.5:1 contrast in a dark theme too (WCAG 1.4.1 and 1.4.3).
        colour = self.COLOURS.get(self.label, self.COLOURS.get(self.label.split()[0], "#333"))
        body = html.escape(self.message)
        code = f'<pre style="color:#1a1a1a;background:#f5f5f5">{html.escape(self.code)}</pre>' if self.code else ""
        return (f'<div style="color:#1a1a1a;background:#fff;border-left:4px solid {colour};padding:2px 8px">'
                f'<b style="color:{colour}">{html.escape(self.shown_label)}:</b> {body}{code}</div>')


def _show(feedback):
    from IPython.display import display  # prints the repr outside a notebook
    display(feedback)


_MISSING = object()


class Problem:
    """One question. Subclasses set `_var`, `_hints`, `_solution` and write `_check(value)`."""

    _var = None          # the notebook variable the check reads
    _hints = ()          # from a nudge to a near-answer
    _solution = CS("")   # runnable code that sets `_var`
    _setup = CS("")      # what the notebook defined before the question; the tests run it first
    _typical_mistake = CS("")  # runnable code a student might write; the tests check it fails helpfully
    _correct_message = N_("Well done.")
    _not_attempted = N_("When you have replaced the ____ in the starter code, `check()` will tell you whether it is "
                        "right.")

    def evaluate(self, value):
        """Feedback for a value, without showing it (tests call this)."""
        if value is _MISSING or value is None or isinstance(value, _Blank):
            return Feedback("Not attempted", _("You haven't set `{var}` yet. {not_attempted}").format(
                var=self._var, not_attempted=_(self._not_attempted)))
        try:
            self._check(value)
        except Incorrect as e:
            return Feedback("Incorrect", str(e))
        return Feedback("Correct", _(self._correct_message))  # a message built at run time is translated already

    def check(self, value=_MISSING):
        """Check your answer: reads the notebook variable named by the question."""
        if value is _MISSING:
            value = inspect.stack()[1].frame.f_globals.get(self._var, _MISSING)
        _show(self.evaluate(value))

    def hint(self, n=1):
        """Show hint n (1 is a nudge; the last one is close to the answer)."""
        if not self._hints:
            return _show(Feedback("Hint", _("There is no hint for this one: re-read the section above.")))
        n = max(1, min(int(n), len(self._hints)))
        text = _(self._hints[n - 1])
        if n < len(self._hints):
            text += _(" (For another hint, call `.hint({n})`)").format(n=n + 1)
        _show(Feedback("Hint" if len(self._hints) == 1 else f"Hint {n}", text))

    def solution(self):
        """Show a solution you can run."""
        _show(Feedback("Solution", "", code=str(self._solution)))

    def _check(self, value):
        raise NotImplementedError


class EqualityProblem(Problem):
    """A question with one right value (a count, a shape, a width). `_mistakes` maps typical wrong values to advice."""

    _expected = None
    _rel_tol = 0.0
    _mistakes = {}
    _unit = ""

    def _check(self, value):
        expected = self._expected
        if isinstance(expected, (int, float)) and not isinstance(expected, bool):
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise Incorrect(_("Expected a number, but `{var}` is a {kind} ({value!r}).").format(
                    var=self._var, kind=type(value).__name__, value=value))
            if math.isclose(value, expected, rel_tol=self._rel_tol, abs_tol=0 if self._rel_tol else 1e-9):
                return
        elif value == expected:
            return
        advice = _(self._mistakes.get(value, N_("Compare your working with the section above, or call `.hint()`.")))
        raise Incorrect(_("`{var}` is {value}{unit}, which is not right. {advice}").format(
            var=self._var, value=_fmt(value), unit=_(self._unit) if self._unit else "", advice=advice))


class FunctionProblem(Problem):
    """A question whose answer is a function. Starter code that still returns ____ is "not attempted"."""

    def _sample_args(self):
        """Arguments to call the student's function with, to see whether it still returns ____."""
        raise NotImplementedError

    def evaluate(self, value):
        if callable(value) and not isinstance(value, type) and not hasattr(value, "forward"):
            try:
                if isinstance(value(*self._sample_args()), _Blank):
                    return Feedback("Not attempted", _("Your `{var}` still returns ____. {not_attempted}").format(
                        var=self._var, not_attempted=_(self._not_attempted)))
            except Exception:  # noqa: BLE001  _check reports what went wrong
                pass
        return super().evaluate(value)

    def _call(self, value, args, should, on_error="", returns=None):
        """The student's function called on args. A non-function, an error it raises, or a result
        that is not a `returns` (a class, if given) is feedback.

        should: what the function should do, e.g. "take `block.paths` and return an nn.Conv2d";
        on_error: advice added when it raises. Both are marked with N_() (or translated with _() when
        built at run time) and translated here.
        """
        should = _(should)
        if not callable(value) or isinstance(value, type) or hasattr(value, "forward"):
            raise Incorrect(_("Expected `{var}` to be a function, but it has type {kind}. Define it with `def`: "
                              "it should {should}.").format(var=self._var, kind=type(value).__name__, should=should))
        try:
            result = value(*args)
        except Exception as err:  # noqa: BLE001  show the student what their function raised
            advice = _ERROR_ADVICE.get(type(err), on_error)  # advice that fits the error, else the problem's
            raise Incorrect(_("Your function raised {error}: {err}. It should {should}. ").format(
                error=type(err).__name__, err=err, should=should) + (_(advice) if advice else "")) from None
        if returns is not None and not isinstance(result, returns):
            raise Incorrect(_("Expected your function to return a {returns}, but it returned something of type "
                              "{kind}. It should {should}.").format(returns=returns.__name__,
                                                                    kind=type(result).__name__, should=should))
        return result


# Errors whose cause is in the Python, not in the idea: say what they mean, not what the idea needs.
_ERROR_ADVICE = {
    AttributeError: N_("An AttributeError means your code asked an object for something it does not have: "
                       "print `type(x)` of the object named in the message, and check the name after the dot "
                       "(a path's convs are `path.conv1`, `path.conv2`, ...; a conv's weight is `conv.weight`)."),
    NameError: N_("A NameError means a name is not defined inside your function: define it there, or use "
                  "the function's own arguments."),
    IndexError: N_("An IndexError means an index ran past the end of a list or tensor: check `len(...)` or "
                   "`.shape` of what you index, and count from 0."),
}


class MultipleChoiceProblem(Problem):
    """A question with lettered options; each option has its own feedback, so a wrong choice is told why.

    Subclasses set `_question`, `_options` (texts, lettered a, b, c, ...), `_answer` (the right
    letter), `_feedback` (one message per option, in the same order) and `_source` (where the
    paper or a library says so, shown with the right answer). `_var` names the variable that
    holds the student's letter.
    """

    _var = "answer"
    _question = ""
    _options = ()
    _answer = "a"
    _feedback = ()
    _source = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        assert len(cls._options) == len(cls._feedback) >= 2, cls.__name__
        assert cls._answer in cls.letters(), cls.__name__
        cls._solution = CS(f"{cls._var} = {cls._answer!r}")
        wrong = next(letter for letter in cls.letters() if letter != cls._answer)
        cls._typical_mistake = CS(f"{cls._var} = {wrong!r}")

    @classmethod
    def letters(cls):
        """The options' letters: 'a', 'b', ..."""
        return tuple("abcdefgh"[:len(cls._options)])

    @property
    def question(self):
        """The question's text, as the quiz shows it, in the current language."""
        return _(self._question)

    def options(self):
        """[(letter, option text)], in order, in the current language."""
        return [(letter, _(text)) for letter, text in zip(self.letters(), self._options)]

    @property
    def _correct_message(self):
        source = _(" (Source: {source}.)").format(source=_(self._source)) if self._source else ""
        return _(self._feedback[self.letters().index(self._answer)]) + source

    def _check(self, value):
        letter = value.strip().lower().rstrip(")") if isinstance(value, str) else value
        if letter not in self.letters():
            raise Incorrect(_("`{var}` is {value!r}, which is not one of the options: choose one of {letters}.").format(
                var=self._var, value=value, letters=", ".join(map(repr, self.letters()))))
        if letter != self._answer:
            raise Incorrect(_(self._feedback[self.letters().index(letter)]))


def _fmt(value):
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else repr(value)


def bind_exercises(namespace, problems, start=1):
    """Create q1, q2, ... in `namespace` from the question classes, in order; `import *` gives them and ____."""
    names = []
    for i, cls in enumerate(problems, start):
        namespace[f"q{i}"] = cls()
        names.append(f"q{i}")
    namespace["____"] = ____
    namespace["__all__"] = names + ["____"]
