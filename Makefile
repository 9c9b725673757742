# netconform — the two commands that matter are `make conformance` and `make test` (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NETCONFORM_CACHE ?= /var/cache/netconform
export NETCONFORM_CACHE
PYTEST_WORKERS ?= 2
# The suites own their namespaces and name cluster-scoped objects after them, so they run side by side; on the
# 2-core test bed two workers are as fast as it gets (see README). 0: one process.
CONFORMANCE_WORKERS ?= 2
# make conformance CONTEXT=my-eks PROFILE=calico-policy ARGS="-m netpol --keep-namespaces=failed"
CONFORMANCE_ARGS = $(if $(CONTEXT),--context $(CONTEXT)) $(if $(PROFILE),--profile $(PROFILE)) $(ARGS)
# Real nodes of the local test bed (1-3): two, so cross-node paths are proven for real (issue 15).
NODES ?= 2
SESSION = $(BIN)/python -m netconform.testbed.session --nodes $(NODES)
# `make conformance HARDENED=1`: against the hardened bed (testbed/hardened.py) when none is configured.
SESSION_ARGS = $(if $(HARDENED),--hardened)
REPORTS := reports
NODE_STAMP := node_modules/.package-lock.json


.PHONY: preflight
.PHONY: wheel image image-deps
.PHONY: help venv system-deps check lint typecheck importlint test test-deps test-unit test-cluster test-cluster-hardened test-vpc-cni test-lifecycle conformance smoke \
        bench testbed-build testbed-up testbed-down testbed-status report lock clean

help:
	@echo "make conformance   run the conformance suites (current kubeconfig context; else the local test bed)"
	@echo "                   [CONTEXT=name] [PROFILE=name] [ARGS='more pytest options']"
	@echo "make test          the harness's own tests: lint, types, layers, unit, plugin, aws and cluster tiers"
	@echo "make report        HTML report of the last run (reports/allure-report/index.html)"
	@echo "make smoke         connectivity baseline only"
	@echo "make bench         benchmarks (policy engine, max-pods, probers and netpol catalog on a cluster)"
	@echo "make testbed-up / testbed-down / testbed-status"

# --- installation: everything a fresh machine needs ----------------------------------------------------------
$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

venv: $(STAMP)

# Debian packages the test bed needs (idempotent; skipped when all are present).
SYSTEM_PACKAGES := iptables ipset conntrack iproute2 runc busybox-static kmod util-linux procps
system-deps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# --- the package and the image (issue 19) ---------------------------------------------------------------------
# The wheel carries the plugin and the suites; `pip install dist/netconform-*.whl` then `netconform run`.
wheel: $(STAMP)
	rm -f dist/netconform-*.whl
	$(BIN)/pip wheel --quiet --disable-pip-version-check --no-deps -w dist .

