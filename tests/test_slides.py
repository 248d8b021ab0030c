"""The notebooks as slides: scripts/mark_slides.py's marks, and a live explorer in jupyterlab-slideshow's deck.

The first tests read the notebooks: every mark is the rule's (`mark_slides.py --check`), every `## `
section starts a slide, and the check catches a missing mark. The browser tests present notebooks 04
and 03 as a teacher would on a projector (1920x1080, JupyterLab's defaults): Run All, start the deck
from the command palette ("Start Deck", the command `deck:start`), step to the explorer's slide with
Space, move its slider with the keyboard and check that the explorer redraws with Python's numbers,
then leave the deck. Every request must stay on 127.0.0.1. teachers/slides.md is the teacher's how-to.
The browser part is skipped without /usr/bin/chromium.
"""
import copy
import json
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest

from resnext_edu.complexity import grouped_conv_cost
from resnext_edu.widgets import explorer_numbers

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import mark_slides  # noqa: E402  (scripts/ is not a package)

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "notebooks" / "ko").glob("*.ipynb"))
CHROMIUM = "/usr/bin/chromium"
PROJECTOR = {"width": 1920, "height": 1080}


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def sections(cell):
    return [title for level, title in mark_slides.headings(cell) if level == 2]


# --- the marks ---------------------------------------------------------------------------------


def test_every_mark_follows_the_rule():
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "mark_slides.py"), "--check"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.parent.name + "/" + p.name)
def test_every_section_starts_a_slide(path):
    cells = load(path)["cells"]
    marks = [mark_slides.marked(cell) for cell in cells]
    headed = [i for i, cell in enumerate(cells) if sections(cell)]
    assert headed, f"{path.name} has no `## ` section"
    wrong = [f"cell {i} {sections(cells[i])}: {marks[i]!r}" for i in headed
             if marks[i] != ("skip" if {"References", "참고 문헌"} & set(sections(cells[i])) else "slide")]
    assert wrong == [], "a `## ` heading that does not start a slide (References: skip)"
    assert marks.count("slide") >= len(headed)  # the title's slide, then one per section's cell
    assert "-" not in marks, 'jupyterlab-slideshow never shows a cell marked "-"; the rule writes ""'
    # the deck hides the setup cell, the hint and solution cells and the references
    setup = next(i for i, cell in enumerate(cells) if cell["cell_type"] == "code")
    hints = [i for i, cell in enumerate(cells) if mark_slides.source(cell).lstrip().startswith("# q")]
    assert {marks[i] for i in [setup, *hints]} == {"skip"}


def test_the_check_catches_a_missing_mark_and_a_new_cell(tmp_path, capsys):
    path = tmp_path / "04_resnext.ipynb"
    shutil.copy(ROOT / "notebooks" / path.name, path)
    assert mark_slides.main(["--check", str(path)]) == 0
    nb = load(path)
    heading = next(i for i, cell in enumerate(nb["cells"]) if sections(cell) and i > 0)
    del nb["cells"][heading]["metadata"]["slideshow"]
    path.write_text(mark_slides.dumps(nb), encoding="utf-8")
    assert mark_slides.main(["--check", str(path)]) == 1
    assert f"cell {heading} " in capsys.readouterr().err

    nb = load(ROOT / "notebooks" / path.name)
    nb["cells"].insert(3, {"cell_type": "markdown", "id": "new-cell", "metadata": {}, "source": ["A new cell."]})
    path.write_text(mark_slides.dumps(nb), encoding="utf-8")
    assert mark_slides.main(["--check", str(path)]) == 1
    assert "cell 3 (new-cell): marked None" in capsys.readouterr().err
    assert mark_slides.main([str(path)]) == 0  # marks it; a second check passes
    assert mark_slides.main(["--check", str(path)]) == 0


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.parent.name + "/" + p.name)
def test_marking_touches_only_the_slide_marks(path):
    """Strip every mark and mark again: the very same bytes, so the notebook's cells, ids and outputs are untouched."""
    text = path.read_text(encoding="utf-8")
    nb = json.loads(text)
    bare = copy.deepcopy(nb)
    for cell in bare["cells"]:
        cell["metadata"].pop("slideshow", None)
    assert mark_slides.mark(bare) != []
    assert mark_slides.dumps(bare) == text
    assert mark_slides.mark(bare) == []  # idempotent


