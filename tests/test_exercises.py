"""Every exercise: its solution passes its check, a typical mistake fails with advice, a blank is 'not attempted'."""
import importlib
import pkgutil

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
    if problem._var != "nhwc_groups":  # the two that must return a conv
        wrong = problem.evaluate(lambda *args: 5)
        assert wrong.label == "Incorrect" and "return a Conv2d, but it returned something of type int" in wrong.message
