"""The package's layers, read from its imports: every arrow points down, no private name crosses a module.

A module may import from modules of a lower layer only (a package's own submodules may import
each other). Same-layer imports are sideways arrows and fail too: widgets and exercises, say, are
both read by the notebooks and know nothing of each other. LAYERS is the design, CONTRIBUTING.md's
"Layers" table: change it there first.
"""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "resnext_edu"
MAX_LINES = 450

LAYERS = {  # module or package under resnext_edu: its layer, bottom (0) to top
    "i18n": -1,                                # the language of every message: below everything
    "checks": 0, "tables": 0, "registry": 0,   # argument checks, the table renderer, the model registry
    "references": 0,                           # what torchvision and timm give, saved for offline checks
    "trace": 1,                                # one forward pass with hooks, of any nn.Module
    "diagnose": 2,                             # the inspector: reads any nn.Module, imports no model code
    "grouped": 3,
    "blocks": 4,
    "models": 5,
    "family": 6,                               # ResNeXt's relatives: blocks and models.ResNet
    "complexity": 7,                           # closed-form params and MACs of blocks and networks
    "counting": 8, "data": 8,
    "pitfalls": 9, "checkpoints": 9, "ablation": 9,
    "train": 10,
    "experiment": 11,
    "viz": 12,
    "widgets": 13, "exercises": 13,            # read by the notebooks, not by each other
    "course": 14, "__main__": 14, "__init__": 14,
}


def unit(path):
    """The LAYERS key of a file: its top-level module or package under resnext_edu."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def imports(path, source=None):
    """[(line, imported unit, names)] of the package's own imports in one file, relative or absolute."""
    tree = ast.parse(source if source is not None else path.read_text())
    package = path.relative_to(PACKAGE).parent.parts  # ("viz",) for viz/diagrams.py
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # from . import x, from ..blocks import y
                base = list(package)[:len(package) - (node.level - 1)] if node.level > 1 else list(package)
                target = base + (node.module.split(".") if node.module else [])
            elif node.module and node.module.split(".")[0] == "resnext_edu":
                target = node.module.split(".")[1:]
            else:
                continue
            names = [a.name for a in node.names]
            if not target:  # from . import counting, models  (at the package's top)
                found += [(node.lineno, name, []) for name in names]
            else:
                found.append((node.lineno, target[0], names))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "resnext_edu" and len(parts) > 1:
                    found.append((node.lineno, parts[1], []))
    return found


def violations(path, source=None):
    """What is wrong with one file's imports, as readable lines; [] when nothing is."""
    me = unit(path)
    problems = []
    for line, target, names in imports(path, source):
        where = f"{path.relative_to(PACKAGE.parent)}:{line}"
        if target not in LAYERS:
            problems.append(f"{where}: imports resnext_edu.{target}, which is not in the layer table")
        elif target != me and LAYERS[target] >= LAYERS[me]:
            way = "sideways" if LAYERS[target] == LAYERS[me] else "up"
            problems.append(f"{where}: {me} (layer {LAYERS[me]}) imports {target} (layer {LAYERS[target]}): "
                            f"an arrow {way}")
        # gettext's `_` is public by convention: i18n exports it in __all__
        private = [n for n in names if n.startswith("_") and not n.startswith("__") and n != "_"]
        if private:
            problems.append(f"{where}: imports the private name(s) {', '.join(private)} from {target}")
    return problems


def modules():
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_module_is_in_the_layer_table():
    assert sorted({unit(p) for p in modules()} - set(LAYERS)) == []


def test_imports_point_down_and_keep_private_names_private():
    problems = [line for p in modules() for line in violations(p)]
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("source, words", [
    ("from ..widgets import cardinality_explorer\n", ["viz (layer 12) imports widgets (layer 13)", "up"]),
    ("from . import counting\nfrom resnext_edu.exercises import core\n", ["imports exercises", "up"]),
    ("from .diagrams import _mask_axes\n", ["private name(s) _mask_axes"]),
    ("import resnext_edu.notebooks\n", ["not in the layer table"]),
])
def test_the_check_fails_on_an_arrow_up_or_a_private_name(source, words):
    # The failing twin: viz/animation.py as it would read with a bad import.
    problems = violations(PACKAGE / "viz" / "animation.py", source)
    assert problems, source
    assert all(any(w in p for p in problems) for w in words), problems


def test_the_check_fails_on_a_sideways_arrow():
    problems = violations(PACKAGE / "widgets" / "cardinality_explorer.py", "from ..exercises import core\n")
    assert problems and "sideways" in problems[0]


def test_diagnose_imports_no_model_code():
    below = {u for u, layer in LAYERS.items() if layer < LAYERS["diagnose"]}
    for path in (PACKAGE / "diagnose").rglob("*.py"):
        assert {t for _, t, _ in imports(path)} - {"diagnose"} <= below, path


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_is_over_450_lines(path):
    assert len(path.read_text().splitlines()) <= MAX_LINES
