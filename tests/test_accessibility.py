"""Accessibility of the course's own content, checked with axe-core in JupyterLab and in the static site.

axe-core (through axe-playwright-python) runs on every notebook after Run All, at every scroll
position (windowing keeps only the cells near the viewport in the page), and on every page of the
site. Each violation node is classified by where it is: in the course's content (an output, a
rendered markdown cell, an explorer, the site's index and nav bar), in JupyterLab's or nbconvert's
own chrome (menus, toolbar, prompts, code editor, status bar), or nowhere known. The course's
content may have no serious or critical violation; what the chrome causes is printed, not counted,
and nothing may be unclassified, so a new violation of ours cannot hide among JupyterLab's.
The keyboard test focuses every control of every output: it must take focus, show it, and have a
name. Every request stays on 127.0.0.1. The recipe is CONTRIBUTING.md's "Testing in a real
browser". Skipped without /usr/bin/chromium.
"""
import re
import shutil
import sys
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(f"needs Chromium at {CHROMIUM} (apt-get install -y chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")
axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")
from test_browser import chromium, server_at, shutdown_kernels  # noqa: E402  after the skip: they need playwright
from test_browser_notebooks import LOCAL, NOTEBOOKS, run_all  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import build_site  # noqa: E402

VIEWPORT = {"width": 1366, "height": 768}
PAGES = (["index.html"] + [p.stem + ".html" for p in build_site.ordered(ROOT / "notebooks")]
         + ["ko/index.html"] + ["ko/" + p.stem + ".html" for p in build_site.ordered(ROOT / "notebooks" / "ko")])
FAILING = ("serious", "critical")
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
# The course's content: what its cells output, its markdown, its explorers; in the site also the nav bar.
OURS = ".jp-OutputArea-output, .jp-RenderedMarkdown, .jp-MarkdownOutput, .rx-explorer, .rx-nav"
# JupyterLab's and nbconvert's own: menus, side bars, tabs, toolbars, status bar, prompts, the code editor.
CHROME = ("#jp-top-panel, #jp-menu-panel, #jp-left-stack, #jp-right-stack, .jp-SideBar, #jp-main-statusbar, "
          ".lm-TabBar, .jp-Toolbar, .jp-NotebookPanel-toolbar, .jp-InputArea, .jp-InputPrompt, .jp-OutputPrompt, "
          ".jp-Collapser, .jp-cell-toolbar, .jp-Notebook-footer, .jp-WindowedPanel-outer, .jp-Notebook, "
          ".jp-skiplink-wrapper, .lm-Menu, .jp-Dialog, .jp-toast-container")
# axe on the course's content only, scroll after scroll and page after page; the whole page (the chrome too) once.
CONTENT = [f"{PANEL} {s}" for s in (".jp-OutputArea-output", ".jp-RenderedMarkdown")]
SITE_CONTENT = [".jp-OutputArea-output", ".jp-RenderedMarkdown", ".rx-nav"]
SITE_FULL = {"index.html", "00_start_here.html", "ko/index.html"}  # the pages axe checks whole, nbconvert's chrome included
# What JupyterLab or ipywidgets draw inside an output, which nothing the course passes them can change:
# printed, not counted. {axe rule: (selector of the nodes, whose)}
UPSTREAM = {
    # JupyterLab 4.6 draws an image/png output as <img> with no alt, whatever the output's metadata says
    # (jupyter/enhancement-proposals#120); nbconvert gives the site's copies an alt.
    "image-alt": (".jp-RenderedImage > img", "jupyterlab"),
}
UNNAMED = ":not(*)"  # controls the keyboard test lets go without a name: none (every control of ours has a label)

