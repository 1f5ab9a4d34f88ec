#pragma once
// What distinguishes one STM32F7 board from another for the shared STM32F7 port: the FMC pins its SDRAM
// is wired to, the SDRAM's geometry and timings, the console pins. Each board directory defines kBoard.
#include <stdint.h>

#include "fmc_sdram.hpp"
#include "gpio.hpp"

namespace tinyops::rt::stm32f7 {

struct Board {
  static constexpr int kMaxPinGroups = 8;
  gpio::PinGroup sdram_pins[kMaxPinGroups];  // alternate function 12 (FMC); unused groups have pins = 0
  gpio::PinGroup console_tx;                 // USART1 TX, alternate function 7
  fmc::SdramConfig sdram;
};

extern const Board kBoard;

}  // namespace tinyops::rt::stm32f7
