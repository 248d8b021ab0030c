"""What every committed notebook must hold besides running: alt text, its references, predictions, one style.

- Every image a notebook shows has alt text (the PNG's metadata), for readers with a screen reader.
- It ends with a References section that names the section, table or figure each source is used for.
- Before its key results it asks the student to predict ("**Predict first.**"), then reveals.
- Its figures use the course style: the first code cell calls `viz.use_style()`.
"""
import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
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


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if not p.name.startswith("00")], ids=lambda p: p.name)
def test_figures_use_the_course_style(path):
    first = next("".join(c["source"]) for c in cells(path) if c["cell_type"] == "code")
    assert "viz.use_style()" in first
