# The two commands of the README: `make demo` (the main job) and `make test` (every test).
# Both set up what is missing first (Debian packages, .venv, the editable package).
SHELL := /bin/bash
PY := .venv/bin/python
JOBS ?= $(shell nproc)
CMAKE := .venv/bin/cmake
CMAKE_HOST_FLAGS := -G Ninja -DCMAKE_MAKE_PROGRAM=$(abspath .venv/bin/ninja)
CORE_SOURCES := $(shell find cpp bindings firmware -name '*.cpp' -o -name '*.hpp' -o -name '*.h' -o -name '*.c' -o -name CMakeLists.txt 2>/dev/null) CMakeLists.txt pyproject.toml

.PHONY: setup demo test lint lint-style lint-types format test-cpp test-asan test-firmware test-python bench experiments calibrate-qemu-boards clean

setup: .venv/.installed

.venv/.requirements-stamp: pyproject.toml scripts/setup.sh
	scripts/setup.sh

# The package, installed editable: Python edits take effect at once, C++ edits re-run this rule.
.venv/.installed: .venv/.requirements-stamp $(CORE_SOURCES)
	set -o pipefail; $(PY) -m pip install -q --no-build-isolation -e . 2>&1 | { grep -v "^WARNING: Location" || true; }
	$(PY) -c "import tinyops._core"
	touch $@

demo: setup
	.venv/bin/tinyops demo

test: lint test-cpp test-asan test-firmware test-python

# Style (pyproject.toml's [tool.ruff] and [tool.mypy], .clang-format), also run by .pre-commit-config.yaml.
# lint-style and lint-types take their tools from RUFF, CLANG_FORMAT and PY, and need no set-up of their own:
# tests/python/test_style.py runs them in a temporary copy of the tree holding a deliberately bad file.
RUFF ?= .venv/bin/ruff
CLANG_FORMAT ?= clang-format
CXX_STYLE_DIRS := cpp bindings firmware tests/cpp tests/firmware
# Generated files are compared with their generator's output by tests, not formatted by us: blob_generated.h
# (flatc, firmware/schema/generate.sh) and tests/firmware/data/op_vectors.hpp (make_op_vectors.py).
CXX_STYLE_FILES = $(shell find $(CXX_STYLE_DIRS) -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' -o -name '*.c' \) ! -name blob_generated.h ! -name op_vectors.hpp | sort)

lint: setup
	$(MAKE) --no-print-directory lint-style lint-types

lint-style:
	$(RUFF) check --no-cache .
	$(RUFF) format --no-cache --check .
	@echo "$(CLANG_FORMAT) --dry-run --Werror ($(words $(CXX_STYLE_FILES)) C++ files of $(CXX_STYLE_DIRS))"
	@$(CLANG_FORMAT) --dry-run --Werror $(CXX_STYLE_FILES)

lint-types:
	$(PY) -m mypy

format: setup
	$(RUFF) check --fix .
	$(RUFF) format .
	@echo "$(CLANG_FORMAT) -i ($(words $(CXX_STYLE_FILES)) C++ files of $(CXX_STYLE_DIRS))"
	@$(CLANG_FORMAT) -i $(CXX_STYLE_FILES)

build/cpp/build.ninja: .venv/.requirements-stamp
	$(CMAKE) -S . -B build/cpp $(CMAKE_HOST_FLAGS) -DCMAKE_BUILD_TYPE=RelWithDebInfo

test-cpp: build/cpp/build.ninja
	$(CMAKE) --build build/cpp -j $(JOBS)
	cd build/cpp && ../../.venv/bin/ctest --output-on-failure -j $(JOBS)

build/asan/build.ninja: .venv/.requirements-stamp
	$(CMAKE) -S . -B build/asan $(CMAKE_HOST_FLAGS) -DCMAKE_BUILD_TYPE=Debug -DTINYOPS_SANITIZE=ON

# The same C++ suites under AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan: build/asan/build.ninja
	$(CMAKE) --build build/asan -j $(JOBS)
	cd build/asan && ../../.venv/bin/ctest --output-on-failure -j $(JOBS) -LE no-sanitize

# Cross-built firmware ports and their QEMU runs (filled by the firmware work; see firmware/README.md).
test-firmware: setup
	@if [ -f firmware/Makefile.inc ]; then $(MAKE) -f firmware/Makefile.inc firmware-test; else echo "test-firmware: no firmware yet"; fi

test-python: setup
	$(PY) -m pytest -q tests/python

bench: setup
	$(PY) benchmarks/bench_simulator.py

# The catalog's fitted QEMU boards: measure the whole calibration set on each emulated board (resumable: the
# store keeps finished runs), fit, write latency_model/boards/BOARD.yaml (version + 1), regenerate the
# simulator golden file. tests/python/hil/test_shipped_qemu_boards.py says when this is due.
QEMU_BOARDS := qemu-mps2-an500 qemu-mps2-an505
calibrate-qemu-boards: setup
	$(MAKE) -f firmware/Makefile.inc firmware-build
	@set -e; mkdir -p build/calibration; for board in $(QEMU_BOARDS); do \
	  .venv/bin/tinyops hil microbench --board $$board --store build/calibration/$$board.db; \
	  .venv/bin/tinyops calibrate --board $$board --store build/calibration/$$board.db --write-catalog; \
	done
	$(PY) tests/cpp/data/make_simulator_golden.py

# The paper's design-space comparison in full (experiments/README.md: what each shows and how long it takes).
# Experiment 4 runs on QEMU with the an500 runner, so the firmware is built first.
experiments: setup
	$(CMAKE) -S firmware/ports/qemu-mps2-an500 -B build/fw-qemu-mps2-an500 $(CMAKE_HOST_FLAGS) -DCMAKE_BUILD_TYPE=Release >/dev/null
	$(CMAKE) --build build/fw-qemu-mps2-an500 -j $(JOBS)
	$(PY) experiments/run_all.py

clean:
	rm -rf build .venv/.installed
