// Known-answer firmware for the instruction-counting QEMU plugin (tools/qemu_insn_count): a function
// whose executed instruction count is fixed by construction, called kCalls times. The CTest
// (tools/qemu_insn_count/check.cmake) expects the plugin to report exactly kCalls * 202 instructions in
// the function's symbol range and one mark per call at its entry.
#include "console.hpp"

// movs (1) + 100 x (subs, bne) (200) + bx lr (1) = 202 instructions per call.
extern "C" __attribute__((naked, noinline)) void tinyops_counted_loop() {
  __asm__ volatile(
      "movs r0, #100 \n"
      "1: subs r0, r0, #1 \n"
      "bne 1b \n"
      "bx lr \n");
}

int main() {
  constexpr int kCalls = 3;
  for (int i = 0; i < kCalls; ++i) tinyops_counted_loop();
  tinyops::app::print("insn_count_check: done\n");
  return 0;
}
