"""Latency of the grouped-conv explorer in Chromium: slider key press -> the SVG redrawn, in the page alone.

Xie et al. 2017, https://arxiv.org/abs/1611.05431, Sec. 3.3. resnext_edu.widgets.grouped_conv draws in
the browser, so a move never waits for the kernel: the page stamps `data-render-ms`, the time from the
input event to the end of its redraw (performance.now() - event.timeStamp). This runs JupyterLab and
Chromium as tests/test_browser_grouped_conv.py does, moves the slider up and down --n times, plain and
with the shuffle, and prints median and max. Budget (CONTRIBUTING.md): at most 50 ms median.

    python benchmarks/grouped_conv_latency.py [--n 40] [--channels 16]
"""
import argparse
import re
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the browser tests' helpers

import nbformat  # noqa: E402
from test_browser import chromium, click_run_all, server_at, sync_api  # noqa: E402


def write_notebook(root, channels):
    cells = ["from resnext_edu.widgets.grouped_conv import grouped_conv_explorer",
             f"grouped_conv_explorer(channels={channels}, groups=1)"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nbformat.write(nb, root / "latency.ipynb")


def sweep(page, root, n):
    """Render ms of n slider moves, up to depthwise and back down to dense."""
    slider = root.locator('input[type="range"]')
    steps = int(slider.get_attribute("max"))
    keys = (["ArrowRight"] * steps + ["ArrowLeft"] * steps) * (n // (2 * steps) + 1)
    times = []
    slider.focus()
    for key in keys[:n]:
        page.keyboard.press(key)
        times.append(float(root.get_attribute("data-render-ms")))
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="slider moves per row (at least 10)")
    parser.add_argument("--channels", type=int, default=16, help="channels of the layer, 2 to 32")
    args = parser.parse_args()
    if args.n < 10:
        parser.error(f"--n={args.n}: use at least 10 moves, so the median means something")

    with tempfile.TemporaryDirectory() as tmp, server_at(Path(tmp)) as (url, token), chromium() as browser:
        write_notebook(Path(tmp), args.channels)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.route("**/*", lambda route: route.continue_() if "127.0.0.1" in route.request.url.split("/")[2]
                   else route.abort())
        page.goto(f"{url}/lab/tree/latency.ipynb?token={token}")
        click_run_all(page, page.locator("#jp-main-statusbar"), timeout=60_000)
        root = page.locator('.rx-explorer[data-explorer="grouped-conv"]')
        sync_api.expect(root).to_have_attribute("data-state", re.compile('"groups":1'), timeout=60_000)
        rows = [("slider, one grouped layer", sweep(page, root, args.n))]
        root.locator('input[type="checkbox"]').check()
        rows.append(("slider, two layers + shuffle", sweep(page, root, args.n)))

    print(f"grouped_conv_explorer(channels={args.channels}) in Chromium at 1366x768, {args.n} moves per row")
    print(f"{'':30} {'median':>8} {'max':>8}")
    for name, times in rows:
        print(f"{name:30} {statistics.median(times):8.1f} {max(times):8.1f}")
    print("ms from the key's input event to the end of the redraw (data-render-ms), measured in the page")


if __name__ == "__main__":
    main()
