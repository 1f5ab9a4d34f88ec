#!/usr/bin/env bash
# One idempotent set-up for a fresh machine: Debian packages, then the virtual environment.
# Every install step of the project lives here; `make demo` and `make test` call it.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  # style checks of `make lint` (C++ and firmware formatting)
  clang-format
  # host C++ core: Eigen (calibration least squares), spdlog (logging), nlohmann-json and yaml-cpp (parsing), GoogleTest
  libeigen3-dev libspdlog-dev nlohmann-json3-dev libyaml-cpp-dev libgtest-dev googletest
  # simdjson: architecture JSON read in the scoring path (~25x faster than nlohmann's DOM)
  libsimdjson-dev
  # firmware: the Cortex-M toolchain and the emulator CI runs it on
  gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-dev libstdc++-arm-none-eabi-newlib qemu-system-arm gdb-multiarch
  # the model blob's schema compiler and FlatBuffers' header-only C++ runtime (firmware/schema/blob.fbs)
  flatbuffers-compiler libflatbuffers-dev
  # fuzzing the blob loader (libFuzzer ships with clang)
  clang libclang-rt-14-dev
  # llvm-mca: Cortex-M7/M4 cycles derived from LLVM's scheduling models (tinyops.hil._derived)
  llvm
  # search: the default data set and the multi-worker storage
  dataset-fashion-mnist postgresql
)

missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null \
    || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
# The Python dependencies, read from pyproject.toml (their one source): the build requirements (the editable
# build runs without isolation), the dependencies and every extra. Installed again only when that list changes.
requirements=$(python3 - <<'PY'
import tomllib
with open("pyproject.toml", "rb") as f:
    project = tomllib.load(f)
reqs = project["build-system"]["requires"] + project["project"]["dependencies"]
for extra in project["project"].get("optional-dependencies", {}).values():
    reqs += extra
print("\n".join(dict.fromkeys(reqs)))
PY
)
stamp=.venv/.requirements-stamp
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$requirements" ]; then
  .venv/bin/pip install -q --upgrade pip
  # The CPU build of PyTorch that lies on disk (pinned in the search extra); it must come first, or a
  # dependency pulls a CUDA build.
  mapfile -t torch < <(grep -E '^torch\b' <<<"$requirements")
  [ ${#torch[@]} -eq 0 ] || .venv/bin/pip install -q "${torch[@]}"
  mapfile -t reqs <<<"$requirements"
  .venv/bin/pip install -q "${reqs[@]}"
  printf '%s' "$requirements" > "$stamp"
fi
touch "$stamp"  # newer than pyproject.toml: make's stamp rule is satisfied until the file changes again
