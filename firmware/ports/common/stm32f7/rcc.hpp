#pragma once
// STM32F7 reset and clock control (RM0385 §5 / RM0410 §5): the system clock tree and peripheral clocks.
#include <stdint.h>

namespace tinyops::rt::stm32f7::rcc {

// 216 MHz from a 25 MHz HSE crystal: PLL M=25, N=432, P=2 (Q=9 gives 48 MHz), with over-drive, 7 flash
// wait states, AHB 216 MHz, APB1 54 MHz, APB2 108 MHz.
void set_system_clock_216mhz();
inline constexpr uint32_t kSystemClockHz = 216000000;
inline constexpr uint32_t kApb2ClockHz = 108000000;

enum class Gpio : uint32_t { A = 0, B, C, D, E, F, G, H, I, J, K };
void enable_gpio(Gpio port);
void enable_dma2();
void enable_fmc();
void enable_usart1();
void enable_syscfg();
void enable_pwr();

}  // namespace tinyops::rt::stm32f7::rcc
