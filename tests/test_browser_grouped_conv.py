"""The grouped-conv explorer in real JupyterLab and Chromium: numbers, lighting, shuffle, play, offline, axe, no kernel.

Xie et al. 2017, https://arxiv.org/abs/1611.05431, Sec. 3.3; the shuffle is ShuffleNet's (Zhang et al. 2018,
https://arxiv.org/abs/1707.01083, Sec. 3.1). JupyterLab's defaults (windowing on) at 1366x768, a school
laptop. What an output lights is compared with torch (test_grouped_conv.torch_uses, by autograd), the
numbers with complexity.grouped_conv_cost. The last tests stop the kernel and move the slider again: the
page works alone. The recipe is CONTRIBUTING.md's "Testing in a real browser". Skipped without Chromium.
"""
import json
import re
import statistics
import time
from urllib.parse import urlparse

import nbformat
import pytest

from test_browser import SCREENSHOTS, chromium, click_run_all, get, server_at, shutdown_kernels, sync_api
from test_grouped_conv import torch_uses

from resnext_edu.complexity import grouped_conv_cost

CHANNELS, DIVISORS = 16, [1, 2, 4, 8, 16]
CELLS = ["from resnext_edu.widgets.grouped_conv import grouped_conv_explorer",
         "w = grouped_conv_explorer()\nw",
         "w.groups = 2  # Python sets the traits, the page follows\nw.selected = 3",
         "print(f'Python sees groups={w.groups}, shuffle={w.shuffle}, selected={w.selected}')"]
ROOT = '.rx-explorer[data-explorer="grouped-conv"]'
expect = sync_api.expect


def write_notebook(root):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nbformat.write(nb, root / "grouped_conv.ipynb")


class Explorer:
    """The page, the widget's root and what the page asked the network for."""

    def __init__(self, page, url, token, foreign):
        self.page, self.url, self.token, self.foreign = page, url, token, foreign
        self.root = page.locator(ROOT)
        self.slider = self.root.locator('input[type="range"]')
        self.render_ms = []

    def state(self):
        return json.loads(self.root.get_attribute("data-state"))

    def numbers(self):
        return json.loads(self.root.get_attribute("data-numbers"))

    def lit_in_dom(self):
        lit = self.root.locator("[data-in].lit").evaluate_all("es => es.map(e => e.dataset.in)")
        return sorted(int(i) for i in lit)

    def move(self, key):
        """Press key on the slider; returns the groups value it reached, and keeps the page's render time."""
        self.slider.focus()
        self.page.keyboard.press(key)
        self.render_ms.append(float(self.root.get_attribute("data-render-ms")))
        return self.state()["groups"]

    def set_groups(self, g):
        self.slider.focus()
        self.page.keyboard.press("Home")
        for _ in range(DIVISORS.index(g)):
            self.page.keyboard.press("ArrowRight")
        assert self.state()["groups"] == g

    def check_numbers(self, g):
        params, macs = grouped_conv_cost(CHANNELS, g)
        numbers = self.numbers()
        assert (numbers["params"], numbers["macs"]) == (params, macs), f"groups={g}"
        formula = self.root.locator(".rx-gc-formula")
        c = CHANNELS
        expect(formula).to_contain_text(f"params = k·k·(C_in/g)·C_out = 3·3·({c}/{g})·{c} = {params:,}")
        expect(formula).to_contain_text(f"MACs = params · H·W = {params:,} · 56·56 = {macs:,}")
        per = CHANNELS // g
        text = f"{g} group{'s' * (g > 1)} of {per} channel{'s' * (per > 1)}"
        expect(self.slider).to_have_attribute("aria-valuetext", text)


