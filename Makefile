# semcom — one entry point for set-up, build, demo, tests and benchmarks.
# `make demo` and `make test` do all the set-up on a fresh machine (system packages via apt-get).

SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages the build links against (pkg-config names in Package.swift).
APT_PACKAGES := pkg-config zlib1g-dev libssl-dev libopenblas-dev libdnnl-dev libpng-dev libturbojpeg0-dev \
  libopenjp2-7-dev libwebp-dev libavif-dev libx265-dev libde265-dev librsvg2-bin \
  liblzma-dev libzstd-dev libbrotli-dev libjxl-dev libfftw3-dev
BIN_DEBUG := .build/debug/semcom
BIN_RELEASE := .build/release/semcom
DEMO_DIR ?= demo-output
# Extra flags for `semcom demo`, e.g. DEMO_FLAGS="--eval-count 0" skips the closing eval sweep.
DEMO_FLAGS ?=

.PHONY: deps build release test demo bench fuzz map-prior softcast-profiles train train-test clean install uninstall deploy-check ui-deps ui-test test-deps lint format sideport-abuse

## Install the system packages that are missing (apt-get; sudo when not root).
deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_FLAGS) $$missing; \
	else echo "system packages present"; fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

test: deps test-deps lint
	$(SWIFT) test
	$(MAKE) --no-print-directory deploy-check
	$(MAKE) --no-print-directory ui-test
	$(MAKE) --no-print-directory sideport-abuse

## The tree as `swift format` writes it (.swift-format: 120 columns); `make format` rewrites it so.
SWIFT_FORMAT_PATHS := Sources Tests Fuzz Package.swift
lint:
	$(SWIFT) format lint --strict -r --configuration .swift-format $(SWIFT_FORMAT_PATHS)

format:
	$(SWIFT) format format -i -r --configuration .swift-format $(SWIFT_FORMAT_PATHS)

## Hostile clients against real side ports (docs/sideport-security.md): silent /events readers, 1,100 idle
## connections under ulimit -n 1024, a 100,000-point schedule with pollers.
sideport-abuse:
	@test -x $(BIN_DEBUG) || $(SWIFT) build
	python3 scripts/sideport-abuse.py $(BIN_DEBUG)

# promtool (Debian's prometheus package) checks the daemons' /metrics in the end-to-end tests; the server
# it comes with is not started or needed.
test-deps:
	@$(MAKE) --no-print-directory deps APT_PACKAGES="prometheus" APT_FLAGS="--no-install-recommends"

demo: release
	$(BIN_RELEASE) demo --out $(DEMO_DIR) $(DEMO_FLAGS)

## Benchmarks run with OpenBLAS's own kernel choice: unset the variables that force slow ones.
bench: release
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE scripts/bench.sh $(BIN_RELEASE)

## Fuzzing (Fuzz/README.md): builds the libFuzzer harnesses in .build/fuzz (ASan, coverage) and runs each
## target FUZZ_SECONDS; prints inputs executed and crashes per target, fails on any crash. A short pass:
## `make fuzz FUZZ_SECONDS=20`. Reproducers land in .build/fuzz/artifacts/TARGET/.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= frame digital analog layered png safetensors codecs map
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_TARGETS="$(FUZZ_TARGETS)" scripts/fuzz.sh

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

## The map coder's prior (docs/map-coding.md): counts over the generator's 10,000 training scenes (seed 1), which
## no evaluation uses. Deterministic: the same scenes give the same file, byte for byte.
MAP_PRIOR_SCENES ?= training/runs/map-prior-scenes
map-prior: release
	[ -d $(MAP_PRIOR_SCENES)/labels ] || $(BIN_RELEASE) scenes --count 10000 --seed 1 --out $(MAP_PRIOR_SCENES)
	$(BIN_RELEASE) map prior --data $(MAP_PRIOR_SCENES) --out models/map-prior/prior.safetensors \
	  --source "semcom scenes --count 10000 --seed 1 (64x128)"

## SoftCast's profiles (docs/softcast.md): chunk order and variances from the generator's training scenes (seed 1):
## 1,000 at 64x128, 200 at 256x512.
SOFTCAST_SCENES ?= training/runs/softcast-scenes
softcast-profiles: release
	[ -d $(SOFTCAST_SCENES)/64x128/images ] || $(BIN_RELEASE) scenes --count 1000 --seed 1 --out $(SOFTCAST_SCENES)/64x128
	[ -d $(SOFTCAST_SCENES)/256x512/images ] || \
	  $(BIN_RELEASE) scenes --count 200 --seed 1 --size 256x512 --out $(SOFTCAST_SCENES)/256x512
	$(BIN_RELEASE) softcast profile --data $(SOFTCAST_SCENES)/64x128 --out models/softcast/64x128.json \
	  --source "semcom scenes --count 1000 --seed 1 (64x128)"
	$(BIN_RELEASE) softcast profile --data $(SOFTCAST_SCENES)/256x512 --out models/softcast/256x512.json \
	  --source "semcom scenes --count 200 --seed 1 --size 256x512"

clean:
	rm -rf .build $(DEMO_DIR)

