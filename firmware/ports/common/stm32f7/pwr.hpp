#pragma once
// STM32F7 power controller (RM0385 §4): regulator voltage scale and over-drive, needed above 180 MHz.
namespace tinyops::rt::stm32f7::pwr {

void select_voltage_scale1();  // VOS = 11; takes effect once the PLL is on
void enable_overdrive();       // ODEN, wait ODRDY, ODSWEN, wait ODSWRDY

}  // namespace tinyops::rt::stm32f7::pwr
