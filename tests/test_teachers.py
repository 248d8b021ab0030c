"""The teacher's kit (teachers/) stays in step with the notebooks it plans.

- The guide has a section per notebook, whose lesson plan covers every numbered section of that
  notebook and names its last exercise, and whose minutes add up to its total.
- teachers/README.md's course total equals the sum of the plans.
- Every quiz question the guide quotes is that question of notebook 07's quiz, word for word.
- The README's teacher section and the kit link only to files that exist.
"""
import json
import re
from pathlib import Path

import pytest

from resnext_edu.exercises import quiz

ROOT = Path(__file__).resolve().parents[1]
TEACHERS = ROOT / "teachers"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
GUIDE = (TEACHERS / "guide.md").read_text(encoding="utf-8")


def guide_sections(text=GUIDE):
    """{"00": section text, ...}: the guide's "## NN title" sections."""
    parts = re.split(r"^## (\d\d) .*$", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def plan(section):
    """[(part, minutes)] of a section's lesson-plan table, and the total it states."""
    rows = re.findall(r"^\| (.+?) \| \**(\d+)\** \|$", section, re.M)
    parts = [(name, int(minutes)) for name, minutes in rows if name != "**total**"]
    totals = [int(minutes) for name, minutes in rows if name == "**total**"]
    return parts, totals[0] if totals else None


def numbers_named(text):
    """The section numbers a plan row names: "section 4", "sections 1 and 2", "sections 1 to 3", "0 and 1"."""
    named = set()
    for run in re.findall(r"sections? ((?:\d+(?:, | and | to )?)+)", text):
        for a, b in re.findall(r"(\d+) to (\d+)", run):
            named |= set(range(int(a), int(b) + 1))
        named |= {int(n) for n in re.findall(r"\d+", run)}
    return named


def notebook_facts(path):
    """(numbered sections, exercise numbers) of a notebook, from its cells."""
    cells = json.loads(path.read_text())["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    sections = {int(n) for n in re.findall(r"^## (\d+)\.", text, re.M)}
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    exercises = {int(n) for n in re.findall(r"\bq(\d+)\.check\(", code)}
    return sections, exercises


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_guide_plans_every_section_and_exercise_of_the_notebook(path):
    section = guide_sections().get(path.name[:2])
    assert section is not None, f"teachers/guide.md has no section '## {path.name[:2]} ...'"
    parts, total = plan(section)
    assert parts and total == sum(minutes for _, minutes in parts), f"{path.name}: the plan's minutes do not add up"
    sections, exercises = notebook_facts(path)
    named = set().union(*(numbers_named(name) for name, _ in parts))
    assert sections <= named, f"{path.name}: the plan leaves out sections {sorted(sections - named)}"
    assert f"q{max(exercises)}" in section, f"{path.name}: the plan does not name its exercise q{max(exercises)}"


def test_the_course_total_is_the_sum_of_the_plans():
    totals = [plan(section)[1] for section in guide_sections().values()]
    assert len(totals) == len(NOTEBOOKS)
    readme = (TEACHERS / "README.md").read_text(encoding="utf-8")
    stated = re.search(r"add up to (\d+) minutes", readme)
    assert stated and int(stated[1]) == sum(totals)
    core = re.search(r"00 to 04 are the core \((\d+) minutes", readme)
    assert core and int(core[1]) == sum(plan(guide_sections()[n])[1] for n in ("00", "01", "02", "03", "04"))


def test_the_section_check_can_fail():
    row = "| sections 1 to 3: the question | 12 |\n| section 5: results | 8 |\n| **total** | **20** |"
    parts, total = plan(row)
    assert total == 20 and numbers_named(parts[0][0] + " " + parts[1][0]) == {1, 2, 3, 5}  # 4 is missing


def test_quoted_quiz_questions_are_the_quiz_questions():
    quoted = re.findall(r'quiz question (\d+):\s+"([^"]+)"', GUIDE)
    assert len(quoted) >= 9
    for number, words in quoted:
        question = quiz.QUESTIONS[int(number) - 1]._question
        assert " ".join(words.split()) in question, f"quiz question {number} does not say {words!r}"


@pytest.mark.parametrize("page", ["README.md", "teachers/README.md", "teachers/guide.md", "teachers/binder.md"])
def test_links_point_to_files_that_exist(page):
    text = (ROOT / page).read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        assert ((ROOT / page).parent / target).exists(), f"{page} links to {target}, which does not exist"
    if page == "README.md":
        for kit in ("teachers/README.md", "teachers/guide.md", "teachers/slides.md", "teachers/binder.md"):
            assert kit in text, f"the README's teacher section does not point to {kit}"
        assert "make solutions" in text
