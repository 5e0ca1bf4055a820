# The two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo test clean

setup: $(BIN)/loupe

# torch is pinned in the same pip command so pip takes the local CPU build here
# instead of resolving a multi-GB CUDA build; the project itself accepts any torch>=2.1.
$(BIN)/loupe: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet "torch==$(TORCH_VERSION)" -e ".[test,$(EXTRAS)]"
	touch $@

TORCH_VERSION ?= 2.13.0
# one FAISS build: cpu (faiss-cpu), or gpu (faiss-gpu-cu12 and cuML, for a machine with CUDA 12);
# add ray for the Ray engine (`--engine ray`): `make setup EXTRAS=cpu,ray`
EXTRAS ?= cpu

# the browser opens on the page where there is a display; `make demo DEMO_ARGS=--no-browser` keeps it closed.
# Ctrl-C stops the app (a "stopped" line, the port freed).
DEMO_ARGS ?=

demo: setup
	$(BIN)/loupe demo $(DEMO_ARGS)

test: setup
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) demo-workspace .pytest_cache
