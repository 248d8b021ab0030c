"""Build the executed notebooks into a static HTML site that needs no kernel and no network (`make site`).

Usage: python scripts/build_site.py [--out _site] [--notebooks DIR]
One page per notebook (nbconvert's lab template, with the notebook's saved widget state), an
index.html from the course map in resnext_edu/course.py, and under _static/ every script the
pages run: the widget manager, require.js and MathJax from vendor/ (vendor/README.md), and
anywidget's AMD module from the installed package. Links to other notebooks become links to
their pages, images the notebooks show are copied, and links to other files of the repository
go to them on GitHub (the slug is course.REPO).
"""
import argparse
import html
import os
import re
import shutil
import sys
import time
from importlib.metadata import distribution
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import anywidget
import jinja2
import nbformat
from nbconvert import HTMLExporter

from resnext_edu import course, i18n

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "vendor"
STATIC = "_static"  # the site's folder of scripts, fonts and their licences
ANYWIDGET = Path(anywidget.__file__).parent / "nbextension" / "index.js"  # AMD: define(["@jupyter-widgets/base"], ...)
GITHUB = "https://github.com/{repo}/{kind}/HEAD/{path}"
# (notebook folder under the repository, its folder in the site): the English course, then its Korean edition.
FOLDERS = [("notebooks", ""), ("notebooks/ko", "ko")]
LANGUAGES = {"": "en", "ko": "ko"}  # a site folder's language: its pages' lang, its nav and index words
WORDS = {
    "en": {"map": "Course map", "previous": "&larr; previous", "next": "next &rarr;",
           "binder": "run it in JupyterLab on Binder", "other": ("ko", "한국어"), "open": "open on Binder",
           "head": ("#", "notebook", "what it teaches", "run time", "JupyterLab"), "readme": "README.md",
           "intro": """A course on ResNeXt, from Xie et al., <a href="https://arxiv.org/abs/1611.05431">"Aggregated Residual
Transformations for Deep Neural Networks"</a> (CVPR 2017). These pages are the notebooks as they were last run:
their text, code, outputs and figures, and widgets whose readout is computed in the page, so their sliders move
here too. Running code or training needs Python: open a notebook on Binder, or clone
<a href="{repo}">the repository</a> and run <code>make lab</code>."""},
    "ko": {"map": "과정 지도", "previous": "&larr; 이전", "next": "다음 &rarr;",
           "binder": "Binder의 JupyterLab에서 실행하기", "other": ("en", "English"), "open": "Binder에서 열기",
           "head": ("#", "노트북", "배우는 내용", "실행 시간", "JupyterLab"), "readme": "README.ko.md",
           "intro": """ResNeXt를 다루는 과정입니다. 논문은 Xie et al., <a href="https://arxiv.org/abs/1611.05431">"Aggregated
Residual Transformations for Deep Neural Networks"</a> (CVPR 2017)입니다. 이 페이지들은 마지막으로 실행한 노트북
그대로입니다. 글, 코드, 출력과 그림이 있고, 표시창을 페이지 안에서 계산하는 위젯은 여기서도 슬라이더가
움직입니다. 코드를 실행하거나 학습하려면 Python이 필요합니다. Binder에서 노트북을 열거나,
<a href="{repo}">저장소</a>를 내려받아 <code>make lab</code>을 실행하십시오."""},
}

