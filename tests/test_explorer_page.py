"""The explorers' ES modules in Chromium: their numbers and diagrams equal Python's for every slider position.

The page computes what it shows (resnext_edu/widgets/*.js), so that a slider needs no kernel;
Python's complexity formulas (checked against real modules in test_complexity, test_widgets and
test_family_explorer) and viz's diagrams are the reference. Each module is loaded into a blank
page with a stand-in for anywidget's model (get, set, on, save_changes), rendered, and driven
with the keyboard. No request may leave the page. Skipped without /usr/bin/chromium.
"""
import json
import re
from pathlib import Path

import anywidget
import pytest

from resnext_edu import set_language
from resnext_edu.family.resnest import check_split_attention
from resnext_edu.viz import block_spec
from resnext_edu.widgets import cardinality_explorer, explorer_numbers, family_explorer, family_numbers, locked_width
from resnext_edu.widgets.cardinality_explorer import CARDINALITIES, DEPTHS, FORMS, MAX_WIDTH
from resnext_edu.widgets.family_explorer import CARDINALITIES as FAMILY_CARDINALITIES
from resnext_edu.widgets.family_explorer import KINDS, RADIXES, SCALES, diagram_spec, fitted_radix

CHROMIUM = "/usr/bin/chromium"
HANGUL = re.compile(r"[\uac00-\ud7a3]")
if not Path(CHROMIUM).exists():
    pytest.skip(f"needs Chromium at {CHROMIUM} (apt-get install -y chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")
from test_browser import chromium  # noqa: E402  after the skip: it needs playwright

# Load the module from its source, render it into #host with a stand-in model; keep both on window.
LOAD = """
async ([source, state]) => {
  const url = URL.createObjectURL(new Blob([source], {type: "text/javascript"}));
  const module = await import(url);
  const listeners = {};
  const model = {
    get: (name) => state[name],
    set: (name, value) => { state[name] = value; (listeners["change:" + name] || []).forEach((f) => f()); },
    save_changes() { window.rxSaved = (window.rxSaved || 0) + 1; },
    on: (event, f) => { (listeners[event] ||= []).push(f); }, off() {},
  };
  const host = document.getElementById("host");
  host.replaceChildren();
  window.rxModel = model;
  window.rxModule = module;
  module.default.render({model, el: host});
}"""


def traits(app):
    """The synced traits of an explorer: the state anywidget would send the page."""
    own = set(type(app).class_traits(sync=lambda sync: sync)) - set(anywidget.AnyWidget.class_traits())
    return {name: getattr(app, name) for name in own if not name.startswith("_")}


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser):
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    errors, outside = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    def only_this_page(route):
        url = route.request.url
        if url.startswith(("blob:", "data:", "about:")):
            return route.continue_()
        outside.append(url)
        return route.abort()

    page.route("**/*", only_this_page)
    page.set_content("<!doctype html><html lang='en'><head><title>explorer</title></head>"
                     "<body><main id='host'></main></body></html>")
    yield page
    assert errors == [], errors
    assert outside == [], f"requests that leave the page: {outside}"
    page.close()


@pytest.fixture(params=["en", "ko"])
def language(request):
    """The language the explorer and Python's reference are made in: the page must say what Python says."""
    set_language(request.param)
    yield request.param
    set_language("en")


def korean_if(language, texts):
    """In Korean, the page's messages are Korean (so the comparison is not of two English texts)."""
    texts = [t for t in texts if t]
    assert texts
    if language == "ko":
        assert all(HANGUL.search(t) for t in texts), [t for t in texts if not HANGUL.search(t)][:3]


def load(page, app):
    page.evaluate(LOAD, [app._esm, traits(app)])
    return page.locator(".rx-explorer")


def shown(explorer):
    """(state, numbers) as the page shows them now."""
    return json.loads(explorer.get_attribute("data-state")), json.loads(explorer.get_attribute("data-numbers"))


def same(page_numbers, python_numbers):
    """Every number the page shows equals Python's: ints exactly, ratios to 1e-12."""
    assert page_numbers.keys() == python_numbers.keys()
    for key, value in python_numbers.items():
        if isinstance(value, float):
            assert page_numbers[key] == pytest.approx(value, rel=1e-12), key
        else:
            assert page_numbers[key] == value, key


