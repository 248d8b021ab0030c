"""The misconception quiz: every option of every question gives its own feedback, headless and in the widget."""
import html

import pytest

from resnext_edu.quiz import QUESTIONS, answer, quiz

ALL_OPTIONS = [(q, o) for q, question in enumerate(QUESTIONS) for o in range(len(question.options))]


def test_at_least_eight_questions_each_with_feedback_for_every_option():
    assert len(QUESTIONS) >= 8
    for q in QUESTIONS:
        assert len(q.options) == len(q.feedback) >= 3
        assert len(set(q.options)) == len(q.options) and len(set(q.feedback)) == len(q.feedback)
        assert q.source


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
    matches = [q for q in QUESTIONS if topic in q.text]
    assert matches, topic
    assert any(right in q.options[q.right] for q in matches)


@pytest.mark.parametrize("q, o", ALL_OPTIONS)
def test_answer_gives_the_feedback_of_that_option(q, o):
    question = QUESTIONS[q]
    correct, text = answer(q, o)
    assert correct == (o == question.right)
    assert text.startswith("Correct." if correct else "Not quite.")
    assert question.feedback[o] in text
    assert (question.source in text) == correct  # the source is shown with the right answer


def test_the_ensemble_question_cites_the_paper():
    q = next(i for i, q in enumerate(QUESTIONS) if "ensemble" in q.text)
    correct, text = answer(q, QUESTIONS[q].right)
    assert correct and "jointly, not independently" in text and "Xie et al. 2017" in text


def test_the_widget_shows_feedback_and_keeps_score():
    box = quiz()
    assert len(box.radios) == len(box.feedbacks) == len(QUESTIONS)
    assert box.children[-1] is box.score and "0 of" in box.score.value
    for q, (radio, feedback) in enumerate(zip(box.radios, box.feedbacks)):
        assert radio.value is None and feedback.value == ""  # nothing chosen yet
        for o in range(len(QUESTIONS[q].options)):
            radio.value = o  # observers run synchronously outside a kernel
            correct, text = answer(q, o)
            assert html.escape(QUESTIONS[q].feedback[o]) in feedback.value
            assert ("Correct." in feedback.value) == correct
        wrong = (QUESTIONS[q].right + 1) % len(QUESTIONS[q].options)
        radio.value = wrong
    n = len(QUESTIONS)
    assert f"Score: 0 of {n} right" in box.score.value and f"({n} answered)" in box.score.value
    for q, radio in enumerate(box.radios):
        radio.value = QUESTIONS[q].right
    assert f"Score: {n} of {n} right" in box.score.value


@pytest.mark.parametrize("q, o, match", [
    (len(QUESTIONS), 0, "question_index=.* must be 0 .. "),
    (0, 9, "option_index=9 must be 0 .. 3 for question 0"),
    (0, True, "option_index=True"),
])
def test_answer_rejects_bad_indices(q, o, match):
    with pytest.raises(ValueError, match=match):
        answer(q, o)
