# The two commands of the README: `make demo` (the main job) and `make test` (every test).
# Both set up what is missing first (Debian packages, .venv, the editable package).
SHELL := /bin/bash
PY := .venv/bin/python
JOBS ?= $(shell nproc)
CMAKE := .venv/bin/cmake
CMAKE_HOST_FLAGS := -G Ninja -DCMAKE_MAKE_PROGRAM=$(abspath .venv/bin/ninja)
CORE_SOURCES := $(shell find cpp bindings firmware -name '*.cpp' -o -name '*.hpp' -o -name '*.h' -o -name '*.c' -o -name CMakeLists.txt 2>/dev/null) CMakeLists.txt pyproject.toml

.PHONY: setup demo test test-cpp test-asan test-firmware test-python bench experiments clean

setup: .venv/.installed

.venv/.requirements-stamp: requirements.txt scripts/setup.sh
	scripts/setup.sh

# The package, installed editable: Python edits take effect at once, C++ edits re-run this rule.
.venv/.installed: .venv/.requirements-stamp $(CORE_SOURCES)
	set -o pipefail; $(PY) -m pip install -q --no-build-isolation -e . 2>&1 | { grep -v "^WARNING: Location" || true; }
	$(PY) -c "import tinyops._core"
	touch $@

demo: setup
	.venv/bin/tinyops demo

test: test-cpp test-asan test-firmware test-python

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

# The paper's design-space comparison in full (experiments/README.md: what each shows and how long it takes).
# Experiment 4 runs on QEMU with the an500 runner, so the firmware is built first.
experiments: setup
	$(CMAKE) -S firmware/ports/qemu-mps2-an500 -B build/fw-qemu-mps2-an500 $(CMAKE_HOST_FLAGS) -DCMAKE_BUILD_TYPE=Release >/dev/null
	$(CMAKE) --build build/fw-qemu-mps2-an500 -j $(JOBS)
	$(PY) experiments/run_all.py

clean:
	rm -rf build .venv/.installed