def geometry(layout):
    """A layout without its text: the page writes the labels itself."""
    nodes = [{k: v for k, v in n.items() if k != "label"} for n in layout["nodes"]]
    return nodes, layout["edges"]


# --- the cardinality explorer ----------------------------------------------------------------------


def test_cardinality_numbers_equal_python_for_every_slider_position(page, language):
    app = cardinality_explorer()
    load(page, app)
    cfg = app.config
    results = page.evaluate("""([cfg, depths, cs, widths]) => {
        const out = [];
        for (const depth of depths) for (const c of cs) for (const d of widths) {
          const r = window.rxModule.compute({cardinality: c, bottleneck_width: d, depth, form: "c", lock: false}, cfg);
          out.push([depth, c, d, r.numbers, r.error]);
        }
        return out;
    }""", [cfg, DEPTHS, CARDINALITIES, list(range(1, MAX_WIDTH + 1))])
    assert len(results) == len(DEPTHS) * len(CARDINALITIES) * MAX_WIDTH
    for depth, c, d, numbers, error in results:
        try:
            expected = explorer_numbers(depth, c, d)
        except ValueError as e:
            assert numbers is None and error == str(e), (depth, c, d)
            continue
        assert error == "", (depth, c, d, error)
        same(numbers, expected)
    korean_if(language, [error for *_, error in results])


def test_the_lock_gives_table2s_width_or_the_same_error_as_python(page):
    app = cardinality_explorer()
    load(page, app)
    results = page.evaluate("""([cfg, cs]) => cs.map((c) => {
        const r = window.rxModule.compute({cardinality: c, bottleneck_width: 7, depth: 50, form: "c", lock: true}, cfg);
        return [c, r.width, r.error];
    })""", [app.config, CARDINALITIES])
    for c, width, error in results:
        try:
            assert (width, error) == (locked_width(c), ""), c
        except ValueError as e:
            assert error == str(e), c
    assert [w for c, w, _ in results if c in (1, 2, 4, 8, 32)] == [64, 40, 24, 14, 4]  # Table 2


def test_cardinality_diagrams_equal_viz_for_every_slider_position(page, language):
    app = cardinality_explorer()
    load(page, app)
    cfg = app.config
    results = page.evaluate("""([cfg, forms, cs, widths]) => {
        const out = [];
        for (const form of forms) for (const c of cs) for (const d of widths) {
          const r = window.rxModule.compute({cardinality: c, bottleneck_width: d, depth: 50, form, lock: false}, cfg);
          if (!r.error) out.push([form, c, d, r.key, r.title, r.labels, r.description]);
        }
        return out;
    }""", [cfg, FORMS, CARDINALITIES, list(range(1, MAX_WIDTH + 1))])
    assert len(results) > 2000  # the rest are too wide: an error, no diagram
    for form, c, d, key, title, labels, description in results:
        spec = block_spec(form, c, d)
        layout = spec.as_layout()
        assert geometry(cfg["layouts"][key]) == geometry(layout), (form, c, d, key)
        assert (title, labels) == (spec.title, [n["label"] for n in layout["nodes"]]), (form, c, d)
        assert description == spec.describe()


def test_cardinality_explorer_follows_the_keyboard(page):
    app = cardinality_explorer()
    explorer = load(page, app)
    c_slider = page.get_by_role("slider", name="cardinality C")
    c_slider.focus()
    page.keyboard.press("ArrowRight")  # C = 32 -> 64
    state, numbers = shown(explorer)
    assert (state["cardinality"], state["bottleneck_width"]) == (64, 4)
    same(numbers, explorer_numbers(50, 64, 4))
    readout = page.locator(".rx-readout")
    sync_api.expect(readout).to_contain_text(f"{numbers['params']:,}")
    sync_api.expect(readout).to_contain_text("C·d = 64·4 = 256")
    sync_api.expect(page.locator(".rx-diagram")).to_contain_text("256, 3×3, 256, grp=64")
    assert page.evaluate("window.rxModel.get('cardinality')") == 64  # sent back to Python
    width = page.get_by_role("slider", name="width d")
    width.focus()
    for _ in range(4):
        page.keyboard.press("ArrowRight")  # d = 4 -> 8
    same(shown(explorer)[1], explorer_numbers(50, 64, 8))
    page.get_by_role("radiogroup", name="depth").get_by_label("101").check()
    same(shown(explorer)[1], explorer_numbers(101, 64, 8))
    form = page.get_by_role("radiogroup", name="form")
    form.get_by_label("a").focus()
    page.keyboard.press("ArrowRight")  # radios move with the arrow keys, as everywhere: a -> b
    assert shown(explorer)[0]["form"] == "b"
    sync_api.expect(page.locator(".rx-diagram")).to_contain_text("concatenate")