# In the page: axe.run (already injected) on `include` (null: the whole page); each violation node with
# where it is (ours, chrome, other) and a key that survives windowing (cell index + path in the cell).
AXE = """async ([include, ours, chrome, upstream]) => {
  let context = document;
  if (include) {
    const present = include.filter((s) => document.querySelector(s));
    if (!present.length) return [];
    context = {include: present};
  }
  const results = await axe.run(context, {resultTypes: ['violations'], elementRef: true});
  const path = (el, top) => {
    const steps = [];
    for (let e = el; e && e !== top && e.nodeType === 1; e = e.parentElement) {
      const same = e.parentElement ? [...e.parentElement.children].filter((c) => c.tagName === e.tagName) : [e];
      steps.unshift(e.tagName.toLowerCase() + (same.length > 1 ? `:nth-of-type(${same.indexOf(e) + 1})` : ''));
    }
    return steps.join(' > ');
  };
  const out = [];
  for (const v of results.violations) {
    for (const n of v.nodes) {
      const el = n.element;
      const cell = el && el.closest && el.closest('.jp-Cell');
      const index = cell && (cell.dataset.windowedListIndex ?? [...cell.parentElement.children].indexOf(cell));
      const where = !el || !el.closest ? 'other' : upstream[v.id] && el.matches(upstream[v.id][0]) ? upstream[v.id][1]
        : el.closest(ours) ? 'ours'
        : el.closest(chrome) || el === document.documentElement || el === document.body ? 'chrome' : 'other';
      out.push({rule: v.id, impact: v.impact || n.impact, where, help: v.help,
                key: cell ? `cell ${index}: ${path(el, cell)}` : JSON.stringify(n.target),
                html: n.html.slice(0, 200), summary: (n.failureSummary || '').slice(0, 300)});
    }
  }
  return out;
}"""

# In the page: every control in the outputs on screen; whether it takes focus, shows it, and has a name.
CONTROLS = """([scope, upstream]) => {
  // a ring (outline, box-shadow); an SVG shape's stroke; a colour change (ipywidgets' slider handle)
  const props = ['outline-style', 'outline-width', 'outline-color', 'box-shadow', 'stroke', 'stroke-width',
                 'border-color', 'background-color'];
  const look = (els) => els.map((e) => { const s = getComputedStyle(e); return props.map((p) => s[p]).join('|'); });
  const text = (e) => (e ? e.textContent : '').replace(/\\s+/g, ' ').trim();
  const nameOf = (el) => {
    const by = el.getAttribute('aria-labelledby');
    if (by) return by.split(/\\s+/).map((id) => text(document.getElementById(id))).join(' ').trim();
    if ((el.getAttribute('aria-label') || '').trim()) return el.getAttribute('aria-label').trim();
    if (el.labels && el.labels.length) return [...el.labels].map(text).join(' ').trim();
    if (el.tagName === 'BUTTON') return text(el) || (el.title || '').trim();
    return (el.title || '').trim();
  };
  const out = [];
  const selector = ['input', 'select', 'button', '[tabindex]'].map((s) => `${scope} ${s}`).join(', ');
  for (const el of document.querySelectorAll(selector)) {
    const box = el.getBoundingClientRect();
    if (el.disabled || el.tabIndex < 0 || el.type === 'hidden' || getComputedStyle(el).visibility === 'hidden'
        || !el.getClientRects().length) continue;  // not in the tab order, or not drawn (display: none)
    if (box.bottom < 0 || box.top > window.innerHeight) continue;
    const cell = el.closest('.jp-Cell');
    const shown = [el, ...(el.labels || [])];
    el.blur();
    const before = look(shown);
    el.focus({preventScroll: true});
    const focused = document.activeElement === el;
    const after = look(shown);
    const visible = el.matches(':focus-visible');
    el.blur();
    const where = el.closest('.rx-explorer') ? el.closest('.rx-explorer').dataset.explorer : 'widget';
    const what = `${el.tagName.toLowerCase()}${el.type ? '[' + el.type + ']' : ''}`;
    out.push({key: `${cell ? 'cell ' + (cell.dataset.windowedListIndex ?? '') : ''} ${where}: `
                   + `${what} ${nameOf(el) || el.outerHTML.slice(0, 80)}`,
              focused, visible, indicator: before.some((b, i) => b !== after[i]), name: nameOf(el),
              upstream: el.matches(upstream)});
  }
  return out;
}"""


def axe_nodes(page, include=None):
    """Violation nodes of axe on `include` (CSS selectors; None: the whole page), each classified."""
    if not page.evaluate("() => typeof axe !== 'undefined'"):
        page.evaluate(axe_sync.Axe().axe_script)
    return page.evaluate(AXE, [include, OURS, CHROME, UPSTREAM])


