#pragma once
// STM32F7 USART1 (RM0385 §34) as a transmit-only console, 8N1, polled.
#include <stddef.h>
#include <stdint.h>

namespace tinyops::rt::stm32f7::usart1 {

void init(uint32_t clock_hz, uint32_t baud);
void write(const char* text, size_t length);  // "\n" goes out as "\r\n"
void flush();                                 // returns once the last bit has left the shifter

}  // namespace tinyops::rt::stm32f7::usart1
