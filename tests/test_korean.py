"""The Korean edition (notebooks/ko/) is in step with the English one, and speaks Korean.

In step: each Korean notebook has the English notebook's cells, by id and in order, each one
translated from the English source it records (a changed English cell makes it stale), with the
same code (comments and the words of display strings aside), the same section headings, and, in
every `# NBVAL_CHECK_OUTPUT` cell, the same numbers in its saved outputs. Korean: every prose cell
has Hangul, and so does every message the package shows there. The rules live in
scripts/ko_sync.py; CONTRIBUTING.md's "The Korean edition" says how to keep the two in step.
"""
import copy
import html
import json
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import ko_sync  # noqa: E402  (scripts/ is not a package)

PAIRS = ko_sync.pairs()
NUMBER = re.compile(r"\d+(?:[,.]\d+)*(?:e[+-]?\d+)?|\b(?:True|False)\b")  # no sign: "ResNeXt-50" is a name


def output_text(cell):
    """The text of a code cell's saved outputs (streams, text/plain, text/html without its tags)."""
    parts = []
    for out in cell.get("outputs", []):
        if out["output_type"] == "stream":
            parts.append("".join(out["text"]))
        for mime in ("text/plain", "text/html", "text/markdown"):
            data = out.get("data", {}).get(mime)
            if data is not None and not (mime == "text/plain" and "text/html" in out.get("data", {})):
                text = "".join(data)
                parts.append(html.unescape(re.sub(r"<[^>]+>", " ", text)) if mime == "text/html" else text)
    return "\n".join(parts)


def checked(cell):
    return cell["cell_type"] == "code" and "# NBVAL_CHECK_OUTPUT" in ko_sync.source(cell)


def test_there_is_a_korean_notebook_for_every_english_one():
    assert len(PAIRS) == 8
    assert [ko.exists() for _, ko in PAIRS] == [True] * 8, [ko.name for _, ko in PAIRS if not ko.exists()]


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p[1].name)
def test_the_korean_notebook_is_in_step_with_the_english(pair):
    problems = ko_sync.problems(*pair)
    assert problems == [], "\n".join(problems) + "\n(how to fix: CONTRIBUTING.md, \"The Korean edition\")"


def number_differences(english, korean):
    """Lines naming each checked cell whose Korean outputs lack a number of the English ones.

    As a multiset: Korean word order moves numbers, and a Korean label may add one (2개)."""
    differ = []
    for index, (e, k) in enumerate(zip(english, korean)):
        if checked(e):
            want, got = Counter(NUMBER.findall(output_text(e))), Counter(NUMBER.findall(output_text(k)))
            assert want, f"cell {index} is checked but its English output has no number, True or False"
            if want - got:
                differ.append(f"cell {index} ({e['id']}): the Korean lacks {sorted((want - got).elements())[:12]}")
    return differ


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p[1].name)
def test_the_checked_outputs_have_the_same_numbers(pair):
    differ = number_differences(*(ko_sync.read(p)["cells"] for p in pair))
    assert differ == [], "checked outputs whose numbers differ (re-execute: make notebooks):\n" + "\n".join(differ)


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p[1].name)
def test_the_korean_notebook_switches_the_package_to_korean_first(pair):
    first = next(c for c in ko_sync.read(pair[1])["cells"] if c["cell_type"] == "code")
    assert ko_sync.source(first).startswith(ko_sync.SWITCH)


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: p[1].name)
def test_what_the_package_says_in_a_korean_notebook_is_korean(pair):
    """Feedback, hints, findings, tables, widgets' captions: a saved output of three English words or more
    in a row is a message left untranslated (code the notebook prints, and names, aside)."""
    english = {c["id"]: c for c in ko_sync.read(pair[0])["cells"]}
    left = []
    for index, cell in enumerate(ko_sync.read(pair[1])["cells"]):
        if cell["cell_type"] != "code":
            continue
        for line in output_text(cell).splitlines():
            words = ENGLISH_RUN.findall(line)
            if words and not any(allowed.search(line) for allowed in ALLOWED) \
                    and line.strip() in output_text(english[cell["id"]]):
                left.append(f"cell {index} ({cell['id']}): {line.strip()[:120]}")
    assert left == [], "English the package printed in a Korean notebook (a message without a translation?):\n" \
        + "\n".join(left)


# three English words in a row (a sentence, not a name like "ResNeXt-50" or a unit like "GMACs")
ENGLISH_RUN = re.compile(r"\b[A-Za-z][a-z]+(?: [a-z]+){2,}\b")
ALLOWED = [re.compile(p) for p in (
    r"^\s*(def |class |return |for |if |self\.|import |from |#|@|\"\"\")",  # source code the notebook prints
    r"\S\s+# ",                                                       # ... with a comment after the code
    r"^<All keys matched successfully>$",                              # torch's own answer to load_state_dict
    r"\w+\(.*\)|\w+\.\w+",                                            # calls and dotted names
    r"https?://|arXiv|et al\.",                                       # references
)]


# --- the checks can fail ------------------------------------------------------------------------------------------


def _copies(tmp_path, name="04_resnext.ipynb"):
    en, ko = tmp_path / name, tmp_path / "ko" / name
    ko.parent.mkdir(parents=True)
    en.write_text((ROOT / "notebooks" / name).read_text(encoding="utf-8"), encoding="utf-8")
    ko.write_text((ROOT / "notebooks" / "ko" / name).read_text(encoding="utf-8"), encoding="utf-8")
    return en, ko


def _edit(path, change):
    nb = ko_sync.read(path)
    change(nb["cells"])
    ko_sync.write(path, nb)


