"""Write JupyterLab's settings overrides into this environment (`make setup` runs it).

A fresh JupyterLab profile asks whether to fetch news from jupyter.org and checks for updates:
a request off this machine, and a pop-up in front of the first notebook. The overrides turn both
off for everyone using this environment (JupyterLab reads share/jupyter/lab/settings/overrides.json).
"""
import json
import sys
from pathlib import Path

OVERRIDES = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}}


def path(prefix=sys.prefix):
    return Path(prefix, "share", "jupyter", "lab", "settings", "overrides.json")


def main():
    target = path()
    settings = json.loads(target.read_text()) if target.is_file() else {}
    settings.update(OVERRIDES)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(settings, indent=2) + "\n")
    print(f"JupyterLab settings: no news, no update check ({target})")


if __name__ == "__main__":
    main()
