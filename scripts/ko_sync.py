"""Keep the Korean notebooks (notebooks/ko/) in step with the English ones.

Each Korean cell has the id of the English cell it translates, in the same order, and records in
its metadata the hash of the English source it was translated from (`translated_from`). When an
English cell changes, its hash changes, and `--check` (and tests/test_korean.py) names the Korean
cell to update. Code cells must match the English ones as code: comments and the words of string
literals may be in Korean; every name, number, expression and f-string field stays.

    python scripts/ko_sync.py --check             # what is out of step, cell by cell; exit 1 if anything
    python scripts/ko_sync.py --new NB.ipynb      # start a Korean copy (English text, no outputs)
    python scripts/ko_sync.py --stamp NB.ipynb    # record the English hashes of the cells now in Korean
    python scripts/ko_sync.py --stamp NB.ipynb --cell ID   # of one cell, after updating it
"""
import argparse
import ast
import copy
import hashlib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENGLISH = ROOT / "notebooks"
KOREAN = ENGLISH / "ko"
HANGUL = re.compile(r"[\uac00-\ud7a3]")
# The one line a Korean notebook adds to its first code cell.
SWITCH = 'from resnext_edu import set_language\nset_language("ko")  # 패키지의 메시지와 그림의 글자를 한국어로\n'


def source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def digest(cell):
    """The hash a Korean cell records: of the English cell's type and source."""
    return hashlib.sha1((cell["cell_type"] + "\n" + source(cell)).encode()).hexdigest()[:12]


