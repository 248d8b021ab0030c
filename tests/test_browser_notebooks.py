"""Every notebook in a real browser, as a student opens it: JupyterLab's defaults, Run All, then a scroll.

JupyterLab 4 renders notebooks "windowed": only the cells near the viewport are in the page, and
an output that arrives while its cell is off screen can be drawn late, or not at all (notebook
03's animation was once blank after Run All). So after Run All the test scrolls the notebook
through, a screen at a time, and checks every figure, animation and widget while it is on screen.
Every request the page makes must stay on 127.0.0.1: the course works offline. Screenshots at
1366x768 (a school laptop) and 1920x1080 (a projector) go to tests/screenshots/ (git-ignored).

When Run All has finished is read from JupyterLab's own notebook model (every code cell has an
execution count, the kernel is idle), not from the page: cells off screen are not in the page.
That needs `--LabApp.expose_app_in_browser`, which only sets `window.jupyterapp`. The recipe is
CONTRIBUTING.md's "Testing in a real browser". Skipped without /usr/bin/chromium.
"""
import json
import platform
import re
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

from test_browser import SCREENSHOTS, chromium, click_run_all, server_at, shutdown_kernels, sync_api

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
SIZES = {"laptop": (1366, 768), "projector": (1920, 1080)}
LOCAL = {"127.0.0.1", "localhost"}
RUN_ALL_S = 400  # a loaded 2-core machine; the notebooks' budget is 90 s each

