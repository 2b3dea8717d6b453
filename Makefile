# kira: two commands on a fresh Debian 12 machine.
#   make run    install what is missing, build, run the demo
#   make test   install what is missing, build, run every test (ctest) and the bounded fuzzers
SHELL := /bin/bash
BUILD ?= build
FUZZ_BUILD ?= build-fuzz
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
FUZZ_SECONDS ?= 20
CCACHE := $(shell command -v ccache 2>/dev/null)
# Let ccache share objects between clones in different folders (CI clones afresh).
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1
LAUNCHER := $(if $(CCACHE),-DCMAKE_CXX_COMPILER_LAUNCHER=ccache,)

.PHONY: all deps deps-run build build-kira run demo test fuzz bench clean

all: build

deps:
	@bash scripts/install-deps

# make run needs only the toolchain and libraries (no browser, no PostgreSQL server).
deps-run:
	@bash scripts/install-deps run

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja $(LAUNCHER) $(CMAKE_FLAGS)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# Only the kira binary (not the tests and benchmarks): what make run needs.
build-kira: deps-run $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target kira

# The main job: the Advisor/Registry walkthrough on the embedded library, then
# `kira serve` on a demo registry (URL and one log-in per role are printed;
# Ctrl-C stops it cleanly). `make demo` runs the walkthrough alone.
run: build-kira
	@bash scripts/demo $(BUILD)/kira
	@bash scripts/run-foreground bash scripts/serve-demo $(BUILD)/kira var/demo.db 127.0.0.1:8080

demo: build-kira
	@bash scripts/demo $(BUILD)/kira

# The PostgreSQL half of the storage contract suite needs a server: ctest runs
# inside a throwaway cluster (scripts/pg-test-cluster sets KIRA_PG_DSN).
test: build
	bash scripts/pg-test-cluster ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory fuzz

fuzz: deps
	@if [ ! -f $(FUZZ_BUILD)/build.ninja ]; then \
	  CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -G Ninja $(LAUNCHER) -DKIRA_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo; fi
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	@bash scripts/run-fuzzers $(FUZZ_BUILD) $(FUZZ_SECONDS)

bench: build
	@bash scripts/bench $(BUILD)
	@bash scripts/bench-server $(BUILD) 10

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD)
