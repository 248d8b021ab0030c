"""What every committed notebook must hold besides running: alt text, its references, predictions, one style.

- Every image a notebook shows has alt text (the PNG's metadata), for readers with a screen reader.
- It ends with a References section that names the section, table or figure each source is used for.
- Before its key results it asks the student to predict ("**Predict first.**"), then reveals.
- Its figures use the course style: the first code cell calls `viz.use_style()`.
- It opens with the sentence of the paper's abstract or introduction that it tests, quoted word for
  word (checked against tests/data/xie2017_abstract_intro.txt), and closes with "The claim, revisited".
"""
import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
KOREAN = sorted((Path(__file__).resolve().parents[1] / "notebooks" / "ko").glob("*.ipynb"))  # and the Korean edition
BOTH = NOTEBOOKS + KOREAN
PAPER = (Path(__file__).resolve().parent / "data" / "xie2017_abstract_intro.txt").read_text(encoding="utf-8")
QUOTE = re.compile(r'^> "(?P<quote>.+)" \(Xie et al\. 2017, (?P<where>Abstract|Sec\. 1)\)$', re.M)
REVISITED = "## The claim, revisited"
PREDICT = "**Predict first.**"
CITATION = re.compile(r"\b(Sec\.|Section|Table|Fig\.|Figure|Eq\.|Appendix|Algorithm)\s*\d|docs?\b|source\b|`[\w./]+\.py`")


def cells(path):
    return json.loads(path.read_text())["cells"]


def markdown(cell):
    return "".join(cell["source"]) if cell["cell_type"] == "markdown" else ""


def images_without_alt(path):
    """Image outputs without alt text in their metadata, and <img> tags without alt in HTML outputs."""
    missing = []
    for i, cell in enumerate(cells(path)):
        for output in cell.get("outputs", []):
            data, meta = output.get("data", {}), output.get("metadata", {})
            for mime in ("image/png", "image/jpeg", "image/gif", "image/svg+xml"):
                if mime in data and not str(meta.get(mime, {}).get("alt", "")).strip():
                    missing.append(f"cell {i} ({mime})")
            page = "".join(data.get("text/html", ""))
            if any(not re.search(r"\balt=\"[^\"]+\"", tag) for tag in re.findall(r"<img\b[^>]*>", page)):
                missing.append(f"cell {i} (<img> in text/html)")
    return missing


@pytest.mark.parametrize("path", BOTH, ids=lambda p: p.parent.name + "/" + p.name)
def test_every_image_has_alt_text(path):
    assert images_without_alt(path) == [], "show figures with viz.show(fig, alt)"


def test_the_alt_text_check_can_fail(tmp_path):
    nb = {"cells": [{"cell_type": "code", "source": [], "outputs": [
        {"output_type": "display_data", "data": {"image/png": "iVBOR", "text/plain": "<Image>"}, "metadata": {}}]}]}
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(nb))
    assert images_without_alt(path) == ["cell 0 (image/png)"]
    nb["cells"][0]["outputs"] = [{"output_type": "display_data", "data": {"text/html": '<img id="x" src="a.png">'}}]
    path.write_text(json.dumps(nb))
    assert images_without_alt(path) == ["cell 0 (<img> in text/html)"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_ends_with_its_references(path):
    texts = [markdown(c) for c in cells(path)]
    heading = [i for i, t in enumerate(texts) if t.lstrip().startswith("## References")]
    assert heading, "a final '## References' section is missing"
    refs = texts[heading[-1]]
    assert all(not t.strip() for t in texts[heading[-1] + 1:] if t), "References should be the last section"
    items = [line for line in refs.splitlines() if line.lstrip().startswith(("-", "*"))]
    assert items and all(CITATION.search(item) for item in items), \
        "each reference names the section, table or figure it is used for"


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if not p.name.startswith("00")], ids=lambda p: p.name)
def test_asks_for_predictions_before_key_results(path):
    cs = cells(path)
    prompts = [i for i, c in enumerate(cs) if markdown(c).lstrip().startswith(PREDICT)]
    assert len(prompts) >= 2, f"at least two '{PREDICT}' prompts before key results"
    for i in prompts:  # the reveal follows: a code cell right after the prompt (or after one more line of prose)
        assert any(c["cell_type"] == "code" for c in cs[i + 1:i + 3]), f"cell {i}: no code cell reveals the answer"


@pytest.mark.parametrize("path", [p for p in BOTH if not p.name.startswith("00")], ids=lambda p: p.parent.name + "/" + p.name)
def test_figures_use_the_course_style(path):
    first = next("".join(c["source"]) for c in cells(path) if c["cell_type"] == "code")
    assert "viz.use_style()" in first