def test_the_lock_moves_d_and_an_impossible_lock_greys_the_diagram(page):
    explorer = load(page, cardinality_explorer())
    page.get_by_label("keep complexity equal to ResNet").check()
    page.get_by_role("slider", name="cardinality C").focus()
    page.keyboard.press("ArrowLeft")  # C = 16: d follows Table 2's rule
    state, numbers = shown(explorer)
    assert state["bottleneck_width"] == locked_width(16) == numbers["bottleneck_width"]
    assert page.get_by_role("slider", name="width d").is_disabled()
    page.keyboard.press("End")  # C = 512: no d >= 1 keeps the block at ResNet's cost
    assert "no width d ≥ 1 keeps the complexity equal" in shown(explorer)[1]["error"]
    message = page.locator(".rx-message")
    sync_api.expect(message).to_contain_text("The greyed diagram below is the last valid setting")
    sync_api.expect(page.locator(".rx-figure.rx-stale")).to_have_count(1)
    sync_api.expect(page.locator(".rx-readout")).to_contain_text("no network for these values")
    page.keyboard.press("Home")  # C = 1: valid again, in colour, no message
    sync_api.expect(page.locator(".rx-figure.rx-stale")).to_have_count(0)
    sync_api.expect(message).to_have_text("")
    assert shown(explorer)[0]["bottleneck_width"] == 64


def test_python_sets_the_traits_and_the_page_follows(page):
    explorer = load(page, cardinality_explorer())
    page.evaluate("window.rxModel.set('cardinality', 8); window.rxModel.set('bottleneck_width', 14)")
    same(shown(explorer)[1], explorer_numbers(50, 8, 14))
    assert page.get_by_role("slider", name="cardinality C").get_attribute("aria-valuetext") == "cardinality C 8"


# --- the family explorer ---------------------------------------------------------------------------


def family_positions():
    """Every slider position: kind, C, d, the radix the student chose, the scale."""
    for kind in KINDS:
        for c in FAMILY_CARDINALITIES:
            for d in range(1, MAX_WIDTH + 1):
                for r in (RADIXES if kind == "resnest" else [2]):
                    for s in (SCALES if kind == "res2net" else [4]):
                        yield kind, c, d, r, s


def test_family_numbers_equal_python_for_every_slider_position(page, language):
    app = family_explorer()
    load(page, app)
    positions = list(family_positions())
    results = page.evaluate("""([cfg, positions]) => positions.map(([kind, c, d, r, s]) => {
        const out = window.rxModule.compute({kind, cardinality: c, bottleneck_width: d, radix: r, scale: s,
                                             wanted_radix: r}, cfg);
        return [out.numbers, out.error, out.radix];
    })""", [app.config, positions])
    assert len(results) == len(positions) > 15_000
    for (kind, c, d, wanted, s), (numbers, error, radix) in zip(positions, results):
        where = (kind, c, d, wanted, s)
        r = fitted_radix(c, d, wanted) if kind == "resnest" else wanted
        try:
            if r is None:  # no radix fits: the block's own check says why
                check_split_attention(c * d, c, 1)
            expected = family_numbers(kind, c, d, r, s)
        except ValueError as e:
            assert numbers is None and error == str(e), where
            continue
        assert error == "", (where, error)
        assert radix == r, where
        same(numbers, expected)
    korean_if(language, [error for _, error, _ in results])


