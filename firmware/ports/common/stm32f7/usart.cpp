#include "usart.hpp"

#include "../cortex_m/mmio.hpp"

namespace tinyops::rt::stm32f7::usart1 {
namespace {
using mmio::reg32;

constexpr uintptr_t kUsart1 = 0x40011000;
constexpr uintptr_t kCr1 = kUsart1 + 0x00;
constexpr uintptr_t kBrr = kUsart1 + 0x0C;
constexpr uintptr_t kIsr = kUsart1 + 0x1C;
constexpr uintptr_t kTdr = kUsart1 + 0x28;
constexpr uint32_t kCr1Enable = 1u << 0;
constexpr uint32_t kCr1TransmitterEnable = 1u << 3;
constexpr uint32_t kIsrTransmitEmpty = 1u << 7;
constexpr uint32_t kIsrTransmissionComplete = 1u << 6;

void put(char c) {
  mmio::wait_until_set(kIsr, kIsrTransmitEmpty);
  reg32(kTdr) = static_cast<uint8_t>(c);
}
}  // namespace

void init(uint32_t clock_hz, uint32_t baud) {
  reg32(kCr1) = 0;
  reg32(kBrr) = (clock_hz + baud / 2) / baud;  // oversampling by 16 (OVER8 = 0)
  reg32(kCr1) = kCr1Enable | kCr1TransmitterEnable;
}

void write(const char* text, size_t length) {
  for (size_t i = 0; i < length; ++i) {
    if (text[i] == '\n') put('\r');
    put(text[i]);
  }
}

void flush() { mmio::wait_until_set(kIsr, kIsrTransmissionComplete); }

}  // namespace tinyops::rt::stm32f7::usart1
