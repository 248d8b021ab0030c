"""`make solutions`: every exercise of every notebook filled with its own solution, executed, and checked "Correct".

The keys are built once per module (executing the 8 notebooks, two at a time, takes a few minutes), into a
temporary folder; the tests read the executed copies and quiz_answers.md, and compare the originals in
notebooks/ byte for byte with what they were before.
"""
import importlib
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import make_solutions  # noqa: E402

from resnext_edu.exercises.core import MultipleChoiceProblem  # noqa: E402

NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
CORRECT_HTML = re.compile(r"<b[^>]*>Correct:</b>")  # how Feedback._repr_html_ labels a passed check
WRONG = ("Incorrect", "Not attempted", "Not yet")


def _code(path):
    return "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")


def expected_questions(path):
    """{qN: problem} for every question the notebook star-imports from an exercises module and checks."""
    code = _code(path)
    modules = [importlib.import_module(f"resnext_edu.exercises.{m}")
               for m in re.findall(r"^from resnext_edu\.exercises\.(\w+) import \*", code, re.M)]
    checked = set(re.findall(r"\b(q\d+)\.check\(", code))
    return {q: getattr(m, q) for m in modules for q in m.__all__ if q in checked}


@pytest.fixture(scope="module")
def key(tmp_path_factory):
    """(out folder, {notebook: row}, originals' bytes before, after): the whole build, run once."""
    before = {p.name: p.read_bytes() for p in NOTEBOOKS}
    out = tmp_path_factory.mktemp("solutions")
    rows = make_solutions.build(NOTEBOOK_DIR, out, jobs=2)
    after = {p.name: p.read_bytes() for p in NOTEBOOKS}
    return out, {row[0]: row for row in rows}, before, after


def _texts(output):
    """The text/plain and text/html of an output, or its stream text."""
    data = output.get("data", {})
    return "".join(data.get("text/plain", "")) + "".join(data.get("text/html", "")) + output.get("text", "")


def _cell_checking(nb, q):
    cells = [c for c in nb.cells if c.cell_type == "code" and re.search(rf"\b{q}\.check\(", c.source)]
    assert len(cells) == 1, f"expected one cell calling {q}.check(), found {len(cells)}"
    return cells[0]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_exercise_is_filled_and_checks_correct(key, path):
    out, rows, _, _ = key
    questions = expected_questions(path)
    nb = nbformat.read(out / path.name, as_version=4)
    assert rows[path.name][1] == sorted(questions, key=lambda q: int(q[1:])), "the table counts what was filled"
    for q, problem in questions.items():
        cell = _cell_checking(nb, q)
        assert "____" not in cell.source and str(problem._solution).strip() in cell.source
        outputs = cell.outputs
        assert len(outputs) == 1 and outputs[0].output_type == "display_data", f"{q}: {outputs}"
        assert "".join(outputs[0].data["text/plain"]).startswith("Correct:"), f"{q}: {_texts(outputs[0])}"
        assert CORRECT_HTML.search("".join(outputs[0].data["text/html"])), q


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_hint_cells_show_the_solution(key, path):
    out = key[0]
    originals = {m.group(1) for m in re.finditer(r"^# (q\d+)\.solution\(\)", _code(path), re.M)}
    nb = nbformat.read(out / path.name, as_version=4)
    assert not re.search(r"^# q\d+\.(hint|solution)\(", _code(out / path.name), re.M)
    for q in originals:
        cells = [c for c in nb.cells if c.cell_type == "code" and c.source == f"{q}.solution()"]
        assert len(cells) == 1, q
        assert "".join(cells[0].outputs[0].data["text/plain"]).startswith("Solution:"), q


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_error_and_no_wrong_feedback_anywhere(key, path):
    nb = nbformat.read(key[0] / path.name, as_version=4)
    for index, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        for output in cell.outputs:
            assert output.output_type != "error", f"code cell {index}: {output.get('ename')}: {output.get('evalue')}"
            text = _texts(output)
            assert not any(f"{label}:" in text for label in WRONG), f"code cell {index}: {text[:300]}"
    assert "____" not in _code(key[0] / path.name)


def test_the_quiz_widget_has_every_right_answer_chosen(key):
    quiz = importlib.import_module("resnext_edu.exercises.quiz")
    n = len([q for q in quiz.__all__ if q.startswith("q")])
    users = [p for p in NOTEBOOKS if "from resnext_edu.exercises.quiz import quiz" in _code(p)]
    assert users, "a notebook shows the quiz"
    for path in users:
        nb = nbformat.read(key[0] / path.name, as_version=4)
        assert key[1][path.name][2] == n
        state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
        values = [m["state"].get("value") for m in state.values() if m["model_name"] == "HTMLModel"]
        assert sum(bool(CORRECT_HTML.search(v or "")) for v in values) == n
        assert not any("<b>Incorrect:</b>" in (v or "") for v in values)
        assert any(f"Score: {n} of {n} right" in (v or "") for v in values)


def test_quiz_answers_name_every_question_and_its_answer(key):
    text = (key[0] / "quiz_answers.md").read_text(encoding="utf-8")
    problems = [p for _, found in make_solutions.multiple_choice() for _, p in found]
    quiz = importlib.import_module("resnext_edu.exercises.quiz")
    assert {type(getattr(quiz, q)) for q in quiz.__all__ if q.startswith("q")} <= {type(p) for p in problems}
    assert any(isinstance(p, MultipleChoiceProblem) for p in expected_questions(NOTEBOOK_DIR / "04_resnext.ipynb")
               .values()), "notebook 04's multiple-choice question is listed too"
    for problem in problems:
        assert problem.question in text
        assert f"**Answer: {problem._answer})** {dict(problem.options())[problem._answer]}" in text
        assert all(feedback in text for feedback in problem._feedback), type(problem).__name__


def test_the_originals_are_unchanged(key):
    _, _, before, after = key
    assert before == after


def _notebook(*sources):
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])


@pytest.mark.parametrize("cell, message", [
    ("cardinality = ____\nq9.check()", r"broken\.ipynb, cell 1: q9\.check\(\) matches no question"),
    ("width = ____\nq1.check()", r"broken\.ipynb, cell 1: q1 \(Cardinality\) checks `cardinality`"),
    ("cardinality = ____", r"broken\.ipynb, cell 1: an exercise cell needs ____ starter code and one qN\.check"),
    ("cardinality = ____ +\nq1.check()", r"broken\.ipynb, cell 1: cannot parse"),
])
def test_a_cell_that_matches_no_question_fails_loudly(cell, message):
    nb = _notebook("from resnext_edu.exercises.nb00 import *", cell)
    with pytest.raises(make_solutions.FillError, match=message):
        make_solutions.fill_notebook(nb, "broken.ipynb")


def test_a_check_without_an_exercises_import_fails_loudly():
    with pytest.raises(make_solutions.FillError, match=r"x\.ipynb, cell 0: calls q1\.check\(\), but the notebook"):
        make_solutions.fill_notebook(_notebook("cardinality = ____\nq1.check()"), "x.ipynb")


@pytest.mark.parametrize("argv, named", [
    (["--notebooks", "no/such/folder"], "'no/such/folder'"),
    (["--jobs", "0"], "'0'"),
    (["--timeout", "soon"], "'soon'"),
    (["--out", str(NOTEBOOK_DIR)], repr(str(NOTEBOOK_DIR))),
])
def test_bad_arguments_name_the_value(argv, named, capsys):
    with pytest.raises(SystemExit):
        make_solutions.main(argv)
    assert named in capsys.readouterr().err
