#!/usr/bin/env bash
# Builds the loader's libFuzzer target with clang (ASan + UBSan) and runs it for a while on the seed corpus.
# usage: fuzz_loader.sh CLANGXX REPO_ROOT WORK_DIR SEEDS_EXE SECONDS
set -euo pipefail
clangxx=$1 root=$2 work=$3 seeds=$4 seconds=$5
mkdir -p "$work/corpus"
sources=("$root"/firmware/src/*.cpp "$root"/firmware/src/kernels/*.cpp "$root"/firmware/ports/host/port.cpp
         "$root"/tests/firmware/fuzz_loader.cpp)
"$clangxx" -std=c++17 -O1 -g -fno-exceptions -fno-rtti -fsanitize=fuzzer,address,undefined \
  -fno-sanitize-recover=all -I"$root/firmware/include" -I"$root/firmware/src" "${sources[@]}" -o "$work/fuzz_loader"
"$seeds" "$work/corpus"
# -timeout: a slow input (a hang) is a finding too.
"$work/fuzz_loader" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus"
