// STM32F746G-DISCO (MB1191): the MT48LC4M32B2B5-6A SDRAM (128 Mbit, used through a 16-bit bus: 8 MB) on
// FMC SDRAM bank 1 (SDCKE0 = PC3, SDNE0 = PH3), the ST-LINK virtual COM port on USART1 (TX = PA9).
// Pins from the board's schematic (UM1907); CAS latency 2 as in the TinyOps paper's build.
#include "../common/stm32f7/board.hpp"
#include "../common/stm32f7/mt48lc4m32b2.hpp"

namespace tinyops::rt::stm32f7 {

using gpio::pin_mask;
using rcc::Gpio;

const Board kBoard = {
    .sdram_pins =
        {
            {Gpio::C, pin_mask({3})},
            {Gpio::D, pin_mask({0, 1, 8, 9, 10, 14, 15})},
            {Gpio::E, pin_mask({0, 1, 7, 8, 9, 10, 11, 12, 13, 14, 15})},
            {Gpio::F, pin_mask({0, 1, 2, 3, 4, 5, 11, 12, 13, 14, 15})},
            {Gpio::G, pin_mask({0, 1, 4, 5, 8, 15})},
            {Gpio::H, pin_mask({3, 5})},
        },
    .console_tx = {Gpio::A, pin_mask({9})},
    .sdram = mt48lc4m32b2_at_108mhz(16, 2),
};

}  // namespace tinyops::rt::stm32f7
