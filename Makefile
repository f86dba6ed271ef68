# Set-up is two commands: `make demo` and `make test`.  Both install what they need first.
PY        ?= python3
VENV      := .venv
BIN       := $(VENV)/bin
STAMP     := $(VENV)/.installed
HYDRA_BIN := bin/hydra
GO        ?= go
BENCH_SCALE ?= small
# A second interpreter the suite runs on (the package claims >=3.11): pyenv's 3.13, else python3.13.
PY313     ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3) python3.13)
VENV313   := .venv-3.13
# actionlint checks the GitHub workflow templates; built from the Go module proxy into a
# gitignored folder (bin/ may be shared with other checkouts).
ACTIONLINT_VERSION ?= v1.7.12
ACTIONLINT := .tools/bin/actionlint

.PHONY: install demo test test-py313 test-reliability lint lint-ci actionlint typecheck schemas check-schemas hydra bench drift-demo check clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

# Everything the machine allows: real Hydra is built first when Go is present, the browser tests
# run when Chromium is installed, and pytest ends with one loud line per kind of test it skipped.
test: $(STAMP)
	@if [ ! -x $(HYDRA_BIN) ] && command -v $(GO) >/dev/null 2>&1; then \
	  echo "real Hydra: building $(HYDRA_BIN) first (make hydra)"; $(MAKE) --no-print-directory hydra; fi
	@if [ -x $(HYDRA_BIN) ]; then echo "real Hydra: $(HYDRA_BIN) found, real_hydra tests will run"; \
	else echo "!!! real Hydra: $(HYDRA_BIN) missing and no Go: real_hydra tests are SKIPPED (install Go, then 'make hydra')"; fi
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then echo "browser: Chromium found, browser tests will run"; \
	else echo "!!! browser: Chromium missing: browser tests are SKIPPED (run 'sudo apt-get install -y chromium chromium-driver')"; fi
	$(BIN)/python -m pytest -q

# The unit, sandbox and docs tests on Python 3.13 (real Hydra and browser tests run in `make test`).
test-py313:
	test -x $(VENV313)/bin/python || $(PY313) -m venv $(VENV313)
	$(VENV313)/bin/python -m pip install -q -e '.[dev]'
	$(VENV313)/bin/python -c 'import sys; assert sys.version_info[:2] == (3, 13), sys.version'
	$(VENV313)/bin/python -m pytest -q -m "not real_hydra and not browser"

# Hostile inputs, bad servers, concurrent applies, properties and canaries (also part of `test`).
test-reliability: $(STAMP)
	$(BIN)/python -m pytest -q tests/reliability

actionlint: $(ACTIONLINT)

$(ACTIONLINT):
	GOBIN=$(abspath .tools/bin) $(GO) install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)

lint-ci: $(ACTIONLINT)
	$(ACTIONLINT) .github/workflows/*.yml

lint: $(STAMP)
	$(BIN)/ruff check reconciler tests benchmarks scripts
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

schemas: $(STAMP)
	$(BIN)/reconcile schema --out schemas/

check-schemas: $(STAMP)
	$(BIN)/reconcile schema --out schemas/ --check

# Real Ory Hydra v2.3.0 from the Go module proxy; idempotent (go build caches everything).
hydra: $(HYDRA_BIN)

$(HYDRA_BIN): tools/hydra/go.mod tools/hydra/go.sum
	cd tools/hydra && CGO_ENABLED=1 $(GO) build -tags sqlite,sqlite_omit_load_extension \
	  -ldflags "-X github.com/ory/hydra/v2/driver/config.Version=v2.3.0" \
	  -o $(abspath $(HYDRA_BIN)) github.com/ory/hydra/v2
	touch $(HYDRA_BIN)

bench: $(STAMP)
	BENCH_SCALE=$(BENCH_SCALE) $(BIN)/python -m benchmarks.run
	$(BIN)/python -m benchmarks.apply_latency --changes 1000 --runs 3

drift-demo: $(STAMP)
	$(BIN)/python scripts/drift_demo.py

check: lint typecheck check-schemas test

clean:
	rm -rf $(VENV) $(VENV313) bin .tools .pytest_cache .mypy_cache .ruff_cache
