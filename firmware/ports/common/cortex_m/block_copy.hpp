#pragma once
// The CPU copy engine of ports without a DMA engine (mps2-an500): a transfer of the plan is a copy of a
// few hundred bytes to a few KB, almost always between word-aligned regions (the planner aligns buffers), so
// the word-aligned case is the one worth a fast path; the library's memcpy moves 64 bytes in 34 instructions.
#include <stdint.h>

namespace tinyops::rt::cortex_m {

// Copies `bytes` from `src` to `dst` (non-overlapping). Both word-aligned: 32-byte blocks through LDM/STM of
// eight registers, then words, then bytes; otherwise the library's memcpy.
void block_copy(void* dst, const void* src, uint32_t bytes);

}  // namespace tinyops::rt::cortex_m
