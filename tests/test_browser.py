"""The explorers in a real browser: JupyterLab + Chromium, driven by Playwright; and the shared helpers.

Xie et al. 2017, https://arxiv.org/abs/1611.05431, Table 2. test_explorer_page checks the page's
numbers for every slider position; this one checks that the explorers render in JupyterLab, that
Python and the page follow each other while there is a kernel, and that every control still
answers, with the right numbers, once the kernel is gone.
The recipe is CONTRIBUTING.md's "Testing in a real browser". Skipped without /usr/bin/chromium.
"""
import json
import os
import re
import secrets
import shutil
import statistics
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest

from resnext_edu import complexity
from resnext_edu.widgets import explorer_numbers, family_numbers

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).parent / "screenshots"  # git-ignored
ROOT = Path(__file__).resolve().parents[1]
CELLS = ["from resnext_edu.widgets import cardinality_explorer, family_explorer",
         "app = cardinality_explorer()\napp",
         "fam = family_explorer()\nfam",
         "print(app.cardinality, app.bottleneck_width)",
         "app.cardinality = 8"]
if not Path(CHROMIUM).exists():
    pytest.skip(f"needs Chromium at {CHROMIUM} (apt-get install -y chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, token=None):
    """(status, body) of a GET; token goes in the Authorization header."""
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, b""
    except OSError:  # not listening yet
        return None, b""


def shutdown_kernels(url, token):
    """Ask the server to end its kernels, so that none outlives it."""
    status, body = get(f"{url}/api/kernels", token)
    for kernel in json.loads(body) if status == 200 else []:
        request = urllib.request.Request(f"{url}/api/kernels/{kernel['id']}", method="DELETE",
                                         headers={"Authorization": f"token {token}"})
        try:
            urllib.request.urlopen(request, timeout=10).close()
        except OSError:
            pass


def write_root(root):
    """A root_dir with the notebook, so nothing is written into the repo."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nbformat.write(nb, root / "explorer.ipynb")


@contextmanager
def server_at(root, settings=None, extra_args=()):
    """JupyterLab on a free port with a random token, serving root; yields (base url, token).

    settings: user settings to write first ({file name: value}); None keeps JupyterLab's defaults
    (the news prompt is off through the overrides `make setup` writes). extra_args: more
    command-line options. Stops it by its PID.
    """
    for name, value in (settings or {}).items():
        path = root / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_DATA_DIR=str(root / "data"), JUPYTER_RUNTIME_DIR=str(root / "runtime"))
    log = open(root / "server.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
         f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         "--ServerApp.port_retries=0", f"--LabApp.user_settings_dir={root / 'settings'}", *extra_args],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while get(f"{url}/api/status?token={token}")[0] != 200:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not start:\n{(root / 'server.log').read_text()[-3000:]}")
            time.sleep(0.25)
        yield url, token
    finally:
        try:
            shutdown_kernels(url, token)
        finally:
            proc.terminate()  # the `python -m jupyter lab` process itself: jupyter execs lab in place
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()


@contextmanager
def chromium():
    """Debian's Chromium under Playwright, headless, with its own network chatter turned off."""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run"])
        try:
            yield browser
        finally:
            browser.close()


def click_run_all(page, status, timeout=30_000):
    """Run > Run All Cells, once the kernel is Idle: clicked before, JupyterLab silently skips every cell."""
    sync_api.expect(status).to_contain_text("| Idle", timeout=timeout)
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()


@pytest.fixture
def server(tmp_path):
    write_root(tmp_path)
    with server_at(tmp_path) as served:
        yield served


def moves(page, slider, key, count):
    """Press key on the slider count times; each move's time from the key press to the redrawn explorer, in ms."""
    slider.focus()
    explorer = slider.locator("xpath=ancestor::div[contains(@class, 'rx-explorer')]")
    times = []
    for _ in range(count):
        before = explorer.get_attribute("data-state")
        page.keyboard.press(key)
        sync_api.expect(explorer).not_to_have_attribute("data-state", before)
        times.append(float(explorer.get_attribute("data-render-ms")))
    return times


def numbers(explorer):
    return json.loads(explorer.get_attribute("data-numbers"))


def test_explorers_in_jupyterlab_with_and_without_a_kernel(server):
    url, token = server
    assert get(f"{url}/api/status")[0] == 403  # no token, no entry
    SCREENSHOTS.mkdir(exist_ok=True)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(f"{url}/lab/tree/explorer.ipynb?token={token}")
        status = page.locator("#jp-main-statusbar")
        click_run_all(page, status)
        prompts = page.locator(".jp-CodeCell .jp-InputArea-prompt")
        sync_api.expect(prompts).to_have_count(len(CELLS))
        for i in range(len(CELLS)):
            sync_api.expect(prompts.nth(i)).to_have_text(re.compile(r"\[\d+\]"), timeout=30_000)
        sync_api.expect(status).to_contain_text("| Idle", timeout=30_000)

        # Python set C = 8 after the explorer was shown: the page follows.
        explorer = page.locator(".rx-explorer[data-explorer=cardinality]")
        sync_api.expect(explorer).to_have_attribute("data-numbers", re.compile(r'"cardinality":8,'), timeout=30_000)
        assert numbers(explorer) == pytest.approx(explorer_numbers(50, 8, 4))
        readout = explorer.locator(".rx-readout")
        sync_api.expect(readout).to_contain_text(f"{complexity.resnext_complexity(50, 8, 4)[0]:,}")

        # The student moves C with the keyboard: the page redraws, and Python sees the new value.
        moves(page, explorer.get_by_role("slider", name="cardinality C"), "ArrowRight", 1)  # 8 -> 16
        assert numbers(explorer) == pytest.approx(explorer_numbers(50, 16, 4))
        sync_api.expect(explorer.locator(".rx-diagram")).to_contain_text("64, 3×3, 64, grp=16")
        page.locator(".jp-CodeCell").nth(3).locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")  # print(app.cardinality, app.bottleneck_width)
        sync_api.expect(page.locator(".jp-CodeCell").nth(3).locator(".jp-OutputArea-output")).to_have_text(
            "16 4", timeout=30_000)
        page.screenshot(path=str(SCREENSHOTS / "browser_explorer.png"), full_page=True)

        # No kernel: every control still answers, with the same numbers as Python's.
        shutdown_kernels(url, token)
        sync_api.expect(status).to_contain_text(re.compile(r"No Kernel|Unknown|Dead|Shutting|Idle"), timeout=30_000)
        c, d = (explorer.get_by_role("slider", name=n) for n in ("cardinality C", "width d"))
        times = {"C": moves(page, c, "ArrowLeft", 4) + moves(page, c, "ArrowRight", 6),
                 "d": moves(page, d, "ArrowRight", 12)}
        state = json.loads(explorer.get_attribute("data-state"))
        assert (state["cardinality"], state["bottleneck_width"]) == (64, 16)
        assert numbers(explorer) == pytest.approx(explorer_numbers(50, 64, 16))
        family = page.locator(".rx-explorer[data-explorer=family]")
        family.scroll_into_view_if_needed()
        radix = family.get_by_role("slider", name="radix R")
        # R = 1, 2, 4 and 8 fit d = 64: up to 8, down to 1, and back
        times["R"] = (moves(page, radix, "ArrowRight", 2) + moves(page, radix, "ArrowLeft", 3)
                      + moves(page, radix, "ArrowRight", 3) + moves(page, radix, "ArrowLeft", 2))
        times["family d"] = moves(page, family.get_by_role("slider", name="width d"), "ArrowLeft", 10)
        state = json.loads(family.get_attribute("data-state"))
        assert numbers(family) == pytest.approx(family_numbers("resnest", 1, state["bottleneck_width"], state["radix"]))
        page.screenshot(path=str(SCREENSHOTS / "browser_explorer_no_kernel.png"), full_page=True)
    for name, values in times.items():  # reported, not asserted: benchmarks/widget_latency.py measures
        print(f"{name}: median {statistics.median(values):.1f} ms over {len(values)} moves, no kernel")


def test_the_first_widget_of_notebook_00_answers_through_the_kernel(tmp_path):
    """Notebook 00 as a student runs it: the slider has a name, moves from the keyboard, and Python writes back."""
    shutil.copy(ROOT / "notebooks" / "00_start_here.ipynb", tmp_path / "00_start_here.ipynb")
    with server_at(tmp_path) as (url, token), chromium() as browser:
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(f"{url}/lab/tree/00_start_here.ipynb?reset&token={token}")
        status = page.locator("#jp-main-statusbar")
        click_run_all(page, status, timeout=60_000)
        slider = page.get_by_role("slider", name="cardinality C")
        sync_api.expect(slider).to_be_visible(timeout=60_000)
        caption = page.locator(".rx-first p")
        sync_api.expect(caption).to_have_text("Move the slider: if this text changes, widgets work in your browser.")
        sync_api.expect(status).to_contain_text("| Idle", timeout=60_000)
        slider.focus()
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        sync_api.expect(caption).to_have_text("Widgets work. C = 3: a block with 3 parallel paths.", timeout=30_000)
        assert slider.evaluate("el => el.matches(':focus-visible')")  # the focus ring is drawn
