#pragma once
// Arm CMSDK APB dual timer (Cortex-M System Design Kit TRM, "APB dual-input timers"), timer 1 used as a
// free-running 32-bit down-counter at the peripheral clock. The QEMU ports' time base: DWT CYCCNT reads
// 0 under QEMU, while this timer advances with virtual time (deterministic under -icount).
#include <stdint.h>

namespace tinyops::rt::cmsdk {

class DualTimer {
 public:
  explicit constexpr DualTimer(uintptr_t base) : base_(base) {}
  void start_free_running() const;
  // Ticks since start_free_running(), counting up (wraps after 2^32 ticks).
  uint32_t elapsed_ticks() const;

 private:
  uintptr_t base_;
};

}  // namespace tinyops::rt::cmsdk
