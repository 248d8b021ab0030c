"""Latency of the explorers in Chromium: a key press on a control -> the redrawn readout, diagram and curves.

Budget (CONTRIBUTING.md): at most 50 ms median per change. The explorers compute and draw in the
page (resnext_edu/widgets/*.js), so this is measured in the browser, where a student uses them:
in JupyterLab (the course's notebook, a kernel running) and on the static site (`make site`, no
kernel). Each move is a real key press (Playwright); the page stamps each explorer with
render-ms (the input event to the end of the redraw) and paint-ms (to the next frame painted).

    python benchmarks/widget_latency.py [--moves 12] [--no-site]
"""
import argparse
import http.server
import json
import statistics
import subprocess
import sys
import tempfile
import threading
from functools import partial
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from test_browser import chromium, click_run_all, server_at  # noqa: E402  the browser tests' recipe
from test_site import WIDGETS_DRAWN  # noqa: E402

BUDGET_MS = 50
CELLS = ["from resnext_edu.widgets import cardinality_explorer, family_explorer",
         "cardinality_explorer()", "family_explorer()"]
GROUPED = "from resnext_edu.widgets.grouped_conv import grouped_conv_explorer\ngrouped_conv_explorer()"


def press(page, explorer, key):
    """Press key; (render ms, paint ms) once the explorer shows a new state, or None if nothing moved."""
    before = explorer.get_attribute("data-state")
    page.keyboard.press(key)
    try:
        page.wait_for_function("([el, before]) => el.dataset.state !== before && el.dataset.paintMs !== undefined",
                               arg=[explorer.element_handle(), before], timeout=2000)
    except Exception:  # noqa: BLE001  the control was at its end: nothing changed
        return None
    return float(explorer.get_attribute("data-render-ms")), float(explorer.get_attribute("data-paint-ms"))


def sweep(page, explorer, control, moves, keys=("ArrowRight", "ArrowLeft")):
    """moves key presses on control, turning back at either end; [(render ms, paint ms)]."""
    control.focus()
    times, key, stuck = [], 0, 0
    while len(times) < moves and stuck < 2:
        result = press(page, explorer, keys[key])
        if result is None:
            key, stuck = 1 - key, stuck + 1
            continue
        times.append(result)
        stuck = 0
    return times


def label(control):
    """A control's accessible name: its <label>, else its aria-label."""
    name = "el => (el.labels && el.labels[0] ? el.labels[0].textContent : el.getAttribute('aria-label'))"
    return control.evaluate(name)[:34]


def measure(page, moves):
    """{(explorer, control): [(render, paint)]} for every slider, radio group, checkbox and menu on the page."""
    rows = {}
    for explorer in page.locator(".rx-explorer").all():
        explorer.scroll_into_view_if_needed()
        name = explorer.get_attribute("data-explorer")
        for slider in explorer.locator("input[type=range]:visible").all():
            rows[name, label(slider)] = sweep(page, explorer, slider, moves)
        outputs = explorer.locator("[data-out]")
        if outputs.count():  # the grouped conv: Tab from output to output, each lights what it reads
            outputs.first.focus()
            rows[name, "output channel (Tab)"] = [t for t in (press(page, explorer, "Tab") for _ in range(moves)) if t]
        for group in explorer.get_by_role("radiogroup").all():
            checked = group.locator("input:checked")
            rows[name, group.get_attribute("aria-label")] = sweep(page, explorer, checked, moves, ("ArrowRight",) * 2)
        for box in explorer.locator("input[type=checkbox]:visible").all():
            rows[name, label(box)] = sweep(page, explorer, box, moves, (" ",) * 2)
        for menu in explorer.locator("select").all():
            rows[name, "menu"] = sweep(page, explorer, menu, moves, ("ArrowDown", "ArrowUp"))
            menu.select_option("res2net")  # its scale slider shows only for Res2Net
            scale = explorer.get_by_role("slider", name="scale s")
            rows[name, "scale s"] = sweep(page, explorer, scale, moves)
    return rows


def in_jupyterlab(browser, moves):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        cells = CELLS + ([GROUPED] if (ROOT / "resnext_edu/widgets/grouped_conv.py").exists() else [])
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in cells])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
        nbformat.write(nb, root / "explorers.ipynb")
        with server_at(root) as (url, token):
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.goto(f"{url}/lab/tree/explorers.ipynb?token={token}")
            click_run_all(page, page.locator("#jp-main-statusbar"), timeout=60_000)
            page.locator(".rx-explorer").nth(len(cells) - 2).wait_for(timeout=60_000)
            return measure(page, moves)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # one line per file would bury the table
        pass


def on_the_site(browser, moves):
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, str(ROOT / "scripts/build_site.py"), "--out", tmp], check=True,
                       stdout=subprocess.DEVNULL)
        handler = partial(Quiet, directory=tmp)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        rows = {}
        try:
            for page_name in sorted(p.name for p in Path(tmp).glob("*.html")):
                page = browser.new_page(viewport={"width": 1366, "height": 768})
                page.goto(f"http://127.0.0.1:{server.server_port}/{page_name}")
                page.wait_for_function(WIDGETS_DRAWN, timeout=30_000)  # the manager renders the saved state
                rows.update(measure(page, moves))
                page.close()
        finally:
            server.shutdown()
        return rows


def print_rows(title, rows):
    print(f"\n{title}; budget {BUDGET_MS} ms median\n")
    print(f"{'explorer':13} {'control':34} {'moves':>5} {'render median':>14} {'paint median':>13} "
          f"{'paint max':>10}  budget")
    for (explorer, control), times in rows.items():
        if not times:
            continue
        render, paint = zip(*times)
        verdict = "ok" if statistics.median(paint) <= BUDGET_MS else "OVER"
        print(f"{explorer:13} {control:34} {len(times):5d} {statistics.median(render):14.1f} "
              f"{statistics.median(paint):13.1f} {max(paint):10.1f}  {verdict}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=12, help="key presses per control (at least 10)")
    parser.add_argument("--no-site", action="store_true", help="only JupyterLab, not the static site")
    args = parser.parse_args()
    with chromium() as browser:
        print_rows("In JupyterLab 4 (Chromium, 1366x768, kernel running)", in_jupyterlab(browser, args.moves))
        if not args.no_site and (ROOT / "scripts/build_site.py").exists():
            print_rows("On the static site (Chromium, 1366x768, no kernel)", on_the_site(browser, args.moves))
    print("\nrender: the key's input event to the end of the redraw; paint: to the next frame painted.")


if __name__ == "__main__":
    main()
