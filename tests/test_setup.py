"""The course's set-up: pins agree between pip and Binder, the README's map is complete, notebooks
are committed executed, and `make lab` serves the start notebook on 127.0.0.1 with a token."""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from resnext_edu import course

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _pyproject_pins():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = {}
    for dep in deps:
        name, _, version = dep.partition("==")
        assert version, f"pyproject.toml: {dep!r} is not pinned with =="
        pins[name.strip().lower()] = version.strip()
    return pins


def _environment():
    """(conda dependencies {name: version}, the pip section's lines) of environment.yml."""
    conda, pip_section = {}, []
    for line in (ROOT / "environment.yml").read_text().splitlines():
        item = re.match(r"^\s+- (.+?)\s*(#.*)?$", line)
        if not item or item.group(1) in ("conda-forge", "pip:"):
            continue
        if line.startswith("      "):  # inside the pip: section
            pip_section.append(item.group(1))
            continue
        name, _, version = item.group(1).partition("=")
        conda[name] = version
    return conda, pip_section


def _makefile_torch_index():
    return re.search(r"^TORCH_INDEX \?= (\S+)$", (ROOT / "Makefile").read_text(), re.M).group(1)


def test_binder_installs_what_make_setup_installs():
    # conda-forge gives Python and pip only; the rest is pip, with the Makefile's torch index and
    # pyproject's pins (through -e .), so Binder runs the builds CI tests.
    conda, pip_section = _environment()
    assert conda == {"python": "3.11", "pip": ""}, "conda-forge: only python and pip"
    assert "conda-forge" in (ROOT / "environment.yml").read_text()
    torch_pin = "torch==" + _pyproject_pins()["torch"]
    assert pip_section == [f"--extra-index-url {_makefile_torch_index()}", torch_pin, "-e ."]
    assert f"{torch_pin} --extra-index-url $(TORCH_INDEX)" in (ROOT / "Makefile").read_text()
    python = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert python == ">=3.11,<3.14" and conda["python"] == "3.11"  # Binder: the version CI runs


def test_drift_check_catches_a_difference(tmp_path, monkeypatch):
    # The check above must be able to fail: run it on a copy with the torch pin changed.
    (tmp_path / "environment.yml").write_text(
        (ROOT / "environment.yml").read_text().replace("torch==2.13.0", "torch==2.12.1"))
    for name in ("pyproject.toml", "Makefile"):
        (tmp_path / name).write_text((ROOT / name).read_text())
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    with pytest.raises(AssertionError, match="torch=="):
        test_binder_installs_what_make_setup_installs()


def test_the_pip_section_resolves_offline_to_what_make_setup_installed(tmp_path):
    # Offline: with the index line left out, the pip section against this venv installs nothing
    # new but the course itself, so its pins are exactly those make setup installed.
    _, pip_section = _environment()
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("\n".join(line for line in pip_section if not line.startswith("--")) + "\n")
    report = tmp_path / "report.json"
    run = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-index", "--no-build-isolation",
                          "--report", str(report), "-r", str(requirements)], cwd=ROOT, check=True,
                         capture_output=True, text=True, timeout=300)
    install = json.loads(report.read_text())["install"]
    assert [(i["metadata"]["name"], i["metadata"]["version"]) for i in install] == [("resnext-edu", "0.1.0")]
    # and building the course prints no deprecation warning (a license table did, four times)
    assert "deprecat" not in (run.stdout + run.stderr).lower()


def test_readme_has_the_two_commands_and_a_current_course_map():
    readme = (ROOT / "README.md").read_text()
    assert "\nmake lab\n" in readme and "\nmake test\n" in readme
    sys.path.insert(0, str(ROOT / "scripts"))
    from update_readme import render
    assert render(readme) == readme, "README's course map is stale: run python scripts/update_readme.py"


def test_the_korean_readme_maps_the_korean_notebooks_and_each_readme_links_the_other():
    readme, korean = ((ROOT / name).read_text(encoding="utf-8") for name in ("README.md", "README.ko.md"))
    assert "](README.ko.md)" in readme and "](README.md)" in korean
    assert "\nmake lab\n" in korean and "\nmake test\n" in korean
    sys.path.insert(0, str(ROOT / "scripts"))
    from update_readme import render
    assert render(korean, "ko") == korean, "README.ko.md's course map is stale: run python scripts/update_readme.py"
    table = korean.split("<!-- course-map:start -->")[1].split("<!-- course-map:end -->")[0]
    links = re.findall(r"\]\((notebooks/ko/[^)]+\.ipynb)\)", table)
    assert len(links) == 8 and all((ROOT / link).is_file() for link in links)
    assert table.count("urlpath=lab/tree/notebooks/ko/") == 8


def test_every_notebook_is_in_the_map_and_every_link_exists():
    readme = (ROOT / "README.md").read_text()
    for path in NOTEBOOKS:
        assert f"(notebooks/{path.name})" in readme, f"{path.name} is missing from the README's course map"
        assert course.binder_url(path.name) in readme
    for target in re.findall(r"\]\((notebooks/[^)]+)\)", readme):
        assert (ROOT / target).exists(), f"README links to {target}, which does not exist"
    for url in re.findall(r"\((https://mybinder\.org/v2/gh/[^)]+)\)", readme):
        assert url.startswith(f"https://mybinder.org/v2/gh/{course.REPO}/HEAD?urlpath=lab/tree/notebooks/")
        assert (ROOT / "notebooks" / url.rsplit("/", 1)[1]).exists(), url
    for image in re.findall(r"!\[[^\]]*\]\((assets/[^)]+)\)", readme):
        assert (ROOT / image).exists(), f"README shows {image}, which does not exist"