def test_the_rule_on_a_small_notebook():
    md = lambda src: {"cell_type": "markdown", "metadata": {}, "source": src}  # noqa: E731
    code = lambda src, outputs=(): {"cell_type": "code", "metadata": {}, "source": src,  # noqa: E731
                                    "outputs": list(outputs), "execution_count": 1}
    figure = {"output_type": "display_data", "data": {"image/png": "iVBOR", "text/plain": "<Figure>"}, "metadata": {}}
    # 540 px of print: with the figure's screen above it, past SCREEN_PX
    long_print = {"output_type": "stream", "name": "stdout", "text": "x\n" * 30}
    nb = {"cells": [md("# Title"), code("import torch"), md("## 1. A section"), code("x = 1"),
                    code("show()", [figure]), md("It shows x."), code("print(x)", [long_print]),
                    md("```\n## not a heading\n```"), md("### Check yourself"), code("q1.check()"),
                    code("# q1.hint()\n# q1.solution()"), md("## References"), md("- a paper")]}
    assert mark_slides.slide_types(nb) == ["slide", "skip", "slide", "", "subslide", "", "subslide", "",
                                           "subslide", "", "skip", "skip", "skip"]


def test_a_bad_path_is_named(tmp_path, capsys):
    with pytest.raises(SystemExit):
        mark_slides.main([str(tmp_path / "missing.ipynb")])
    assert "missing.ipynb" in capsys.readouterr().err


# --- in the deck ---------------------------------------------------------------------------------

EXPLORERS = {  # notebook: (explorer selector, slider's accessible name, the numbers the page must show)
    "04_resnext.ipynb": (".rx-explorer[data-explorer=cardinality]", "cardinality C",
                         lambda s: explorer_numbers(s["depth"], s["cardinality"], s["bottleneck_width"])),
    "03_grouped_convolution.ipynb": (".rx-explorer[data-explorer=grouped-conv]", "groups g",
                                     lambda s: dict(zip(("params", "macs"), grouped_conv_cost(s["channels"],
                                                                                              s["groups"])))),
}


