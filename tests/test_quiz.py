"""The misconception quiz: every option of every question gives its own feedback, headless and in the widget."""
import html

import pytest

from resnext_edu.exercises import quiz as quiz_module
from resnext_edu.exercises.core import MultipleChoiceProblem
from resnext_edu.exercises.quiz import quiz

PROBLEMS = [getattr(quiz_module, name) for name in quiz_module.__all__ if name.startswith("q")]
ALL_OPTIONS = [(p, letter) for p in PROBLEMS for letter in p.letters()]


def test_at_least_eight_questions_each_with_feedback_for_every_option():
    assert len(PROBLEMS) >= 8
    for p in PROBLEMS:
        assert isinstance(p, MultipleChoiceProblem)
        assert len(p._options) == len(p._feedback) >= 3
        assert len(set(p._options)) == len(p._options) and len(set(p._feedback)) == len(p._feedback)
        assert p._source


@pytest.mark.parametrize("topic, right", [
    ("ensemble", "trained jointly"),
    ("groups", "groups=32"),
    ("depthwise", "groups equal to the number of channels"),
    ("FLOPs", "Not necessarily"),
    ("forms (b) and (c)", "the same output"),
    ("stride 2", "3x3"),
    ("Table 2", "from 64 to 4"),
    ("first 1x1 is grouped", "1/C"),
])
def test_the_misconceptions_are_covered_with_the_right_answer(topic, right):
    matches = [p for p in PROBLEMS if topic in p._question]
    assert matches, topic
    assert any(right in dict(p.options())[p._answer] for p in matches)


@pytest.mark.parametrize("problem, letter", ALL_OPTIONS, ids=lambda x: x if isinstance(x, str) else type(x).__name__)
def test_each_option_gives_its_own_feedback(problem, letter):
    feedback = problem.evaluate(letter)
    assert feedback.correct == (letter == problem._answer)
    assert feedback.label == ("Correct" if feedback.correct else "Incorrect")
    assert problem._feedback[problem.letters().index(letter)] in feedback.message
    assert (problem._source in feedback.message) == feedback.correct  # the source comes with the right answer


def test_the_ensemble_question_cites_the_paper():
    p = next(p for p in PROBLEMS if "ensemble" in p._question)
    feedback = p.evaluate(p._answer)
    assert feedback.correct and "jointly, not independently" in feedback.message and "Xie et al. 2017" in feedback.message


def test_the_widget_shows_feedback_and_keeps_score():
    box = quiz()
    assert len(box.radios) == len(box.feedbacks) == len(PROBLEMS)
    assert box.children[-1] is box.score and "0 of" in box.score.value
    for p, radio, feedback in zip(PROBLEMS, box.radios, box.feedbacks):
        assert radio.value is None and feedback.value == ""  # nothing chosen yet
        for letter in p.letters():
            radio.value = letter  # observers run synchronously outside a kernel
            assert html.escape(p._feedback[p.letters().index(letter)]) in feedback.value
            assert ("Correct:" in feedback.value) == (letter == p._answer)
        radio.value = next(letter for letter in p.letters() if letter != p._answer)
    n = len(PROBLEMS)
    assert f"Score: 0 of {n} right" in box.score.value and f"({n} answered)" in box.score.value
    for p, radio in zip(PROBLEMS, box.radios):
        radio.value = p._answer
    assert f"Score: {n} of {n} right" in box.score.value


@pytest.mark.parametrize("value", ["e", 2, True, None, "ab"])
def test_a_value_that_is_not_an_option_is_named(value):
    feedback = PROBLEMS[0].evaluate(value)
    if value is None:
        assert feedback.label == "Not attempted"
    else:
        assert feedback.label == "Incorrect" and repr(value) in feedback.message and "'a', 'b', 'c', 'd'" in feedback.message


def test_every_option_fits_one_line_of_a_laptop_screen():
    # ipywidgets' RadioButtons give each label one line's height: a longer option is drawn over the
    # next one. In JupyterLab at 1366x768 a quiz line holds about 115 characters "x) ..." (2026-12-01).
    long = [f"{p._question[:30]}... {letter}) {text}" for p in PROBLEMS for letter, text in p.options()
            if len(f"{letter}) {text}") > 110]
    assert long == []