# The lab template, with its CDN scripts replaced by the site's own (all paths relative to the page).
TEMPLATE = r"""{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}
{{ super() }}
<script>
// html-manager asks requirejs for third-party widget modules and falls back to a CDN when that
// fails: these paths make them resolve in the site. The "@jupyter-widgets" path also fixes where
// the manager's bundled modules look for their icon fonts (webpack's publicPath is the module's URL).
require.config({paths: {{ resources.rx.require_paths | json_dumps }}});
</script>
{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}
<script>
window.MathJax = {
  tex: {inlineMath: [['$', '$'], ['\\(', '\\)']], displayMath: [['$$', '$$'], ['\\[', '\\]']],
        processEscapes: true, processEnvironments: true, tags: 'ams'},
  chtml: {displayAlign: 'center'}
};
</script>
<script src="{{ resources.rx.mathjax_url }}"></script>
<script>
// ipywidgets 8 typesets widget labels with MathJax 2's MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]).
// This is MathJax 3: pass the element on to typesetPromise (until MathJax is ready, its first pass covers the page).
MathJax.Hub = {Queue: function (job) { if (MathJax.typesetPromise) MathJax.typesetPromise([job[2]]); }};
</script>
{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_css -%}
<style>
/* Links in the text are underlined: the lab theme tells them apart by colour alone (WCAG 1.4.1). */
.jp-RenderedHTMLCommon a:link, .jp-RenderedHTMLCommon a:visited { text-decoration: underline; }
</style>
{%- endblock html_head_css -%}
{%- block body_header -%}
{{ super() }}
<nav class="rx-nav" style="padding:8px 16px;font-family:var(--jp-ui-font-family);font-size:14px">
<!-- rx-nav -->
</nav>
{%- endblock body_header -%}
"""

TAG = re.compile(r"<(a|img|source|video)\b[^>]*>", re.I)  # the tags whose links point into the repository
ATTR = re.compile(r'(?<![\w-])(href|src)="([^"]*)"')  # not data-src
SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*:|//)", re.I)  # http:, data:, mailto:, //host: not a file here


def pages_url(repo=course.REPO):
    """Where GitHub Pages publishes the site of github.com/{owner}/{name}."""
    owner, name = repo.split("/")
    return f"https://{owner.lower()}.github.io/{name}/"


def relative(target, page_dir):
    """The site path `target` as seen from a page in `page_dir` (both relative to the site root)."""
    return quote(Path(os.path.relpath(target, page_dir)).as_posix())


def in_course_map(path):
    """(title, what it teaches, minutes) of a notebook of the course map, else None; a Korean one's words in Korean."""
    for file, title, what, minutes in course.NOTEBOOKS:
        if path == (ROOT / "notebooks" / file).resolve():
            return title, what, minutes
        if path == (ROOT / "notebooks" / "ko" / file).resolve():
            i18n.set_language("ko")
            try:
                return course.first_heading(path) or title, i18n._(what), minutes
            finally:
                i18n.set_language("en")
    return None


def language_of(page):
    """The language of a page or folder of the site ("ko/04_resnext.html" -> "ko")."""
    parts = Path(page).parts
    return LANGUAGES.get(parts[0] if len(parts) > 1 else "", "en")


def binder(path):
    """The notebook's Binder link, for notebooks of this repository's notebooks/ only."""
    if not path.is_relative_to(ROOT / "notebooks"):
        return None
    return course.binder_url(path.relative_to(ROOT / "notebooks").as_posix())


def title_of(path, nb):
    """The course map's title, else the notebook's first heading, else its file name."""
    if in_course_map(path):
        return in_course_map(path)[0]
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#+\s+(.+)$", cell.source, re.M)
            if match:
                return match.group(1).strip()
    return path.stem


def ordered(folder):
    """The folder's notebooks: those of the course map in its order, then any others by name."""
    mapped = [folder / file for file, *_ in course.NOTEBOOKS if (folder / file).exists()]
    return mapped + sorted(p for p in folder.glob("*.ipynb") if p not in mapped)


