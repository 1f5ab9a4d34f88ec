#include "block_copy.hpp"

#include <string.h>

namespace tinyops::rt::cortex_m {

namespace {

// GCC's own block move loads four registers at a time; eight per LDM/STM halves the loop's instructions, and
// kPairs LDM/STM pairs a pass take the loop's SUBS/BNE once per kPairs * 32 bytes (issue #11: the partitioned
// r064 plan copies ~440 KB by CPU on an500). r7 and r11 stay out of the list: either can be the frame pointer.
template <int kPairs>
inline void copy_blocks(uint32_t*& to, const uint32_t*& from, uint32_t passes) {
  if (passes == 0) return;
  asm volatile(
      "1:\n\t"
      ".rept %c[pairs]\n\t"
      "ldmia %[from]!, {r3, r4, r5, r6, r8, r9, r10, r12}\n\t"
      "stmia %[to]!, {r3, r4, r5, r6, r8, r9, r10, r12}\n\t"
      ".endr\n\t"
      "subs %[passes], %[passes], #1\n\t"
      "bne 1b"
      : [from] "+r"(from), [to] "+r"(to), [passes] "+r"(passes)
      : [pairs] "i"(kPairs)
      : "r3", "r4", "r5", "r6", "r8", "r9", "r10", "r12", "cc", "memory");
}

constexpr int kPairsPerPass = 8;
constexpr uint32_t kPassBytes = 32u * kPairsPerPass;

}  // namespace

void block_copy(void* dst, const void* src, uint32_t bytes) {
  if (((reinterpret_cast<uintptr_t>(dst) | reinterpret_cast<uintptr_t>(src)) & 3u) != 0) {
    memcpy(dst, src, bytes);
    return;
  }
  auto* to = static_cast<uint32_t*>(dst);
  const auto* from = static_cast<const uint32_t*>(src);
  copy_blocks<kPairsPerPass>(to, from, bytes / kPassBytes);
  copy_blocks<1>(to, from, (bytes % kPassBytes) / 32);
  for (uint32_t n = (bytes % 32) / 4; n != 0; --n) *to++ = *from++;
  auto* to_byte = reinterpret_cast<uint8_t*>(to);
  const auto* from_byte = reinterpret_cast<const uint8_t*>(from);
  for (uint32_t n = bytes % 4; n != 0; --n) *to_byte++ = *from_byte++;
}

}  // namespace tinyops::rt::cortex_m
