#pragma once
// STM32F7 GPIO (RM0385 §6): pins in alternate-function mode for the FMC and the USART.
#include <stdint.h>

#include <initializer_list>

#include "rcc.hpp"

namespace tinyops::rt::stm32f7::gpio {

// Bit mask of pin numbers: pin_mask({0, 1, 8}) = 0x0103.
constexpr uint16_t pin_mask(std::initializer_list<int> numbers) {
  uint16_t mask = 0;
  for (int n : numbers) mask = static_cast<uint16_t>(mask | 1u << n);
  return mask;
}

struct PinGroup {
  rcc::Gpio port;
  uint16_t pins;  // bit n = pin n
};

// Alternate function `af`, push-pull, very high speed, pull-up; enables the port's clock.
void set_alternate_function(const PinGroup& group, uint32_t af);

}  // namespace tinyops::rt::stm32f7::gpio
