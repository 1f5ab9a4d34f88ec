#include "dwt.hpp"

#include "mmio.hpp"

namespace tinyops::rt::dwt {
namespace {
using mmio::reg32;

constexpr uintptr_t kDhcsr = 0xE000EDF0;
constexpr uint32_t kDhcsrDebugEnabled = 1u << 0;
constexpr uintptr_t kDemcr = 0xE000EDFC;
constexpr uint32_t kDemcrTraceEnable = 1u << 24;
constexpr uintptr_t kDwtCtrl = 0xE0001000;
constexpr uint32_t kDwtCtrlCycleCountEnable = 1u << 0;
constexpr uintptr_t kDwtCyccnt = 0xE0001004;
constexpr uintptr_t kDwtLar = 0xE0001FB0;  // lock access register: writes to DWT ignored until unlocked
constexpr uint32_t kLarUnlockKey = 0xC5ACCE55;
}  // namespace

void enable_cycle_counter() {
  reg32(kDemcr) |= kDemcrTraceEnable;
  reg32(kDwtLar) = kLarUnlockKey;
  reg32(kDwtCyccnt) = 0;
  reg32(kDwtCtrl) |= kDwtCtrlCycleCountEnable;
}

uint32_t cycle_count() { return reg32(kDwtCyccnt); }

bool debugger_attached() { return (reg32(kDhcsr) & kDhcsrDebugEnabled) != 0; }

}  // namespace tinyops::rt::dwt