class Site:
    """The pages to build: {notebook path: its page's site path}, and where files are copied from."""

    def __init__(self, out, folders, root):
        self.out, self.root = out, root
        self.folders = [(folder.resolve(), sub) for folder, sub in folders]
        for folder, _ in self.folders:
            if not any(folder.glob("*.ipynb")):
                raise ValueError(f"no notebooks (*.ipynb) in {folder}")
        self.pages = {p.resolve(): Path(sub, p.stem + ".html").as_posix()
                      for folder, sub in self.folders for p in ordered(folder)}

    def rewrite(self, text, source, page_dir):  # page_dir: the page's folder in the site, "." at the top
        """Point the page's links and images at the site (notebook pages, copied files, GitHub)."""
        def attr(match, tag):
            name, value = match.groups()
            new = self.target(html.unescape(value), tag.lower(), source, page_dir)
            return f'{name}="{html.escape(new)}"'
        return TAG.sub(lambda t: ATTR.sub(lambda a: attr(a, t.group(1)), t.group(0)), text)

    def target(self, value, tag, source, page_dir):
        """Where one href or src of `source`'s page should point; ValueError if it names nothing there."""
        if not value or value.startswith("#") or SCHEME.match(value):
            return value
        parts = urlsplit(value)
        fragment = f"#{parts.fragment}" if parts.fragment else ""
        path = (source.parent / unquote(parts.path)).resolve()
        if path.suffix == ".ipynb":
            if path not in self.pages:
                raise ValueError(f"{source.name} links to {value}, which is not a notebook of the site "
                                 f"({', '.join(sorted(p.name for p in self.pages))})")
            return relative(self.pages[path], page_dir) + fragment
        if not path.exists() or not path.is_relative_to(self.root):
            raise ValueError(f"{source.name} refers to {value}, which is not a file of {self.root}")
        rel = path.relative_to(self.root).as_posix()
        if tag == "a":  # a link to code or data: GitHub shows it; the site holds only what pages display
            return GITHUB.format(repo=course.REPO, kind="tree" if path.is_dir() else "blob", path=rel) + fragment
        (self.out / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, self.out / rel)
        return relative(rel, page_dir)


def exporter(up):
    """nbconvert's lab exporter for pages that reach the site's root by `up` ("", "../", ...)."""
    return HTMLExporter(template_name="lab", template_file="rx_site.html.j2",
                        extra_loaders=[jinja2.DictLoader({"rx_site.html.j2": TEMPLATE})],
                        require_js_url=f"{up}{STATIC}/requirejs/require.js",
                        widget_renderer_url=f"{up}{STATIC}/html-manager/embed-amd.js")


def nav(site, path, page):
    """Links at the top of a page: the course map, the previous and next notebook, Binder, the other edition."""
    here = Path(page).parent.as_posix()
    words = WORDS[language_of(page)]
    pages = [p for p, s in site.pages.items() if Path(s).parent.as_posix() == here]
    i = pages.index(path)
    links = [f'<a href="index.html">{words["map"]}</a>']
    if i > 0:
        links.append(f'<a href="{relative(site.pages[pages[i - 1]], here)}">{words["previous"]}</a>')
    if i + 1 < len(pages):
        links.append(f'<a href="{relative(site.pages[pages[i + 1]], here)}">{words["next"]}</a>')
    if binder(path):
        links.append(f'<a href="{html.escape(binder(path))}">{words["binder"]}</a>')
    language, name = words["other"]
    other = next((s for p, s in site.pages.items() if p.name == path.name and language_of(s) == language), None)
    if other:  # the same notebook in the other edition
        links.append(f'<a href="{relative(other, here)}" lang="{language}" hreflang="{language}">{name}</a>')
    return " &middot; ".join(links)