@pytest.fixture(scope="module")
def explorer(tmp_path_factory):
    root = tmp_path_factory.mktemp("grouped_conv")
    write_notebook(root)
    with server_at(root) as (url, token), chromium() as browser:
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        foreign = []

        def only_local(route):
            host = urlparse(route.request.url).hostname
            if host == "127.0.0.1":
                route.continue_()
            else:  # the course must work offline: nothing from a CDN
                foreign.append(route.request.url)
                route.abort()

        page.route("**/*", only_local)
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{url}/lab/tree/grouped_conv.ipynb?token={token}")
        status = page.locator("#jp-main-statusbar")
        click_run_all(page, status, timeout=60_000)
        prompts = page.locator(".jp-CodeCell .jp-InputArea-prompt")
        expect(prompts).to_have_count(len(CELLS), timeout=30_000)
        for i in range(len(CELLS)):
            expect(prompts.nth(i)).to_have_text(re.compile(r"\[\d+\]"), timeout=60_000)
        expect(status).to_contain_text("| Idle", timeout=30_000)
        app = Explorer(page, url, token, foreign)
        expect(app.root).to_have_count(1, timeout=30_000)
        expect(app.root).to_have_attribute("data-state", re.compile('"groups":2'), timeout=10_000)
        yield app
        assert [e for e in errors if "grouped" in e.lower() or "rx-" in e] == []


def test_python_sets_the_traits_and_the_page_follows(explorer):
    assert explorer.state() == {"channels": 16, "groups": 2, "shuffle": False, "selected": 3}
    assert explorer.numbers()["lit_inputs"] == torch_uses(CHANNELS, 2)[3]
    box = explorer.root.bounding_box()
    assert box["width"] <= 800 and box["height"] <= 420, box  # fits a laptop's notebook
    SCREENSHOTS.mkdir(exist_ok=True)
    explorer.page.screenshot(path=str(SCREENSHOTS / "grouped_conv_laptop.png"))


def test_every_slider_position_shows_the_formula_and_its_numbers(explorer):
    explorer.move("Home")
    reached = [explorer.state()["groups"]]
    for key in ["ArrowRight"] * 4 + ["ArrowLeft"] * 4 + ["ArrowRight"] * 4 + ["ArrowLeft"] * 2:
        reached.append(explorer.move(key))
        explorer.check_numbers(reached[-1])
    assert reached == [1, 2, 4, 8, 16, 8, 4, 2, 1, 2, 4, 8, 16, 8, 4]
    assert explorer.move("ArrowRight") == 8 and explorer.move("ArrowRight") == 16
    assert explorer.move("ArrowRight") == 16  # the end of the slider: depthwise
    explorer.check_numbers(16)
    print(f"\nrender after a slider move: median {statistics.median(explorer.render_ms):.1f} ms, "
          f"max {max(explorer.render_ms):.1f} ms over {len(explorer.render_ms)} moves")
    assert statistics.median(explorer.render_ms) < 100


def test_the_page_sets_the_traits_back_for_python(explorer):
    explorer.set_groups(8)
    cell = explorer.page.locator(".jp-CodeCell").nth(3)
    cell.locator(".jp-InputArea-editor").click()
    explorer.page.keyboard.press("Shift+Enter")
    expect(cell.locator(".jp-OutputArea-output")).to_contain_text("Python sees groups=8, shuffle=False, selected=3",
                                                                  timeout=20_000)


@pytest.mark.parametrize("g", [1, 4, 16])
def test_an_output_lights_exactly_the_inputs_torch_says(explorer, g):
    explorer.set_groups(g)
    uses = torch_uses(CHANNELS, g)
    for o in (0, 5, 15):
        explorer.root.locator(f'[data-out="{o}"]').click()
        assert explorer.state()["selected"] == o
        assert explorer.numbers()["lit_inputs"] == explorer.lit_in_dom() == uses[o]
        assert explorer.root.locator(f'[data-out="{o}"]').get_attribute("aria-pressed") == "true"
        assert explorer.root.locator(".rx-link.lit").count() >= len(uses[o])  # its weights light too
    explorer.root.locator('[data-out="9"]').hover()
    assert explorer.numbers()["lit_inputs"] == explorer.lit_in_dom() == uses[9]
    explorer.page.mouse.move(5, 5)  # hover ends: the selection lights again
    assert explorer.numbers()["lit_inputs"] == uses[15] and explorer.state()["selected"] == 15