# In the page, from JupyterLab's model: code cells not run yet, cells with an error, kernel state, unsaved changes.
PROGRESS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const cells = panel.content.model.cells;
  let pending = 0;
  const errors = [];
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type !== 'code' || !cell.sharedModel.getSource().trim()) continue;
    if (cell.executionCount === null) pending++;
    for (let j = 0; j < cell.outputs.length; j++) {
      const out = cell.outputs.get(j);
      if (out.type === 'error') errors.push(i + ': ' + out.toJSON().ename + ': ' + out.toJSON().evalue);
    }
  }
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return {pending, errors, kernel: kernel ? kernel.status : 'none', dirty: panel.context.model.dirty};
}"""

# In the page: what each cell on screen shows, by its index in the notebook.
SURVEY = """() => {
  const out = [];
  for (const cell of document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell')) {
    const box = cell.getBoundingClientRect();
    if (box.bottom < 0 || box.top > window.innerHeight) continue;
    const index = cell.dataset.windowedListIndex;
    for (const img of cell.querySelectorAll('.jp-OutputArea-output img')) {
      out.push({index, kind: img.id.startsWith('_anim_img') ? 'animation' : 'image',
                drawn: img.complete && img.naturalWidth > 0});
    }
    const widgets = ['.widget-box', '.widget-html', '.rx-explorer', '.rx-first'].map((w) => '.jp-OutputArea-output ' + w).join(', ');
    for (const w of cell.querySelectorAll(widgets)) {
      out.push({index, kind: 'widget', drawn: w.getBoundingClientRect().height > 0});
    }
    for (const text of cell.querySelectorAll('.jp-OutputArea-output pre')) {
      if (/^((VBox|HBox|IntSlider|SelectionSlider|Output)\\(|<resnext_edu\\.widgets\\.)/.test(text.textContent)) {
        out.push({index, kind: 'widget as text: ' + text.textContent.slice(0, 40), drawn: false});
      }
    }
  }
  return out;
}"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    (root / "assets").symlink_to(ROOT / "assets")  # notebooks show ../assets/*.png
    with server_at(root, extra_args=["--LabApp.expose_app_in_browser=True"]) as served:
        yield served


def run_all(page, status):
    """Run All, then wait until every code cell has run; the last progress read from the model."""
    click_run_all(page, status, timeout=60_000)
    idle = 0
    for _ in range(RUN_ALL_S * 2):
        page.wait_for_timeout(500)
        progress = page.evaluate(PROGRESS)
        if progress["errors"]:
            pytest.fail(f"a cell failed: {progress['errors']}")
        idle = idle + 1 if progress["pending"] == 0 and progress["kernel"] == "idle" else 0
        if idle >= 2:
            return progress
    pytest.fail(f"Run All did not finish in {RUN_ALL_S} s: {progress}")


def survey(page, panel):
    """Scroll from the top a screen at a time; the best state seen of each output, by (cell, kind)."""
    seen = {}
    panel.evaluate("el => el.scrollTo(0, 0)")
    height = panel.evaluate("el => el.clientHeight")
    position = 0
    while True:
        page.wait_for_timeout(400)  # let the cells that came into view render
        for item in page.evaluate(SURVEY):
            key = (int(item["index"]), item["kind"])
            seen[key] = seen.get(key, False) or item["drawn"]
        top = panel.evaluate("el => el.scrollHeight - el.clientHeight")
        if position >= top:
            return seen
        position = min(position + int(height * 0.8), top)
        panel.evaluate(f"el => el.scrollTo(0, {position})")


def show_output(page, panel, index, screenshot):
    """Scroll cell `index`'s output into view, screenshot it: its height and the panel's, whether it has a
    slider, and the height of its figure, in CSS px."""
    page.evaluate(f"() => window.jupyterapp.shell.currentWidget.content.scrollToItem({index}, 'start')")
    page.wait_for_timeout(600)
    output = page.locator(f".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell[data-windowed-list-index='{index}'] "
                          ".jp-Cell-outputArea")
    output.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    output.screenshot(path=str(screenshot))
    slider = output.locator(".widget-slider, .rx-explorer input[type=range]").count() > 0
    images = output.locator(".widget-image, .rx-figure")  # an explorer's figure: a PNG, or SVG in the page
    image_height = images.first.bounding_box()["height"] if images.count() else 0  # drawn to fit its box
    return output.bounding_box()["height"], panel.evaluate("el => el.clientHeight"), slider, image_height


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_output_is_drawn_and_nothing_leaves_this_machine(lab, path):
    url, token = lab
    outside = []
    SCREENSHOTS.mkdir(exist_ok=True)
    try:
        with chromium() as browser:
            page = browser.new_page(viewport=dict(zip(("width", "height"), SIZES["laptop"])))

            def only_local(route):
                if urlparse(route.request.url).hostname not in LOCAL:
                    outside.append(route.request.url)
                    return route.abort()
                return route.continue_()

            page.route(re.compile(r"^(https?|wss?)://"), only_local)
            # ?reset: a fresh workspace, so the notebooks of earlier tests do not open again in other tabs
            page.goto(f"{url}/lab/tree/notebooks/{path.name}?reset&token={token}")
            status = page.locator("#jp-main-statusbar")
            sync_api.expect(status).to_contain_text("| Idle", timeout=60_000)
            page.wait_for_timeout(1000)  # the kernel's language_info has reached the model by now
            opened = page.evaluate(PROGRESS)
            run_all(page, status)
            panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer")
            seen = survey(page, panel)
            widgets = sorted({i for (i, kind) in seen if kind == "widget"})
            fits = {}
            for name, (width, height) in SIZES.items():
                page.set_viewport_size({"width": width, "height": height})
                panel.evaluate("el => el.scrollTo(0, 0)")
                page.wait_for_timeout(300)
                page.screenshot(path=str(SCREENSHOTS / f"{path.stem}_{name}.png"))
                for i in widgets:  # each widget on its own, as a student or a projector shows it
                    fits[name, i] = show_output(page, panel, i, SCREENSHOTS / f"{path.stem}_cell{i}_{name}.png")
    finally:
        shutdown_kernels(url, token)
    blank = sorted(f"cell {i}: {kind}" for (i, kind), drawn in seen.items() if not drawn)
    assert outside == [], f"requests left 127.0.0.1: {outside[:5]}"
    # JupyterLab stores the kernel's language_info on opening: a notebook executed on another Python
    # version (say 3.12 against a stored 3.11.7) is changed by that, and rightly shows it.
    stored = json.loads(path.read_text())["metadata"].get("language_info", {})
    if stored.get("version") == platform.python_version():
        assert not opened["dirty"], "the notebook shows unsaved changes as soon as it opens"
    assert blank == [], f"not drawn after Run All and a scroll: {blank}"
    heights = {f"{path.stem} cell {i} {name}": dict(output_px=round(h), panel_px=panel_h, figure_height_px=round(w))
               for (name, i), (h, panel_h, _, w) in fits.items()}
    (SCREENSHOTS / f"{path.stem}_widget_heights.json").write_text(json.dumps(heights, indent=1) + "\n")
    # An explorer is used by moving its sliders while watching its numbers and figure: on a laptop
    # the whole of it must fit the notebook panel. A quiz may scroll.
    tall = [f"cell {i}: {h:.0f} px in a {panel_h} px panel" for (name, i), (h, panel_h, slider, _) in fits.items()
            if name == "laptop" and slider and h > panel_h]
    assert tall == [], f"an explorer taller than the notebook panel at 1366x768: {tall}"
    # On a projector its figure, and the labels in it, grow with the screen.
    small = [f"cell {i}: {fits['projector', i][3]:.0f} px high at 1920x1080, {w:.0f} at 1366x768"
             for (name, i), (_, _, slider, w) in fits.items()
             if name == "laptop" and slider and w and fits["projector", i][3] < 1.3 * w]
    assert small == [], f"an explorer's figure does not grow on a projector: {small}"
    stored = sum(1 for line in path.read_text().splitlines() if '"image/png"' in line)
    drawn = sum(1 for (_, kind) in seen if kind in ("image", "animation"))
    assert drawn >= min(stored, 1), "the scroll saw none of the notebook's figures"
