"""Every exercise: its solution passes its check, a typical mistake fails with advice, a blank is 'not attempted'."""
import importlib
import pkgutil

import pytest

import resnext_edu.exercises as exercises
from resnext_edu.exercises.core import Problem, ____

MODULES = [m.name for m in pkgutil.iter_modules(exercises.__path__) if m.name.startswith("nb")]
PREAMBLE = "import torch\nfrom torch import nn\nfrom resnext_edu import blocks, counting, grouped, models\n"


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
