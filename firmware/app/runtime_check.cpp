// The runtime on the target: the test network of the firmware's host tests (tests/firmware/blob_builder:
// every kernel; rows and output-channel partitions, weight overlays, prefetches) built on the target,
// run in place and partitioned from the port's real memories with the port's DMA seam — on
// qemu-mps2-an505 the PL081 copies the overlays while the CPU computes — and checked bit-exact against
// each other. Exits 0 when every seed matches and the partitioned runs moved data by DMA.
// Uses a heap (the test blob builder's std::vector); the firmware proper never allocates.
#include <string.h>

#include "blob_builder.hpp"
#include "console.hpp"
#include "tinyops/rt/port.hpp"
#include "tinyops/rt/runtime.hpp"

namespace {

namespace rt = tinyops::rt;
using tinyops::app::print;
using tinyops::app::print_u32;

constexpr uint32_t kBlobBytes = 512 * 1024;
constexpr uint32_t kExternalBytes = 1024 * 1024;
constexpr uint32_t kInternalBytes = 256 * 1024;
TINYOPS_EXTERNAL uint8_t blob_copy[kBlobBytes];
TINYOPS_EXTERNAL uint8_t external_arena[kExternalBytes];
TINYOPS_INTERNAL uint8_t internal_arena[kInternalBytes];
uint8_t reference_output[4096];
uint8_t input[4096];

uint32_t random_state = 2022;
uint8_t next_byte() {
  random_state = random_state * 1664525u + 1013904223u;
  return static_cast<uint8_t>(random_state >> 24);
}

struct RunSummary {
  bool ok;
  uint32_t output_bytes, parts, dma_bytes, dma_wait;
};

// Loads the network from external memory, runs it on `input`, leaves the output in `output`.
RunSummary load_and_run(const rt::test::TestNetwork& net, uint8_t* output) {
  RunSummary summary{};
  if (net.blob.size() > kBlobBytes || net.external_bytes > kExternalBytes || net.internal_bytes > kInternalBytes) {
    print("runtime_check: the test network does not fit this app's buffers\n");
    return summary;
  }
  memcpy(blob_copy, net.blob.data(), net.blob.size());
  rt::Model model;
  rt::LoadError error{};
  const rt::Arenas arenas{external_arena, net.external_bytes, internal_arena, net.internal_bytes};
  if (rt::load_model(blob_copy, static_cast<uint32_t>(net.blob.size()), arenas, &model, &error) != rt::Status::kOk) {
    print("runtime_check: load failed: ");
    print(rt::to_string(error.status));
    print("\n");
    return summary;
  }
  memcpy(model.input(), input, model.input_bytes());
  if (rt::run_model(model, &tinyops_results) != rt::Status::kOk) return summary;
  memcpy(output, model.output(), model.output_bytes());
  summary = {true, model.output_bytes(), 0, 0, 0};
  for (uint32_t i = 0; i < tinyops_results.op_count; ++i) {
    summary.parts += tinyops_results.ops[i].parts;
    summary.dma_bytes += tinyops_results.ops[i].dma_bytes;
    summary.dma_wait += tinyops_results.ops[i].dma_wait_cycles;
  }
  return summary;
}

}  // namespace

int main() {
  rt::port::init();
  int failures = 0;
  for (uint32_t seed = 1; seed <= 4; ++seed) {
    for (auto& v : input) v = next_byte();
    const RunSummary whole = load_and_run(rt::test::build_test_network(seed, false), reference_output);
    uint8_t output[sizeof reference_output];
    const RunSummary split =
        load_and_run(rt::test::build_test_network(seed, true, 2 + static_cast<int>(seed % 3)), output);
    const bool same = whole.ok && split.ok && whole.output_bytes == split.output_bytes &&
                      memcmp(output, reference_output, whole.output_bytes) == 0;
    const bool moved = split.dma_bytes > 0 && split.parts > whole.parts;
    print(same && moved ? "runtime_check: ok   seed " : "runtime_check: FAIL seed ");
    print_u32(seed);
    print(": parts ");
    print_u32(whole.parts);
    print(" -> ");
    print_u32(split.parts);
    print(", DMA bytes ");
    print_u32(split.dma_bytes);
    print(", DMA wait ");
    print_u32(split.dma_wait);
    print(" ");
    print(rt::port::cycles_unit());
    print(same ? ", outputs bit-exact\n" : ", outputs differ\n");
    if (!same || !moved) ++failures;
  }
  print(failures == 0 ? "runtime_check: PASS\n" : "runtime_check: FAILED\n");
  return failures == 0 ? 0 : 1;
}
