#include "gpio.hpp"

#include "../cortex_m/mmio.hpp"

namespace tinyops::rt::stm32f7::gpio {
namespace {
constexpr uintptr_t kGpioA = 0x40020000;
constexpr uintptr_t kPortStride = 0x400;
constexpr uintptr_t kModer = 0x00;    // 2 bits per pin: 10 = alternate function
constexpr uintptr_t kOtyper = 0x04;   // 1 bit per pin: 0 = push-pull
constexpr uintptr_t kOspeedr = 0x08;  // 2 bits per pin: 11 = very high speed
constexpr uintptr_t kPupdr = 0x0C;    // 2 bits per pin: 01 = pull-up
constexpr uintptr_t kAfrl = 0x20;     // 4 bits per pin, pins 0-7; AFRH at 0x24 for pins 8-15
}  // namespace

void set_alternate_function(const PinGroup& group, uint32_t af) {
  rcc::enable_gpio(group.port);
  const uintptr_t base = kGpioA + kPortStride * static_cast<uintptr_t>(group.port);
  for (uint32_t pin = 0; pin < 16; ++pin) {
    if ((group.pins & (1u << pin)) == 0) continue;
    const uint32_t two_bits = 3u << (2 * pin);
    mmio::modify(base + kOspeedr, two_bits, 3u << (2 * pin));
    mmio::modify(base + kOtyper, 1u << pin, 0);
    mmio::modify(base + kPupdr, two_bits, 1u << (2 * pin));
    const uintptr_t afr = base + kAfrl + 4 * (pin / 8);
    mmio::modify(afr, 0xFu << (4 * (pin % 8)), af << (4 * (pin % 8)));
    mmio::modify(base + kModer, two_bits, 2u << (2 * pin));
  }
}

}  // namespace tinyops::rt::stm32f7::gpio
