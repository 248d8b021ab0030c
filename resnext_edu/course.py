"""The course map: the notebooks in order, what each teaches, and Binder links built from one slug.

The links are text, not mybinder.org's badge image, so the map reads the same offline. They assume
the repository lives at github.com/resnext-edu/resnext-edu: a fork changes REPO below, then runs
`python scripts/update_readme.py` and re-executes notebook 00.
"""
from pathlib import Path

REPO = "resnext-edu/resnext-edu"  # the GitHub slug; every Binder link is built from it (change it in a fork)
BINDER = "https://mybinder.org/v2/gh/{repo}/HEAD?urlpath=lab/tree/notebooks/{file}"
ROOT = Path(__file__).resolve().parents[1]

# (file, title, what it teaches, minutes to run top to bottom on 2 CPU cores; None = in preparation)
NOTEBOOKS = [
    ("00_start_here.ipynb", "Start here", "the course map, an environment check, your first widget", 0.1),
    ("01_resnet_recap.ipynb", "ResNet recap", "residual learning and its gradient, basic vs bottleneck blocks, ResNet-50 from parts", 0.5),
    ("02_split_transform_merge.ipynb", "Split, transform, merge", "aggregated transformations, form (a) by hand, why depth 2 collapses, cardinality", 0.5),
    ("03_grouped_convolution.ipynb", "Grouped convolution", "from a loop of convs to groups=C, dense to depthwise, channel shuffle, forms (a)=(b)=(c), FLOPs vs speed", 0.5),
    ("04_resnext.ipynb", "The full ResNeXt", "ResNeXt-50 counted, Tables 1-4, the cardinality explorer, ResNeXt-29, the rest of the evidence", 0.5),
    ("05_training.ipynb", "Training at equal complexity", "C = 1, 2, 4 trained with seeds: the spread, train vs test error, what each path carries", 1),
    ("06_resnet_family.ipynb", "The ResNet family", "SE, ResNeSt, Res2Net, ReXNet, Inception-ResNet", 0.5),
    ("07_pitfalls.ipynb", "Pitfalls clinic", "the classic ResNeXt bugs, caught by an inspector, and a patient from the wild", 0.5),
]


def binder_url(file, repo=REPO):
    """A link that opens one notebook in full JupyterLab on mybinder.org."""
    return BINDER.format(repo=repo, file=file)


def course_map(relative_to="notebooks"):
    """The course map as a Markdown table; links to files are relative to `relative_to`."""
    prefix = "" if relative_to == "notebooks" else "notebooks/"
    rows = ["| # | notebook | what it teaches | run time | Binder |", "|---|---|---|---|---|"]
    for file, title, teaches, minutes in NOTEBOOKS:
        number = file[:2]
        if minutes is None or not (ROOT / "notebooks" / file).exists():
            rows.append(f"| {number} | {title} | {teaches} | in preparation | |")
            continue
        run = "under 1 min" if minutes < 1 else f"about {minutes:g} min"
        link = f"[open on Binder]({binder_url(file)})"  # text: an image badge would need the network
        rows.append(f"| {number} | [{title}]({prefix}{file}) | {teaches} | {run} | {link} |")
    return "\n".join(rows)


def environment_check():
    """Check the set-up and say what to do about anything wrong; returns True when all is well."""
    import os
    import platform
    import sys

    rows = []  # (what, found, ok, advice)
    py = platform.python_version()
    rows.append(("Python", py, sys.version_info[:2] == (3, 11),
                 "the course is tested on Python 3.11: run `make lab PYTHON=python3.11`, which builds .venv with it"))
    try:
        import torch
        found = torch.__version__
        ok = tuple(int(p) for p in found.split("+")[0].split(".")[:2]) >= (2, 13)
        rows.append(("PyTorch", f"{found}, {torch.get_num_threads()} CPU threads", ok,
                     "torch is older than 2.13, so this kernel is not the course's environment: start JupyterLab "
                     "with `make lab` from the repository, or open the notebook from one of the course's Binder links"))
    except ImportError:
        rows.append(("PyTorch", "missing", False, "torch is not installed in this kernel: run `make lab`"))
    for name, major in [("ipywidgets", 8), ("matplotlib", 3), ("torchinfo", 1)]:
        try:
            version = __import__(name).__version__
            rows.append((name, version, int(version.split(".")[0]) >= major,
                         f"{name} {major} or newer is needed: run `make lab`"))
        except ImportError:
            rows.append((name, "missing", False, f"{name} is missing: run `make lab`"))
    rows.append(_front_end(os.environ, sys.modules))
    width = max(len(r[0]) for r in rows)
    for what, found, ok, advice in rows:
        print(f"{'ok ' if ok else 'FIX'} {what:<{width}}  {found}" + ("" if ok else f"\n    -> {advice}"))
    all_ok = all(r[2] for r in rows)
    print("\nAll set: you can start the course." if all_ok else "\nFix the lines marked FIX, then re-run this cell.")
    return all_ok


def _front_end(environ, modules):
    """Where this code runs: JupyterLab is what the course is tested in."""
    advice = ("open the notebook in JupyterLab (`make lab`, or a Binder link); elsewhere the widgets "
              "and the layout are untested")
    if "google.colab" in modules:
        return ("front end", "Google Colab", False, advice)
    if "VSCODE_PID" in environ or "VSCODE_CWD" in environ:
        return ("front end", "VS Code", False, advice)
    try:
        shell = type(get_ipython()).__name__  # noqa: F821  defined inside IPython only
    except NameError:
        shell = None
    if shell != "ZMQInteractiveShell":
        return ("front end", "plain Python, not a notebook", False, advice)
    return ("front end", "a Jupyter kernel" + (" in JupyterLab" if "JPY_SESSION_NAME" in environ else ""), True, advice)
