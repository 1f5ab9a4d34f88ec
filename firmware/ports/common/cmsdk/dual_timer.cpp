#include "dual_timer.hpp"

#include "../cortex_m/mmio.hpp"

namespace tinyops::rt::cmsdk {
namespace {
using mmio::reg32;

constexpr uintptr_t kTimer1Load = 0x00;
constexpr uintptr_t kTimer1Value = 0x04;
constexpr uintptr_t kTimer1Control = 0x08;

constexpr uint32_t kControlEnable = 1u << 7;
constexpr uint32_t kControlSize32 = 1u << 1;  // 32-bit counter; mode bit 6 = 0: free-running, prescale /1
}  // namespace

void DualTimer::start_free_running() const {
  reg32(base_ + kTimer1Control) = 0;
  reg32(base_ + kTimer1Load) = 0xFFFFFFFFu;
  reg32(base_ + kTimer1Control) = kControlEnable | kControlSize32;
}

uint32_t DualTimer::elapsed_ticks() const { return 0xFFFFFFFFu - reg32(base_ + kTimer1Value); }

}  // namespace tinyops::rt::cmsdk
