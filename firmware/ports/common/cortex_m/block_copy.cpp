#include "block_copy.hpp"

#include <string.h>

namespace tinyops::rt::cortex_m {

namespace {

// `blocks` blocks of 32 bytes. GCC's own block move loads four registers at a time; eight per LDM/STM halves the
// loop's instructions, and a loop pass of 8 LDM/STM pairs takes SUBS/BNE once per 256 bytes (issue #11: the
// partitioned r064 plan copies ~440 KB by CPU on an500). The first pass jumps past the pairs the count leaves over
// (Duff's device: each pair is 8 bytes of code, both instructions 32-bit as their lists name r8 and up), so the
// last blocks take no loop of their own. r7 and r11 stay out of the list: either can be the frame pointer.
inline void copy_blocks(uint32_t*& to, const uint32_t*& from, uint32_t blocks) {
  if (blocks == 0) return;
  uint32_t passes = (blocks + 7) / 8;
  uint32_t skipped = (0u - blocks) % 8 * 8;  // code bytes of the pairs the first pass jumps over
  asm volatile(
      "add.n pc, %[skipped]\n\t"  // PC reads as this instruction's address + 4: the loop's start
      "nop.n\n"
      "1:\n\t"
      ".rept 8\n\t"
      "ldmia.w %[from]!, {r4, r5, r6, r8, r9, r10, r12, lr}\n\t"
      "stmia.w %[to]!, {r4, r5, r6, r8, r9, r10, r12, lr}\n\t"
      ".endr\n\t"
      "subs %[passes], %[passes], #1\n\t"
      "bne 1b"
      : [from] "+r"(from), [to] "+r"(to), [passes] "+r"(passes), [skipped] "+r"(skipped)
      :
      : "r4", "r5", "r6", "r8", "r9", "r10", "r12", "lr", "cc", "memory");
}

// One block of 32 bytes.
inline void copy_block(uint32_t*& to, const uint32_t*& from) {
  asm volatile(
      "ldmia.w %[from]!, {r4, r5, r6, r8, r9, r10, r12, lr}\n\t"
      "stmia.w %[to]!, {r4, r5, r6, r8, r9, r10, r12, lr}"
      : [from] "+r"(from), [to] "+r"(to)
      :
      : "r4", "r5", "r6", "r8", "r9", "r10", "r12", "lr", "memory");
}

}  // namespace

void block_copy(void* dst, const void* src, uint32_t bytes) {
  if (((reinterpret_cast<uintptr_t>(dst) | reinterpret_cast<uintptr_t>(src)) & 3u) != 0) {
    memcpy(dst, src, bytes);
    return;
  }
  auto* to = static_cast<uint32_t*>(dst);
  const auto* from = static_cast<const uint32_t*>(src);
  copy_blocks(to, from, bytes / 32);
  if (const uint32_t words = (bytes % 32) / 4; words != 0) {
    if (bytes >= 32) {
      // The last 32 bytes of words as one more block, over words already copied (with the same values: source
      // and destination never overlap, as for a DMA engine): one LDM/STM for up to 7 words of a word-at-a-time loop.
      to -= 8 - words, from -= 8 - words;
      copy_block(to, from);
    } else {
      for (uint32_t n = words; n != 0; --n) *to++ = *from++;
    }
  }
  auto* to_byte = reinterpret_cast<uint8_t*>(to);
  const auto* from_byte = reinterpret_cast<const uint8_t*>(from);
  for (uint32_t n = bytes % 4; n != 0; --n) *to_byte++ = *from_byte++;
}

}  // namespace tinyops::rt::cortex_m