# In the page: the deck's state, from the DOM the extension styles.
DECK = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const nb = panel.querySelector('.jp-Notebook');
  const onscreen = [...nb.querySelectorAll('.jp-Cell')].map((c, i) => [i, c]).filter(([, c]) =>
    c.classList.contains('jp-deck-mod-onscreen')).map(([i]) => i);
  return {mode: document.body.dataset.jpDeckMode || null, deck: panel.classList.contains('jp-Deck'),
          onscreen, active: window.jupyterapp.shell.currentWidget.content.activeCellIndex,
          overflow: nb.scrollHeight - nb.clientHeight};
}"""


# In the page: each cell's slide type in JupyterLab's notebook model.
MARKS = """() => {
  const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
  const out = [];
  for (let i = 0; i < cells.length; i++) {
    const meta = cells.get(i).getMetadata('slideshow');
    out.push(meta && meta.slide_type !== undefined ? meta.slide_type : null);
  }
  return out;
}"""


@pytest.fixture
def lab(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"needs Chromium at {CHROMIUM} (apt-get install -y chromium)")
    from test_browser import server_at
    (tmp_path / "notebooks").mkdir()
    for name in EXPLORERS:
        shutil.copy(ROOT / "notebooks" / name, tmp_path / "notebooks" / name)
    (tmp_path / "assets").symlink_to(ROOT / "assets")  # the notebooks show ../assets/*.png
    # A fresh server per test: starting the deck stores `active: true` in the user settings, and a
    # deck left on by a failed test would open the next notebook in deck mode.
    with server_at(tmp_path, extra_args=["--LabApp.expose_app_in_browser=True"]) as served:
        yield served


def palette(page, command):
    """Run a command by its label from the command palette (Ctrl+Shift+C), as a teacher would."""
    page.keyboard.press("Control+Shift+C")
    page.locator(".lm-CommandPalette-input").fill(command)
    item = page.locator(".lm-CommandPalette-item:visible", has_text=re.compile(f"^{re.escape(command)}"))
    item.first.click()


@pytest.mark.parametrize("name", EXPLORERS, ids=lambda n: n.split("_")[0])
def test_an_explorer_is_live_on_its_slide(lab, name):
    from test_browser import SCREENSHOTS, chromium, shutdown_kernels, sync_api
    from test_browser_notebooks import PROGRESS, run_all
    expect = sync_api.expect
    url, token = lab
    selector, slider_name, numbers_for = EXPLORERS[name]
    outside = []
    SCREENSHOTS.mkdir(exist_ok=True)
    try:
        with chromium() as browser:
            page = browser.new_page(viewport=PROJECTOR)

            def only_local(route):
                if urlparse(route.request.url).hostname != "127.0.0.1":
                    outside.append(route.request.url)
                    return route.abort()
                return route.continue_()

            page.route(re.compile(r"^(https?|wss?)://"), only_local)
            page.goto(f"{url}/lab/tree/notebooks/{name}?reset&token={token}")
            status = page.locator("#jp-main-statusbar")
            expect(status).to_contain_text("| Idle", timeout=60_000)
            page.wait_for_timeout(1000)  # the kernel's language_info has reached the model by now
            opened = page.evaluate(PROGRESS)
            run_all(page, status)

            # Start where a lesson starts: the title cell (Run All leaves the last cell active).
            panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer")
            panel.evaluate("el => el.scrollTo(0, 0)")
            page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").first.click()
            palette(page, "Start Deck")
            expect(page.locator("body")).to_have_attribute("data-jp-deck-mode", "presenting")
            deck = page.locator(".jp-NotebookPanel.jp-Deck")
            expect(deck).to_be_visible()
            expect(status).to_be_hidden()  # the deck takes the whole screen
            expect(deck.locator(".jp-Cell").first).to_have_class(re.compile(r"\bjp-deck-mod-onscreen\b"))
            page.wait_for_timeout(500)  # the fade-in of the slide
            page.screenshot(path=str(SCREENSHOTS / f"slides_{Path(name).stem}_title_1920x1080.png"))

            # Space walks through every slide, subslide and cell in order; stop at the explorer's slide.
            explorer = deck.locator(selector)
            cell = deck.locator(".jp-Cell", has=page.locator(selector))
            for _ in range(200):
                if explorer.count() and "jp-deck-mod-onscreen" in (cell.get_attribute("class") or ""):
                    break
                page.keyboard.press("Space")
                page.wait_for_timeout(50)
            else:
                pytest.fail(f"200 presses of Space did not reach {selector}: {page.evaluate(DECK)}")
            expect(explorer).to_be_visible()
            expect(cell).to_have_class(re.compile(r"\bjp-deck-mod-visible\b"))
            page.wait_for_timeout(500)  # the fade-in of the slide
            shown = page.evaluate(DECK)
            box = explorer.bounding_box()
            assert box["height"] > 200 and box["y"] >= 0 and box["y"] + box["height"] <= PROJECTOR["height"], box
            assert shown["overflow"] <= 1, f"the explorer's slide does not fit 1920x1080: {shown}"

            # The slider takes the arrow key (the deck would otherwise go to the next slide).
            slider = explorer.get_by_role("slider", name=slider_name)
            slider.focus()
            before = explorer.get_attribute("data-state")
            page.keyboard.press("ArrowRight")
            expect(explorer).not_to_have_attribute("data-state", before)
            state = json.loads(explorer.get_attribute("data-state"))
            numbers = json.loads(explorer.get_attribute("data-numbers"))
            expected = numbers_for(state)
            assert {k: numbers[k] for k in expected} == pytest.approx(expected), state
            assert page.evaluate(DECK)["onscreen"] == shown["onscreen"], "the arrow key moved the deck, not the slider"
            left = explorer.get_attribute("data-state")
            page.screenshot(path=str(SCREENSHOTS / f"slides_{Path(name).stem}_explorer_1920x1080.png"))

            # Leave the deck: Escape in 04, the command in 03. The explorer keeps its keys while one of its
            # controls has the focus (data-lm-suppress-shortcuts), so first click the slide beside it.
            box = cell.bounding_box()
            cell.click(position={"x": box["width"] - 40, "y": box["height"] / 2})
            assert page.evaluate(DECK)["onscreen"] == shown["onscreen"]
            if name.startswith("04"):
                page.keyboard.press("Escape")
            else:
                palette(page, "Stop Deck")
            expect(page.locator("body")).not_to_have_attribute("data-jp-deck-mode", "presenting")
            expect(page.locator(".jp-NotebookPanel.jp-Deck")).to_have_count(0)
            expect(status).to_be_visible()
            expect(page.locator(".lm-DockPanel-tabBar").first).to_be_visible()
            assert page.evaluate(DECK)["active"] == shown["active"], "the notebook forgot the cell the deck was on"
            # The notebook comes back scrolled to its top (jupyterlab-slideshow 0.3.4 skips its own scroll
            # once the deck is off); a step down and up brings the cell the deck was on into view.
            page.keyboard.press("ArrowDown")
            page.keyboard.press("ArrowUp")
            back = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").locator(selector)
            expect(back).to_be_in_viewport()
            assert back.get_attribute("data-state") == left  # the explorer as the deck left it
            assert page.evaluate(MARKS) == [mark_slides.marked(c) for c in load(ROOT / "notebooks" / name)["cells"]], \
                "JupyterLab or the deck changed the slide marks"
            page.screenshot(path=str(SCREENSHOTS / f"slides_{Path(name).stem}_after_deck_1920x1080.png"))
    finally:
        shutdown_kernels(url, token)
    assert outside == [], f"requests left 127.0.0.1: {outside[:5]}"
    # as in test_browser_notebooks: opening changes nothing, on the Python the notebook was executed with
    stored = load(ROOT / "notebooks" / name)["metadata"].get("language_info", {})
    if stored.get("version") == platform.python_version():
        assert not opened["dirty"], "the notebook shows unsaved changes as soon as it opens"
