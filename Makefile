# EpiTrace: `make demo` and `make test` are all a fresh machine needs.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
EPITRACE_HOME ?= $(HOME)/.epitrace
export EPITRACE_HOME
# Footage is input, not EpiTrace data: ingest refuses any path inside the home (issue 12 F4).
DEMO_VIDEO ?= $(HOME)/.cache/epitrace/demo/vtest.avi

.PHONY: venv models key system-deps demo-data demo test test-fast bench lint clean

# `make print-DEMO_VIDEO`: a variable's value (the tests check where the demo footage goes).
print-%:
	@echo '$($*)'

# The venv is rebuilt when pyproject.toml changes.
$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade "pip>=24"
	$(BIN)/pip install -q -e ".[convert,dev,ray]"
	# trackeval (HOTA) and trackers declare opencv-python, which would shadow the headless build: its other needs are in pyproject.
	$(BIN)/pip install -q --no-deps trackeval==1.3.0 pycocotools==2.0.11 trackers==2.6.1
	touch $@

venv: $(BIN)/.installed

models: venv
	$(BIN)/epitrace models install

# The key sealing face vectors and thumbnails at rest (kept if one exists; back it up).
key: venv
	$(BIN)/epitrace keys init --if-missing

demo-data: venv
	$(BIN)/python scripts/fetch_demo_video.py "$(DEMO_VIDEO)"

demo: models key demo-data
	$(BIN)/epitrace demo --video "$(DEMO_VIDEO)"

# PostgreSQL, Chromium and ffmpeg from Debian, for the tests that drive them (installed if missing).
system-deps:
	bash scripts/system_deps.sh

test: lint models system-deps
	$(BIN)/python -m pytest -q

test-fast: venv
	$(BIN)/python -m pytest -q -m "not slow"

# Ingest throughput on vtest.avi, then 10 subjects traced over a synthetic 1,000 camera-hour
# index (built once, ~6 min and ~16 GB under $(EPITRACE_HOME)/bench, then reused).
# Then the capacity plan's figures (docs/scaling.md): per camera-hour cost of ingest, and
# approximate search over 10M synthetic sightings, body and face (built once: ~31 + 5 min on
# 2 cores, 9 GB peak memory, 8 GB under $(EPITRACE_HOME)/bench/ann; later runs only query).
bench: models key demo-data
	$(BIN)/epitrace bench ingest --video "$(DEMO_VIDEO)" --compare --out "$(EPITRACE_HOME)/bench/ingest.json"
	$(BIN)/epitrace bench trace --camera-hours 1000 --workdir "$(EPITRACE_HOME)/bench/trace-1000h" \
		--out "$(EPITRACE_HOME)/bench/trace.json"
	$(BIN)/epitrace bench footprint --video "$(DEMO_VIDEO)" --out "$(EPITRACE_HOME)/bench/footprint.json"
	$(BIN)/epitrace bench index --kind body --sightings 10000000 --out "$(EPITRACE_HOME)/bench/index-body.json"
	$(BIN)/epitrace bench index --kind face --sightings 10000000 --out "$(EPITRACE_HOME)/bench/index-face.json"

# ruff (pydocstyle, google convention, on src/) and mypy with the pydantic plugin (pyproject.toml).
lint: venv
	$(BIN)/ruff check src tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build *.egg-info
