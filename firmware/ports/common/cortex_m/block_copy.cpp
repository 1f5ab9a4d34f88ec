#include "block_copy.hpp"

#include <string.h>

namespace tinyops::rt::cortex_m {

void block_copy(void* dst, const void* src, uint32_t bytes) {
  if (((reinterpret_cast<uintptr_t>(dst) | reinterpret_cast<uintptr_t>(src)) & 3u) != 0) {
    memcpy(dst, src, bytes);
    return;
  }
  auto* to = static_cast<uint32_t*>(dst);
  const auto* from = static_cast<const uint32_t*>(src);
  // GCC's own block move loads four registers at a time; eight per LDM/STM halves the loop's instructions.
  // r7 and r11 stay out of the list: either can be the frame pointer.
  if (uint32_t blocks = bytes / 32; blocks != 0) {
    asm volatile(
        "1:\n\t"
        "ldmia %[from]!, {r3, r4, r5, r6, r8, r9, r10, r12}\n\t"
        "stmia %[to]!, {r3, r4, r5, r6, r8, r9, r10, r12}\n\t"
        "subs %[blocks], %[blocks], #1\n\t"
        "bne 1b"
        : [from] "+r"(from), [to] "+r"(to), [blocks] "+r"(blocks)
        :
        : "r3", "r4", "r5", "r6", "r8", "r9", "r10", "r12", "cc", "memory");
  }
  for (uint32_t n = (bytes % 32) / 4; n != 0; --n) *to++ = *from++;
  auto* to_byte = reinterpret_cast<uint8_t*>(to);
  const auto* from_byte = reinterpret_cast<const uint8_t*>(from);
  for (uint32_t n = bytes % 4; n != 0; --n) *to_byte++ = *from_byte++;
}

}  // namespace tinyops::rt::cortex_m