def test_outputs_work_from_the_keyboard(explorer):
    explorer.set_groups(4)
    uses = torch_uses(CHANNELS, 4)
    output = explorer.root.locator('[data-out="6"]')
    assert output.get_attribute("role") == "button" and output.get_attribute("tabindex") == "0"
    assert output.get_attribute("aria-label") == "output channel 6 (group 1)"
    output.focus()
    assert explorer.state()["selected"] == 6 and explorer.numbers()["lit_inputs"] == uses[6]
    explorer.page.keyboard.press("Escape")
    assert explorer.state()["selected"] == -1 and explorer.numbers()["lit_inputs"] == explorer.lit_in_dom() == []
    explorer.page.keyboard.press("Enter")
    assert explorer.state()["selected"] == 6
    explorer.page.keyboard.press("Tab")  # the next output
    assert explorer.state()["selected"] == 7 and explorer.numbers()["lit_inputs"] == uses[7]
    explorer.page.keyboard.press("Escape")
    explorer.page.keyboard.press(" ")
    assert explorer.state()["selected"] == 7


@pytest.mark.parametrize("g", [2, 4, 8])
def test_the_shuffle_lets_an_output_reach_other_groups(explorer, g):
    explorer.set_groups(g)
    toggle = explorer.root.get_by_label("channel shuffle between two grouped layers")
    explorer.root.locator('[data-out="5"]').click()
    assert explorer.numbers()["lit_inputs"] == torch_uses(CHANNELS, g)[5]
    toggle.check()
    assert explorer.state()["shuffle"] is True
    assert explorer.numbers()["lit_inputs"] == explorer.lit_in_dom() == torch_uses(CHANNELS, g, shuffle=True)[5]
    expect(explorer.root.locator(".rx-gc-caption")).to_contain_text("Shuffle on")
    explorer.page.screenshot(path=str(SCREENSHOTS / f"grouped_conv_shuffle_g{g}.png"))
    toggle.uncheck()
    assert explorer.numbers()["lit_inputs"] == torch_uses(CHANNELS, g)[5]


def test_play_steps_through_the_groups(explorer):
    explorer.set_groups(1)
    play = explorer.root.get_by_role("button", name=re.compile(r"^Play"))
    play.click()
    expect(explorer.root).to_have_attribute("data-state", re.compile('"groups":2'), timeout=3_000)
    expect(explorer.root).to_have_attribute("data-state", re.compile('"groups":4'), timeout=3_000)
    pause = explorer.root.get_by_role("button", name=re.compile(r"^Pause"))
    expect(pause).to_have_text("Pause")
    pause.click()
    expect(play).to_have_text("Play")
    stopped = explorer.state()["groups"]
    time.sleep(1.5)
    assert explorer.state()["groups"] == stopped


@pytest.mark.parametrize("shuffle", [False, True], ids=["plain", "shuffle"])
def test_axe_finds_nothing_in_the_widget(explorer, shuffle):
    from axe_playwright_python.sync_playwright import Axe

    explorer.set_groups(4)
    explorer.root.locator('[data-out="5"]').click()
    explorer.root.get_by_label("channel shuffle between two grouped layers").set_checked(shuffle)
    results = Axe().run(explorer.page, context=ROOT)
    assert results.response["violations"] == [], results.generate_report()  # scoped to the widget's root
    assert {"label", "button-name", "aria-toggle-field-name"} & {r["id"] for r in results.response["passes"]}


def test_without_a_kernel_the_slider_still_works(explorer):
    shutdown_kernels(explorer.url, explorer.token)
    status, body = get(f"{explorer.url}/api/kernels", explorer.token)
    assert status == 200 and json.loads(body) == []
    expect(explorer.page.locator("#jp-main-statusbar")).not_to_contain_text("| Idle", timeout=20_000)
    explorer.root.get_by_label("channel shuffle between two grouped layers").set_checked(False)  # the page alone
    explorer.render_ms.clear()
    explorer.move("Home")
    for key in ["ArrowRight"] * 4 + ["ArrowLeft"] * 4 + ["ArrowRight"] * 2:
        g = explorer.move(key)
        explorer.check_numbers(g)
    explorer.root.locator('[data-out="5"]').click()
    assert explorer.numbers()["lit_inputs"] == torch_uses(CHANNELS, 4)[5]
    print(f"\nwithout a kernel: median {statistics.median(explorer.render_ms):.1f} ms over "
          f"{len(explorer.render_ms)} moves")


def test_every_request_stayed_on_127_0_0_1(explorer):
    assert explorer.foreign == []
