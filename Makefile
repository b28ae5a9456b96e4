# semcom — one entry point for set-up, build, demo, tests and benchmarks.
# `make demo` and `make test` do all the set-up on a fresh machine (system packages via apt-get).

SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages the build links against (pkg-config names in Package.swift).
APT_PACKAGES := pkg-config zlib1g-dev libssl-dev libopenblas-dev libpng-dev libturbojpeg0-dev
BIN_DEBUG := .build/debug/semcom
BIN_RELEASE := .build/release/semcom
DEMO_DIR ?= demo-output
# Extra flags for `semcom demo`, e.g. DEMO_FLAGS="--eval-count 0" skips the closing eval sweep.
DEMO_FLAGS ?=

.PHONY: deps build release test demo bench train train-test clean

## Install the system packages that are missing (apt-get; sudo when not root).
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	else echo "system packages present"; fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

test: deps
	$(SWIFT) test

demo: release
	$(BIN_RELEASE) demo --out $(DEMO_DIR) $(DEMO_FLAGS)

## Benchmarks run with OpenBLAS's own kernel choice: unset the variables that force slow ones.
bench: release
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE scripts/bench.sh $(BIN_RELEASE)

## Training (Python + PyTorch in training/.venv; never needed by `make test`).
VENV := training/.venv
$(VENV)/bin/python:
	python3 -m venv $(VENV)
	# A CPU build of torch: a local wheel on the project's machines, PyPI elsewhere.
	$(VENV)/bin/pip install -q torch==2.13.0+cpu || $(VENV)/bin/pip install -q torch
	$(VENV)/bin/pip install -q -r training/requirements.txt pytest

## Scenes -> segmenter -> generator -> export -> evaluation, resumable (see training/REPORT.md).
## Writes training/runs/models; `make train EXPORT=$(CURDIR)/models` replaces the shipped weights.
train: release $(VENV)/bin/python
	PYTHON=$(CURDIR)/$(VENV)/bin/python SEMCOM=$(CURDIR)/$(BIN_RELEASE) training/train_all.sh

train-test: $(VENV)/bin/python
	cd training && $(CURDIR)/$(VENV)/bin/python -m pytest -q tests

clean:
	rm -rf .build $(DEMO_DIR)