def _words(text):
    return " ".join(text.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"').split())


def paper_part(where):
    """The Abstract or Sec. 1 of the stored paper text."""
    abstract, intro = PAPER.split("## Abstract", 1)[1].split("## Sec. 1", 1)
    return _words(abstract if where == "Abstract" else intro)


def opening_quote_problems(notebook_cells):
    """What is wrong with the quotation that opens a notebook (an empty list if nothing)."""
    first = markdown(notebook_cells[0])
    match = QUOTE.search(first)
    if not match:
        return ['cell 0 has no line `> "..." (Xie et al. 2017, Abstract)` (or `Sec. 1`)']
    if _words(match["quote"]) not in paper_part(match["where"]):
        return [f"the quotation is not word for word in the paper's {match['where']}: {match['quote'][:60]}..."]
    return []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_opens_with_the_sentence_it_tests(path):
    assert opening_quote_problems(cells(path)) == []


def test_the_quotation_check_can_fail():
    def nb(text):
        return [{"cell_type": "markdown", "source": [text]}]
    good = '# T\n\n> "Our network is constructed by repeating a building block that aggregates a set of ' \
           'transformations with the same topology." (Xie et al. 2017, Abstract)\n'
    assert opening_quote_problems(nb(good)) == []
    assert opening_quote_problems(nb(good.replace("same topology", "same width")))
    assert opening_quote_problems(nb(good.replace("Abstract", "Sec. 1")))  # the sentence is not in Sec. 1
    assert opening_quote_problems(nb("# T\n\nNo quotation."))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_closes_with_the_claim_revisited(path):
    texts = [markdown(c) for c in cells(path)]
    revisited = [i for i, t in enumerate(texts) if t.lstrip().startswith(REVISITED)]
    references = [i for i, t in enumerate(texts) if t.lstrip().startswith("## References")]
    assert len(revisited) == 1, f"one '{REVISITED}' section: what the student can now confirm or doubt"
    assert revisited[0] < references[-1]
    body = texts[revisited[0]][len(REVISITED):]
    assert len(re.findall(r"[.!?](\s|$)", body)) >= 3, "at least three sentences"


def cut_labels(notebook_cells):
    """Sliders built in a notebook whose description is too long for ipywidgets' default label width."""
    cut = []
    for cell in notebook_cells:
        code = "".join(cell["source"]) if cell["cell_type"] == "code" else ""
        for call in re.findall(r"widgets\.\w*Slider\((.*?)\)\s*(?:#|\n|$)", code, re.S):
            label = re.search(r'description="([^"]*)"', call)
            if label and len(label[1]) > 10 and "description_width" not in call:
                cut.append(label[1])
    return cut


@pytest.mark.parametrize("path", BOTH, ids=lambda p: p.parent.name + "/" + p.name)
def test_slider_labels_are_not_cut(path):
    assert cut_labels(cells(path)) == [], 'a long label needs style={"description_width": "initial"}'


def test_the_label_check_can_fail():
    cell = {"cell_type": "code", "source": ['s = widgets.IntSlider(value=1, description="cardinality C")\n']}
    assert cut_labels([cell]) == ["cardinality C"]


@pytest.mark.parametrize("path", BOTH, ids=lambda p: p.parent.name + "/" + p.name)
def test_stores_the_kernels_language_info(path):
    """JupyterLab marks a notebook changed as it opens unless it already holds the kernel's language_info."""
    from ipykernel.ipkernel import IPythonKernel
    info = json.loads(path.read_text())["metadata"].get("language_info", {})
    expected = {k: v for k, v in IPythonKernel.language_info.items() if k != "version"}
    assert {k: info.get(k) for k in expected} == expected, "re-execute it with scripts/execute_notebooks.py"
    assert re.fullmatch(r"3\.1[123]\.\d+", info.get("version", "")), "the Python version that executed it"


def saved_modules(path):
    """The ES module sources of the anywidgets saved in a notebook's widget state."""
    state = json.loads(path.read_text())["metadata"].get("widgets", {})
    models = state.get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    return [m["state"]["_esm"] for m in models.values() if m.get("model_name") == "AnyModel"]


def stale_modules(path):
    """Saved explorer modules that differ from the package's: the static site would run old code."""
    from resnext_edu.widgets import cardinality_explorer, family_explorer, first_widget, grouped_conv_explorer
    current = {make()._esm for make in (cardinality_explorer, family_explorer, grouped_conv_explorer, first_widget)}
    return [source[:80] for source in saved_modules(path) if source not in current]


@pytest.mark.parametrize("path", BOTH, ids=lambda p: p.parent.name + "/" + p.name)
def test_saved_explorers_run_the_current_page_code(path):
    assert stale_modules(path) == [], "an explorer's .js changed: re-execute the notebook (make notebooks)"


def test_the_saved_module_check_can_fail(tmp_path):
    nb = {"cells": [], "metadata": {"widgets": {"application/vnd.jupyter.widget-state+json": {"state": {
        "m": {"model_name": "AnyModel", "state": {"_esm": "export default { render() {} };"}}}}}}}
    (tmp_path / "old.ipynb").write_text(json.dumps(nb))
    assert stale_modules(tmp_path / "old.ipynb") == ["export default { render() {} };"]
    assert sum(len(saved_modules(p)) for p in NOTEBOOKS) == 4  # 00's first widget; 03, 04 and 06 show an explorer each