## Install: `make install [PREFIX=/usr/local] [DESTDIR=]` builds the release binary and installs
##   PREFIX/bin/semcom, the models (PREFIX/share/semcom/models, found by the binary without flags),
##   bash/zsh/fish completions, and the systemd units and env examples (PREFIX/share/semcom/systemd,
##   units rewritten for PREFIX/bin/semcom). INSTALL_BIN=PATH installs that binary instead, without
##   building (the Docker image and `make deploy-check` use it). `make uninstall` (same PREFIX and
##   DESTDIR) removes exactly these files, and the directories under PREFIX/share/semcom.
PREFIX ?= /usr/local
DESTDIR ?=
INSTALL_BIN ?=
SEMCOM_BIN_TO_INSTALL = $(or $(INSTALL_BIN),$(BIN_RELEASE))
INSTALL_ROOT = $(DESTDIR)$(PREFIX)
SEMCOM_SHARE = $(INSTALL_ROOT)/share/semcom
MODEL_FILES := $(sort $(wildcard models/generator/* models/segmenter/* models/map-prior/* models/softcast/*))
SYSTEMD_FILES := $(sort $(wildcard deploy/systemd/*.service deploy/systemd/*.env.example))
COMPLETION_BASH = $(INSTALL_ROOT)/share/bash-completion/completions/semcom
COMPLETION_ZSH = $(INSTALL_ROOT)/share/zsh/site-functions/_semcom
COMPLETION_FISH = $(INSTALL_ROOT)/share/fish/vendor_completions.d/semcom.fish

install: $(if $(INSTALL_BIN),,release)
	@test -x "$(SEMCOM_BIN_TO_INSTALL)" || { echo "install: no executable $(SEMCOM_BIN_TO_INSTALL)" >&2; exit 1; }
	install -d "$(INSTALL_ROOT)/bin" "$(SEMCOM_SHARE)/models/generator" "$(SEMCOM_SHARE)/models/segmenter" \
	  "$(SEMCOM_SHARE)/models/map-prior" "$(SEMCOM_SHARE)/models/softcast" \
	  "$(SEMCOM_SHARE)/systemd" "$(dir $(COMPLETION_BASH))" "$(dir $(COMPLETION_ZSH))" "$(dir $(COMPLETION_FISH))"
	install -m 0755 "$(SEMCOM_BIN_TO_INSTALL)" "$(INSTALL_ROOT)/bin/semcom"
	@for f in $(MODEL_FILES); do echo "install -m 0644 $$f $(SEMCOM_SHARE)/$$f"; \
	  install -m 0644 "$$f" "$(SEMCOM_SHARE)/$$f" || exit 1; done
	"$(SEMCOM_BIN_TO_INSTALL)" --generate-completion-script bash > "$(COMPLETION_BASH)"
	"$(SEMCOM_BIN_TO_INSTALL)" --generate-completion-script zsh > "$(COMPLETION_ZSH)"
	"$(SEMCOM_BIN_TO_INSTALL)" --generate-completion-script fish > "$(COMPLETION_FISH)"
	@# The units and examples name /usr/local/bin/semcom; point them at PREFIX/bin/semcom.
	@for f in $(SYSTEMD_FILES); do echo "install -m 0644 $$f $(SEMCOM_SHARE)/systemd/"; \
	  sed -e 's|/usr/local/bin/semcom|$(PREFIX)/bin/semcom|g' -e 's|/usr/local/share/semcom|$(PREFIX)/share/semcom|g' "$$f" > "$(SEMCOM_SHARE)/systemd/$${f##*/}" || exit 1; \
	  chmod 0644 "$(SEMCOM_SHARE)/systemd/$${f##*/}"; done

uninstall:
	rm -f "$(INSTALL_ROOT)/bin/semcom" "$(COMPLETION_BASH)" "$(COMPLETION_ZSH)" "$(COMPLETION_FISH)"
	rm -f $(addprefix "$(SEMCOM_SHARE)/,$(addsuffix ",$(MODEL_FILES)))
	rm -f $(addprefix "$(SEMCOM_SHARE)/systemd/,$(addsuffix ",$(notdir $(SYSTEMD_FILES))))
	rmdir "$(SEMCOM_SHARE)/models/generator" "$(SEMCOM_SHARE)/models/segmenter" "$(SEMCOM_SHARE)/models/map-prior" \
	  "$(SEMCOM_SHARE)/models/softcast" "$(SEMCOM_SHARE)/models" \
	  "$(SEMCOM_SHARE)/systemd" "$(SEMCOM_SHARE)" 2>/dev/null || true

## Deployment checks (deploy/tests/check_deploy.py): hadolint, compose and Prometheus structure,
## kubernetes-validate on deploy/k8s, systemd units, semcom-link.sh, install/uninstall into a
## temporary PREFIX, and every semcom flag the files use against the binary's --help. Tools are
## pinned in deploy/tests/requirements.txt and installed once into $(DEPLOY_VENV) (needs PyPI once).
DEPLOY_VENV := .build/deploy-venv
$(DEPLOY_VENV)/.installed: deploy/tests/requirements.txt
	python3 -m venv $(DEPLOY_VENV)
	$(DEPLOY_VENV)/bin/pip install -q --disable-pip-version-check -r deploy/tests/requirements.txt
	touch $@

deploy-check: $(DEPLOY_VENV)/.installed
	$(DEPLOY_VENV)/bin/python deploy/tests/check_deploy.py

## The dashboard in a real browser and the relay's control API (headless Chromium from Debian, Selenium
## and schemathesis from PyPI in .build/ui-venv); runs the debug build that `swift test` made.
UI_APT_PACKAGES := chromium chromium-driver
UI_VENV := .build/ui-venv
ui-deps:
	@$(MAKE) --no-print-directory deps APT_PACKAGES="$(UI_APT_PACKAGES)"
$(UI_VENV)/.installed: Tests/Browser/requirements.txt
	python3 -m venv $(UI_VENV)
	$(UI_VENV)/bin/pip install -q --disable-pip-version-check -r Tests/Browser/requirements.txt
	touch $@
ui-test: ui-deps $(UI_VENV)/.installed
	@test -x $(BIN_DEBUG) || $(SWIFT) build
	$(UI_VENV)/bin/python Tests/Browser/dashboard_test.py $(BIN_DEBUG)