def read(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write(path, nb):
    Path(path).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def pairs():
    """[(English path, Korean path)] for every English notebook."""
    return [(p, KOREAN / p.name) for p in sorted(ENGLISH.glob("[0-9][0-9]_*.ipynb"))]


def python_of(code):
    """The cell as Python: IPython's magics (%matplotlib) become calls, so ast can read it."""
    from IPython.core.inputtransformer2 import TransformerManager
    return TransformerManager().transform_cell(code)


def without_switch(code):
    return code.replace(SWITCH, "", 1)


def same_code(english, korean):
    """None if the cells are the same code, else a sentence saying where they differ."""
    try:
        a, b = ast.parse(python_of(english)), ast.parse(python_of(without_switch(korean)))
    except SyntaxError as e:
        return f"does not parse: {e}"
    return _compare(a, b, "cell")


def _is_text(value):
    return isinstance(value, str) and bool(HANGUL.search(value))


def _field(node):
    """An f-string field as text, with the words of a string inside it masked: f"{'층':<7}" = f"{'layer':<8}".

    A field that is only display text ({'layer':<8}, a table header) may change its width too: a Hangul
    syllable takes two columns, so a Korean header needs a smaller width to line up."""
    node = copy.deepcopy(node)
    if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
        node.format_spec = None
    for inner in ast.walk(node):
        if isinstance(inner, ast.Constant) and isinstance(inner.value, str) and re.search(r"[^\W\d_]", inner.value):
            inner.value = "<words>"
    return ast.dump(node)


def _compare(a, b, where):
    if type(a) is not type(b):
        return f"{where}: {type(a).__name__} in English, {type(b).__name__} in Korean"
    if isinstance(a, ast.Constant):
        if a.value == b.value or (_is_text(b.value) and isinstance(a.value, str)):
            return None
        return f"{where}: {a.value!r} in English, {b.value!r} in Korean"
    if isinstance(a, ast.JoinedStr) and any(isinstance(v, ast.Constant) and _is_text(v.value) for v in b.values):
        fields = [sorted(_field(v) for v in s.values if isinstance(v, ast.FormattedValue)) for s in (a, b)]
        return None if fields[0] == fields[1] else f"{where}: the f-string's fields differ"
    if isinstance(a, ast.FormattedValue) and isinstance(b.value, ast.Constant) and _is_text(b.value.value):
        return None if _field(a) == _field(b) else f"{where}: the f-string's field {ast.unparse(a)} differs"
    if isinstance(a, ast.AST):
        for name in a._fields:
            problem = _compare(getattr(a, name, None), getattr(b, name, None), f"{where}.{name}"
                               if name not in ("body", "value") else where)
            if problem:
                return problem
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{where}: {len(a)} items in English, {len(b)} in Korean"
        for x, y in zip(a, b):
            problem = _compare(x, y, where)
            if problem:
                return problem
        return None
    return None if a == b else f"{where}: {a!r} in English, {b!r} in Korean"


def heading(text):
    """The heading levels of a markdown cell, in order (## Foo -> 2)."""
    return [len(m.group(1)) for m in re.finditer(r"^(#{1,6}) ", text, re.M)]


def prose(text):
    """A markdown cell's words: without formulas, code, links' targets, HTML tags and image paths."""
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$|\$[^$]*\$|`[^`]*`", " ", text, flags=re.S)
    text = re.sub(r"\]\([^)]*\)|<[^>]+>|https?://\S+", " ", text)
    return text


def problems(english_path, korean_path, strict=True):
    """What keeps a Korean notebook from being in step with its English one, as readable lines."""
    if not korean_path.exists():
        return [f"{korean_path.name}: there is no Korean notebook (python scripts/ko_sync.py --new {english_path.name})"]
    en, ko = read(english_path), read(korean_path)
    name = f"ko/{korean_path.name}"
    ids_en, ids_ko = [c.get("id") for c in en["cells"]], [c.get("id") for c in ko["cells"]]
    if ids_en != ids_ko:
        missing = [i for i in ids_en if i not in ids_ko]
        extra = [i for i in ids_ko if i not in ids_en]
        return [f"{name}: its cells are not the English cells in order (missing {missing}, extra {extra}; "
                "the order differs)" if not (missing or extra) else
                f"{name}: missing the English cells {missing}, has cells {extra} the English has not"]
    out = []
    for index, (e, k) in enumerate(zip(en["cells"], ko["cells"])):
        at = f"{name} cell {index} ({e.get('id')})"
        if e["cell_type"] != k["cell_type"]:
            out.append(f"{at}: a {k['cell_type']} cell, the English is {e['cell_type']}")
            continue
        stamp = k.get("metadata", {}).get("translated_from")
        if stamp is None:
            out.append(f"{at}: not translated yet")
        elif stamp != digest(e):
            out.append(f"{at}: the English changed since it was translated; update it, then "
                       f"python scripts/ko_sync.py --stamp {korean_path.name} --cell {e.get('id')}")
        if e["cell_type"] == "code":
            differ = same_code(source(e), source(k))
            if differ:
                out.append(f"{at}: not the same code as the English: {differ}")
        elif e["cell_type"] == "markdown":
            if heading(source(e)) != heading(source(k)):
                out.append(f"{at}: headings {heading(source(k))}, the English has {heading(source(e))}")
            words = prose(source(k))
            if stamp is not None and re.search(r"[A-Za-z]{2}", words) and not HANGUL.search(words):
                out.append(f"{at}: no Korean in it")
    return out


def new(english_path):
    """A Korean copy to translate: the English cells with their ids, no outputs, nothing stamped."""
    nb = copy.deepcopy(read(english_path))
    for cell in nb["cells"]:
        cell.get("metadata", {}).pop("translated_from", None)
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    first = next(c for c in nb["cells"] if c["cell_type"] == "code")
    first["source"] = SWITCH + source(first)
    nb["metadata"]["language_info"] = nb["metadata"].get("language_info", {"name": "python"})
    nb["metadata"]["resnext_edu"] = {"language": "ko", "translation_of": f"../{english_path.name}"}
    KOREAN.mkdir(exist_ok=True)
    write(KOREAN / english_path.name, nb)


def stamp(korean_path, cell_id=None):
    """Record the English hash on the cells now in Korean (or on `cell_id`); [ids stamped]."""
    en = {c.get("id"): c for c in read(ENGLISH / korean_path.name)["cells"]}
    ko = read(korean_path)
    done = []
    for cell in ko["cells"]:
        if cell_id is not None and cell.get("id") != cell_id:
            continue
        english = en.get(cell.get("id"))
        text = source(cell)
        translated = HANGUL.search(text) or text == source(english) or cell_id is not None
        if english is not None and translated:
            cell.setdefault("metadata", {})["translated_from"] = digest(english)
            done.append(cell.get("id"))
    write(korean_path, ko)
    return done


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true")
    p.add_argument("--new", metavar="NB")
    p.add_argument("--stamp", metavar="NB")
    p.add_argument("--cell", metavar="ID")
    args = p.parse_args()
    if args.new:
        new(ENGLISH / Path(args.new).name)
        print(f"wrote notebooks/ko/{Path(args.new).name}: translate it, then --stamp it")
    if args.stamp:
        print(f"stamped {len(stamp(KOREAN / Path(args.stamp).name, args.cell))} cells")
    if args.check or not (args.new or args.stamp):
        found = [line for en, ko in pairs() for line in problems(en, ko)]
        print("\n".join(found) or "the Korean notebooks are in step with the English ones")
        sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
