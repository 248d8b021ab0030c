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
CONDA_NAMES = {"pytorch-cpu": "torch"}  # conda-forge name -> PyPI name


def _pyproject_pins():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = {}
    for dep in deps:
        name, _, version = dep.partition("==")
        assert version, f"pyproject.toml: {dep!r} is not pinned with =="
        pins[name.strip().lower()] = version.strip()
    return pins


def _environment_pins():
    pins, pip_section = {}, []
    for line in (ROOT / "environment.yml").read_text().splitlines():
        item = re.match(r"^\s+- (.+?)\s*(#.*)?$", line)
        if not item or item.group(1) in ("conda-forge", "pip", "pip:"):
            continue
        text = item.group(1)
        if line.startswith("      "):  # inside the pip: section
            pip_section.append(text)
            continue
        name, _, version = text.partition("=")
        pins[CONDA_NAMES.get(name, name).lower()] = version
    return pins, pip_section


def test_environment_yml_and_pyproject_pin_the_same_versions():
    pyproject = _pyproject_pins()
    env, pip_section = _environment_pins()
    assert env.pop("python") == "3.11"
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"] == ">=3.11,<3.12"
    missing_in_env = sorted(set(pyproject) - set(env))
    missing_in_pyproject = sorted(set(env) - set(pyproject))
    assert not missing_in_env, f"in pyproject.toml but not environment.yml: {missing_in_env}"
    assert not missing_in_pyproject, f"in environment.yml but not pyproject.toml: {missing_in_pyproject}"
    differ = {n: (pyproject[n], env[n]) for n in pyproject if pyproject[n] != env[n]}
    assert not differ, f"pinned differently (pyproject, environment.yml): {differ}"
    assert pip_section == ["-e ."], "Binder installs the package itself through the pip section"
    assert "conda-forge" in (ROOT / "environment.yml").read_text()


def test_drift_check_catches_a_difference(tmp_path, monkeypatch):
    # The check above must be able to fail: run it on a copy with one pin changed.
    (tmp_path / "environment.yml").write_text(
        (ROOT / "environment.yml").read_text().replace("matplotlib=3.11.2", "matplotlib=3.10.0"))
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    with pytest.raises(AssertionError, match="matplotlib"):
        test_environment_yml_and_pyproject_pin_the_same_versions()


def test_readme_has_the_two_commands_and_a_current_course_map():
    readme = (ROOT / "README.md").read_text()
    assert "\nmake lab\n" in readme and "\nmake test\n" in readme
    sys.path.insert(0, str(ROOT / "scripts"))
    from update_readme import render
    assert render(readme) == readme, "README's course map is stale: run python scripts/update_readme.py"


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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
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
    assert "course_map()" in source and "environment_check()" in source and "IntSlider" in source
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
