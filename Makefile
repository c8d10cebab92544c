# Every target creates .venv on first use. torch is installed first and pinned to the local CPU wheel
# (2.13.0) so that no dependency can pull a CUDA build.
SHELL  := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --quiet
TORCH  := torch==2.13.0
STAMP  := $(VENV)/.installed

# The egl render backend (moderngl on Mesa llvmpipe) needs these Debian packages.
EGL_DEBS := libegl1 libegl-mesa0 libgl1-mesa-dri libgbm1

.PHONY: demo test lint clean system-deps test-blender blender-addon

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory system-deps
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install $(TORCH) 2>&1 | { grep -v "is ignored" || true; }
	$(PIP) install -e '.[dev,video]' $(TORCH) 2>&1 | { grep -v "is ignored" || true; }
	$(PY) -c "import torch, texsandwich; assert torch.__version__.startswith('2.13.0'), torch.__version__"
	touch $(STAMP)

test: $(STAMP)
	$(VENV)/bin/ruff check texsandwich tests tools examples blender_addon
	$(PY) -m pytest

# The Blender add-on's tests run in a real Blender: the PyPI bpy module (Python 3.11 only; it needs
# numpy<2, hence its own venv, ~370 MB once). Set TEXSANDWICH_SKIP_BLENDER=1 to skip them.
BLENDER_VENV  := .venv-blender
BLENDER_STAMP := $(BLENDER_VENV)/.installed
BPY           := bpy==5.0.1

$(BLENDER_STAMP):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "make test-blender needs Python 3.11 for the bpy 5.0 wheel; run it with PYTHON=python3.11")'
	test -x $(BLENDER_VENV)/bin/python || $(PYTHON) -m venv $(BLENDER_VENV)
	$(BLENDER_VENV)/bin/python -m pip --quiet install "$(BPY)" "numpy<2" pytest 2>&1 | { grep -v "is ignored" || true; }
	touch $(BLENDER_STAMP)

test-blender:
	@if [ -n "$$TEXSANDWICH_SKIP_BLENDER" ]; then echo "Blender tests skipped (TEXSANDWICH_SKIP_BLENDER is set)"; exit 0; fi; \
	$(MAKE) --no-print-directory $(STAMP) $(BLENDER_STAMP) && \
	TEXSANDWICH_CLI=$(CURDIR)/$(VENV)/bin/texsandwich $(BLENDER_VENV)/bin/python -m pytest -p no:cacheprovider blender_addon/tests

blender-addon:
	$(PYTHON) tools/build_blender_addon.py -o dist

demo: $(STAMP)
	$(PY) examples/demo.py

lint: $(STAMP)
	$(VENV)/bin/ruff check texsandwich tests tools examples blender_addon

# Installs the EGL packages when they are missing (as root, or through sudo); otherwise says what to run.
system-deps:
	@missing=$$(for p in $(EGL_DEBS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null; then echo "render backend egl needs the EGL/Mesa libraries ($(EGL_DEBS) on Debian)"; exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; else \
	  echo "render backend egl needs: apt-get install $$missing (run as root)"; exit 0; fi; \
	echo "installing $$missing (render backend egl)"; \
	$$SUDO apt-get install -y --no-install-recommends $$missing >/dev/null || \
	{ $$SUDO apt-get update -qq && $$SUDO apt-get install -y --no-install-recommends $$missing >/dev/null; }

clean:
	rm -rf $(VENV) $(BLENDER_VENV) dist out .pytest_cache .ruff_cache