KOREAN = sorted((ROOT / "notebooks" / "ko").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS + KOREAN, ids=[p.name for p in NOTEBOOKS] + ["ko/" + p.name for p in KOREAN])
def test_notebook_is_committed_executed_and_small(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert [c["execution_count"] for c in code] == list(range(1, len(code) + 1)), "run `make notebooks`"
    errors = [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
    assert not errors, f"{path.name} holds an error output: {errors[0].get('ename')}"
    assert path.stat().st_size < 2_000_000
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


def test_start_notebook_has_map_check_and_widget():
    nb = json.loads((ROOT / "notebooks" / "00_start_here.ipynb").read_text())
    source = "\n".join("".join(c["source"]) for c in nb["cells"])
    assert "course_map()" in source and "environment_check()" in source and "widgets.first_widget()" in source
    assert "widget-state" in json.dumps(nb["metadata"]), "widget state is stored for GitHub and nbviewer"


def test_environment_check_reports_a_fix(capsys, monkeypatch):
    import torch
    monkeypatch.setattr(torch, "__version__", "1.13.1")
    assert course.environment_check() is False
    out = capsys.readouterr().out
    assert "FIX PyTorch" in out and "make lab" in out


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, b""


def test_make_lab_serves_the_start_notebook_on_localhost_with_a_token(tmp_path):
    port, token = _free_port(), "t0k3n-for-the-test"
    extra = (f"--no-browser --port={port} --ServerApp.port_retries=0 --IdentityProvider.token={token} "
             f"--LabApp.user_settings_dir={tmp_path}/settings")
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), JUPYTER_DATA_DIR=str(tmp_path / "data"),
               JUPYTER_CONFIG_DIR=str(tmp_path / "config"))
    # `make lab` itself: its set-up step is a no-op once .venv is installed.
    proc = subprocess.Popen(["make", "--no-print-directory", "lab", f"LAB_EXTRA={extra}"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(120):
            time.sleep(0.5)
            assert proc.poll() is None, proc.stdout.read().decode()[-2000:]
            try:
                if _get(f"{base}/api/status?token={token}")[0] == 200:
                    break
            except OSError:
                continue
        else:
            pytest.fail("JupyterLab did not answer within 60 s")
        assert _get(f"{base}/api/status")[0] == 403, "a request without the token must be refused"
        status, body = _get(f"{base}/api/contents/notebooks/00_start_here.ipynb?token={token}&content=0")
        assert status == 200 and json.loads(body)["type"] == "notebook"
        servers = list((tmp_path / "runtime").glob("jpserver-*.json"))
        info = json.loads(servers[0].read_text())
        assert info["url"].startswith(f"http://127.0.0.1:{port}/") and info["token"] == token
        assert info["root_dir"] == str(ROOT)
        _assert_not_reachable_from_other_addresses(port)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def _assert_not_reachable_from_other_addresses(port):
    """Bound to 127.0.0.1 only: the machine's own network address must refuse the connection."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("192.0.2.1", 9))  # no packet is sent; this only picks the outgoing address
        address = s.getsockname()[0]
    if address.startswith("127.") or address == "0.0.0.0":
        return
    with pytest.raises(OSError):
        socket.create_connection((address, port), timeout=2).close()


def test_makefile_binds_localhost_and_keeps_the_token():
    makefile = (ROOT / "Makefile").read_text()
    lab = re.search(r"^lab:.*\n((?:\t.+\n)+)", makefile, re.M).group(1)
    assert "default_url=/lab/tree/notebooks/00_start_here.ipynb" in lab
    assert "--ip=127.0.0.1" in lab
    assert "0.0.0.0" not in makefile and "token=''" not in makefile and 'token=""' not in makefile
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("make test")


def test_jupyterlab_asks_nothing_of_the_network():
    # make setup writes the overrides: no news from jupyter.org, no update check, in a fresh profile
    sys.path.insert(0, str(ROOT / "scripts"))
    import lab_settings
    settings = json.loads(lab_settings.path().read_text())
    assert settings["@jupyterlab/apputils-extension:notification"] == {"fetchNews": "false",
                                                                        "checkForUpdates": False}


def test_the_design_a_contributor_needs_is_in_the_repository():
    # Code and tests cite the design by section; it must be a file of this repository.
    text = (ROOT / "CONTRIBUTING.md").read_text()
    for section in ("## Layers", "## Budgets", "## Reference figures", "## Testing in a real browser"):
        assert section in text
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    outside = "COURSE" + ".md"  # spelled apart, so this test does not cite it itself
    citing = [f for f in tracked if f.endswith((".py", ".md", ".ipynb", "Makefile"))
              and outside in (ROOT / f).read_text(encoding="utf-8")]
    assert citing == [], f"these cite {outside}, which is not in the repository: {citing}"
