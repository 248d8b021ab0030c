"""Mark every notebook's cells for jupyterlab-slideshow's deck mode, so a deck follows the notebook's sections.

Usage: python scripts/mark_slides.py [--check] [notebooks/04_resnext.ipynb ...]
With no paths, every notebook in notebooks/. Only `cell.metadata.slideshow` is written; the rest of the
file stays byte for byte as it was. `--check` writes nothing and exits 1 if a notebook's marks differ
from the rule (a new cell, a new heading), naming the cells. Running it twice changes nothing.

The rule, cell by cell (teachers/slides.md explains it for teachers):
- the title (`# `) and every `## ` section heading start a "slide";
- a `### ` heading (e.g. "Check yourself") starts a "subslide", below its section's slide;
- the setup cell (the first code cell, the imports), cells that only hold comments (`# q1.hint()`) and
  the References section are "skip": they never show in the deck;
- a cell with a figure or a widget in its output starts a "subslide", so it has the screen to itself;
- any other cell continues the screen above it, unless the screen would then run past SCREEN_PX at
  1920x1080 (a projector), by the estimate below; then it starts a "subslide";
- the first cell the deck shows is a "slide" in any case: the deck opens on it.

Continuing cells get `slide_type: ""`, not the classic "-": jupyterlab-slideshow 0.3.4 follows
`metadata.slideshow.slide_type` ("slide", "subslide", "fragment", "skip", "notes"), but treats any other
non-empty value, "-" included, as a type it does not know and never shows that cell
(lib/notebook/presenter.js, `_getExtents`). "" is what JupyterLab's own property inspector writes for "-"
(schemas/@jupyterlab/notebook-extension/tools.json), and nbconvert's reveal.js export reads it as "-".
So every cell carries a mark, and --check catches a cell added without one.
"""
import argparse
import base64
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SLIDE, SUBSLIDE, CONTINUE, SKIP = "slide", "subslide", "", "skip"
TYPES = (SLIDE, SUBSLIDE, CONTINUE, SKIP)
SCREEN_PX = 900  # of the deck's 1080 px at 1920x1080: a margin for the estimate's error

# Estimated heights in CSS px at 1920x1080, JupyterLab's default theme, prompts hidden as the deck does;
# measured against the deck in Chromium they come within about 150 px of a screen's real height.
TEXT_LINE_PX = 24  # a line of markdown prose
TEXT_CHARS = 220  # characters of prose in one line across the deck
CODE_LINE_PX = 18  # a line of code or of printed output
TABLE_ROW_PX = 30  # a row of a table, in markdown or in HTML output
CELL_PX = 10  # a cell's own padding
HEADING_PX = {1: 70, 2: 55, 3: 45}  # a heading line with its margins; deeper ones count as 3
MATH_PX = 60  # a $$ display equation
FIGURE_ROUND_PX = 50  # a PNG's height is rounded up to this: a re-run's pixel or two seldom moves a break
FIGURE_PX = 450  # an SVG or JPEG figure, whose height is not read
WIDGET_PX = 700  # the explorers are 370 to 700 px high at 1080 (their figure takes 48% of the window)
IMAGE_IN_MARKDOWN_PX = 350  # ![...](../assets/...)
FIGURE_TYPES = ("image/png", "image/jpeg", "image/svg+xml")
WIDGET_TYPE = "application/vnd.jupyter.widget-view+json"
HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
FENCE = re.compile(r"^\s*(```|~~~)")
SHOWN = 10  # differences --check prints per notebook


def source(cell):
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def headings(cell):
    """(level, text) of each markdown heading in a markdown cell, outside fenced code."""
    if cell["cell_type"] != "markdown":
        return []
    found, fenced = [], False
    for line in source(cell).splitlines():
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced and (m := HEADING.match(line)):
            found.append((len(m.group(1)), m.group(2).strip()))
    return found


def is_comment_only(cell):
    """A code cell of comments only, such as `# q1.hint()`: an exercise's hint or solution, kept for students."""
    lines = [line.strip() for line in source(cell).splitlines() if line.strip()]
    return cell["cell_type"] == "code" and bool(lines) and all(line.startswith("#") for line in lines)


def shows(cell, kind):
    """Whether a code cell's stored outputs hold a figure ("figure") or a widget ("widget")."""
    types = FIGURE_TYPES if kind == "figure" else (WIDGET_TYPE,)
    return any(t in out.get("data", {}) for out in cell.get("outputs", []) for t in types)


def text(value):
    return "".join(value) if isinstance(value, list) else value


def output_px(out):
    data = out.get("data", {})
    if WIDGET_TYPE in data:
        return WIDGET_PX
    if "image/png" in data:
        return png_px(text(data["image/png"]))
    if any(t in data for t in FIGURE_TYPES):
        return FIGURE_PX
    if "text/html" in data:  # a table, or an exercise's feedback: rows and paragraphs, at least two lines
        html = text(data["text/html"])
        rows = len(re.findall(r"<(tr|li|p|br|h\d|caption)\b", html))
        return TABLE_ROW_PX * max(2, rows)
    if "text/markdown" in data:
        return markdown_px(text(data["text/markdown"]))
    body = text(out.get("text", "")) or text(data.get("text/plain", ""))
    return CODE_LINE_PX * len(body.splitlines())


