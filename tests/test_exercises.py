"""Every exercise: its solution passes its check, a typical mistake fails with advice, a blank is 'not attempted'."""
import importlib
import pkgutil
import re

import pytest

import resnext_edu.exercises as exercises
from resnext_edu.exercises.core import Problem, ____

MODULES = [m.name for m in pkgutil.iter_modules(exercises.__path__) if m.name.startswith("nb") or m.name == "quiz"]
PREAMBLE = ("import torch\nfrom torch import nn\n"
            "from resnext_edu import blocks, complexity, counting, family, grouped, models, registry\n")


def _problems():
    params = []
    for name in MODULES:
        module = importlib.import_module(f"resnext_edu.exercises.{name}")
        params += [pytest.param(getattr(module, q), id=f"{name}.{q}") for q in module.__all__ if q.startswith("q")]
    return params


def _run(problem, code):
    namespace = {}
    torch = importlib.import_module("torch")
    torch.manual_seed(0)
    exec(PREAMBLE + problem._setup + "\n" + code, namespace)
    return namespace[problem._var]


def test_there_are_exercises():
    assert len(_problems()) >= 3 * len(MODULES) > 0


@pytest.mark.parametrize("problem", _problems())
def test_solution_passes(problem):
    assert isinstance(problem, Problem)
    assert problem._solution.strip(), "every question needs a runnable solution"
    feedback = problem.evaluate(_run(problem, problem._solution))
    assert feedback.correct, feedback


@pytest.mark.parametrize("problem", _problems())
def test_typical_mistake_fails_with_advice(problem):
    assert problem._typical_mistake.strip(), "every question needs a typical mistake to test against"
    feedback = problem.evaluate(_run(problem, problem._typical_mistake))
    assert feedback.label == "Incorrect", feedback
    assert len(feedback.message) > 40, f"the message should teach, got: {feedback.message!r}"


@pytest.mark.parametrize("problem", _problems())
def test_blank_is_not_attempted(problem):
    feedback = problem.evaluate(____)
    assert feedback.label == "Not attempted"
    assert not feedback.correct


@pytest.mark.parametrize("problem", _problems())
def test_hints_and_solution_show(problem, capsys):
    problem.hint()
    problem.solution()
    out = capsys.readouterr().out
    assert "Hint" in out and "Solution" in out
    assert problem._solution.strip().splitlines()[0] in out


def _function_problems():
    from resnext_edu.exercises.core import FunctionProblem
    return [p for p in _problems() if isinstance(p.values[0], FunctionProblem)]


@pytest.mark.parametrize("problem", _function_problems())
def test_function_questions_explain_a_non_function_a_crash_and_a_wrong_return(problem):
    def crashes(*args):
        raise ZeroDivisionError("division by zero")

    not_a_function = problem.evaluate(3)
    assert not_a_function.label == "Incorrect" and "to be a function, but it has type int" in not_a_function.message
    crash = problem.evaluate(crashes)
    assert crash.label == "Incorrect" and "raised ZeroDivisionError: division by zero. It should" in crash.message

    def slips(*args):
        return args[0].conv9  # a typo: no such attribute

    slip = problem.evaluate(slips)  # advice that fits a Python slip, not the idea's ("check groups")
    assert slip.label == "Incorrect" and "An AttributeError means" in slip.message
    assert "check `groups`" not in slip.message
    if problem._var != "nhwc_groups":  # the two that must return a conv
        wrong = problem.evaluate(lambda *args: 5)
        assert wrong.label == "Incorrect" and "return a Conv2d, but it returned something of type int" in wrong.message


def _code_lines(code):
    """The solution's lines of code, without comments and blanks, whitespace folded."""
    lines = [line.split("  #")[0] for line in code.splitlines() if not line.lstrip().startswith("#")]
    return [" ".join(line.split()) for line in lines if line.strip()]


def _mentions(text, value):
    """True if a hint's text names the number value on its own (not inside a name like 32x4d)."""
    forms = {f"{value:,}", f"{value}", f"{value:_}"}
    return any(re.search(rf"(?<![\w.,]){re.escape(f)}(?![\w,]|\.\d)", text) for f in forms)


def _gives_the_answer(problem, code):
    """True if running code (a hint's snippet) as the answer passes the check."""
    var = problem._var
    if not re.match(rf"\s*{re.escape(var)}\s*=", code):
        code = f"{var} = {code}" if "\n" not in code else code
    try:
        value = _run(problem, code)
    except Exception:  # noqa: BLE001  a snippet that is not a whole answer
        return False
    return problem.evaluate(value).correct


@pytest.mark.parametrize("problem", _problems())
def test_hints_teach_without_giving_the_answer(problem):
    # A hint is a nudge, the last one a near-answer; only solution() shows code or the final value.
    hints = [" ".join(h.split()) for h in problem._hints]
    for line in _code_lines(problem._solution):
        if len(line) > 12:  # "d = 4" may be part of a question's wording; a line of code is not
            assert not any(line in h for h in hints), f"a hint contains the solution's line {line!r}"
    expected = getattr(problem, "_expected", None)
    if isinstance(expected, int) and not isinstance(expected, bool) and abs(expected) >= 10:
        assert not any(_mentions(h, expected) for h in hints), f"a hint gives the expected value {expected:,}"
    for n, hint in enumerate(problem._hints, 1):
        spans = re.findall(r"`([^`]+)`", hint)
        for code in spans + (["\n".join(spans)] if len(spans) > 1 else []):
            assert not _gives_the_answer(problem, code), f"hint {n} gives the answer: {code!r}"
