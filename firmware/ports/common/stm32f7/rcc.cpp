#include "rcc.hpp"

#include "../cortex_m/mmio.hpp"
#include "flash.hpp"
#include "pwr.hpp"

namespace tinyops::rt::stm32f7::rcc {
namespace {
using mmio::reg32;

constexpr uintptr_t kRcc = 0x40023800;
constexpr uintptr_t kCr = kRcc + 0x00;
constexpr uint32_t kCrHseOn = 1u << 16;
constexpr uint32_t kCrHseReady = 1u << 17;
constexpr uint32_t kCrPllOn = 1u << 24;
constexpr uint32_t kCrPllReady = 1u << 25;
constexpr uintptr_t kPllCfgr = kRcc + 0x04;
constexpr uintptr_t kCfgr = kRcc + 0x08;
constexpr uintptr_t kAhb1Enr = kRcc + 0x30;
constexpr uintptr_t kAhb3Enr = kRcc + 0x38;
constexpr uintptr_t kApb1Enr = kRcc + 0x40;
constexpr uintptr_t kApb2Enr = kRcc + 0x44;

// PLLCFGR: PLLM [5:0], PLLN [14:6], PLLP [17:16] (0 = /2), PLLSRC bit 22 (1 = HSE), PLLQ [27:24].
constexpr uint32_t kPllM = 25, kPllN = 432, kPllPDiv2 = 0, kPllQ = 9;
constexpr uint32_t kPllConfig = kPllM | kPllN << 6 | kPllPDiv2 << 16 | 1u << 22 | kPllQ << 24;
// CFGR: SW [1:0] = 2 (PLL), SWS [3:2], HPRE [7:4] = 0 (/1), PPRE1 [12:10] = 5 (/4), PPRE2 [15:13] = 4 (/2).
constexpr uint32_t kCfgrSwMask = 3u << 0;
constexpr uint32_t kCfgrSwPll = 2u << 0;
constexpr uint32_t kCfgrSwsMask = 3u << 2;
constexpr uint32_t kCfgrSwsPll = 2u << 2;
constexpr uint32_t kCfgrPrescalers = 0u << 4 | 5u << 10 | 4u << 13;
constexpr uint32_t kCfgrPrescalerMask = 0xFu << 4 | 7u << 10 | 7u << 13;

void enable(uintptr_t enable_register, uint32_t bit) {
  reg32(enable_register) |= bit;
  const uint32_t read_back = reg32(enable_register);  // the clock runs before the peripheral is touched
  (void)read_back;
}
}  // namespace

// The sequence of RM0385 §4.1.4 "Entering Over-drive mode": PLL configured and on, over-drive and its
// switch enabled, flash latency raised, then the system clock switched to the PLL.
void set_system_clock_216mhz() {
  enable_pwr();
  pwr::select_voltage_scale1();

  reg32(kCr) |= kCrHseOn;
  mmio::wait_until_set(kCr, kCrHseReady);
  reg32(kCr) &= ~kCrPllOn;
  mmio::wait_until_clear(kCr, kCrPllReady);
  reg32(kPllCfgr) = kPllConfig;
  reg32(kCr) |= kCrPllOn;

  pwr::enable_overdrive();
  flash::set_wait_states(7);  // 7 WS for 210 < HCLK <= 216 MHz at 2.7-3.6 V (RM0385 Table 7)

  mmio::modify(kCfgr, kCfgrPrescalerMask, kCfgrPrescalers);
  mmio::wait_until_set(kCr, kCrPllReady);
  mmio::modify(kCfgr, kCfgrSwMask, kCfgrSwPll);
  while ((reg32(kCfgr) & kCfgrSwsMask) != kCfgrSwsPll) {
  }
}

void enable_gpio(Gpio port) { enable(kAhb1Enr, 1u << static_cast<uint32_t>(port)); }
void enable_dma2() { enable(kAhb1Enr, 1u << 22); }
void enable_fmc() { enable(kAhb3Enr, 1u << 0); }
void enable_usart1() { enable(kApb2Enr, 1u << 4); }
void enable_syscfg() { enable(kApb2Enr, 1u << 14); }
void enable_pwr() { enable(kApb1Enr, 1u << 28); }

}  // namespace tinyops::rt::stm32f7::rcc
