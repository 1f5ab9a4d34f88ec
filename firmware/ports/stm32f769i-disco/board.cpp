// STM32F769I-DISCO (MB1225): the MT48LC4M32B2B5-6A SDRAM with its full 32-bit bus (16 MB) on FMC SDRAM
// bank 1 (SDCKE0 = PH2, SDNE0 = PH3; D16-D31 on ports H and I), the ST-LINK virtual COM port on USART1
// (TX = PA9). Pins from the board's schematic (UM2033); CAS latency 3: the -6A grade specifies CL2 only up
// to 100 MHz.
#include "../common/stm32f7/board.hpp"
#include "../common/stm32f7/mt48lc4m32b2.hpp"

namespace tinyops::rt::stm32f7 {

using gpio::pin_mask;
using rcc::Gpio;

const Board kBoard = {
    .sdram_pins =
        {
            {Gpio::D, pin_mask({0, 1, 8, 9, 10, 14, 15})},
            {Gpio::E, pin_mask({0, 1, 7, 8, 9, 10, 11, 12, 13, 14, 15})},
            {Gpio::F, pin_mask({0, 1, 2, 3, 4, 5, 11, 12, 13, 14, 15})},
            {Gpio::G, pin_mask({0, 1, 4, 5, 8, 15})},
            {Gpio::H, pin_mask({2, 3, 5, 8, 9, 10, 11, 12, 13, 14, 15})},
            {Gpio::I, pin_mask({0, 1, 2, 3, 4, 5, 6, 7, 9, 10})},
        },
    .console_tx = {Gpio::A, pin_mask({9})},
    .sdram = mt48lc4m32b2_at_108mhz(32, 3),
};

}  // namespace tinyops::rt::stm32f7
