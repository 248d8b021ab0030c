"""The course map: the notebooks in order, what each teaches, and Binder links built from one slug.

The links are text, not mybinder.org's badge image, so the map reads the same offline. They assume
the repository lives at github.com/resnext-edu/resnext-edu: a fork changes REPO below, then runs
`python scripts/update_readme.py` and re-executes notebook 00.

In Korean (`set_language("ko")`) the map lists the Korean notebooks of notebooks/ko/, each under the
first heading of its file, and the environment check speaks Korean; the English map stays as it is.
"""
import json
import re
from pathlib import Path

from .i18n import N_, _, get_language
from .tables import display_width, pad

REPO = "resnext-edu/resnext-edu"  # the GitHub slug; every Binder link is built from it (change it in a fork)
BINDER = "https://mybinder.org/v2/gh/{repo}/HEAD?urlpath=lab/tree/notebooks/{file}"
ROOT = Path(__file__).resolve().parents[1]

KOREAN = ROOT / "notebooks" / "ko"  # the Korean edition: the same files, translated

# (file, title, what it teaches, minutes to run top to bottom on 2 CPU cores; None = in preparation).
# What it teaches is translated where the map is shown; a Korean title is its notebook's first heading.
NOTEBOOKS = [
    ("00_start_here.ipynb", "Start here", N_("the course map, an environment check, your first widget"), 0.1),
    ("01_resnet_recap.ipynb", "ResNet recap", N_("residual learning and its gradient, basic vs bottleneck blocks, ResNet-50 from parts"), 0.5),
    ("02_split_transform_merge.ipynb", "Split, transform, merge", N_("aggregated transformations, form (a) by hand, why depth 2 collapses, cardinality"), 0.5),
    ("03_grouped_convolution.ipynb", "Grouped convolution", N_("from a loop of convs to groups=C, dense to depthwise, channel shuffle, forms (a)=(b)=(c), FLOPs vs speed"), 0.5),
    ("04_resnext.ipynb", "The full ResNeXt", N_("ResNeXt-50 counted, Tables 1-4, the cardinality explorer, ResNeXt-29, the rest of the evidence"), 0.5),
    ("05_training.ipynb", "Training at equal complexity", N_("C = 1, 2, 4 trained with seeds: the spread, train vs test error, what each path carries"), 1),
    ("06_resnet_family.ipynb", "The ResNet family", N_("SE, ResNeSt, Res2Net, ReXNet, Inception-ResNet"), 0.5),
    ("07_pitfalls.ipynb", "Pitfalls clinic", N_("the classic ResNeXt bugs, caught by an inspector, and a patient from the wild"), 0.5),
]


def binder_url(file, repo=REPO):
    """A link that opens one notebook in full JupyterLab on mybinder.org."""
    return BINDER.format(repo=repo, file=file)


def first_heading(path):
    """The first heading of a notebook without its number ("00 · Start here" -> "Start here"), or None."""
    try:
        cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError):
        return None
    for cell in cells:
        if cell.get("cell_type") != "markdown":
            continue
        for line in "".join(cell["source"]).splitlines():
            if line.startswith("#"):
                return re.sub(r"^\d+\s*·\s*", "", line.lstrip("#").strip()) or None
    return None


def course_map(relative_to="notebooks"):
    """The course map as a Markdown table; links to files are relative to `relative_to`.

    relative_to: "notebooks" for a notebook of the course (its links are relative to its own folder),
    anything else for the repository's root (the README). In Korean the map lists the Korean
    notebooks, so "notebooks" means notebooks/ko/, the folder of the Korean notebook 00.
    """
    korean = get_language() == "ko"
    folder = KOREAN if korean else ROOT / "notebooks"
    prefix = "" if relative_to == "notebooks" else "notebooks/ko/" if korean else "notebooks/"
    rows = [_("| # | notebook | what it teaches | run time | Binder |"), "|---|---|---|---|---|"]
    for file, title, teaches, minutes in NOTEBOOKS:
        number, teaches = file[:2], _(teaches)
        if korean:
            title = first_heading(folder / file) or title  # the English title until the Korean notebook exists
        if minutes is None or not (folder / file).exists():
            rows.append(_("| {number} | {title} | {teaches} | in preparation | |").format(
                number=number, title=title, teaches=teaches))
            continue
        run = _("under 1 min") if minutes < 1 else _("about {minutes:g} min").format(minutes=minutes)
        url = binder_url(f"ko/{file}" if korean else file)
        link = _("[open on Binder]({url})").format(url=url)  # text: an image badge would need the network
        rows.append(f"| {number} | [{title}]({prefix}{file}) | {teaches} | {run} | {link} |")
    return "\n".join(rows)


def environment_check():
    """Check the set-up and say what to do about anything wrong; returns True when all is well."""
    import os
    import platform
    import sys

    rows = []  # (what, found, ok, advice); "ok" and "FIX" stay as they are (notebook 00 refers to FIX)
    py = platform.python_version()
    rows.append(("Python", py, sys.version_info[:2] == (3, 11),
                 _("the course is tested on Python 3.11: run `make lab PYTHON=python3.11`, which builds .venv "
                   "with it")))
    try:
        import torch
        found = torch.__version__
        ok = tuple(int(p) for p in found.split("+")[0].split(".")[:2]) >= (2, 13)
        rows.append(("PyTorch", _("{version}, {threads} CPU threads").format(version=found,
                                                                             threads=torch.get_num_threads()), ok,
                     _("torch is older than 2.13, so this kernel is not the course's environment: start JupyterLab "
                       "with `make lab` from the repository, or open the notebook from one of the course's Binder "
                       "links")))
    except ImportError:
        rows.append(("PyTorch", _("missing"), False, _("torch is not installed in this kernel: run `make lab`")))
    for name, major in [("ipywidgets", 8), ("matplotlib", 3), ("torchinfo", 1)]:
        try:
            version = __import__(name).__version__
            rows.append((name, version, int(version.split(".")[0]) >= major,
                         _("{name} {major} or newer is needed: run `make lab`").format(name=name, major=major)))
        except ImportError:
            rows.append((name, _("missing"), False, _("{name} is missing: run `make lab`").format(name=name)))
    rows.append(_front_end(os.environ, sys.modules))
    width = max(display_width(r[0]) for r in rows)  # a Hangul syllable takes two columns
    for what, found, ok, advice in rows:
        print(f"{'ok ' if ok else 'FIX'} {pad(what, width)}  {found}" + ("" if ok else f"\n    -> {advice}"))
    all_ok = all(r[2] for r in rows)
    print("\n" + (_("All set: you can start the course.") if all_ok else
                  _("Fix the lines marked FIX, then re-run this cell.")))
    return all_ok


def _front_end(environ, modules):
    """Where this code runs: JupyterLab is what the course is tested in."""
    advice = _("open the notebook in JupyterLab (`make lab`, or a Binder link); elsewhere the widgets "
               "and the layout are untested")
    what = _("front end")
    if "google.colab" in modules:
        return (what, "Google Colab", False, advice)
    if "VSCODE_PID" in environ or "VSCODE_CWD" in environ:
        return (what, "VS Code", False, advice)
    try:
        shell = type(get_ipython()).__name__  # noqa: F821  defined inside IPython only
    except NameError:
        shell = None
    if shell != "ZMQInteractiveShell":
        return (what, _("plain Python, not a notebook"), False, advice)
    kernel = _("a Jupyter kernel in JupyterLab") if "JPY_SESSION_NAME" in environ else _("a Jupyter kernel")
    return (what, kernel, True, advice)