def png_px(b64):
    """A PNG's height as JupyterLab shows it (its own pixels), from the header, rounded up."""
    try:
        header = base64.b64decode(b64.strip()[:44])  # 8 bytes of signature, then IHDR's width and height
        height = int.from_bytes(header[20:24], "big") if header[12:16] == b"IHDR" else 0
    except ValueError:
        height = 0
    if not height:
        return FIGURE_PX
    return FIGURE_ROUND_PX * -(-height // FIGURE_ROUND_PX) + CELL_PX


def markdown_px(src):
    px, fenced, paragraph = 0, False, 0

    def wrapped(chars):  # a paragraph's source lines join into one run of text, wrapped across the deck
        return TEXT_LINE_PX * -(-chars // TEXT_CHARS)

    for line in src.splitlines():
        starts_block = not line.strip() or HEADING.match(line) or FENCE.match(line) or fenced or re.match(
            r"\s*([-*+]|\d+\.|\||>|!\[|\$\$)", line)
        if starts_block:
            px, paragraph = px + wrapped(paragraph), 0
        if FENCE.match(line):
            fenced = not fenced
            px += CODE_LINE_PX
        elif fenced:
            px += CODE_LINE_PX
        elif m := HEADING.match(line):
            px += HEADING_PX[min(len(m.group(1)), 3)]
        elif line.lstrip().startswith("!["):
            px += IMAGE_IN_MARKDOWN_PX
        elif line.lstrip().startswith("|"):
            px += TABLE_ROW_PX
        elif line.lstrip().startswith("$$"):
            px += MATH_PX
        elif not line.strip():
            px += TEXT_LINE_PX // 2  # the gap between paragraphs
        else:
            paragraph += len(line) + 1
    return px + wrapped(paragraph)


def cell_px(cell):
    """The estimated height of a cell in the deck at 1920x1080, in CSS px."""
    if cell["cell_type"] == "markdown":
        return CELL_PX + markdown_px(source(cell))
    code = CODE_LINE_PX * len(source(cell).splitlines())
    return CELL_PX + code + sum(output_px(out) for out in cell.get("outputs", []))


REFERENCES = ("references", "참고 문헌")  # the last section's heading, in English and in Korean


def slide_types(nb):
    """The slide type the rule gives each cell of a notebook (a dict from json.load), in order."""
    types, used, setup_seen, references = [], 0, False, False
    for cell in nb["cells"]:
        levels = [level for level, _ in headings(cell)]
        top = min(levels) if levels else None
        if top is not None and top <= 2:  # a new section: References or not
            references = any(level <= 2 and title.lower() in REFERENCES for level, title in headings(cell))
        height = cell_px(cell)
        if references:
            kind = SKIP
        elif cell["cell_type"] == "code" and not setup_seen:
            kind, setup_seen = SKIP, True  # the imports: run, never shown
        elif is_comment_only(cell):
            kind = SKIP
        elif top is not None and top <= 2:
            kind = SLIDE
        elif top is not None and top == 3:
            kind = SUBSLIDE
        elif shows(cell, "figure") or shows(cell, "widget"):
            kind = SUBSLIDE
        elif used and used + height > SCREEN_PX:
            kind = SUBSLIDE
        else:
            kind = CONTINUE
        if kind in (SLIDE, SUBSLIDE):
            used = height
        elif kind == CONTINUE:
            used += height
        types.append(kind)
    # the deck opens on the first shown cell: make it a slide even without a title
    first = next((i for i, kind in enumerate(types) if kind != SKIP), None)
    if first is not None:
        types[first] = SLIDE
    return types


def marked(cell):
    """The slide type stored in a cell, or None where it has none."""
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type")


def mark(nb):
    """Write the rule's slide types into nb's cells, in place; the indexes of the cells that changed."""
    changed = []
    for i, (cell, kind) in enumerate(zip(nb["cells"], slide_types(nb))):
        if marked(cell) == kind:
            continue
        meta = cell.setdefault("metadata", {})
        slideshow = dict(meta.get("slideshow", {}), slide_type=kind)
        # nbformat writes keys sorted: keep that order, so `make notebooks` does not move them again
        cell["metadata"] = dict(sorted({**meta, "slideshow": slideshow}.items()))
        changed.append(i)
    return changed


def differences(nb):
    """'cell N: stored X, rule Y' for each cell whose mark differs from the rule."""
    return [f"cell {i} ({cell.get('id', '?')}): marked {marked(cell)!r}, the rule gives {kind!r}"
            for i, (cell, kind) in enumerate(zip(nb["cells"], slide_types(nb))) if marked(cell) != kind]


def dumps(nb):
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a mark differs")
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: notebooks/*.ipynb and notebooks/ko/*.ipynb)")
    args = parser.parse_args(argv)
    paths = args.paths or sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "notebooks" / "ko").glob("*.ipynb"))
    if not paths:
        parser.error(f"no notebooks in {ROOT / 'notebooks'}")
    failed = False
    for path in paths:
        if path.suffix != ".ipynb" or not path.is_file():
            parser.error(f"not a notebook: {path}")
        before = path.read_text(encoding="utf-8")
        nb = json.loads(before)
        if dumps(nb) != before:  # else writing the marks would reformat the file too
            parser.error(f"{path} is not in nbformat's layout (indent=1, keys as stored); re-save it first")
        if args.check:
            bad = differences(nb)
            for line in bad[:SHOWN]:
                print(f"{path.name}: {line}", file=sys.stderr)
            if len(bad) > SHOWN:
                print(f"{path.name}: ... and {len(bad) - SHOWN} more cells", file=sys.stderr)
            failed = failed or bool(bad)
            continue
        changed = mark(nb)
        if changed:
            path.write_text(dumps(nb), encoding="utf-8")
        counts = {kind or "continue": slide_types(nb).count(kind) for kind in TYPES}
        print(f"{path.name}: {len(changed)} cells re-marked; " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    if failed:
        print("slide marks are out of date: run `python scripts/mark_slides.py`", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
