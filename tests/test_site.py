"""The static site (`make site`) in Chromium, served from 127.0.0.1 with every other host blocked.

Each page must load with no console error and no failed request, show its images, widgets and
links, and the explorers (anywidgets that compute their readout in the page) must give Python's
numbers after every keyboard move, with no kernel. A small course built in tmp_path proves the
mechanism: an anywidget slider and an ipywidgets slider jslinked to a text box. Skipped without
/usr/bin/chromium.
"""
import functools
import hashlib
import html
import http.server
import json
import math
import re
import statistics
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlparse

import nbformat
import pytest

from resnext_edu import complexity, course
from resnext_edu.widgets import explorer_numbers, family_numbers

CHROMIUM = "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(f"needs Chromium at {CHROMIUM} (apt-get install -y chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")
from test_browser import chromium  # noqa: E402  after the skip: it needs playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import build_site  # noqa: E402

PAGES = [p.stem + ".html" for p in build_site.ordered(ROOT / "notebooks")]
KOREAN_PAGES = ["ko/" + p.stem + ".html" for p in build_site.ordered(ROOT / "notebooks" / "ko")]  # the Korean edition
VIEWPORT = {"width": 1366, "height": 768}
WIDGET_TROUBLE = ("Loading widget", "Error displaying widget", "Error creating widget")


def grouped_conv_reference(state):
    """params and MACs of the explorer's Conv2d; groups must divide channels, as nn.Conv2d requires."""
    channels, groups = state["channels"], state["groups"]
    if groups < 1 or channels % groups:
        raise ValueError(f"groups={groups} must divide channels={channels}")
    params, macs = complexity.grouped_conv_cost(channels, groups)
    return {"params": params, "macs": macs}


# data-explorer -> Python's numbers for the explorer's data-state.
REFERENCES = {
    "cardinality": lambda s: explorer_numbers(s["depth"], s["cardinality"], s["bottleneck_width"]),
    "family": lambda s: family_numbers(s["kind"], s["cardinality"], s["bottleneck_width"],
                                       s.get("radix", 2), s.get("scale", 4)),
    "grouped-conv": grouped_conv_reference,
}
EXPLORERS = {"03_grouped_convolution.html": ["grouped-conv"], "04_resnext.html": ["cardinality"],
             "06_resnet_family.html": ["family"]}  # the pages whose explorers must render and move
EXPLORERS.update({"ko/" + name: kinds for name, kinds in EXPLORERS.items()})  # in Korean too

# --- serving and visiting -------------------------------------------------------------------------------------


@contextmanager
def served(folder):
    """Python's http.server on 127.0.0.1, a free port, in a thread; yields its base URL."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# True once every saved widget view has been drawn (or has failed and says so).
WIDGETS_DRAWN = """() => [...document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')]
  .every((tag) => {
    const area = tag.parentElement.querySelector('.widget-subarea');
    const view = area && area.firstElementChild;
    return (view && (view.children.length > 0 || view.tagName === 'IMG')) || /Error (displaying|creating) widget/
      .test(tag.parentElement.textContent);
  })"""


def shorten(text, keep=120):
    """A message's start and end: an error quoting a data: URL would fill the screen."""
    return text if len(text) <= 2 * keep else f"{text[:keep]} ... {text[-keep:]}"


@contextmanager
def visit(browser, url):
    """A page at 1366x768, loaded and settled; yields (page, problems), the list every failure is added to."""
    problems = []
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()

    def guard(route):
        request_url = route.request.url
        if urlparse(request_url).scheme in ("data", "blob") or urlparse(request_url).hostname == "127.0.0.1":
            route.continue_()
        else:  # the site must work offline: a CDN request is a failure, not a fallback
            problems.append(f"request to another host: {request_url[:120]}")
            route.abort()

    page.route("**/*", guard)
    page.on("console", lambda m: m.type == "error" and problems.append(f"console error: {shorten(m.text)}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e.name}: {shorten(e.message)}"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
    try:
        response = page.goto(url, wait_until="load")
        if response.status != 200:
            problems.append(f"HTTP {response.status}: {url}")
        page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise.then(() => true) : true")
        try:
            page.wait_for_function(WIDGETS_DRAWN, timeout=20_000)
        except sync_api.TimeoutError:
            problems.append("saved widgets still not drawn after 20 s")
        yield page, problems
    finally:
        context.close()


def check_page(page, problems, site):
    """Images, widgets and links of a loaded page; adds what is wrong to problems."""
    broken = page.evaluate("() => [...document.images].filter((i) => !(i.complete && i.naturalWidth > 0))"
                           ".map((i) => i.src.slice(0, 100))")
    problems.extend(f"image not shown: {src}" for src in broken)
    text = page.inner_text("body")
    problems.extend(f"widget says {t!r}" for t in WIDGET_TROUBLE if t in text)
    if page.locator('script[type="application/vnd.jupyter.widget-state+json"]').count():
        if not page.locator('[class*="widget-"], .rx-explorer').count():
            problems.append("the page has widget state but shows no widget")
    origin = page.url.split("/")[2]
    for href in set(page.eval_on_selector_all("a[href]", "links => links.map((a) => a.href)")):
        parts = urlparse(href)
        if parts.netloc != origin:
            continue
        if parts.path.endswith(".ipynb"):
            problems.append(f"link to a notebook file, not its page: {href}")
            continue
        target = site / unquote(parts.path).lstrip("/")
        if not target.is_file():
            problems.append(f"link to a missing page: {href}")
        elif parts.fragment:  # as a browser looks for it: the fragment as written, then percent-decoded
            ids = set(re.findall(r'\bid="([^"]*)"', target.read_text(encoding="utf-8")))
            if not {parts.fragment, unquote(parts.fragment)} & {html.unescape(i) for i in ids}:
                problems.append(f"link to a missing anchor: {href}")


# --- the explorers' contract -------------------------------------------------------------------------------------

# Wait until the move has reached data-state (or the slider did not move: it was at its end).
MOVED = "([box, before, slider, value]) => box.dataset.state !== before || slider.value === value"


def same(expected, got):
    if isinstance(expected, bool) or isinstance(got, bool) or not isinstance(expected, (int, float)):
        return expected == got
    if isinstance(expected, int) and isinstance(got, int):
        return expected == got
    return isinstance(got, (int, float)) and math.isclose(expected, got, rel_tol=1e-9, abs_tol=0)


def check_numbers(name, state, numbers, reference):
    """data-numbers against Python's reference for data-state: the same value for every key both have."""
    if "error" in numbers:
        with pytest.raises(ValueError):
            reference(state)
        return
    expected = reference(state)
    shared = sorted(set(numbers) & set(expected))
    assert shared, f"{name} explorer: data-numbers {sorted(numbers)} share no key with Python's {sorted(expected)}"
    wrong = {k: (numbers[k], expected[k]) for k in shared if not same(expected[k], numbers[k])}
    assert not wrong, f"{name} explorer at {state}: (page, Python) differ: {wrong}"


def check_explorers(page, references):
    """Move every range input of every .rx-explorer right, then left; returns {explorer: [render ms, ...]}."""
    timings = {}
    boxes = page.locator(".rx-explorer")
    for i in range(boxes.count()):
        box = boxes.nth(i)
        box.scroll_into_view_if_needed()
        name = box.get_attribute("data-explorer")
        assert name in references, f"no Python reference for explorer {name!r} (know {sorted(references)})"
        check_numbers(name, json.loads(box.get_attribute("data-state")),
                      json.loads(box.get_attribute("data-numbers")), references[name])
        sliders = box.locator("input[type=range]")
        for j in range(sliders.count()):
            for key in ("ArrowRight", "ArrowLeft"):
                slider = sliders.nth(j)
                before, value = box.get_attribute("data-state"), slider.input_value()
                slider.focus()
                slider.press(key)
                page.wait_for_function(MOVED, arg=[box.element_handle(), before, slider.element_handle(), value],
                                       timeout=5_000)
                state = json.loads(box.get_attribute("data-state"))
                check_numbers(name, state, json.loads(box.get_attribute("data-numbers")), references[name])
                ms = box.get_attribute("data-render-ms")
                if ms is not None:
                    timings.setdefault(name, []).append(float(ms))
    for name, values in timings.items():
        print(f"{page.url.rsplit('/', 1)[1]}: {name} explorer, median render {statistics.median(values):.2f} ms "
              f"over {len(values)} moves")
    return timings


# --- the course's site -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "_site"
    build_site.build(out, [(ROOT / f, sub) for f, sub in build_site.FOLDERS])
    return out


@pytest.fixture(scope="module")
def base(site):
    with served(site) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


URL_IN_PAGE = re.compile(r"""<script[^>]*\bsrc="([^"]*)"|<link[^>]*\bhref="([^"]*)"|<img[^>]*\bsrc="([^"]*)"|"""
                         r"""widgetRendererSrc = '([^']*)'|import\("([^"]*)"\)""")
URL_IN_CSS = re.compile(r"""url\(\s*["']?([^"')]+)""")
STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.S)


def test_the_pages_name_no_other_host_for_what_they_load(site):
    """Scripts, stylesheets, images, fonts and the widget manager: all from the site itself."""
    pages = sorted(site.rglob("*.html"))
    assert len(pages) == len(PAGES) + len(KOREAN_PAGES) + 2  # and an index per edition
    for page in pages:
        text = page.read_text(encoding="utf-8")
        urls = [u for m in URL_IN_PAGE.finditer(text) for u in m.groups() if u]
        urls += [u for css in STYLE.findall(text) for u in URL_IN_CSS.findall(css)]
        paths = re.search(r"require\.config\(\{paths: (\{[^}]*\})\}\)", text)
        urls += json.loads(paths.group(1)).values() if paths else []
        remote = [u for u in urls if re.match(r"^(https?:)?//", u)]
        assert not remote, f"{page.name} loads from the network: {remote}"
        for url in urls:
            if url.startswith(("data:", "#", "$")) or "{" in url:
                continue
            target = (page.parent / unquote(url.split("#")[0].split("?")[0])).resolve()
            assert target.exists() or target.with_suffix(".js").exists(), f"{page.name} loads {url}: not in the site"


@pytest.mark.parametrize("name", PAGES + KOREAN_PAGES)
def test_page_loads_offline_with_its_images_widgets_links_and_explorers(name, site, base, browser):
    with visit(browser, base + name) as (page, problems):
        check_page(page, problems, site)
        assert not problems, f"{name}:\n" + "\n".join(problems)
        moved = check_explorers(page, REFERENCES)
        assert not problems, f"{name}, after moving its explorers:\n" + "\n".join(problems)
    assert sorted(moved) == EXPLORERS.get(name, []), f"{name}: explorers that rendered and moved: {sorted(moved)}"


def test_the_index_links_to_every_page_and_each_link_works(base, browser):
    with visit(browser, base + "index.html") as (page, problems):
        assert not problems, "\n".join(problems)  # the pages' own troubles are the test above's
        links = page.eval_on_selector_all("main a[href]", "links => links.map((a) => a.getAttribute('href'))")
        local = [h for h in links if not urlparse(h).scheme and h != "ko/index.html"]  # that one: the Korean index
        assert "ko/index.html" in links
        assert sorted(local) == sorted(PAGES)
        titles = {file: title for file, title, *_ in course.NOTEBOOKS}
        for href in local:
            with page.expect_navigation(wait_until="load") as navigation:
                page.locator(f'main a[href="{href}"]').click()
            assert navigation.value.status == 200 and page.url == base + href
            assert page.title() == titles[href.replace(".html", ".ipynb")]
            assert page.locator("body.jp-Notebook .jp-Cell").count() > 0, f"{href} shows no cells"
            page.go_back()


def test_the_korean_edition_has_its_own_index_pages_in_korean_and_links_to_the_english(site):
    index = (site / "ko" / "index.html").read_text(encoding="utf-8")
    assert index.startswith("<!DOCTYPE html>\n<html lang=\"ko\">") and "<th>배우는 내용</th>" in index
    links = re.findall(r'<td><a href="([^"]+\.html)">([^<]+)</a></td>', index)
    assert [href for href, _ in links] == [p.removeprefix("ko/") for p in KOREAN_PAGES]
    assert all(re.search(r"[\uac00-\ud7a3]", title) for _, title in links), links
    assert '<a href="../index.html" lang="en" hreflang="en">English</a>' in index
    for name in KOREAN_PAGES:
        text = (site / name).read_text(encoding="utf-8")
        assert '<html lang="ko">' in text, name
        english = name.removeprefix("ko/")
        assert f'<a href="../{english}" lang="en" hreflang="en">English</a>' in text, name
        assert f'<a href="{name.removeprefix("ko/")}" lang="ko"' not in text
        assert f'<a href="{name}" lang="ko" hreflang="ko">한국어</a>' in (site / english).read_text(encoding="utf-8")
        assert "urlpath=lab/tree/notebooks/ko/" + english.replace(".html", ".ipynb") in text


def test_links_to_repository_files_go_to_github_and_exist(site):
    prefix = f"https://github.com/{course.REPO}/"
    for page in site.rglob("*.html"):
        for _, path in re.findall(rf'href="{re.escape(prefix)}(blob|tree)/HEAD/([^"#]+)', page.read_text()):
            assert (ROOT / unquote(path)).exists(), f"{page.name} links to {path}, which is not in the repository"


def test_the_readme_links_the_site_built_from_the_repository_slug():
    readme = (ROOT / "README.md").read_text()
    assert f"]({build_site.pages_url(course.REPO)})" in readme, \
        f"README should link the site at {build_site.pages_url(course.REPO)} (from course.REPO)"
    assert "\nmake site\n" in readme


def test_vendor_readme_gives_each_vendored_script_its_sha256():
    readme = (ROOT / "vendor" / "README.md").read_text()
    for path in (ROOT / "vendor").rglob("*.js"):
        assert hashlib.sha256(path.read_bytes()).hexdigest() in readme, f"vendor/README.md lacks {path.name}'s sha256"
    assert sum(p.stat().st_size for p in (ROOT / "vendor").rglob("*") if p.is_file()) < 8e6


# --- a small course, built from tmp_path: the mechanism with no kernel ---------------------------------------------

SQUARE_ESM = """
function render({ model, el }) {
  const box = document.createElement("div");
  box.className = "rx-explorer";
  box.dataset.explorer = "square";
  const slider = Object.assign(document.createElement("input"), { type: "range", min: 0, max: 10, step: 1 });
  slider.value = String(model.get("value"));
  const readout = Object.assign(document.createElement("span"), { className: "rx-readout" });
  const update = (event) => {
    const v = Number(slider.value);
    box.dataset.state = JSON.stringify({ v });
    box.dataset.numbers = JSON.stringify({ square: v * v });
    readout.textContent = `${v} squared is ${v * v}`;
    model.set("value", v);
    model.save_changes();  // no kernel: a no-op in the static page, as it must be
    if (event) box.dataset.renderMs = (performance.now() - event.timeStamp).toFixed(2);
  };
  slider.addEventListener("input", update);
  box.append(slider, readout);
  el.append(box);
  update();
}
export default { render };
"""
CELLS = {"first.ipynb": [
    ("markdown", "# First page\n\nOn to [the second page](second.ipynb#Second-page); the "
                 "[course's read-me](../README.md).\n\n![a red square](../assets/red.png)\n\nWith $C \\cdot d$ in it."),
    ("code", "import anywidget\nimport ipywidgets as widgets\nimport traitlets\n\n\n"
             f"class Square(anywidget.AnyWidget):\n    _esm = {SQUARE_ESM!r}\n"
             "    value = traitlets.Int(3).tag(sync=True)\n\n\nSquare()"),
    ("code", "slider = widgets.IntSlider(value=5, min=0, max=10, description='n')\ntext = widgets.IntText(value=5)\n"
             "widgets.jslink((slider, 'value'), (text, 'value'))\n"
             "widgets.VBox([slider, text, widgets.Button(description='ok', icon='check')])"),
], "second.ipynb": [("markdown", "# Second page\n\nBack to [the first page](first.ipynb).")]}


@pytest.fixture(scope="module")
def small_site(tmp_path_factory):
    """Two executed notebooks, an image and a read-me in a folder like the repository; built with the CLI."""
    from nbclient import NotebookClient
    import matplotlib.pyplot as plt

    root = tmp_path_factory.mktemp("course")
    (root / "notebooks").mkdir()
    (root / "assets").mkdir()
    plt.imsave(root / "assets" / "red.png", [[[1.0, 0.0, 0.0]] * 8] * 8)
    (root / "README.md").write_text("# A small course\n")
    for file, cells in CELLS.items():
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(src) if kind == "markdown"
                                             else nbformat.v4.new_code_cell(src) for kind, src in cells])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        NotebookClient(nb, timeout=120, kernel_name="python3", store_widget_state=True).execute()
        nbformat.write(nb, root / "notebooks" / file)
    out = root / "_site"
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_site.py"), "--notebooks",
                          str(root / "notebooks"), "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert re.search(r"built 2 pages .*: \d+\.\d MB$", run.stdout.strip()), run.stdout  # and says the size
    with served(out) as url:
        yield root, out, url


def test_small_site_links_images_and_index(small_site, browser):
    _, out, url = small_site
    first = (out / "first.html").read_text()
    assert 'href="second.html#Second-page"' in first
    assert f'href="https://github.com/{course.REPO}/blob/HEAD/README.md"' in first
    assert (out / "assets" / "red.png").is_file()
    with visit(browser, url + "index.html") as (page, problems):
        links = page.eval_on_selector_all("main a[href]", "links => links.map((a) => a.getAttribute('href'))")
        assert [h for h in links if not urlparse(h).scheme] == ["first.html", "second.html"]
    for name in ("first.html", "second.html"):
        with visit(browser, url + name) as (page, problems):
            check_page(page, problems, out)
            assert not problems, f"{name}:\n" + "\n".join(problems)


def test_small_site_widgets_follow_their_sliders_with_no_kernel(small_site, browser):
    _, out, url = small_site
    with visit(browser, url + "first.html") as (page, problems):
        timings = check_explorers(page, {"square": lambda s: {"square": s["v"] ** 2}})
        assert len(timings["square"]) == 2  # right, then left
        explorer = page.locator(".rx-explorer")
        explorer.locator("input[type=range]").press("ArrowRight")
        sync_api.expect(explorer.locator(".rx-readout")).to_have_text("4 squared is 16")
        # ipywidgets: the slider's handle, by keyboard; jslink moves the text box in the page
        page.locator(".widget-slider .noUi-handle").press("ArrowRight")
        sync_api.expect(page.locator(".widget-inline-hbox.widget-text input")).to_have_value("6")
        sync_api.expect(page.locator(".widget-slider .widget-readout")).to_have_text("6")
        assert page.locator(".widget-button .fa-check").count() == 1
        assert not problems, "\n".join(problems)


def test_a_second_folder_gets_its_own_pages_index_and_links_up(small_site, tmp_path):
    """A translation in notebooks/ko/ (not built yet): its pages reach _static/, assets and English pages by ../"""
    root, _, _ = small_site
    ko = root / "notebooks" / "ko"
    ko.mkdir(exist_ok=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "# 첫 페이지\n\n[English](../first.ipynb#First-page) ![](../../assets/red.png)")])
    nbformat.write(nb, ko / "first.ipynb")
    out = tmp_path / "_site"
    build_site.build(out, [(root / "notebooks", ""), (ko, "ko")], root=root)
    page = (out / "ko" / "first.html").read_text()
    assert 'href="../first.html#First-page"' in page and 'src="../assets/red.png"' in page
    assert '<script src="../_static/requirejs/require.js">' in page and "<title>첫 페이지</title>" in page
    assert 'href="first.html">첫 페이지</a>' in (out / "ko" / "index.html").read_text()