def _markdown(cells, nth=1):
    return [c for c in cells if c["cell_type"] == "markdown"][nth]


def _code(cells, nth=2):
    return [c for c in cells if c["cell_type"] == "code" and "=" in ko_sync.source(c)][nth]


def test_a_changed_english_cell_makes_its_translation_stale(tmp_path):
    en, ko = _copies(tmp_path)
    assert ko_sync.problems(en, ko) == []
    _edit(en, lambda cells: _markdown(cells).update(source=ko_sync.source(_markdown(cells)) + " One more sentence."))
    found = ko_sync.problems(en, ko)
    assert len(found) == 1 and "the English changed since it was translated" in found[0]
    assert "--stamp 04_resnext.ipynb --cell" in found[0]


def test_a_korean_code_cell_that_computes_something_else_is_caught(tmp_path):
    en, ko = _copies(tmp_path)

    def change(cells):
        cell = _code(cells)
        cell["source"] = re.sub(r"\b(\d+)\b", lambda m: str(int(m.group(1)) + 1), ko_sync.source(cell), count=1)
    _edit(ko, change)
    assert any("not the same code as the English" in p for p in ko_sync.problems(en, ko))


def test_translated_words_in_a_string_are_the_same_code():
    assert ko_sync.same_code('print(f"{n:,} weights in {name}")', 'print(f"{name}의 가중치 {n:,}개")') is None
    assert ko_sync.same_code('print("weights:", n)', 'print("가중치:", n)') is None
    assert ko_sync.same_code('x = f"layer{i}"', 'x = f"layer{i + 1}"') is not None  # a field changed
    assert ko_sync.same_code('m = get("resnext50")', 'm = get("resnet50")') is not None  # data, not words
    assert ko_sync.same_code('y = f(x)  # why', 'y = f(x)  # 이유') is None  # comments are free
    # a header field may take Korean words and a width that lines them up (a syllable is two columns)
    assert ko_sync.same_code("print(f\"{'layer':<30} {n:>8}\")", "print(f\"{'층':<29} {n:>8}\")") is None
    assert ko_sync.same_code("print(f\"{'layer':<30} {n:>8}\")", "print(f\"{'층':<29} {n:>9}\")") is not None


def test_a_missing_or_moved_cell_and_a_lost_heading_are_caught(tmp_path):
    en, ko = _copies(tmp_path)
    _edit(ko, lambda cells: cells.insert(0, cells.pop(3)))
    assert "not the English cells in order" in ko_sync.problems(en, ko)[0]
    _edit(ko, lambda cells: cells.insert(3, cells.pop(0)))
    _edit(ko, lambda cells: cells.pop(5))
    assert "missing the English cells" in ko_sync.problems(en, ko)[0]

    en, ko = _copies(tmp_path / "again")
    heading = next(c for c in ko_sync.read(ko)["cells"] if c["cell_type"] == "markdown"
                   and ko_sync.heading(ko_sync.source(c)) == [2])

    def demote(cells):
        cell = next(c for c in cells if c["id"] == heading["id"])
        cell["source"] = ko_sync.source(cell).replace("## ", "### ", 1)
    _edit(ko, demote)
    assert any("headings [3], the English has [2]" in p for p in ko_sync.problems(en, ko))


def test_an_untranslated_cell_is_caught(tmp_path):
    en, ko = _copies(tmp_path)
    english = {c["id"]: c for c in ko_sync.read(en)["cells"]}

    def revert(cells):
        cell = _markdown(cells, 3)
        cell["source"] = copy.deepcopy(english[cell["id"]]["source"])
    _edit(ko, revert)
    assert any("no Korean in it" in p for p in ko_sync.problems(en, ko))


def test_different_numbers_in_a_checked_output_are_caught():
    english = ko_sync.read(ROOT / "notebooks" / "04_resnext.ipynb")["cells"]
    korean = copy.deepcopy(english)
    cell = next(c for c in korean if checked(c) and any(o["output_type"] == "stream" for o in c["outputs"]))
    out = next(o for o in cell["outputs"] if o["output_type"] == "stream")
    out["text"] = re.sub(r"\d", lambda m: str((int(m.group()) + 1) % 10), "".join(out["text"]), count=1)
    assert number_differences(english, english) == []
    assert [line.split(":")[0] for line in number_differences(english, korean)] == [
        f"cell {korean.index(cell)} ({cell['id']})"]


def test_the_english_run_rule_sees_an_untranslated_message():
    line = "Incorrect: Expected a whole number of paths"
    assert ENGLISH_RUN.findall(line) and not any(a.search(line) for a in ALLOWED)
    assert not ENGLISH_RUN.findall("오답: 경로 수는 자연수여야 합니다 (ResNeXt-50, 25,028,904)")


def test_the_korean_notebooks_are_in_the_glossary_s_terms():
    """The glossary page exists and names the paper's three terms the issue lists first."""
    glossary = (ROOT / "notebooks" / "ko" / "용어집.md").read_text(encoding="utf-8")
    for korean, english in (("카디널리티", "cardinality"), ("그룹 합성곱", "grouped convolution"),
                            ("병목", "bottleneck")):
        assert re.search(rf"\| {korean}[^|]*\| {english}", glossary), (korean, english)
    for en, ko in PAIRS:
        english, korean = (" ".join(ko_sync.source(c) for c in ko_sync.read(p)["cells"] if c["cell_type"] == "markdown")
                           for p in (en, ko))
        for term, word in (("cardinality", "카디널리티"), ("grouped conv", "그룹 합성곱"), ("bottleneck", "병목")):
            assert term not in english.lower() or word in korean, f"ko/{ko.name} never says {word} ({term})"
