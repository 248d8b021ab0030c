# resnext-edu: `make lab` opens the course, `make test` runs everything. Both set up .venv first.
# Python 3.11, 3.12 or 3.13: the first of these found on PATH, or say PYTHON=/path/to/python3.12.
PYTHON ?= $(firstword $(foreach p,python3.11 python3.12 python3.13 python3,$(if $(shell $(p) -c 'import sys; sys.exit(sys.version_info[:2] not in [(3, 11), (3, 12), (3, 13)])' 2>/dev/null && echo ok),$(p))) python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# PyPI's Linux torch wheel is a CUDA build of several GB; this index has the small CPU build.
# A torch wheel already on this machine (pip's find-links) is used first, offline. torch's own
# dependencies come with the package install below.
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
ALLOW_ROOT  := $(if $(filter 0,$(shell id -u)),--allow-root)
LAB_EXTRA   ?=

.PHONY: setup lab test notebooks solutions assets benchmarks data results results-cpu site clean

setup: $(STAMP)

# Re-runs only when pyproject.toml changes (or the venv is missing).
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] in [(3, 11), (3, 12), (3, 13)] else "resnext-edu needs Python 3.11, 3.12 or 3.13; $(PYTHON) is " + sys.version.split()[0] + ". Install one (python.org, or e.g. sudo apt install python3.12) and run: make lab PYTHON=python3.12. Or open the course on Binder (README).")'
	@echo "setting up $(VENV) with $$($(PYTHON) --version) (the first time takes a few minutes: torch is large)"
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@echo "installing torch 2.13.0 (the CPU build: from this machine's wheels if it has them, else $(TORCH_INDEX))"
	$(PY) -m pip install --quiet --no-index --no-deps torch==2.13.0 2>/dev/null || \
	    $(PY) -m pip install --progress-bar on --no-deps torch==2.13.0 --extra-index-url $(TORCH_INDEX)
	@echo "installing the course and its pinned packages (pyproject.toml)"
	$(PY) -m pip install --progress-bar on --disable-pip-version-check -e ".[test]"
	$(PY) scripts/lab_settings.py
	touch $(STAMP)
	@echo "ready: $(VENV) ($$($(PY) --version)); make lab opens the course"

# JupyterLab on this machine only (127.0.0.1), with its token, at the first notebook.
lab: setup
	$(PY) -m jupyter lab --ip=127.0.0.1 --ServerApp.root_dir=. \
	    --LabApp.default_url=/lab/tree/notebooks/00_start_here.ipynb $(ALLOW_ROOT) $(LAB_EXTRA)

# Unit tests, widget and browser tests, and every notebook under nbval.
test: setup
	$(PY) -m pytest --nbval-lax --nbval-current-env tests notebooks

# Re-execute in place, then re-mark the slides: the rule reads the outputs' heights.
notebooks: setup
	$(PY) scripts/execute_notebooks.py
	$(PY) scripts/mark_slides.py

# Answer keys for teachers: every notebook solved and run, and quiz_answers.md, in teachers/solutions/ (git-ignored).
solutions: setup
	$(PY) scripts/make_solutions.py

assets: setup
	$(PY) -m resnext_edu.viz.assets

# The committed Fashion-MNIST subset, made from the original idx files (Debian: dataset-fashion-mnist).
data: setup
	$(PY) scripts/make_data.py

# Notebook 05's experiment: 3 configurations x 3 seeds, 15 epochs on the full set (a GPU job).
# The nine runs share the GPU side by side; on a small GPU use e.g. `make results JOBS=3`.
JOBS ?= 9
results: setup
	$(PY) -m resnext_edu results --preset gpu --jobs $(JOBS) --threads 1

# The same, as a CPU preset on the subset (6 epochs, stride-2 stem): 4 seeds, about 3 CPU-hours, 1.5 hours on 2 cores.
results-cpu: setup
	$(PY) -m resnext_edu results --preset cpu --jobs 2 --threads 1 --seeds 0 1 2 3

# torchvision only for the forward-speed comparison: PyPI's wheel without its dependencies, kept apart.
TV_BENCH := $(VENV)/torchvision-bench
benchmarks: setup
	test -d $(TV_BENCH)/torchvision || $(PY) -m pip install --quiet --no-deps --target $(TV_BENCH) torchvision==0.28.0
	$(PY) benchmarks/notebooks.py
	$(PY) benchmarks/counting_speed.py
	$(PY) benchmarks/widget_latency.py
	$(PY) benchmarks/forward_speed.py
	$(PY) benchmarks/train_throughput.py

# The executed notebooks as a static site in _site/ (no kernel, no network): README, "Publishing the course".
site: setup
	$(PY) scripts/build_site.py

clean:
	rm -rf $(VENV) .pytest_cache