def build_page(site, path):
    """One notebook's page: nbconvert's, with the site's scripts, links and images, and a nav bar."""
    page = site.pages[path]
    up = "../" * page.count("/")
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown" and "```mermaid" in cell.source:
            raise ValueError(f"{path.name} has a mermaid diagram: mermaid.js is not vendored, so the site "
                             "would fetch it from a CDN (add it to vendor/ first)")
    resources = {"metadata": {"name": title_of(path, nb), "path": str(path.parent)},
                 "rx": {"mathjax_url": f"{up}{STATIC}/mathjax/tex-chtml-full.js",
                        "require_paths": {"anywidget": f"{up}{STATIC}/anywidget/index",
                                          "@jupyter-widgets": f"{up}{STATIC}/html-manager"}}}
    body, _ = exporter(up).from_notebook_node(nb, resources=resources)
    body = site.rewrite(body, path, Path(page).parent.as_posix())
    (site.out / page).parent.mkdir(parents=True, exist_ok=True)
    body = body.replace("<!-- rx-nav -->", nav(site, path, page), 1)
    body = body.replace('<html lang="en">', f'<html lang="{language_of(page)}">', 1)  # screen readers pick the voice
    (site.out / page).write_text(body, encoding="utf-8")


INDEX = """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 62rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5;
       color: #1a1a1a; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #ddd; vertical-align: top; }}
a {{ color: #0b57d0; }}
</style></head>
<body><main>
<h1>{title}</h1>
<p>{intro}</p>
{other}
<table>
<thead><tr>{head}</tr></thead>
<tbody>
{rows}
</tbody></table>
</main></body></html>
"""


def run_time(minutes, language):
    """The course map's run-time words (as course_map writes them), in the folder's language."""
    if minutes is None:
        return ""
    i18n.set_language(language)
    try:
        return i18n._("under 1 min") if minutes < 1 else i18n._("about {minutes:g} min").format(minutes=minutes)
    finally:
        i18n.set_language("en")


def build_index(site, folder, sub):
    """index.html for one folder, in its language: the course map's rows for its notebooks, then any others."""
    language = LANGUAGES.get(sub, "en")
    words = WORDS[language]
    rows = []
    for path in ordered(folder):
        _, what, minutes = in_course_map(path) or (None, "", None)
        title = html.escape(title_of(path, nbformat.read(path, as_version=4)))
        page = f'<a href="{relative(site.pages[path], sub or ".")}">{title}</a>'
        lab = f'<a href="{html.escape(binder(path))}">{words["open"]}</a>' if binder(path) else ""
        rows.append(f"<tr><td>{html.escape(path.name[:2])}</td><td>{page}</td><td>{html.escape(what)}</td>"
                    f"<td>{run_time(minutes, language)}</td><td>{lab}</td></tr>")
    readme = ROOT / words["readme"]
    heading = (readme if readme.exists() else ROOT / "README.md").read_text(encoding="utf-8").splitlines()[0]
    other_language, other_name = words["other"]
    other_sub = next((s for s, lang in LANGUAGES.items() if lang == other_language), None)
    other = ""
    if other_sub is not None and any(Path(p).parts[:-1] == Path(other_sub).parts for p in site.pages.values()):
        target = relative(Path(other_sub, "index.html").as_posix(), sub or ".")
        other = f'<p><a href="{target}" lang="{other_language}" hreflang="{other_language}">{other_name}</a></p>'
    text = INDEX.format(title=html.escape(heading.lstrip("# ")), rows="\n".join(rows), lang=language, other=other,
                        intro=words["intro"].format(repo=html.escape(f"https://github.com/{course.REPO}")),
                        head="".join(f"<th>{h}</th>" for h in words["head"]))
    (site.out / sub / "index.html").write_text(text, encoding="utf-8")


def copy_static(out):
    """The vendored scripts and fonts with their licences, and anywidget's AMD module with its licence."""
    shutil.copytree(VENDOR, out / STATIC, dirs_exist_ok=True)
    (out / STATIC / "anywidget").mkdir(parents=True, exist_ok=True)
    shutil.copy2(ANYWIDGET, out / STATIC / "anywidget" / "index.js")
    for file in distribution("anywidget").files or []:  # the wheel's licence travels with its file
        if file.name.upper().startswith("LICENSE"):
            shutil.copy2(file.locate(), out / STATIC / "anywidget" / "LICENSE")


def size_mb(folder):
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def build(out, folders, root=ROOT):
    """Build the site into `out` (emptied first); folders: [(notebook folder, site sub-folder)]."""
    out = Path(out).resolve()
    if out == ROOT or ROOT.is_relative_to(out):
        raise ValueError(f"--out {out} would delete the repository; give a folder of its own, e.g. _site")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    site = Site(out, [(Path(f), sub) for f, sub in folders], Path(root).resolve())
    copy_static(out)
    (out / ".nojekyll").touch()  # GitHub Pages' Jekyll would drop _static/: it skips folders that start with _
    for path in site.pages:
        build_page(site, path)
    for folder, sub in site.folders:
        build_index(site, folder, sub)
    return site


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "_site"), help="the site's folder (default: _site)")
    parser.add_argument("--notebooks", help="build this folder of notebooks instead of the course's")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    if args.notebooks:
        folder = Path(args.notebooks).resolve()
        site = build(args.out, [(folder, "")], root=folder.parent)  # files beside it are "the repository"
    else:
        site = build(args.out, [(ROOT / f, sub) for f, sub in FOLDERS])
    print(f"built {len(site.pages)} pages and an index.html per edition in {site.out} "
          f"({time.perf_counter() - start:.1f} s): {size_mb(site.out):.1f} MB")


if __name__ == "__main__":
    sys.exit(main())
