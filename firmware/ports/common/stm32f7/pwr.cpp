#include "pwr.hpp"

#include "../cortex_m/mmio.hpp"

namespace tinyops::rt::stm32f7::pwr {
namespace {
using mmio::reg32;

constexpr uintptr_t kPwr = 0x40007000;
constexpr uintptr_t kCr1 = kPwr + 0x00;
constexpr uintptr_t kCsr1 = kPwr + 0x04;
constexpr uint32_t kCr1VosMask = 3u << 14;
constexpr uint32_t kCr1VosScale1 = 3u << 14;
constexpr uint32_t kCr1OverdriveEnable = 1u << 16;
constexpr uint32_t kCr1OverdriveSwitch = 1u << 17;
constexpr uint32_t kCsr1OverdriveReady = 1u << 16;
constexpr uint32_t kCsr1OverdriveSwitchReady = 1u << 17;
}  // namespace

void select_voltage_scale1() { mmio::modify(kCr1, kCr1VosMask, kCr1VosScale1); }

void enable_overdrive() {
  reg32(kCr1) |= kCr1OverdriveEnable;
  mmio::wait_until_set(kCsr1, kCsr1OverdriveReady);
  reg32(kCr1) |= kCr1OverdriveSwitch;
  mmio::wait_until_set(kCsr1, kCsr1OverdriveSwitchReady);
}

}  // namespace tinyops::rt::stm32f7::pwr
