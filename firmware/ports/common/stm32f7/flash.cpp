#include "flash.hpp"

#include "../cortex_m/mmio.hpp"

namespace tinyops::rt::stm32f7::flash {
namespace {
using mmio::reg32;

constexpr uintptr_t kAcr = 0x40023C00;
constexpr uint32_t kAcrLatencyMask = 0xFu;
constexpr uint32_t kAcrPrefetch = 1u << 8;
constexpr uint32_t kAcrArt = 1u << 9;
}  // namespace

void set_wait_states(uint32_t wait_states) {
  mmio::modify(kAcr, kAcrLatencyMask | kAcrPrefetch | kAcrArt, wait_states | kAcrPrefetch | kAcrArt);
  while ((reg32(kAcr) & kAcrLatencyMask) != wait_states) {
  }
}

}  // namespace tinyops::rt::stm32f7::flash