# The image without Docker: mmdebstrap + umoci from image/Containerfile (scripts/build_image.py says why);
# dist/netconform-<version>.oci.tar. `docker build -f image/Containerfile .` builds the same with Docker.
IMAGE_PACKAGES := mmdebstrap umoci
image-deps:
	@missing=$$(for p in $(IMAGE_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

image: $(STAMP) image-deps
	$(BIN)/python scripts/build_image.py  # builds the wheel first

# --- the harness's own tests --------------------------------------------------------------------------------
lint: $(STAMP)
	$(BIN)/ruff check src fixtures suites tests conftest.py bench scripts
	$(BIN)/ruff format --check src fixtures suites tests conftest.py bench scripts

typecheck: $(STAMP)
	$(BIN)/mypy

importlint: $(STAMP)
	$(BIN)/lint-imports

check: lint typecheck importlint

# Tools the harness's own tests need beyond Python: the pinned Allure CLI and Debian's chromium (the report
# acceptance test renders the HTML report headless).
TEST_PACKAGES := chromium
test-deps: $(NODE_STAMP)
	@missing=$$(for p in $(TEST_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

test-unit: $(STAMP) test-deps
	testbed/build.sh vpc-cni-probe dialer  # tests/aws runs the real ipamd AWS layer; tests/unit the dialer (cached: a few hashes)
	NETCONFORM_REQUIRE_TOOLS=1 $(BIN)/pytest -n $(PYTEST_WORKERS) tests/unit tests/plugin tests/aws

# The cluster tier brings the test bed up (with 200 KWOK nodes for the density suite) when none is running,
# runs tests/cluster and the suites against it (scripts/cluster-tier.sh), and tears down what it started.
test-cluster: $(STAMP) system-deps image
	$(SESSION) --nodes-fake 200 -- scripts/cluster-tier.sh

# A second, small bring-up: the hardened bed (2 nodes, 3 special KWOK nodes) and the tests that need it.
test-cluster-hardened: $(STAMP) system-deps
	$(SESSION) --hardened -- scripts/cluster-tier-hardened.sh

# The VPC CNI tier (issue 16): bring-ups with the real aws-node (ipamd, aws-cni) against aws-emu, and what each
# proves (scripts/vpc-cni-tier.sh: ENI addresses in EC2, cross-ENI/cross-node traffic, detection, SNAT only in
# node netns, density fills, prefixes, the v1.22.4 -> v1.23.2 upgrade, the warm pool, the suites).
test-vpc-cni: $(STAMP) system-deps
	testbed/build.sh vpc-cni
	scripts/vpc-cni-tier.sh

# Up, down, and proof that the machine is left as it was (needs the machine without a running test bed).
test-lifecycle: $(STAMP) system-deps
	$(BIN)/pytest tests/lifecycle

test: check test-unit test-cluster test-cluster-hardened test-vpc-cni test-lifecycle

# --- running against a cluster --------------------------------------------------------------------------------
conformance: $(STAMP)
	rm -rf $(REPORTS)/allure-results  # not --clean-alluredir: a restarted xdist worker would wipe the results
	@if [ -n "$$KUBECONFIG" ] || [ -f "$$HOME/.kube/config" ]; then \
	  $(BIN)/pytest suites -n $(CONFORMANCE_WORKERS) --alluredir=$(REPORTS)/allure-results --junitxml=$(REPORTS)/junit.xml $(CONFORMANCE_ARGS); \
	else \
	  $(MAKE) --no-print-directory system-deps && \
	  $(SESSION) $(SESSION_ARGS) -- \
	    $(BIN)/pytest suites -n $(CONFORMANCE_WORKERS) --alluredir=$(REPORTS)/allure-results --junitxml=$(REPORTS)/junit.xml $(CONFORMANCE_ARGS); \
	fi

# One self-contained HTML report from reports/allure-results (Allure 3 from npm, pinned in package-lock.json).
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

report: $(STAMP) $(NODE_STAMP)
	@reports/make-report.sh

smoke: $(STAMP)
	$(BIN)/pytest suites -m smoke

# Pure benchmarks, then the probers and the full netpol catalog on a live cluster (the test bed when none is
# configured: bench/bench_probers.py says what it measures); on the test bed also cyclonus v0.5.6 beside
# netconform on the same cases (bench/bench_cyclonus.py: it tags images in the bed's own containerd).
bench: $(STAMP)
	$(BIN)/python -m bench
	@if [ -n "$$KUBECONFIG" ] || [ -f "$$HOME/.kube/config" ]; then \
	  $(BIN)/python -m bench.bench_probers; \
	else \
	  $(MAKE) --no-print-directory system-deps && \
	  $(BIN)/python -m bench.bench_testbed && \
	  $(SESSION) -- $(BIN)/python -m bench.bench_probers && \
	  $(SESSION) -- $(BIN)/python -m bench.bench_cyclonus; \
	fi

# Pre-upgrade validation of the vpc-cni add-on: make preflight CLUSTER=name [TARGET=v1.20.1-eksbuild.1] [REGION=..]
preflight: $(STAMP)
	@test -n "$(CLUSTER)" || { echo "usage: make preflight CLUSTER=name [TARGET=version] [REGION=region]"; exit 2; }
	$(BIN)/netconform preflight --cluster $(CLUSTER) $(if $(TARGET),--target-version $(TARGET)) $(if $(REGION),--region $(REGION))

# --- the local test bed ---------------------------------------------------------------------------------------
testbed-build: system-deps
	testbed/build.sh

testbed-up: $(STAMP) system-deps
	$(BIN)/netconform testbed up --nodes $(NODES) $(if $(TOPOLOGY),--topology $(TOPOLOGY)) $(if $(NODES_FAKE),--nodes-fake $(NODES_FAKE)) $(SESSION_ARGS)

testbed-down: $(STAMP)
	$(BIN)/netconform testbed down

testbed-status: $(STAMP)
	$(BIN)/netconform testbed status

# --- maintenance ------------------------------------------------------------------------------------------------
lock:
	uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements.lock
	$(BIN)/python scripts/runtime_lock.py

clean:
	rm -rf $(VENV) dist build $(REPORTS)/allure-results $(REPORTS)/junit.xml .mypy_cache .ruff_cache