def merge(into, nodes):
    """{(rule, where, key): node}: the same node seen at two scroll positions counts once."""
    for n in nodes:
        into.setdefault((n["rule"], n["where"], n["key"]), n)
    return into


def table(nodes):
    """(rule, impact, where) -> count of nodes, as rows of text."""
    counts = defaultdict(int)
    for n in nodes.values():
        counts[n["rule"], n["impact"], n["where"]] += 1
    return [f"{rule:<28} {impact:<9} {where:<10} {count:>5}" for (rule, impact, where), count in sorted(counts.items())]


def only_local(page, outside):
    """Route every request; one to another host than 127.0.0.1 is aborted and recorded."""
    def guard(route):
        url = route.request.url
        if urlparse(url).scheme in ("data", "blob") or urlparse(url).hostname in LOCAL:
            return route.continue_()
        outside.append(url)
        return route.abort()
    page.route("**/*", guard)


def keyboard_ready(page):
    """A key press first: a control focused after it shows :focus-visible, as after Tab."""
    page.keyboard.press("Shift")


def run_notebook(browser, url, token, path):
    """Open the notebook in JupyterLab, Run All, scroll through; (axe nodes, controls, requests elsewhere)."""
    outside, nodes, controls = [], {}, {}
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    only_local(page, outside)
    try:
        page.goto(f"{url}/lab/tree/notebooks/{path.name}?reset&token={token}")
        status = page.locator("#jp-main-statusbar")
        sync_api.expect(status).to_contain_text("| Idle", timeout=60_000)
        run_all(page, status)
        panel = page.locator(f"{PANEL} .jp-WindowedPanel-outer")
        panel.evaluate("el => el.scrollTo(0, 0)")
        page.wait_for_timeout(400)
        merge(nodes, axe_nodes(page))  # the whole page once: JupyterLab's chrome is recorded here
        keyboard_ready(page)
        height, position = panel.evaluate("el => el.clientHeight"), 0
        while True:
            page.wait_for_timeout(400)  # let the cells that came into view render
            merge(nodes, axe_nodes(page, CONTENT))
            for c in page.evaluate(CONTROLS, [f"{PANEL} .jp-OutputArea-output", UNNAMED]):
                controls[c["key"]] = c if c["key"] not in controls or c["focused"] else controls[c["key"]]
            top = panel.evaluate("el => el.scrollHeight - el.clientHeight")
            if position >= top:
                break
            position = min(position + int(height * 0.8), top)
            panel.evaluate(f"el => el.scrollTo(0, {position})")
    finally:
        shutdown_kernels(url, token)
        context.close()
    return nodes, controls, outside


def visit_page(browser, base, name, whole=False):
    """A page of the site, loaded with its widgets drawn; (axe nodes, controls, requests elsewhere).

    axe checks the course's content; the whole page (nbconvert's chrome too) if `whole` or in SITE_FULL.
    """
    from test_site import WIDGETS_DRAWN
    outside, nodes = [], {}
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    only_local(page, outside)
    try:
        page.goto(base + name, wait_until="load")
        page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise.then(() => true) : true")
        page.wait_for_function(WIDGETS_DRAWN, timeout=20_000)
        page.wait_for_timeout(300)
        ours = name.endswith("index.html")  # an index is all the course's own HTML
        for n in axe_nodes(page, None if whole or name in SITE_FULL else SITE_CONTENT):
            merge(nodes, [dict(n, where="ours") if ours else n])
        keyboard_ready(page)
        controls = {}
        for out in page.locator(".jp-OutputArea-output").all():
            if out.locator("input, select, button, [tabindex]").count():
                out.scroll_into_view_if_needed()
                for c in page.evaluate(CONTROLS, [".jp-OutputArea-output", UNNAMED]):
                    controls.setdefault(c["key"], c)
    finally:
        context.close()
    return nodes, controls, outside


# --- fixtures: one JupyterLab and one Chromium for the module ---------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("a11y_lab")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    (root / "assets").symlink_to(ROOT / "assets")  # notebooks show ../assets/*.png
    with server_at(root, extra_args=["--LabApp.expose_app_in_browser=True"]) as served:
        yield served