def test_family_diagrams_equal_viz(page, language):
    app = family_explorer()
    load(page, app)
    cfg = app.config
    widths = [1, 2, 3, 4, 6, 8, 13, 26, 48, 64, 100, 128]
    positions = [p for p in family_positions() if p[2] in widths]
    results = page.evaluate("""([cfg, positions]) => positions.map(([kind, c, d, r, s]) => {
        const out = window.rxModule.compute({kind, cardinality: c, bottleneck_width: d, radix: r, scale: s,
                                             wanted_radix: r}, cfg);
        return out.error ? null : [out.radix, out.key, out.title, out.labels, out.description];
    })""", [cfg, positions])
    checked = 0
    for (kind, c, d, _, s), result in zip(positions, results):
        if result is None:
            continue
        radix, key, title, labels, description = result
        spec = diagram_spec(kind, c, d, radix, s)
        layout = spec.as_layout()
        assert geometry(cfg["layouts"][key]) == geometry(layout), (kind, c, d, radix, s, key)
        assert (title, labels) == (spec.title, [n["label"] for n in layout["nodes"]]), (kind, c, d, radix, s)
        assert description == spec.describe()
        checked += 1
    assert checked > 1000
    korean_if(language, [r[2] for r in results if r][:50] + [r[4] for r in results if r][:50])


def test_family_explorer_follows_the_keyboard_and_loads_presets(page):
    app = family_explorer()
    explorer = load(page, app)
    same(shown(explorer)[1], family_numbers("resnest", 1, 64, 2, 4))
    radix = page.get_by_role("slider", name="radix R")
    radix.focus()
    page.keyboard.press("ArrowRight")  # R = 2 -> 4: R = 3 does not divide d = 64, so the slider skips it
    state, numbers = shown(explorer)
    assert state["radix"] == 4
    same(numbers, family_numbers("resnest", 1, 64, 4, 4))
    page.get_by_role("slider", name="width d").focus()
    page.keyboard.press("ArrowLeft")  # d = 63: R = 4 no longer fits; the page takes 3 and says so
    assert shown(explorer)[0]["radix"] == 3
    sync_api.expect(page.locator(".rx-message")).to_contain_text("the radix is 3 for now")
    page.keyboard.press("ArrowRight")  # d = 64 again: the student's R = 4 comes back
    assert shown(explorer)[0]["radix"] == 4
    sync_api.expect(page.locator(".rx-message")).to_have_text("")
    page.get_by_label("block", exact=True).select_option("res2net")
    state, numbers = shown(explorer)
    assert (state["cardinality"], state["bottleneck_width"], state["scale"]) == (1, 26, 4)  # Res2Net-50 26w×4s
    sync_api.expect(radix).to_be_hidden()
    page.get_by_role("slider", name="scale s").focus()
    page.keyboard.press("ArrowRight")
    same(shown(explorer)[1], family_numbers("res2net", 1, 26, 2, 5))
    sync_api.expect(page.locator(".rx-diagram")).to_contain_text("…")


def test_family_explorer_error_names_the_block_and_greys_the_figure(page):
    explorer = load(page, family_explorer("resnest", cardinality=64, bottleneck_width=1))
    assert "cardinality=64 must divide the attention width 32" in shown(explorer)[1]["error"]
    assert page.get_by_role("slider", name="radix R").is_disabled()
    sync_api.expect(page.locator(".rx-readout")).to_contain_text("no block for these values")


# --- both: accessible names, no violations ----------------------------------------------------------


@pytest.mark.parametrize("make", [cardinality_explorer, family_explorer], ids=["cardinality", "family"])
def test_every_control_has_an_accessible_name_and_axe_finds_nothing(page, make):
    from axe_playwright_python.sync_playwright import Axe
    load(page, make())
    controls = page.locator(".rx-explorer input, .rx-explorer select")
    assert controls.count() >= 5
    for i in range(controls.count()):
        name = controls.nth(i).evaluate("(el) => el.labels?.[0]?.textContent || el.getAttribute('aria-label') || ''")
        assert name.strip(), controls.nth(i).evaluate("(el) => el.outerHTML")
    assert page.locator(".rx-explorer svg[role=img][aria-label]").count() == 2  # diagram and plot, described
    results = Axe().run(page, context=".rx-explorer")
    assert results.violations_count == 0, results.generate_report()
