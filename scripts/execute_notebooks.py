"""Re-execute notebooks in place with nbclient, storing outputs and widget state (`make notebooks`).

Usage: python scripts/execute_notebooks.py [notebooks/01_resnet_recap.ipynb ...]
With no arguments, every notebook in notebooks/ runs, in order. Prints wall time and the
kernel's peak memory (VmHWM) for each, the figures benchmarks/notebooks.py reports.
"""
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def _peak_rss_mb(pid):
    """Peak resident memory of a process, from Linux's /proc (None elsewhere)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None


def execute(path, timeout=600, write=True):
    """Run one notebook top to bottom in a fresh kernel; return (seconds, peak MB of the kernel)."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", store_widget_state=True,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    with client.setup_kernel():
        # What JupyterLab writes on opening; stored in full, the notebook opens without unsaved changes.
        nb.metadata["language_info"] = client.wait_for_reply(client.kc.kernel_info())["content"]["language_info"]
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
        seconds = time.perf_counter() - start
        peak = _peak_rss_mb(client.km.provisioner.process.pid)
        client.set_widgets_metadata()
    if write:
        nbformat.write(nb, path)
    return seconds, peak


def main(argv=None):
    paths = [Path(p) for p in (argv or sys.argv[1:])] or [p for folder in (ROOT / "notebooks", ROOT / "notebooks" / "ko")
                                                           for p in sorted(folder.glob("[0-9]*.ipynb"))]
    print(f"{'notebook':<36} {'seconds':>8} {'peak MB':>8}")
    for path in paths:
        seconds, peak = execute(path)
        print(f"{path.parent.name + '/' + path.name if path.parent.name == 'ko' else path.name:<36} {seconds:>8.1f} {peak or float('nan'):>8.0f}", flush=True)


if __name__ == "__main__":
    main()
