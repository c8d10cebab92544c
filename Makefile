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

.PHONY: demo test lint clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install $(TORCH) 2>&1 | { grep -v "is ignored" || true; }
	$(PIP) install -e '.[dev,video]' $(TORCH) 2>&1 | { grep -v "is ignored" || true; }
	$(PY) -c "import torch, texsandwich; assert torch.__version__.startswith('2.13.0'), torch.__version__"
	touch $(STAMP)

test: $(STAMP)
	$(VENV)/bin/ruff check texsandwich tests tools examples
	$(PY) -m pytest

demo: $(STAMP)
	$(PY) examples/demo.py

lint: $(STAMP)
	$(VENV)/bin/ruff check texsandwich tests tools examples

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache
