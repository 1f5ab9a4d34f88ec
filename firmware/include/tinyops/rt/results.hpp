#pragma once
// Per-op measurements of the last run, in a plain struct at the C symbol `tinyops_results` so that a host
// can read it from a target's memory by looking the symbol up in the ELF (pyelftools). The layout is part
// of the contract: see firmware/RESULTS_FORMAT.md. Little-endian, no padding.
#include <stdint.h>

#include "tinyops/rt/blob_format.hpp"

namespace tinyops::rt {

inline constexpr uint32_t kResultsMagic = 0x53524F54u;  // "TORS"
inline constexpr uint16_t kResultsVersion = 1;

struct OpResult {
  uint32_t cycles;           // 0  port::cycles() from the op's start to its end (DMA waits included)
  uint32_t dma_wait_cycles;  // 4  of which spent in port::dma_wait
  uint32_t parts;            // 8  parts executed
  uint32_t dma_bytes;        // 12 bytes copied into overlays by this op (prefetches for the next op included)
};

struct Results {
  uint32_t magic;            // 0  kResultsMagic once the runtime has written it
  uint16_t version;          // 4  kResultsVersion
  uint16_t op_result_bytes;  // 6  sizeof(OpResult) = 16
  int32_t status;            // 8  Status of the last load or run (0 = ok)
  uint32_t op_count;         // 12 valid entries of ops[]
  uint32_t total_cycles;     // 16 the whole run
  uint32_t run_count;        // 20 completed runs since reset
  char cycles_unit[8];       // 24 port::cycles_unit(), NUL-padded ("cycles", "ticks", "ns")
  OpResult ops[kMaxOps];     // 32
};
static_assert(sizeof(OpResult) == 16 && sizeof(Results) == 32 + 16 * kMaxOps, "Results layout");

}  // namespace tinyops::rt

// The firmware's one instance (defined by the runtime core; host code may use its own Results objects).
extern "C" tinyops::rt::Results tinyops_results;