@pytest.fixture(scope="module")
def lab_runs(lab, browser):
    """Each notebook run once, on first use, for both tests of it."""
    cache = {}

    def get(path):
        if path not in cache:
            cache[path] = run_notebook(browser, *lab, path)
        return cache[path]
    return get


@pytest.fixture(scope="module")
def site_base(tmp_path_factory):
    from test_site import served
    out = tmp_path_factory.mktemp("a11y_site") / "_site"
    build_site.build(out, [(ROOT / f, sub) for f, sub in build_site.FOLDERS])
    with served(out) as url:
        yield url


@pytest.fixture(scope="module")
def site_runs(site_base, browser):
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = visit_page(browser, site_base, name)
        return cache[name]
    return get


# --- the checks -------------------------------------------------------------------------------------------------------


def check_axe(label, nodes, outside):
    """No serious or critical violation in the course's content, nothing unclassified; the chrome's printed."""
    assert outside == [], f"{label}: requests left 127.0.0.1: {outside[:5]}"
    theirs = {k: n for k, n in nodes.items() if n["where"] in ("chrome", "ipywidgets", "jupyterlab")}
    if theirs:
        print(f"\n{label}: left out, JupyterLab's, nbconvert's or ipywidgets' own (rule, impact, where, nodes):\n  "
              + "\n  ".join(table(theirs)))
    other = [f"{n['rule']} ({n['impact']}) at {n['key']}: {n['html']}" for n in nodes.values() if n["where"] == "other"]
    assert other == [], f"{label}: violations neither in the course's content nor in known chrome:\n" + "\n".join(other)
    ours = [f"{n['rule']} ({n['impact']}) at {n['key']}: {n['html']}\n    {n['summary']}"
            for n in nodes.values() if n["where"] == "ours" and n["impact"] in FAILING]
    assert ours == [], f"{label}: serious or critical violations in the course's content:\n" + "\n".join(ours)


def check_controls(label, controls):
    """Every control takes focus, shows it, and has an accessible name (UPSTREAM's may lack the name)."""
    def problems(c):
        return [what for what, ok in (("takes no focus", c["focused"]), ("shows no focus indicator", c["indicator"]),
                                      ("has no accessible name", c["name"] or c["upstream"])) if not ok]
    unnamed = [c["key"] for c in controls.values() if c["upstream"] and not c["name"]]
    if unnamed:
        print(f"\n{label}: ipywidgets' controls without a name (UPSTREAM): {unnamed}")
    bad = [f"{c['key']}: {', '.join(problems(c))}" for c in controls.values() if problems(c)]
    assert bad == [], f"{label}: controls a keyboard user cannot use:\n" + "\n".join(bad)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_serious_violation_in_the_course_content_in_jupyterlab(lab_runs, path):
    nodes, _, outside = lab_runs(path)
    check_axe(path.name, nodes, outside)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_control_in_jupyterlab_takes_focus_shows_it_and_has_a_name(lab_runs, path):
    _, controls, _ = lab_runs(path)
    check_controls(path.name, controls)


@pytest.mark.parametrize("name", PAGES)
def test_no_serious_violation_in_the_course_content_on_the_site(site_runs, name):
    nodes, _, outside = site_runs(name)
    check_axe(name, nodes, outside)


@pytest.mark.parametrize("name", PAGES)
def test_every_control_on_the_site_takes_focus_shows_it_and_has_a_name(site_runs, name):
    _, controls, _ = site_runs(name)
    check_controls(name, controls)


def test_the_checks_see_a_violation_of_ours(browser):
    """A page with a low-contrast note in an output and an unnamed slider: both are caught, and classified ours."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_content('<html lang="en"><body><main><div class="jp-OutputArea-output">'
                     '<p style="color:#bbb;background:#fff">pale note</p><input type="range" '
                     'style="outline:none"></div></main></body></html>')
    nodes = merge({}, axe_nodes(page))
    controls = page.evaluate(CONTROLS, [".jp-OutputArea-output", UNNAMED])
    context.close()
    assert {("color-contrast", "ours"), ("label", "ours")} <= {(n["rule"], n["where"]) for n in nodes.values()}
    assert [(c["name"], c["indicator"]) for c in controls] == [("", False)]
    with pytest.raises(AssertionError, match="serious or critical"):
        check_axe("sample", nodes, [])
